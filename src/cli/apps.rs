//! `gitlogin apps …`: the app registry from the command line. Every value is checked
//! (`registry::Registration::check`) before anything is written, and an app is written in
//! one transaction, so a refused command leaves the store as it was.

use std::process::ExitCode;

use clap::Subcommand;
use rocket::figment::Figment;
use rocket_db_pools::Database;
use serde_json::json;

use crate::models::apps::{self, StoredApp};
use crate::ops::clock::Clock;
use crate::ops::random::{sha256_hex, token};
use crate::registry::registration::Requested;
use crate::registry::{Registration, Rule};
use crate::store::pool::Db;

#[derive(Subcommand)]
pub(super) enum AppsCommand {
    /// Register an app; prints its client_id and, for a confidential app, its client_secret
    /// (shown once: only its hash is kept).
    Add(AddArgs),
    /// Every registered app, one per line.
    List,
    /// One app's settings (never its secret).
    Show { name: String },
    /// A new client_secret for a confidential app; the old one stops working at once.
    RotateSecret {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Decommission an app: its codes, tokens and consents go with it.
    Remove { name: String },
}

/// `apps add`'s arguments, as typed.
#[derive(clap::Args)]
pub(super) struct AddArgs {
    name: String,
    /// Where the app may receive a sign-in (OpenID Connect); exact, https or loopback http.
    #[arg(long = "redirect-uri", value_name = "URL")]
    redirect_uris: Vec<String>,
    /// Where the app may send a person after signing out.
    #[arg(long = "post-logout-redirect-uri", value_name = "URL")]
    post_logout_redirect_uris: Vec<String>,
    /// A host the app is served on behind the reverse proxy (forward auth).
    #[arg(long = "host", value_name = "HOST")]
    hosts: Vec<String>,
    /// The app cannot keep a secret (a single-page or native app): no secret, PKCE required.
    #[arg(long)]
    public: bool,
    /// How its ID tokens are signed.
    #[arg(long, value_name = "RS256|EdDSA")]
    id_token_alg: Option<String>,
    /// Who may use it, on top of the global allow-lists: LOGIN, LOGIN:ID or ID.
    #[arg(long = "allow-user", value_name = "LOGIN|LOGIN:ID|ID")]
    allow_users: Vec<String>,
    #[arg(long = "allow-org", value_name = "ORG")]
    allow_orgs: Vec<String>,
    #[arg(long = "allow-team", value_name = "ORG/TEAM")]
    allow_teams: Vec<String>,
    /// Print one JSON object, {"client_id": …, "client_secret": …}, and nothing else.
    #[arg(long)]
    json: bool,
}

impl AddArgs {
    /// The registration these arguments ask for, checked whole.
    fn check(self) -> Result<Registration, String> {
        Registration::check(Requested {
            name: self.name,
            redirect_uris: self.redirect_uris,
            post_logout_redirect_uris: self.post_logout_redirect_uris,
            hosts: self.hosts,
            public: self.public,
            id_token_alg: self.id_token_alg,
            allow_users: self.allow_users,
            allow_orgs: self.allow_orgs,
            allow_teams: self.allow_teams,
        })
        .map_err(|e| e.to_string())
    }
}

pub(super) async fn run(command: AppsCommand, figment: Figment) -> ExitCode {
    let verb = match &command {
        AppsCommand::Add(_) => "add",
        AppsCommand::List => "list",
        AppsCommand::Show { .. } => "show",
        AppsCommand::RotateSecret { .. } => "rotate-secret",
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
            with_store(figment, async |conn| add(conn, &app, json).await).await
        }
        AppsCommand::List => with_store(figment, async |conn| list(conn).await).await,
        AppsCommand::Show { name } => {
            with_store(figment, async |conn| show(conn, &name).await).await
        }
        AppsCommand::RotateSecret { name, json } => {
            with_store(figment, async |conn| rotate_secret(conn, &name, json).await).await
        }
        AppsCommand::Remove { name } => {
            with_store(figment, async |conn| remove(conn, &name).await).await
        }
    }
}

