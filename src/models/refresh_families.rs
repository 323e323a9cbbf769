//! Refresh token families, one row per grant with `offline_access` (migration 16 says what
//! each column holds; `provider/refresh_token.rs` what a token is made of and why). Found by
//! the SHA-256 of the family's lookup id, never by the id itself.

use rocket_db_pools::sqlx::{self, AnyConnection};

use super::grants::Grant;

/// A family as stored, with its grant.
#[derive(Debug, sqlx::FromRow)]
pub struct Family {
    pub generation: i64,
    pub secret_hash: String,
    /// `""` when no earlier token may come back.
    pub previous_hash: String,
    pub rotated_at: i64,
    /// `""` when the access token issued with the current one is a JWT.
    pub access_hash: String,
    pub access_used: i64,
    pub expires_at: i64,
    #[sqlx(flatten)]
    pub grant: Grant,
}

const SELECT: &str = "SELECT f.generation, f.secret_hash, f.previous_hash, f.rotated_at,
                             f.access_hash, f.access_used, f.expires_at,
                             g.id, g.app_id, g.user_id, g.scope, g.nonce, g.auth_time, g.sid
                      FROM refresh_families f JOIN grants g ON g.id = f.grant_id";

pub async fn find(conn: &mut AnyConnection, lookup_hash: &str) -> sqlx::Result<Option<Family>> {
    sqlx::query_as(&format!("{SELECT} WHERE f.lookup_hash = $1"))
        .bind(lookup_hash)
        .fetch_optional(conn)
        .await
}

pub async fn of_grant(conn: &mut AnyConnection, grant_id: i64) -> sqlx::Result<Option<Family>> {
    sqlx::query_as(&format!("{SELECT} WHERE f.grant_id = $1"))
        .bind(grant_id)
        .fetch_optional(conn)
        .await
}

/// Claims generation `from` of the family for this call: the family moves on to the next
/// generation, with `previous_hash` as the token that may still come back. `false` if it
/// was no longer at `from` (or, with `access_unused`, its access token was used meanwhile):
/// another request got there first. Written before anything is issued from it, so that of
/// two requests racing with one token, one only goes on.
pub async fn advance(
    conn: &mut AnyConnection,
    lookup_hash: &str,
    from: i64,
    previous_hash: &str,
    access_unused: bool,
) -> sqlx::Result<bool> {
    let guard = if access_unused {
        " AND access_used = 0"
    } else {
        ""
    };
    let done = sqlx::query(&format!(
        "UPDATE refresh_families SET generation = generation + 1, previous_hash = $3
         WHERE lookup_hash = $1 AND generation = $2{guard}"
    ))
    .bind(lookup_hash)
    .bind(from)
    .bind(previous_hash)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The current token of a family, as just issued: generation `generation` of the family
/// `lookup_hash` names (a new family at its first token), with the access token issued
/// beside it.
pub struct Current<'a> {
    pub grant_id: i64,
    pub lookup_hash: &'a str,
    pub generation: i64,
    pub secret_hash: &'a str,
    pub access_hash: &'a str,
}

/// Records `current`, issued at `now`, dead at `expires_at` unless used.
pub async fn record(
    conn: &mut AnyConnection,
    current: &Current<'_>,
    (now, expires_at): (i64, i64),
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO refresh_families (lookup_hash, grant_id, generation, secret_hash,
             previous_hash, rotated_at, access_hash, access_used, expires_at)
         VALUES ($1, $2, $3, $4, '', $5, $6, 0, $7)
         ON CONFLICT (lookup_hash) DO UPDATE SET generation = excluded.generation,
             secret_hash = excluded.secret_hash, rotated_at = excluded.rotated_at,
             access_hash = excluded.access_hash, access_used = 0,
             expires_at = excluded.expires_at",
    )
    .bind(current.lookup_hash)
    .bind(current.grant_id)
    .bind(current.generation)
    .bind(current.secret_hash)
    .bind(now)
    .bind(current.access_hash)
    .bind(expires_at)
    .execute(conn)
    .await
    .map(drop)
}

/// Notes that the access token `access_hash` was used, if it is still `grant_id`'s current
/// one.
pub async fn note_access_used(
    conn: &mut AnyConnection,
    grant_id: i64,
    access_hash: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE refresh_families SET access_used = 1 WHERE grant_id = $1 AND access_hash = $2",
    )
    .bind(grant_id)
    .bind(access_hash)
    .execute(conn)
    .await
    .map(drop)
}
