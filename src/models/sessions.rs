//! The `sessions` table: one row per signed-in browser, keyed by the SHA-256 of its cookie's
//! value (`auth/session.rs` says why), with its CSRF token and its two ends.

use rocket_db_pools::sqlx::{self, AnyConnection, Connection};

use super::logouts::{self, Ending};
use super::{Event, Outbox, User};
use crate::store::nullable::Nullable;

/// A session as stored. `id_hash` is the SHA-256 of the cookie's value.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id_hash: String,
    pub csrf_token: String,
    /// What the ID tokens issued in this session call it (`sid`): random, never derived from
    /// the cookie, and what a back-channel logout names (`models/logouts.rs`).
    pub sid: String,
    #[sqlx(rename = "session_created_at")]
    pub created_at: i64,
    pub last_seen_at: i64,
    /// Absolute end: `created_at` + `SESSION_MAX_AGE` when it was created.
    pub expires_at: i64,
    /// The browser's `User-Agent` at sign-in (truncated), to label the session for its owner.
    #[sqlx(try_from = "Nullable<String>")]
    pub user_agent: Option<String>,
}

pub(super) async fn insert_session(
    conn: &mut AnyConnection,
    session: &SessionRow,
    user_id: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at,
                               expires_at, user_agent, sid)
         VALUES ($1, $2, $3, $4, $4, $5, $6, $7)",
    )
    .bind(&session.id_hash)
    .bind(user_id)
    .bind(&session.csrf_token)
    .bind(session.created_at)
    .bind(session.expires_at)
    .bind(&session.user_agent)
    .bind(&session.sid)
    .execute(conn)
    .await
    .map(drop)
}

/// The session with this id hash and its user, expired or not: the caller decides.
pub async fn find_session(
    conn: &mut AnyConnection,
    id_hash: &str,
) -> sqlx::Result<Option<(SessionRow, User)>> {
    #[derive(sqlx::FromRow)]
    struct Joined {
        #[sqlx(flatten)]
        session: SessionRow,
        #[sqlx(flatten)]
        user: User,
    }
    let row: Option<Joined> = sqlx::query_as(
        "SELECT s.id_hash, s.csrf_token, s.sid, s.created_at AS session_created_at, s.last_seen_at,
                s.expires_at, s.user_agent,
                u.id, u.github_id, u.login, u.name, u.email, u.avatar_url,
                u.created_at, u.updated_at, u.last_login_at, u.memberships_verified_at
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id_hash = $1",
    )
    .bind(id_hash)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|j| (j.session, j.user)))
}

/// Records activity. Called at most once a minute per session, so a page view is a read.
pub async fn touch_session(conn: &mut AnyConnection, id_hash: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1")
        .bind(id_hash)
        .bind(now)
        .execute(conn)
        .await
        .map(drop)
}

/// A user's live sessions, most recently used first.
pub async fn list_sessions(
    conn: &mut AnyConnection,
    user_id: i64,
    live_after: i64,
    now: i64,
) -> sqlx::Result<Vec<SessionRow>> {
    sqlx::query_as(
        "SELECT id_hash, csrf_token, sid, created_at AS session_created_at, last_seen_at,
                expires_at, user_agent
         FROM sessions
         WHERE user_id = $1 AND last_seen_at > $2 AND expires_at > $3
         ORDER BY last_seen_at DESC, created_at DESC",
    )
    .bind(user_id)
    .bind(live_after)
    .bind(now)
    .fetch_all(conn)
    .await
}

/// Signs `user` out of one session, and tells the outbox (the event, and the apps signed in
/// from it), in one transaction.
pub async fn sign_out(
    conn: &mut AnyConnection,
    outbox: &Outbox,
    user: &User,
    id_hash: &str,
) -> sqlx::Result<()> {
    let mut tx = conn.begin().await?;
    logouts::tell_apps(&mut tx, Ending::Session(id_hash)).await?;
    delete_session(&mut tx, id_hash).await?;
    let event = Event::UserSignedOut;
    outbox
        .add(&mut tx, event, user.github_id, &user.login, None)
        .await?;
    tx.commit().await?;
    outbox.ring();
    Ok(())
}

