//! What a refresh family leaves in the store: its rows in `refresh_families` (one by
//! design, src/provider/refresh_token.rs) and in `tokens` (its live access token: one, as
//! each refresh ends the one it replaces, same file), read once the load is over. The issue
//! asks for the rows per family after 1,000 refreshes.

// The other modules' items, through the crate root (main.rs re-exports them).
#[allow(unused_imports)]
use crate::*;
use gitlogin::ops::random::sha256_hex;
use sqlx::{AnyConnection, Connection, Row};

/// The store's rows for the families of one load.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct FamilyRows {
    /// The families still in the store (one whose client failed may have been revoked).
    pub(crate) families: usize,
    /// Refreshes done in the family refreshed least, and in the one refreshed most.
    pub(crate) least: i64,
    pub(crate) most: i64,
    /// The most rows any of them has in `refresh_families`, and in `tokens`.
    pub(crate) family_rows: i64,
    pub(crate) token_rows: i64,
}

/// The rows of the families whose current refresh tokens are `tokens`, read from the store
/// at `database_url` (read-only for SQLite) while the app runs.
pub(crate) async fn family_rows(
    database_url: &str,
    tokens: &[String],
) -> Result<FamilyRows, String> {
    sqlx::any::install_default_drivers();
    let url = database_url.replace("mode=rwc", "mode=ro");
    let mut conn = AnyConnection::connect(&url)
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let mut rows = FamilyRows {
        least: i64::MAX,
        ..FamilyRows::default()
    };
    for token in tokens {
        // The family's key is the SHA-256 of the token's lookup id, its first part. Written
        // into the query as hex, which needs no quoting, because the two stores' drivers
        // spell placeholders differently.
        let lookup = sha256_hex(token.split('.').next().unwrap_or_default());
        let query = format!(
            "SELECT CAST(f.generation AS BIGINT) AS generation, \
               (SELECT COUNT(*) FROM refresh_families r WHERE r.grant_id = f.grant_id) AS families, \
               (SELECT COUNT(*) FROM tokens t WHERE t.grant_id = f.grant_id) AS tokens \
             FROM refresh_families f WHERE f.lookup_hash = '{lookup}'"
        );
        let row = sqlx::query(&query)
            .fetch_optional(&mut conn)
            .await
            .map_err(|e| format!("reading refresh_families: {e}"))?;
        let Some(row) = row else {
            continue;
        };
        rows.families += 1;
        let refreshes = row.get::<i64, _>("generation") - 1;
        rows.least = rows.least.min(refreshes);
        rows.most = rows.most.max(refreshes);
        rows.family_rows = rows.family_rows.max(row.get("families"));
        rows.token_rows = rows.token_rows.max(row.get("tokens"));
    }
    conn.close().await.map_err(|e| e.to_string())?;
    rows.least = rows.least.min(rows.most);
    Ok(rows)
}
