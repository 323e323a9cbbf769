//! The user store: `users` keyed by GitHub id, and server-side `sessions`; what the
//! allow-lists remember is in `models/allow_lists.rs`.
//!
//! Every query the app runs is here (the signing keys' are in `identity/key_store.rs`), so the
//! whole data model reads in one place. The SQL is the same on SQLite and PostgreSQL: `$N`
//! placeholders, `ON CONFLICT … DO UPDATE … RETURNING`, integers as `i64`.

use rocket_db_pools::sqlx::{self, AnyConnection, Connection};
use serde::Serialize;

use crate::github::GithubUser;
use crate::store::nullable::Nullable;
use crate::store::pool::{Backend, Db};

mod allow_lists;
pub(crate) mod apps;
pub mod events;
pub(crate) mod grants;
mod people;
pub mod seed;

pub use allow_lists::{end_access, memberships, pin_login, pin_login_on, pinned_logins};
pub use events::{Outbox, UserEvent};
pub use people::{list_people, people_with_login};

/// GitHub's numeric account id: stable for the life of the account, unlike the login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::Type)]
#[sqlx(transparent)]
pub struct GithubId(pub i64);

/// A person who has signed in at least once, as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub github_id: GithubId,
    pub login: String,
    #[sqlx(try_from = "Nullable<String>")]
    pub name: Option<String>,
    #[sqlx(try_from = "Nullable<String>")]
    pub email: Option<String>,
    #[sqlx(try_from = "Nullable<String>")]
    pub avatar_url: Option<String>,
    /// Unix seconds of the first sign-in.
    pub created_at: i64,
    pub updated_at: i64,
    pub last_login_at: i64,
}

impl User {
    /// What to call them: their name if they set one on GitHub, else their login.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.login)
    }
}

/// Creates the user on first sign-in, or refreshes what GitHub says about them; true when
/// this call created them. Two sign-ins racing for the same new person meet at the unique
/// `github_id`: one inserts, the other's insert does nothing (on PostgreSQL it waits for
/// the first to commit) and it updates the row the first made.
async fn upsert_user(
    conn: &mut AnyConnection,
    github: &GithubUser,
    now: i64,
) -> sqlx::Result<(User, bool)> {
    const COLUMNS: &str =
        "id, github_id, login, name, email, avatar_url, created_at, updated_at, last_login_at";
    let created: Option<User> = sqlx::query_as(&format!(
        "INSERT INTO users (github_id, login, name, email, avatar_url,
                            created_at, updated_at, last_login_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $6)
         ON CONFLICT (github_id) DO NOTHING
         RETURNING {COLUMNS}"
    ))
    .bind(github.id)
    .bind(&github.login)
    .bind(&github.name)
    .bind(&github.email)
    .bind(&github.avatar_url)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(user) = created {
        return Ok((user, true));
    }
    let updated = sqlx::query_as(&format!(
        "UPDATE users SET login = $2, name = $3, email = $4, avatar_url = $5,
                          updated_at = $6, last_login_at = $6
         WHERE github_id = $1
         RETURNING {COLUMNS}"
    ))
    .bind(github.id)
    .bind(&github.login)
    .bind(&github.name)
    .bind(&github.email)
    .bind(&github.avatar_url)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok((updated, false))
}

