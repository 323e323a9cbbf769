//! The people in the store, as the operator's commands see them (`gitlogin users …`).

use rocket_db_pools::sqlx::{self, AnyConnection};

use super::User;

/// Everyone who has signed in, by login, with how many live sessions each has now.
pub async fn list_people(conn: &mut AnyConnection, now: i64) -> sqlx::Result<Vec<(User, i64)>> {
    let users: Vec<User> = sqlx::query_as(
        "SELECT id, github_id, login, name, email, avatar_url, created_at, updated_at,
                last_login_at
         FROM users ORDER BY lower(login), github_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut people = Vec::with_capacity(users.len());
    for user in users {
        let live: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM sessions WHERE user_id = $1 AND expires_at > $2",
        )
        .bind(user.id)
        .bind(now)
        .fetch_one(&mut *conn)
        .await?;
        people.push((user, live));
    }
    Ok(people)
}

/// The people stored under `login` (case-insensitive): usually one, but a login can pass from
/// one account to another, and both may have signed in.
pub async fn people_with_login(conn: &mut AnyConnection, login: &str) -> sqlx::Result<Vec<User>> {
    sqlx::query_as(
        "SELECT id, github_id, login, name, email, avatar_url, created_at, updated_at,
                last_login_at
         FROM users WHERE lower(login) = lower($1) ORDER BY github_id",
    )
    .bind(login)
    .fetch_all(conn)
    .await
}
