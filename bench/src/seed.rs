//! Filling a store the app has migrated (its first start does) with users and sessions, by
//! the app's own seeding query (`gitlogin::seed`), while the app is stopped.

// The other modules' items, through the crate root (main.rs re-exports them).
#[allow(unused_imports)]
use crate::*;

use sqlx::{AnyConnection, Connection, Executor};

/// Writes `rows` users and one live session each into the store at `url`, then settles it.
pub(crate) async fn seed(url: &str, rows: u64) -> Result<(), String> {
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(url)
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    gitlogin::seed::people(&mut conn, rows, unix_now(), BROWSER_USER_AGENT)
        .await
        .map_err(|e| format!("seeding: {e}"))?;
    settle(conn, url).await
}

/// Leaves a store just written to as a long-running one would be (SQLite's write-ahead log
/// folded into the file, PostgreSQL's planner told the tables' real sizes), and closes it.
pub(crate) async fn settle(mut conn: AnyConnection, url: &str) -> Result<(), String> {
    let settle = if url.starts_with("sqlite:") {
        "PRAGMA wal_checkpoint(TRUNCATE)"
    } else {
        "ANALYZE"
    };
    conn.execute(settle)
        .await
        .map_err(|e| format!("{settle}: {e}"))?;
    conn.close().await.map_err(|e| e.to_string())
}
