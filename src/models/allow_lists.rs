//! What the allow-lists and the apps' rules remember between requests: the organisations
//! and teams (`org/team-slug`) that a list or rule names and each user was in at their last
//! sign-in, and the account each bare login entry is pinned to. (What GitHub's webhook has
//! told since is in `removals.rs`.)

use rocket_db_pools::sqlx::{self, AnyConnection};

use super::{Event, GithubId, Outbox};
use crate::store::pool::Db;

/// Records which allowed organisations the user is in, replacing what the last sign-in
/// recorded. Part of the sign-in transaction.
pub(super) async fn set_memberships(
    conn: &mut AnyConnection,
    user_id: i64,
    orgs: &[String],
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM memberships WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    for org in orgs {
        sqlx::query("INSERT INTO memberships (user_id, org) VALUES ($1, $2)")
            .bind(user_id)
            .bind(org.to_ascii_lowercase())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The organisations recorded for the user at their last sign-in.
pub async fn memberships(conn: &mut AnyConnection, user_id: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT org FROM memberships WHERE user_id = $1 ORDER BY org")
        .bind(user_id)
        .fetch_all(conn)
        .await
}

/// Pins the allow-list entry `login` to `github_id` unless another account holds it already;
/// returns the id it is pinned to now. Two accounts racing for one login meet at the
/// primary key, and both then read the one that won.
pub async fn pin_login(db: &Db, login: &str, github_id: i64, now: i64) -> sqlx::Result<i64> {
    let _turn = db.write_turn().await;
    pin_login_on(&mut *db.acquire().await?, login, github_id, now).await
}

/// [`pin_login`] on a connection the caller holds.
pub async fn pin_login_on(
    conn: &mut AnyConnection,
    login: &str,
    github_id: i64,
    now: i64,
) -> sqlx::Result<i64> {
    sqlx::query(
        "INSERT INTO login_pins (login, github_id, pinned_at) VALUES ($1, $2, $3)
         ON CONFLICT (login) DO NOTHING",
    )
    .bind(login)
    .bind(github_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query_scalar("SELECT github_id FROM login_pins WHERE login = $1")
        .bind(login)
        .fetch_one(&mut *conn)
        .await
}

/// The allow-list logins pinned to this account.
pub async fn pinned_logins(conn: &mut AnyConnection, github_id: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT login FROM login_pins WHERE github_id = $1")
        .bind(github_id)
        .fetch_all(conn)
        .await
}

/// Ends every session of the account with this GitHub id and forgets its memberships, in one
/// transaction (with a `user.signed_out` event when sessions ended): its sign-in was just
/// refused, or the operator signed it out. Returns how many sessions ended. Nothing happens
/// to an account never seen before.
pub async fn end_access(db: &Db, outbox: &Outbox, github_id: i64) -> sqlx::Result<u64> {
    let _turn = db.write_turn().await;
    let mut tx = db.begin().await?;
    let ended = end_sessions(&mut tx, outbox, GithubId(github_id)).await?;
    tx.commit().await?;
    outbox.ring();
    Ok(ended)
}

/// [`end_access`] inside a transaction the caller holds (and rings the outbox after).
pub async fn end_sessions(
    conn: &mut AnyConnection,
    outbox: &Outbox,
    github_id: GithubId,
) -> sqlx::Result<u64> {
    super::logouts::tell_apps(conn, super::logouts::Ending::Person(github_id)).await?;
    let ended = sqlx::query(
        "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE github_id = $1)",
    )
    .bind(github_id.0)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "DELETE FROM memberships WHERE user_id IN (SELECT id FROM users WHERE github_id = $1)",
    )
    .bind(github_id.0)
    .execute(&mut *conn)
    .await?;
    let login: Option<String> = sqlx::query_scalar("SELECT login FROM users WHERE github_id = $1")
        .bind(github_id.0)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(login) = login.filter(|_| ended.rows_affected() > 0) {
        let event = Event::UserSignedOut;
        outbox.add(conn, event, github_id, &login, None).await?;
    }
    Ok(ended.rows_affected())
}

/// Forgets one recorded membership (`org`, or a team as `org/team-slug`). Leaving an
/// organisation also leaves its teams.
pub async fn forget_membership(
    conn: &mut AnyConnection,
    user_id: i64,
    group: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "DELETE FROM memberships
         WHERE user_id = $1 AND (org = $2 OR substr(org, 1, length($2) + 1) = $2 || '/')",
    )
    .bind(user_id)
    .bind(group)
    .execute(conn)
    .await?;
    Ok(())
}
