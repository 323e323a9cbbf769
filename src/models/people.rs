//! The people in the store, as the operator's commands see them (`gitlogin users …`).

use std::collections::HashMap;

use rocket_db_pools::sqlx::{self, AnyConnection};

use super::User;

/// Everyone who has signed in, by login, with how many live sessions each has now: two
/// queries, however many people there are.
pub async fn list_people(conn: &mut AnyConnection, now: i64) -> sqlx::Result<Vec<(User, i64)>> {
    let users: Vec<User> = sqlx::query_as(
        "SELECT id, github_id, login, name, email, avatar_url, created_at, updated_at,
                last_login_at, memberships_verified_at
         FROM users ORDER BY lower(login), github_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let live: HashMap<i64, i64> = sqlx::query_as(
        "SELECT user_id, count(*) FROM sessions WHERE expires_at > $1 GROUP BY user_id",
    )
    .bind(now)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    Ok(users
        .into_iter()
        .map(|user| {
            let sessions = live.get(&user.id).copied().unwrap_or(0);
            (user, sessions)
        })
        .collect())
}

/// The people stored under `login` (case-insensitive): usually one, but a login can pass from
/// one account to another, and both may have signed in.
pub async fn people_with_login(conn: &mut AnyConnection, login: &str) -> sqlx::Result<Vec<User>> {
    sqlx::query_as(
        "SELECT id, github_id, login, name, email, avatar_url, created_at, updated_at,
                last_login_at, memberships_verified_at
         FROM users WHERE lower(login) = lower($1) ORDER BY github_id",
    )
    .bind(login)
    .fetch_all(conn)
    .await
}
