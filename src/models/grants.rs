//! The OpenID Connect provider's rows: consents, authorization requests waiting for their
//! visitor, and grants with their code and tokens (migration 9 says what each column holds).
//! Codes and tokens are looked up by the SHA-256 of their value, never stored themselves.

use rocket_db_pools::sqlx::{self, AnyConnection, Connection};

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
}

impl Grant {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split(' ').any(|s| s == scope)
    }
}

pub async fn has_consent(
    conn: &mut AnyConnection,
    app_id: i64,
    user_id: i64,
) -> sqlx::Result<bool> {
    let found: i64 =
        sqlx::query_scalar("SELECT count(*) FROM consents WHERE app_id = $1 AND user_id = $2")
            .bind(app_id)
            .bind(user_id)
            .fetch_one(conn)
            .await?;
    Ok(found > 0)
}

/// Remembers a yes; saying it twice is the same yes.
pub async fn consent(
    conn: &mut AnyConnection,
    app_id: i64,
    user_id: i64,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO consents (app_id, user_id, granted_at) VALUES ($1, $2, $3)
         ON CONFLICT (app_id, user_id) DO NOTHING",
    )
    .bind(app_id)
    .bind(user_id)
    .bind(now)
    .execute(conn)
    .await
    .map(drop)
}

/// Takes back the consent and every grant of this app for this person, in one transaction:
/// the app's codes, access and refresh tokens for them stop working at once.
pub async fn revoke_consent(
    conn: &mut AnyConnection,
    app_id: i64,
    user_id: i64,
) -> sqlx::Result<bool> {
    let mut tx = conn.begin().await?;
    let done = sqlx::query("DELETE FROM consents WHERE app_id = $1 AND user_id = $2")
        .bind(app_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM grants WHERE app_id = $1 AND user_id = $2")
        .bind(app_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// The apps this person has consented to: (app id, name), by name.
pub async fn consented_apps(
    conn: &mut AnyConnection,
    user_id: i64,
) -> sqlx::Result<Vec<(i64, String)>> {
    sqlx::query_as(
        "SELECT apps.id, apps.name FROM consents JOIN apps ON apps.id = consents.app_id
         WHERE consents.user_id = $1 ORDER BY apps.name",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await
}

/// Keeps a checked authorization request until its visitor comes back.
pub async fn save_request(
    conn: &mut AnyConnection,
    id_hash: &str,
    app_id: i64,
    request: &str,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO authorize_requests (id_hash, app_id, request, expires_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(id_hash)
    .bind(app_id)
    .bind(request)
    .bind(expires_at)
    .execute(conn)
    .await
    .map(drop)
}

/// A waiting request, if it has not expired (nor had its app removed).
pub async fn find_request(
    conn: &mut AnyConnection,
    id_hash: &str,
    now: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT request FROM authorize_requests WHERE id_hash = $1 AND expires_at > $2",
    )
    .bind(id_hash)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// Ends a waiting request (answered), and any that have expired meanwhile.
pub async fn delete_request(conn: &mut AnyConnection, id_hash: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM authorize_requests WHERE id_hash = $1 OR expires_at <= $2")
        .bind(id_hash)
        .bind(now)
        .execute(conn)
        .await
        .map(drop)
}

/// What a code is issued with.
pub struct NewCode<'a> {
    pub app_id: i64,
    pub user_id: i64,
    pub scope: &'a str,
    pub nonce: &'a str,
    pub auth_time: i64,
    pub code_hash: &'a str,
    pub redirect_uri: &'a str,
    pub code_challenge: &'a str,
    pub expires_at: i64,
}

/// A new grant and its code, in one transaction.
pub async fn issue_code(
    conn: &mut AnyConnection,
    code: &NewCode<'_>,
    now: i64,
) -> sqlx::Result<()> {
    let mut tx = conn.begin().await?;
    let grant_id: i64 = sqlx::query_scalar(
        "INSERT INTO grants (app_id, user_id, scope, nonce, auth_time, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(code.app_id)
    .bind(code.user_id)
    .bind(code.scope)
    .bind(code.nonce)
    .bind(code.auth_time)
    .bind(now)
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
    tx.commit().await
}

/// A code's row and its grant.
#[derive(Debug, sqlx::FromRow)]
pub struct CodeRow {
    pub redirect_uri: String,
    pub code_challenge: String,
    pub expires_at: i64,
    pub used: i64,
    #[sqlx(flatten)]
    pub grant: Grant,
}

/// `app_id`'s code, marked used, as it was before. A code already used comes back with
/// `used = 1` and its grant deleted (every token issued from it revoked), in the same
/// transaction, so that two redemptions racing cannot both succeed. Another app's code is
/// not touched: `None`, as if there were none.
pub async fn redeem_code(
    conn: &mut AnyConnection,
    app_id: i64,
    code_hash: &str,
) -> sqlx::Result<Option<CodeRow>> {
    let mut tx = conn.begin().await?;
    let row: Option<CodeRow> = sqlx::query_as(
        "SELECT c.redirect_uri, c.code_challenge, c.expires_at, c.used,
                g.id, g.app_id, g.user_id, g.scope, g.nonce, g.auth_time
         FROM codes c JOIN grants g ON g.id = c.grant_id WHERE c.code_hash = $1",
    )
    .bind(code_hash)
    .fetch_optional(&mut *tx)
    .await?;
    let row = row.filter(|row| row.grant.app_id == app_id);
    if let Some(row) = &row {
        let marked = sqlx::query("UPDATE codes SET used = 1 WHERE code_hash = $1 AND used = 0")
            .bind(code_hash)
            .execute(&mut *tx)
            .await?;
        if marked.rows_affected() == 0 {
            delete_grant(&mut tx, row.grant.id).await?;
        }
    }
    tx.commit().await?;
    Ok(row)
}

pub async fn insert_token(
    conn: &mut AnyConnection,
    grant_id: i64,
    kind: &str,
    token_hash: &str,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO tokens (token_hash, grant_id, kind, expires_at, used) VALUES ($1, $2, $3, $4, 0)",
    )
    .bind(token_hash)
    .bind(grant_id)
    .bind(kind)
    .bind(expires_at)
    .execute(conn)
    .await
    .map(drop)
}

/// A token's row and its grant.
#[derive(Debug, sqlx::FromRow)]
pub struct TokenRow {
    pub kind: String,
    pub expires_at: i64,
    #[sqlx(flatten)]
    pub grant: Grant,
}

pub async fn find_token(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> sqlx::Result<Option<TokenRow>> {
    sqlx::query_as(
        "SELECT t.kind, t.expires_at,
                g.id, g.app_id, g.user_id, g.scope, g.nonce, g.auth_time
         FROM tokens t JOIN grants g ON g.id = t.grant_id WHERE t.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await
}

/// Marks a refresh token exchanged; false if it already was (a reuse).
pub async fn use_refresh_token(conn: &mut AnyConnection, token_hash: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE tokens SET used = 1 WHERE token_hash = $1 AND used = 0")
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete_token(conn: &mut AnyConnection, token_hash: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM tokens WHERE token_hash = $1")
        .bind(token_hash)
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
