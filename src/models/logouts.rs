//! Back-channel logouts (OpenID Connect Back-Channel Logout 1.0): which app got an ID token in
//! which session (`app_sessions`), and the logouts waiting to be told (`logout_deliveries`,
//! the outbox's second queue, sent by `provider/backchannel.rs`).
//!
//! A logout is queued in the transaction of the change that ends the session or the app's
//! access, so it is never lost to a crash after the commit nor sent for a change rolled back;
//! and the queue keeps what to say to which app, never a signed token, so each attempt signs
//! a fresh one. A session that merely expires tells no one: the app's own session has its own
//! end, and gitlogin did not end anything.

use rocket_db_pools::sqlx::{self, AnyConnection};

use super::GithubId;
use crate::ops::random::token;

/// Whose sessions end, or leave one app.
#[derive(Debug, Clone, Copy)]
pub enum Ending<'a> {
    /// One session, by the hash of its cookie.
    Session(&'a str),
    /// Every session of one person.
    Person(GithubId),
    /// Every session of a person but the one they keep.
    AllBut { user_id: i64, keep: &'a str },
    /// Not the sessions: one app's place in each of this person's.
    App { app_id: i64, user_id: i64 },
}

impl Ending<'_> {
    /// Which sessions (`s`, with its owner `u`), with their values from `$1`.
    fn sessions(self) -> &'static str {
        match self {
            Ending::Session(_) => "s.id_hash = $1",
            Ending::Person(_) => "u.github_id = $1",
            Ending::AllBut { .. } => "s.user_id = $1 AND s.id_hash <> $2",
            Ending::App { .. } => "s.user_id = $1",
        }
    }

    /// Which apps: those with a back-channel logout URI, or the one leaving.
    fn apps(self) -> &'static str {
        match self {
            Ending::App { .. } => "app_id = $2",
            _ => "TRUE",
        }
    }
}

/// Queues a logout for every app with a back-channel logout URI that got an ID token in the
/// sessions `ending` ends (one per app and session), and forgets those app sessions, so that
/// none is told twice. Call in the transaction that ends them, before the sessions' rows go,
/// and ring the outbox after the commit. Returns how many were queued.
pub async fn tell_apps(conn: &mut AnyConnection, ending: Ending<'_>) -> sqlx::Result<u64> {
    // A write first: on SQLite that takes the store's write lock now, where a read first
    // would leave a transaction that cannot become a writer if another process (an instance,
    // a command) writes meanwhile.
    let query = format!(
        "DELETE FROM app_sessions
         WHERE app_id IN (SELECT app_id FROM app_redirect_uris WHERE kind = 'backchannel')
           AND {}
           AND sid IN (SELECT s.sid FROM sessions s JOIN users u ON u.id = s.user_id WHERE {})
         RETURNING app_id, sid",
        ending.apps(),
        ending.sessions()
    );
    let query = sqlx::query_as(&query);
    let query = match ending {
        Ending::Session(id_hash) => query.bind(id_hash.to_owned()),
        Ending::Person(github_id) => query.bind(github_id.0),
        Ending::AllBut { user_id, keep } => query.bind(user_id).bind(keep.to_owned()),
        Ending::App { app_id, user_id } => query.bind(user_id).bind(app_id),
    };
    let told: Vec<(i64, String)> = query.fetch_all(&mut *conn).await?;
    for (app_id, sid) in &told {
        let github_id: i64 = sqlx::query_scalar(
            "SELECT u.github_id FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.sid = $1",
        )
        .bind(sid)
        .fetch_one(&mut *conn)
        .await?;
        // Due at once: 0 is before any clock's now.
        sqlx::query(
            "INSERT INTO logout_deliveries (id, app_id, sub, sid, attempts, next_attempt_at)
             VALUES ($1, $2, $3, $4, 0, 0)",
        )
        .bind(token())
        .bind(app_id)
        .bind(github_id.to_string())
        .bind(sid)
        .execute(&mut *conn)
        .await?;
    }
    Ok(told.len() as u64)
}

/// Records that `app_id` got an ID token in the session `sid`, if the app takes back-channel
/// logouts and the session is still live (an ID token refreshed after its session ended names
/// a session that has nothing left to end).
pub async fn record_id_token(conn: &mut AnyConnection, sid: &str, app_id: i64) -> sqlx::Result<()> {
    // SQLite needs the WHERE to read `ON CONFLICT` as the upsert's, not a join's.
    sqlx::query(
        "INSERT INTO app_sessions (sid, app_id)
         SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM sessions WHERE sid = $1)
         ON CONFLICT (sid, app_id) DO NOTHING",
    )
    .bind(sid)
    .bind(app_id)
    .execute(conn)
    .await
    .map(drop)
}

/// Forgets the app sessions whose session has gone without telling anyone: expired, and
/// purged.
pub async fn forget_expired(conn: &mut AnyConnection) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM app_sessions WHERE sid NOT IN (SELECT sid FROM sessions)")
        .execute(conn)
        .await
        .map(drop)
}

/// A logout waiting to be told: to which app, of whom, for which session.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Logout {
    pub app_id: i64,
    pub sub: String,
    pub sid: String,
}

/// The logout `id` says, once claimed: `None` when it is gone (its app was removed).
pub async fn logout(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<Logout>> {
    sqlx::query_as("SELECT app_id, sub, sid FROM logout_deliveries WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}
