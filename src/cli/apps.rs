//! `gitlogin apps …`: the app registry from the command line. Every value is checked
//! (`registry::Registration::check`) before anything is written, and an app is written in
//! one transaction, so a refused command leaves the store as it was. Adding is `add.rs`,
//! listing and showing `show.rs`.

use std::process::ExitCode;

use clap::Subcommand;
use rocket::figment::Figment;
use rocket_db_pools::Database;
use serde_json::json;

mod add;
mod show;

use crate::config::AppConfig;
use crate::models::apis;
use crate::models::apps::{self, StoredApp};
use crate::ops::random::{sha256_hex, token};
use crate::store::pool::Db;

#[derive(Subcommand)]
pub(super) enum AppsCommand {
    /// Register an app; prints its client_id and, for a confidential app, its client_secret
    /// (shown once: only its hash is kept).
    Add(Box<add::AddArgs>),
    /// Every registered app, one per line.
    List {
        /// One JSON array, one object per app.
        #[arg(long)]
        json: bool,
    },
    /// One app's settings (never its secret).
    Show { name: String },
    /// A new client_secret for a confidential app; the old one stops working at once.
    RotateSecret {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Let APP get access tokens for the API named API.
    Accept { api: String, app: String },
    /// Stop APP getting tokens for API; the tokens it holds for API end at once.
    Reject { api: String, app: String },
    /// Decommission an app: its codes, tokens and consents go with it.
    Remove { name: String },
}

pub(super) async fn run(command: AppsCommand, figment: Figment) -> ExitCode {
    let verb = match &command {
        AppsCommand::Add(_) => "add",
        AppsCommand::List { .. } => "list",
        AppsCommand::Show { .. } => "show",
        AppsCommand::RotateSecret { .. } => "rotate-secret",
        AppsCommand::Accept { .. } => "accept",
        AppsCommand::Reject { .. } => "reject",
        AppsCommand::Remove { .. } => "remove",
    };
    match execute(command, figment).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gitlogin apps {verb}: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: AppsCommand, figment: Figment) -> Result<(), String> {
    match command {
        AppsCommand::Add(args) => {
            let json = args.json;
            // Checked before the store is opened: a bad value never touches it.
            let app = args.check()?;
            with_store(figment, async |conn, config| {
                add::add(conn, config, &app, json).await
            })
            .await
        }
        AppsCommand::List { json } => {
            with_store(figment, async |conn, _| show::list(conn, json).await).await
        }
        AppsCommand::Show { name } => {
            with_store(figment, async |conn, _| show::show(conn, &name).await).await
        }
        AppsCommand::RotateSecret { name, json } => {
            with_store(figment, async |conn, _| {
                rotate_secret(conn, &name, json).await
            })
            .await
        }
        AppsCommand::Accept { api, app } => {
            with_store(figment, async |conn, _| accept(conn, &api, &app).await).await
        }
        AppsCommand::Reject { api, app } => {
            with_store(figment, async |conn, _| reject(conn, &api, &app).await).await
        }
        AppsCommand::Remove { name } => {
            with_store(figment, async |conn, _| remove(conn, &name).await).await
        }
    }
}

/// Runs `work` on a connection to the store, opened and closed around it.
async fn with_store(
    figment: Figment,
    work: impl AsyncFnOnce(&mut Conn, &AppConfig) -> Result<(), String>,
) -> Result<(), String> {
    let (rocket, config) = super::open_store(figment).await?;
    let db = Db::fetch(&rocket).ok_or("the store did not open")?;
    let mut conn = db.acquire().await.map_err(|e| e.to_string())?;
    let result = work(&mut conn, &config).await;
    drop(conn);
    crate::store::pool::close(&rocket).await;
    result
}

type Conn = rocket_db_pools::sqlx::AnyConnection;

async fn rotate_secret(conn: &mut Conn, name: &str, json: bool) -> Result<(), String> {
    let app = find(conn, name).await?;
    if app.secret_hash.is_none() {
        return Err(format!("{name} is a public app: it has no secret"));
    }
    let secret = token();
    let rotated = apps::set_secret_hash(conn, name, &sha256_hex(&secret))
        .await
        .map_err(|e| e.to_string())?;
    if !rotated {
        return Err(format!("no app named {name:?}"));
    }
    if json {
        println!(
            "{}",
            json!({ "client_id": app.client_id, "client_secret": secret })
        );
    } else {
        println!("client_secret: {secret}");
        eprintln!("gitlogin: {name} has a new secret; the old one no longer works.");
    }
    Ok(())
}

async fn accept(conn: &mut Conn, api: &str, app: &str) -> Result<(), String> {
    apis::accept(conn, api, app)
        .await
        .map_err(|e| e.to_string())?;
    eprintln!("gitlogin: {app} may now get access tokens for {api}.");
    Ok(())
}

async fn reject(conn: &mut Conn, api: &str, app: &str) -> Result<(), String> {
    let (was_accepted, ended) = apis::reject(conn, api, app)
        .await
        .map_err(|e| e.to_string())?;
    if was_accepted {
        eprintln!("gitlogin: {app} may no longer get tokens for {api}; {ended} of its tokens for it ended.");
    } else {
        eprintln!("gitlogin: {api} did not accept {app}; nothing changed.");
    }
    Ok(())
}

async fn remove(conn: &mut Conn, name: &str) -> Result<(), String> {
    if !apps::remove_app(conn, name)
        .await
        .map_err(|e| e.to_string())?
    {
        return Err(format!("no app named {name:?}"));
    }
    eprintln!(
        "gitlogin: {name} removed; its codes, tokens, consents and host cookies no longer work."
    );
    Ok(())
}

async fn find(conn: &mut Conn, name: &str) -> Result<StoredApp, String> {
    apps::find_app(conn, name)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no app named {name:?}"))
}
