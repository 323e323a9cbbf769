//! What a grant may buy for each API it was issued for: written with the grant
//! (`grants::issue_code`), read when its code or refresh token asks for an API's token, and
//! deleted by `apis::reject`.

use rocket_db_pools::sqlx::{self, AnyConnection};

/// An API a grant was issued for, with the scopes the person was granted for it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct GrantApi {
    pub api_id: i64,
    pub scope: String,
}

/// Records that the grant `grant_id` may buy tokens for `api`.
pub async fn add_grant_api(
    conn: &mut AnyConnection,
    grant_id: i64,
    api: &GrantApi,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO grant_apis (grant_id, api_id, scope) VALUES ($1, $2, $3)")
        .bind(grant_id)
        .bind(api.api_id)
        .bind(&api.scope)
        .execute(conn)
        .await
        .map(drop)
}

/// What the grant `grant_id` may buy for the API `api_id`, if anything.
pub async fn grant_api(
    conn: &mut AnyConnection,
    grant_id: i64,
    api_id: i64,
) -> sqlx::Result<Option<GrantApi>> {
    sqlx::query_as("SELECT api_id, scope FROM grant_apis WHERE grant_id = $1 AND api_id = $2")
        .bind(grant_id)
        .bind(api_id)
        .fetch_optional(conn)
        .await
}
