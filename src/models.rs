//! The user store: `users` keyed by GitHub id, and the sign-in that writes them; their
//! server-side sessions are in `models/sessions.rs`, what the allow-lists remember in
//! `models/allow_lists.rs`.
//!
//! Every query the app runs is here (the signing keys' are in `keys/store.rs`), so the
//! whole data model reads in one place. The SQL is the same on SQLite and PostgreSQL: `$N`
//! placeholders, `ON CONFLICT … DO UPDATE … RETURNING`, integers as `i64`.

use rocket_db_pools::sqlx::{self, AnyConnection, Connection};
use serde::Serialize;

use crate::github::GithubUser;
use crate::store::backend::Backend;
use crate::store::nullable::Nullable;
use crate::store::pool::Db;

mod allow_lists;
pub(crate) mod api_tokens;
pub(crate) mod apis;
pub(crate) mod apps;
pub(crate) mod authorize_requests;
pub(crate) mod consents;
pub(crate) mod deliveries;
pub(crate) mod device_requests;
pub mod events;
pub(crate) mod grant_apis;
pub(crate) mod grants;
pub(crate) mod hosts;
pub(crate) mod live_grants;
pub(crate) mod logouts;
pub(crate) mod named_groups;
mod people;
pub(crate) mod refresh_families;
pub(crate) mod removals;
mod rule_rows;
pub mod seed;
mod sessions;

pub use allow_lists::{
    end_access, end_sessions, forget_membership, memberships, pin_login, pin_login_on,
    pinned_logins,
};
pub use events::{Event, Outbox};
pub use people::{list_people, people_with_login};
pub use removals::{forget_deliveries, AskedMemberships};
pub use sessions::{
    count_sessions, delete_other_sessions, delete_own_session, delete_session, end_session,
    find_session, list_sessions, purge_expired_sessions, sign_out, touch_session, SessionRow,
};

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
    /// When GitHub last confirmed the memberships recorded for them: their last sign-in,
    /// which asks GitHub for them afresh (`access/standing.rs` believes them for
    /// `MEMBERSHIP_RECHECK`).
    #[serde(skip)]
    pub memberships_verified_at: i64,
}

impl User {
    /// What to call them: their name if they set one on GitHub, else their login.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.login)
    }
}

/// Creates the user on first sign-in, or refreshes what GitHub says about them (and when it
/// confirmed their memberships: now); true when this call created them. Two sign-ins racing for the same new person meet at the unique
/// `github_id`: one inserts, the other's insert does nothing (on PostgreSQL it waits for
/// the first to commit) and it updates the row the first made.
async fn upsert_user(
    conn: &mut AnyConnection,
    github: &GithubUser,
    now: i64,
) -> sqlx::Result<(User, bool)> {
    let created = sqlx::query_as(
        "INSERT INTO users (github_id, login, name, email, avatar_url,
                            created_at, updated_at, last_login_at, memberships_verified_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $6, $6)
         ON CONFLICT (github_id) DO NOTHING
         RETURNING id, github_id, login, name, email, avatar_url,
                   created_at, updated_at, last_login_at, memberships_verified_at",
    );
    let created: Option<User> = with_user(created, github, now)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(user) = created {
        return Ok((user, true));
    }
    let updated = sqlx::query_as(
        "UPDATE users SET login = $2, name = $3, email = $4, avatar_url = $5,
                          updated_at = $6, last_login_at = $6, memberships_verified_at = $6
         WHERE github_id = $1
         RETURNING id, github_id, login, name, email, avatar_url,
                   created_at, updated_at, last_login_at, memberships_verified_at",
    );
    let updated = with_user(updated, github, now).fetch_one(conn).await?;
    Ok((updated, false))
}

/// `$1` to `$6` of both statements above: what GitHub says, and when.
fn with_user<'q>(
    query: sqlx::query::QueryAs<'q, sqlx::Any, User, sqlx::any::AnyArguments<'q>>,
    github: &'q GithubUser,
    now: i64,
) -> sqlx::query::QueryAs<'q, sqlx::Any, User, sqlx::any::AnyArguments<'q>> {
    query
        .bind(github.id)
        .bind(&github.login)
        .bind(&github.name)
        .bind(&github.email)
        .bind(&github.avatar_url)
        .bind(now)
}

/// A stored user by their row id.
pub async fn user_by_id(conn: &mut AnyConnection, id: i64) -> sqlx::Result<Option<User>> {
    user_where(conn, "id", id).await
}

/// A stored user by their GitHub id.
pub async fn user_by_github_id(
    conn: &mut AnyConnection,
    github_id: i64,
) -> sqlx::Result<Option<User>> {
    user_where(conn, "github_id", github_id).await
}

async fn user_where(
    conn: &mut AnyConnection,
    column: &'static str,
    value: i64,
) -> sqlx::Result<Option<User>> {
    sqlx::query_as(&format!(
        "SELECT id, github_id, login, name, email, avatar_url, created_at, updated_at,
                last_login_at, memberships_verified_at
         FROM users WHERE {column} = $1"
    ))
    .bind(value)
    .fetch_optional(conn)
    .await
}

/// Records a sign-in the allow-lists admitted, in one transaction (in this process's write
/// turn): the user, by GitHub id; the allowed organisations they are in, less any GitHub's
/// webhook has said ended since GitHub was asked (read after the user's row is written, which
/// a removal for them waits for: `removals::hold_user`); the end of the session this browser
/// signed in with before (`replaces`), so that a copy of its old cookie does not outlive the
/// sign-in; the new session; and the events that tell of it. All of it, or nothing.
pub async fn record_sign_in(
    db: &Db,
    outbox: &Outbox,
    github: &GithubUser,
    asked: &AskedMemberships,
    replaces: Option<&str>,
    session: &SessionRow,
    now: i64,
) -> sqlx::Result<User> {
    let _turn = db.write_turn().await;
    let mut tx = db.begin().await?;
    let (user, created) = upsert_user(&mut tx, github, now).await?;
    let mut asked = asked.clone();
    asked.honour_removals(&mut tx, github.id).await?;
    allow_lists::set_memberships(&mut tx, user.id, &asked.groups).await?;
    sessions::replace_session(&mut tx, replaces, session, &user).await?;
    if created {
        let event = Event::UserCreated;
        outbox
            .add(&mut tx, event, user.github_id, &user.login, None)
            .await?;
    }
    let event = Event::UserSignedIn;
    outbox
        .add(&mut tx, event, user.github_id, &user.login, None)
        .await?;
    tx.commit().await?;
    outbox.ring();
    Ok(user)
}

/// Deletes the user, and tells the outbox (the event, and the apps signed in from their
/// sessions), in one transaction; `ON DELETE CASCADE` takes their sessions in the same
/// statement.
pub async fn delete_user(
    conn: &mut AnyConnection,
    outbox: &Outbox,
    user: &User,
) -> sqlx::Result<()> {
    let mut tx = conn.begin().await?;
    logouts::tell_apps(&mut tx, logouts::Ending::Person(user.github_id)).await?;
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    let event = Event::UserDeleted;
    outbox
        .add(&mut tx, event, user.github_id, &user.login, None)
        .await?;
    tx.commit().await?;
    outbox.ring();
    Ok(())
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
