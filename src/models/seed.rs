//! Many people at once, for the benchmark and the tests: `rows` users with GitHub ids
//! `1..=rows` (`user{id}`, as the fake GitHub's [`Account::numbered`] shows them) and one live
//! session each, written by two set-based INSERTs in one transaction.
//!
//! It sits with the other queries so that a migration that changes these tables changes it
//! too, and `cargo test` runs it on both stores (`tests/api/seed.rs`).
//!
//! [`Account::numbered`]: crate::github::fake::Account::numbered

use rocket_db_pools::sqlx::{self, AnyConnection, Connection};

use crate::store::backend::Backend;

/// Fills a migrated, empty store. The session ids are random hex strings, shaped like the
/// SHA-256 hashes the app stores: no cookie opens them.
pub async fn people(
    conn: &mut AnyConnection,
    rows: u64,
    now: i64,
    user_agent: &str,
) -> sqlx::Result<()> {
    let random_hash = match Backend::of(conn) {
        Backend::Sqlite => "lower(hex(randomblob(32)))",
        Backend::Postgres => "encode(sha256(gen_random_uuid()::text::bytea), 'hex')",
    };
    let mut tx = conn.begin().await?;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
         INSERT INTO users (github_id, login, name, email, avatar_url,
                            created_at, updated_at, last_login_at)
         SELECT i, 'user' || i, 'User ' || i, 'user' || i || '@example.com',
                'https://avatars.githubusercontent.com/u/' || i || '?v=4', $2, $2, $2
         FROM n",
    )
    .bind(rows as i64)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(&format!(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at,
                               expires_at, user_agent, sid)
         SELECT {random_hash}, id, {random_hash}, $1, $1, $1 + 30 * 86400, $2, {random_hash}
         FROM users"
    ))
    .bind(now)
    .bind(user_agent)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}