/// Runs `work` on a connection to the store, opened and closed around it.
async fn with_store(
    figment: Figment,
    work: impl AsyncFnOnce(&mut Conn) -> Result<(), String>,
) -> Result<(), String> {
    let (rocket, _) = super::open_store(figment).await?;
    let db = Db::fetch(&rocket).ok_or("the store did not open")?;
    let mut conn = db.acquire().await.map_err(|e| e.to_string())?;
    let result = work(&mut conn).await;
    drop(conn);
    crate::store::pool::close(&rocket).await;
    result
}

type Conn = rocket_db_pools::sqlx::AnyConnection;

async fn add(conn: &mut Conn, app: &Registration, json: bool) -> Result<(), String> {
    let client_id = token();
    let secret = (!app.public).then(token);
    let hash = secret.as_deref().map(sha256_hex);
    apps::insert_app(
        conn,
        app,
        &client_id,
        hash.as_deref(),
        Clock::default().now(),
    )
    .await
    .map_err(|e| e.to_string())?;
    // The app's ID tokens need their key published before it first reads the JWKS (relying
    // parties fetch it once, at discovery): made now if this is the first app to need it.
    let alg = app.id_token_alg;
    crate::keys::store::newest_or_first(conn, alg, Clock::default().now())
        .await
        .map_err(|e| e.to_string())?;
    if json {
        println!(
            "{}",
            json!({ "client_id": client_id, "client_secret": secret })
        );
        return Ok(());
    }
    println!("client_id: {client_id}");
    match secret {
        Some(secret) => {
            println!("client_secret: {secret}");
            eprintln!("gitlogin: {} registered. The client_secret is shown only now: gitlogin keeps its hash, not the secret.", app.name);
        }
        None => eprintln!(
            "gitlogin: {} registered as a public app: no secret, PKCE required.",
            app.name
        ),
    }
    Ok(())
}

async fn list(conn: &mut Conn) -> Result<(), String> {
    let all = apps::list_apps(conn).await.map_err(|e| e.to_string())?;
    if all.is_empty() {
        eprintln!("gitlogin: no apps registered (gitlogin apps add NAME …)");
    }
    for app in &all {
        println!(
            "{}\t{}\t{}\t{} redirect URIs\t{} hosts",
            app.name,
            app.client_id,
            kind(app),
            app.redirect_uris.len(),
            app.hosts.len()
        );
    }
    Ok(())
}

async fn show(conn: &mut Conn, name: &str) -> Result<(), String> {
    let app = find(conn, name).await?;
    println!("name: {}", app.name);
    println!("client_id: {}", app.client_id);
    println!("type: {}", kind(&app));
    println!("id_token_alg: {}", app.id_token_alg.as_str());
    let created = time::OffsetDateTime::from_unix_timestamp(app.created_at)
        .map_or_else(|_| app.created_at.to_string(), |t| t.date().to_string());
    println!("registered: {created}");
    let lines = [
        ("redirect_uri", &app.redirect_uris),
        ("post_logout_redirect_uri", &app.post_logout_redirect_uris),
        ("host", &app.hosts),
    ];
    for (label, values) in lines {
        for value in values {
            println!("{label}: {value}");
        }
    }
    for rule in &app.rules {
        println!("allow: {}", describe(rule));
    }
    if app.rules.is_empty() {
        println!("allow: everyone who may sign in to gitlogin");
    }
    Ok(())
}

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

fn kind(app: &StoredApp) -> &'static str {
    if app.secret_hash.is_some() {
        "confidential"
    } else {
        "public"
    }
}

fn describe(rule: &Rule) -> String {
    use crate::config::allow_list::AllowedUser;
    match rule {
        Rule::User(AllowedUser::Id(id)) => format!("user id {id}"),
        Rule::User(AllowedUser::Login(login)) => format!("user {login}"),
        Rule::Org(org) => format!("org {org}"),
        Rule::Team(team) => format!("team {team}"),
    }
}
