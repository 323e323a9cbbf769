//! `gitlogin users …`: who is in the store, and signing someone out everywhere.

use rocket::figment::Figment;
use rocket_db_pools::Database;

use crate::models::{self, grants, Outbox};
use crate::ops::clock::Clock;
use crate::ops::logging::audit;
use crate::store::pool::Db;

#[derive(clap::Subcommand)]
pub(super) enum UsersCommand {
    /// Everyone who has signed in: login, GitHub id, last sign-in, live sessions.
    List,
    /// End every session of one person, on every instance at once, and every app's access
    /// (the codes, access and refresh tokens gitlogin issued them as a provider: a refresh
    /// token minted in a stolen session would otherwise outlive every session). Their
    /// consents stay, so apps do not ask again at their next sign-in.
    SignOut {
        /// A GitHub login, or a GitHub id (bare digits always mean an id).
        #[arg(value_name = "LOGIN|ID")]
        who: String,
    },
}

pub(super) async fn run(command: UsersCommand, figment: Figment) -> Result<(), String> {
    let (rocket, config) = super::open_store(figment).await?;
    let db = Db::fetch(&rocket).ok_or("the store did not open")?;
    // The event goes to the outbox, and a server instance sends it: this process exits now.
    let outbox = Outbox::new(config.events.is_some(), &Clock::default());
    let result = match command {
        UsersCommand::List => list(db).await,
        UsersCommand::SignOut { who } => sign_out(db, &outbox, &who).await,
    };
    crate::store::pool::close(&rocket).await;
    result
}

async fn list(db: &Db) -> Result<(), String> {
    let mut conn = db.acquire().await.map_err(|e| e.to_string())?;
    let people = models::list_people(&mut conn, Clock::default().now())
        .await
        .map_err(|e| e.to_string())?;
    if people.is_empty() {
        eprintln!("gitlogin: nobody has signed in yet");
    }
    for (user, live) in people {
        let last = time::OffsetDateTime::from_unix_timestamp(user.last_login_at)
            .map_or_else(|_| user.last_login_at.to_string(), |t| t.date().to_string());
        println!(
            "{}\t{}\t{last}\t{live} sessions",
            user.login, user.github_id.0
        );
    }
    Ok(())
}

async fn sign_out(db: &Db, outbox: &Outbox, who: &str) -> Result<(), String> {
    let github_id = if !who.is_empty() && who.bytes().all(|b| b.is_ascii_digit()) {
        who.parse::<i64>()
            .map_err(|_| format!("{who:?} is not a GitHub id"))?
    } else {
        let mut conn = db.acquire().await.map_err(|e| e.to_string())?;
        let found = models::people_with_login(&mut conn, who)
            .await
            .map_err(|e| e.to_string())?;
        match found.as_slice() {
            [] => return Err(format!("nobody with the login {who:?} has signed in")),
            [one] => one.github_id.0,
            several => {
                let ids: Vec<String> = several.iter().map(|u| u.github_id.0.to_string()).collect();
                return Err(format!(
                    "{} accounts have held the login {who:?} (GitHub ids {}): name one by its id",
                    several.len(),
                    ids.join(", ")
                ));
            }
        }
    };
    let ended = models::end_access(db, outbox, github_id)
        .await
        .map_err(|e| e.to_string())?;
    let grants = end_grants(db, github_id).await.map_err(|e| e.to_string())?;
    audit!("signed out by the operator github_id={github_id} sessions={ended} grants={grants}");
    eprintln!(
        "gitlogin: {ended} sessions and {grants} app grants (their access and refresh tokens) of GitHub id {github_id} ended"
    );
    Ok(())
}

/// Every provider grant of the account, if it has ever signed in.
async fn end_grants(db: &Db, github_id: i64) -> sqlx::Result<u64> {
    let _turn = db.write_turn().await;
    let mut conn = db.acquire().await?;
    match models::user_by_github_id(&mut conn, github_id).await? {
        Some(user) => grants::revoke_all_of(&mut conn, user.id).await,
        None => Ok(0),
    }
}