/// Ends one session because its owner may no longer be let in, and tells the apps signed in
/// from it, in one transaction; ring the outbox after.
pub async fn end_session(conn: &mut AnyConnection, id_hash: &str) -> sqlx::Result<()> {
    let mut tx = conn.begin().await?;
    logouts::tell_apps(&mut tx, Ending::Session(id_hash)).await?;
    delete_session(&mut tx, id_hash).await?;
    tx.commit().await
}

/// Ends one session, telling no one: it expired, or the caller tells the apps. Any copy of
/// its cookie is dead from here on.
pub async fn delete_session(conn: &mut AnyConnection, id_hash: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(conn)
        .await
        .map(drop)
}

/// Ends one of `user_id`'s sessions, and tells the apps signed in from it; false if they
/// have none with that id (someone else's, or already gone), so a person can never end
/// another person's session. Ring the outbox after.
pub async fn delete_own_session(
    conn: &mut AnyConnection,
    user_id: i64,
    id_hash: &str,
) -> sqlx::Result<bool> {
    let mut tx = conn.begin().await?;
    // A write that changes nothing, first (see `logouts::tell_apps`): it takes SQLite's write
    // lock, and says whether the session is theirs.
    let own = sqlx::query("UPDATE sessions SET sid = sid WHERE id_hash = $1 AND user_id = $2")
        .bind(id_hash)
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if own == 1 {
        logouts::tell_apps(&mut tx, Ending::Session(id_hash)).await?;
        delete_session(&mut tx, id_hash).await?;
    }
    tx.commit().await?;
    Ok(own == 1)
}

/// "Sign out everywhere else": every session of `user_id` but `keep`, and the apps signed in
/// from them told. Ring the outbox after.
pub async fn delete_other_sessions(
    conn: &mut AnyConnection,
    user_id: i64,
    keep: &str,
) -> sqlx::Result<u64> {
    let mut tx = conn.begin().await?;
    logouts::tell_apps(&mut tx, Ending::AllBut { user_id, keep }).await?;
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
        .bind(user_id)
        .bind(keep)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// Stores the session a browser signs in with, in place of the one it `replaces`: the same
/// person's session goes on under its `sid`, so the apps signed in from it keep theirs (an
/// app asking for a fresh sign-in, `prompt=login`, would otherwise sign them out of every
/// other app); anyone else's ends, and the apps signed in from it are told.
pub(super) async fn replace_session(
    conn: &mut AnyConnection,
    replaces: Option<&str>,
    session: &SessionRow,
    user: &User,
) -> sqlx::Result<()> {
    let mut session = session.clone();
    if let Some(replaced) = replaces {
        let old: Option<(i64, String)> =
            sqlx::query_as("SELECT user_id, sid FROM sessions WHERE id_hash = $1")
                .bind(replaced)
                .fetch_optional(&mut *conn)
                .await?;
        match old {
            Some((user_id, sid)) if user_id == user.id => session.sid = sid,
            Some(_) => logouts::tell_apps(conn, Ending::Session(replaced))
                .await
                .map(drop)?,
            None => {}
        }
        delete_session(conn, replaced).await?;
    }
    insert_session(conn, &session, user.id).await
}

/// Deletes every session past its absolute expiry or idle since before `idle_before`.
/// Safe to run anywhere, any time, concurrently: it only removes rows nobody can use.
pub async fn purge_expired_sessions(
    conn: &mut AnyConnection,
    now: i64,
    idle_before: i64,
) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
        .bind(now)
        .bind(idle_before)
        .execute(&mut *conn)
        .await?;
    logouts::forget_expired(conn).await?;
    Ok(done.rows_affected())
}

/// Every session in the store (the purge has just removed the dead ones).
pub async fn count_sessions(conn: &mut AnyConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(conn)
        .await
}
