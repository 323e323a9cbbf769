//! The OpenID Connect provider's grants, with their code and tokens (migration 9 says what
//! each column holds; consents are in `consents.rs`, waiting requests in
//! `authorize_requests.rs`, refresh tokens in `refresh_families.rs`). Codes and tokens
//! are looked up by the SHA-256 of their value, never stored themselves.

use rocket_db_pools::sqlx::{self, AnyConnection, Connection};

use super::grant_apis::GrantApi;

/// A grant as stored: what one code, and every token issued from it, stand for.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Grant {
    pub id: i64,
    pub app_id: i64,
    pub user_id: i64,
    pub scope: String,
    /// Empty when the request had none.
    pub nonce: String,
    pub auth_time: i64,
    /// The `sid` of the session it was given in, which its ID tokens carry.
    pub sid: String,
}

impl Grant {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split(' ').any(|s| s == scope)
    }
}

/// The kinds of token kept one row each in `tokens`, stored as their name: access tokens
/// only, since refresh tokens have one row per family (`refresh_families.rs`). The kind is
/// still checked on reading, so that a row of any other kind is never taken for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Presented to userinfo; lives minutes.
    Access,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
        }
    }
}

impl TryFrom<String> for TokenKind {
    type Error = String;

    fn try_from(stored: String) -> Result<TokenKind, String> {
        [TokenKind::Access]
            .into_iter()
            .find(|kind| kind.as_str() == stored)
            .ok_or_else(|| format!("unknown token kind {stored:?}"))
    }
}

/// What a code is issued with.
pub struct NewCode<'a> {
    pub app_id: i64,
    pub user_id: i64,
    pub scope: &'a str,
    pub nonce: &'a str,
    pub auth_time: i64,
    /// The `sid` of the session the person gave it in.
    pub sid: &'a str,
    pub code_hash: &'a str,
    pub redirect_uri: &'a str,
    pub code_challenge: &'a str,
    pub expires_at: i64,
    /// The APIs its tokens may be for (`resource`), with the scopes granted for each.
    pub apis: &'a [GrantApi],
    /// How the grant began: `browser` (a redirect) or `device` (RFC 8628).
    pub origin: &'static str,
}

/// A new grant and its code, in one transaction.
pub async fn issue_code(
    conn: &mut AnyConnection,
    code: &NewCode<'_>,
    now: i64,
) -> sqlx::Result<()> {
    let mut tx = conn.begin().await?;
    let grant_id: i64 = sqlx::query_scalar(
        "INSERT INTO grants (app_id, user_id, scope, nonce, auth_time, created_at, origin, sid)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(code.app_id)
    .bind(code.user_id)
    .bind(code.scope)
    .bind(code.nonce)
    .bind(code.auth_time)
    .bind(now)
    .bind(code.origin)
    .bind(code.sid)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO codes (code_hash, grant_id, redirect_uri, code_challenge, expires_at, used)
         VALUES ($1, $2, $3, $4, $5, 0)",
    )
    .bind(code.code_hash)
    .bind(grant_id)
    .bind(code.redirect_uri)
    .bind(code.code_challenge)
    .bind(code.expires_at)
    .execute(&mut *tx)
    .await?;
    for api in code.apis {
        super::grant_apis::add_grant_api(&mut tx, grant_id, api).await?;
    }
    tx.commit().await
}

/// A code's row and its grant.
#[derive(Debug, sqlx::FromRow)]
pub struct CodeRow {
    pub redirect_uri: String,
    pub code_challenge: String,
    pub expires_at: i64,
    #[sqlx(flatten)]
    pub grant: Grant,
}

/// `app_id`'s code, marked used by this call, and whether it was unused until now (`false`:
/// a replay, whose grant the caller revokes). Written before it is read, so that of two
/// redemptions racing, exactly one finds it unused (on SQLite the write also takes the lock
/// at once). Another app's code is not touched: `None`, as if there were none.
pub async fn redeem_code(
    conn: &mut AnyConnection,
    app_id: i64,
    code_hash: &str,
) -> sqlx::Result<Option<(CodeRow, bool)>> {
    let marked = sqlx::query(
        // EXISTS looks up this code's one grant; `grant_id IN (SELECT … WHERE app_id = $2)`
        // would have SQLite list every grant of the app at each redemption.
        "UPDATE codes SET used = 1 WHERE code_hash = $1 AND used = 0
         AND EXISTS (SELECT 1 FROM grants g WHERE g.id = codes.grant_id AND g.app_id = $2)",
    )
    .bind(code_hash)
    .bind(app_id)
    .execute(&mut *conn)
    .await?;
    let row: Option<CodeRow> = sqlx::query_as(
        "SELECT c.redirect_uri, c.code_challenge, c.expires_at,
                g.id, g.app_id, g.user_id, g.scope, g.nonce, g.auth_time, g.sid
         FROM codes c JOIN grants g ON g.id = c.grant_id
         WHERE c.code_hash = $1 AND g.app_id = $2",
    )
    .bind(code_hash)
    .bind(app_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|row| (row, marked.rows_affected() == 1)))
}

