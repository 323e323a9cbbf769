//! The JWT access tokens issued for APIs, by their `jti` (migration 14): introspection calls
//! one live only while its row is here. Revocation deletes one; `apps reject` the tokens
//! between an API and an app (`apis.rs`); ending a grant, or removing an app, cascades.

use rocket_db_pools::sqlx::{self, AnyConnection};

use crate::store::nullable::Nullable;

/// What a JWT access token is recorded with.
pub struct NewApiToken<'a> {
    pub jti: &'a str,
    pub api_id: i64,
    pub client_app_id: i64,
    /// `None` for a service's own token.
    pub grant_id: Option<i64>,
    pub expires_at: i64,
}

/// Records `token`, only while its app is accepted by its API, in the same statement: an
/// `apps reject` that commits between the token endpoint's check and this write then leaves
/// no row behind to be found live after a later `apps accept`. `false`: not recorded.
pub async fn insert_token(conn: &mut AnyConnection, token: &NewApiToken<'_>) -> sqlx::Result<bool> {
    // The grant column is left out rather than bound NULL: sqlx 0.7's `Any` sends a NULL
    // PostgreSQL cannot read as a BIGINT.
    let insert = match token.grant_id {
        Some(grant_id) => sqlx::query(
            "INSERT INTO api_tokens (jti, api_id, client_app_id, expires_at, grant_id)
             SELECT $1, $2, $3, $4, $5 WHERE EXISTS
                (SELECT 1 FROM api_accepts WHERE api_id = $2 AND client_app_id = $3)",
        )
        .bind(token.jti)
        .bind(token.api_id)
        .bind(token.client_app_id)
        .bind(token.expires_at)
        .bind(grant_id),
        None => sqlx::query(
            "INSERT INTO api_tokens (jti, api_id, client_app_id, expires_at)
             SELECT $1, $2, $3, $4 WHERE EXISTS
                (SELECT 1 FROM api_accepts WHERE api_id = $2 AND client_app_id = $3)",
        )
        .bind(token.jti)
        .bind(token.api_id)
        .bind(token.client_app_id)
        .bind(token.expires_at),
    };
    Ok(insert.execute(conn).await?.rows_affected() == 1)
}

/// A JWT access token's row: who it was issued to, for what, through which grant.
#[derive(Debug, sqlx::FromRow)]
pub struct ApiTokenRow {
    pub api_id: i64,
    pub client_app_id: i64,
    /// `None` for a service's own token.
    #[sqlx(try_from = "Nullable<i64>")]
    pub grant_id: Option<i64>,
}

/// The row of the JWT access token `jti`, while it is live: recorded and not expired.
pub async fn live_token(
    conn: &mut AnyConnection,
    jti: &str,
    now: i64,
) -> sqlx::Result<Option<ApiTokenRow>> {
    if jti.chars().any(char::is_control) {
        return Ok(None);
    }
    sqlx::query_as(
        "SELECT api_id, client_app_id, grant_id FROM api_tokens WHERE jti = $1 AND expires_at > $2",
    )
    .bind(jti)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// Revokes one JWT access token (RFC 7009): introspection calls it inactive from now on.
pub async fn delete_token(conn: &mut AnyConnection, jti: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM api_tokens WHERE jti = $1")
        .bind(jti)
        .execute(conn)
        .await
        .map(drop)
}
