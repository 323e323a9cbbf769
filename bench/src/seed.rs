//! Seeding a SQLite store with users and sessions, after the app has migrated it.

// The other modules' items, through the crate root (main.rs re-exports them).
#[allow(unused_imports)]
use crate::*;
use std::path::Path;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

/// Writes `rows` users and one live session each, straight into the app's (migrated) store
/// while the app is stopped. Session ids are random 256-bit values, stored, like the app
/// stores them, only as hex SHA-256-sized hashes.
pub(crate) async fn seed(db_path: &Path, rows: u64) -> Result<(), String> {
    let options = SqliteConnectOptions::new()
        .filename(db_path)
        // Speed only matters here, and a crash only loses a scratch file.
        .pragma("synchronous", "OFF")
        .pragma("cache_size", "-262144");
    let mut conn = options.connect().await.map_err(|e| e.to_string())?;
    let now = unix_now();
    let mut tx = conn.begin().await.map_err(|e| e.to_string())?;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO users (github_id, login, name, email, avatar_url,
                            created_at, updated_at, last_login_at)
         SELECT i, 'user' || i, 'User ' || i, 'user' || i || '@example.com',
                'https://avatars.githubusercontent.com/u/' || i || '?v=4', ?2, ?2, ?2
         FROM n",
    )
    .bind(rows as i64)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(|e| format!("seeding users: {e}"))?;
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at,
                               expires_at, user_agent)
         SELECT lower(hex(randomblob(32))), id, lower(hex(randomblob(32))), ?1, ?1,
                ?1 + 30 * 86400, ?2
         FROM users",
    )
    .bind(now)
    .bind(BROWSER_USER_AGENT)
    .execute(&mut *tx)
    .await
    .map_err(|e| format!("seeding sessions: {e}"))?;
    tx.commit().await.map_err(|e| e.to_string())?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    conn.close().await.map_err(|e| e.to_string())
}
