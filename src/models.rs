//! The user store: `users` keyed by GitHub id, and server-side `sessions`.
//!
//! Every query the app runs is in this file, so the whole data model reads in one place.

use rocket_db_pools::sqlx::{self, SqliteConnection};
use serde::Serialize;

use crate::github::GithubUser;

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
    pub name: Option<String>,
    pub email: Option<String>,
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

/// Creates the user on first sign-in, or refreshes what GitHub says about them, in one
/// statement: two sign-ins racing for the same new person cannot make two rows.
pub async fn upsert_user(
    conn: &mut SqliteConnection,
    github: &GithubUser,
    now: i64,
) -> sqlx::Result<User> {
    sqlx::query_as(
        "INSERT INTO users (github_id, login, name, email, avatar_url,
                            created_at, updated_at, last_login_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?6)
         ON CONFLICT (github_id) DO UPDATE SET
             login = excluded.login,
             name = excluded.name,
             email = excluded.email,
             avatar_url = excluded.avatar_url,
             updated_at = excluded.updated_at,
             last_login_at = excluded.last_login_at
         RETURNING id, github_id, login, name, email, avatar_url,
                   created_at, updated_at, last_login_at",
    )
    .bind(github.id)
    .bind(&github.login)
    .bind(&github.name)
    .bind(&github.email)
    .bind(&github.avatar_url)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// A session row as the guard needs it. `id_hash` is the SHA-256 of the cookie's value.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id_hash: String,
    pub csrf_token: String,
    #[sqlx(rename = "session_created_at")]
    pub created_at: i64,
    pub expires_at: i64,
}

pub async fn insert_session(
    conn: &mut SqliteConnection,
    session: &SessionRow,
    user_id: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
    )
    .bind(&session.id_hash)
    .bind(user_id)
    .bind(&session.csrf_token)
    .bind(session.created_at)
    .bind(session.expires_at)
    .execute(conn)
    .await
    .map(drop)
}

/// The live session with this id hash and its user, if it exists and has not expired.
pub async fn find_session(
    conn: &mut SqliteConnection,
    id_hash: &str,
    now: i64,
) -> sqlx::Result<Option<(SessionRow, User)>> {
    #[derive(sqlx::FromRow)]
    struct Joined {
        #[sqlx(flatten)]
        session: SessionRow,
        #[sqlx(flatten)]
        user: User,
    }
    let row: Option<Joined> = sqlx::query_as(
        "SELECT s.id_hash, s.csrf_token, s.created_at AS session_created_at, s.expires_at,
                u.id, u.github_id, u.login, u.name, u.email, u.avatar_url,
                u.created_at, u.updated_at, u.last_login_at
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id_hash = ?1 AND s.expires_at > ?2",
    )
    .bind(id_hash)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|j| (j.session, j.user)))
}

/// Ends one session. Any copy of its cookie is dead from here on.
pub async fn delete_session(conn: &mut SqliteConnection, id_hash: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = ?1")
        .bind(id_hash)
        .execute(conn)
        .await
        .map(drop)
}

/// Succeeds when the store can read a table (so a lock or a missing file shows); `/health`.
pub async fn ping(conn: &mut SqliteConnection) -> sqlx::Result<()> {
    sqlx::query("SELECT 1 FROM users LIMIT 1")
        .execute(conn)
        .await
        .map(drop)
}