/// A stored user by their row id.
pub async fn user_by_id(conn: &mut AnyConnection, id: i64) -> sqlx::Result<Option<User>> {
    sqlx::query_as(
        "SELECT id, github_id, login, name, email, avatar_url, created_at, updated_at,
                last_login_at
         FROM users WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Records a sign-in the allow-lists admitted, in one transaction (in this process's write
/// turn): the user, by GitHub id; the allowed organisations they are in; the end of the
/// session this browser signed in with before (`replaces`), so that a copy of its old cookie
/// does not outlive the sign-in; the new session; and the events that tell of it. All of
/// it, or nothing.
pub async fn record_sign_in(
    db: &Db,
    outbox: &Outbox,
    github: &GithubUser,
    orgs: &[String],
    replaces: Option<&str>,
    session: &SessionRow,
    now: i64,
) -> sqlx::Result<User> {
    let _turn = db.write_turn().await;
    let mut tx = db.begin().await?;
    let (user, created) = upsert_user(&mut tx, github, now).await?;
    allow_lists::set_memberships(&mut tx, user.id, orgs).await?;
    if let Some(replaced) = replaces {
        delete_session(&mut tx, replaced).await?;
    }
    insert_session(&mut tx, session, user.id).await?;
    if created {
        let event = UserEvent::Created;
        outbox
            .add(&mut tx, event, user.github_id, &user.login)
            .await?;
    }
    let event = UserEvent::SignedIn;
    outbox
        .add(&mut tx, event, user.github_id, &user.login)
        .await?;
    tx.commit().await?;
    outbox.ring();
    Ok(user)
}

/// A session as stored. `id_hash` is the SHA-256 of the cookie's value.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id_hash: String,
    pub csrf_token: String,
    #[sqlx(rename = "session_created_at")]
    pub created_at: i64,
    pub last_seen_at: i64,
    /// Absolute end: `created_at` + `SESSION_MAX_AGE` when it was created.
    pub expires_at: i64,
    /// The browser's `User-Agent` at sign-in (truncated), to label the session for its owner.
    #[sqlx(try_from = "Nullable<String>")]
    pub user_agent: Option<String>,
}

async fn insert_session(
    conn: &mut AnyConnection,
    session: &SessionRow,
    user_id: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at,
                               expires_at, user_agent)
         VALUES ($1, $2, $3, $4, $4, $5, $6)",
    )
    .bind(&session.id_hash)
    .bind(user_id)
    .bind(&session.csrf_token)
    .bind(session.created_at)
    .bind(session.expires_at)
    .bind(&session.user_agent)
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
        "SELECT s.id_hash, s.csrf_token, s.created_at AS session_created_at, s.last_seen_at,
                s.expires_at, s.user_agent,
                u.id, u.github_id, u.login, u.name, u.email, u.avatar_url,
                u.created_at, u.updated_at, u.last_login_at
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
        "SELECT id_hash, csrf_token, created_at AS session_created_at, last_seen_at,
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

/// Signs `user` out of one session, and tells the outbox, in one transaction.
pub async fn sign_out(
    conn: &mut AnyConnection,
    outbox: &Outbox,
    user: &User,
    id_hash: &str,
) -> sqlx::Result<()> {
    let mut tx = conn.begin().await?;
    delete_session(&mut tx, id_hash).await?;
    let event = UserEvent::SignedOut;
    outbox
        .add(&mut tx, event, user.github_id, &user.login)
        .await?;
    tx.commit().await?;
    outbox.ring();
    Ok(())
}

/// Ends one session. Any copy of its cookie is dead from here on.
pub async fn delete_session(conn: &mut AnyConnection, id_hash: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(conn)
        .await
        .map(drop)
}

/// Ends one of `user_id`'s sessions; false if they have none with that id (someone else's,
/// or already gone), so a person can never end another person's session.
pub async fn delete_own_session(
    conn: &mut AnyConnection,
    user_id: i64,
    id_hash: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM sessions WHERE id_hash = $1 AND user_id = $2")
        .bind(id_hash)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// "Sign out everywhere else": every session of `user_id` but `keep`.
pub async fn delete_other_sessions(
    conn: &mut AnyConnection,
    user_id: i64,
    keep: &str,
) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
        .bind(user_id)
        .bind(keep)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Deletes the user, and tells the outbox, in one transaction; `ON DELETE CASCADE` takes
/// their sessions in the same statement.
pub async fn delete_user(
    conn: &mut AnyConnection,
    outbox: &Outbox,
    user: &User,
) -> sqlx::Result<()> {
    let mut tx = conn.begin().await?;
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    let event = UserEvent::Deleted;
    outbox
        .add(&mut tx, event, user.github_id, &user.login)
        .await?;
    tx.commit().await?;
    outbox.ring();
    Ok(())
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
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Every session in the store (the purge has just removed the dead ones).
pub async fn count_sessions(conn: &mut AnyConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(conn)
        .await
}

/// Succeeds when the store could record a sign-in now. On PostgreSQL, reading a table is
/// enough. On SQLite it then takes the write lock and lets it go: in WAL mode readers never
/// wait, so a read alone would not notice another process holding the store locked.
pub async fn ping(conn: &mut AnyConnection) -> sqlx::Result<()> {
    sqlx::query("SELECT 1 FROM users LIMIT 1")
        .execute(&mut *conn)
        .await?;
    if Backend::of(conn) == Backend::Sqlite {
        let began = sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await;
        // Rolled back whether or not it began: a BEGIN IMMEDIATE that gave up on a locked
        // file can leave the transaction open, and this connection goes back to the pool,
        // where every later ping on it would fail at once and the store would never
        // look ready again. (With nothing open, ROLLBACK fails harmlessly.)
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        began?;
    }
    Ok(())
}