/// A token of `grant_id`, live from `now` until `expires_at`.
pub async fn insert_token(
    conn: &mut AnyConnection,
    grant_id: i64,
    kind: TokenKind,
    token_hash: &str,
    (now, expires_at): (i64, i64),
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO tokens (token_hash, grant_id, kind, issued_at, expires_at, used)
         VALUES ($1, $2, $3, $4, $5, 0)",
    )
    .bind(token_hash)
    .bind(grant_id)
    .bind(kind.as_str())
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await
    .map(drop)
}

/// A token's row and its grant.
#[derive(Debug, sqlx::FromRow)]
pub struct TokenRow {
    #[sqlx(try_from = "String")]
    pub kind: TokenKind,
    pub issued_at: i64,
    pub expires_at: i64,
    #[sqlx(flatten)]
    pub grant: Grant,
}

pub async fn find_token(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> sqlx::Result<Option<TokenRow>> {
    sqlx::query_as(
        "SELECT t.kind, t.issued_at, t.expires_at,
                g.id, g.app_id, g.user_id, g.scope, g.nonce, g.auth_time, g.sid
         FROM tokens t JOIN grants g ON g.id = t.grant_id WHERE t.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await
}

/// Deletes an access token; `false` if there was none.
pub async fn delete_token(conn: &mut AnyConnection, token_hash: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM tokens WHERE token_hash = $1")
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes `grant_id`'s access tokens but `kept`.
pub async fn delete_access_tokens_but(
    conn: &mut AnyConnection,
    grant_id: i64,
    kept: &str,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM tokens WHERE grant_id = $1 AND kind = $2 AND token_hash <> $3")
        .bind(grant_id)
        .bind(TokenKind::Access.as_str())
        .bind(kept)
        .execute(conn)
        .await
        .map(drop)
}

/// Revokes a grant: its code and every token issued from it.
pub async fn delete_grant(conn: &mut AnyConnection, grant_id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM grants WHERE id = $1")
        .bind(grant_id)
        .execute(conn)
        .await
        .map(drop)
}

/// Revokes every grant this person holds, in every app: each app's codes, access and refresh
/// tokens for them stop working at once. Their consents stay, so an app they sign in to again
/// does not ask again. Returns how many grants ended.
pub async fn revoke_all_of(conn: &mut AnyConnection, user_id: i64) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM grants WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Deletes every waiting request, code, token and refresh token family past its expiry, and
/// the grants left with none of them (a JWT access token counts: introspection reads its
/// grant). Safe to run anywhere, any time: nothing deleted can be used.
pub async fn purge_expired(conn: &mut AnyConnection, now: i64) -> sqlx::Result<()> {
    let tables = [
        "authorize_requests",
        "device_requests",
        "codes",
        "tokens",
        "refresh_families",
        "api_tokens",
    ];
    for table in tables {
        sqlx::query(&format!("DELETE FROM {table} WHERE expires_at <= $1"))
            .bind(now)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query(
        "DELETE FROM grants WHERE NOT EXISTS (SELECT 1 FROM codes WHERE grant_id = grants.id)
                              AND NOT EXISTS (SELECT 1 FROM tokens WHERE grant_id = grants.id)
                              AND NOT EXISTS (SELECT 1 FROM refresh_families
                                              WHERE grant_id = grants.id)
                              AND NOT EXISTS (SELECT 1 FROM api_tokens WHERE grant_id = grants.id)",
    )
    .execute(conn)
    .await
    .map(drop)
}

/// The person a grant is for, while the grant stands.
pub async fn user_of_grant(conn: &mut AnyConnection, grant_id: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT user_id FROM grants WHERE id = $1")
        .bind(grant_id)
        .fetch_optional(conn)
        .await
}
