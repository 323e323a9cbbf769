//! The OpenID Connect provider's consents, per person and app, and the authorization
//! requests whose consent page a session is shown (migrations 9 and 12).

use rocket_db_pools::sqlx::{self, AnyConnection, Connection};

/// The scopes this person has granted this app, space-separated; `None` if none yet.
pub async fn consented_scope(
    conn: &mut AnyConnection,
    app_id: i64,
    user_id: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT scope FROM consents WHERE app_id = $1 AND user_id = $2")
        .bind(app_id)
        .bind(user_id)
        .fetch_optional(conn)
        .await
}

/// Remembers a yes to `scope`, which holds every scope granted so far.
pub async fn consent(
    conn: &mut AnyConnection,
    app_id: i64,
    user_id: i64,
    scope: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO consents (app_id, user_id, scope, granted_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (app_id, user_id) DO UPDATE SET scope = excluded.scope,
                                                     granted_at = excluded.granted_at",
    )
    .bind(app_id)
    .bind(user_id)
    .bind(scope)
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

/// A checked authorization request about to be kept for the session that is shown its
/// consent page.
pub struct KeptRequest<'a> {
    pub id_hash: &'a str,
    pub session_id_hash: &'a str,
    pub app_id: i64,
    /// The request, as JSON.
    pub request: &'a str,
    pub expires_at: i64,
}

/// Keeps `kept`, and of its session's requests only the newest `per_session`.
pub async fn save_request(
    conn: &mut AnyConnection,
    kept: &KeptRequest<'_>,
    per_session: i64,
) -> sqlx::Result<()> {
    let mut tx = conn.begin().await?;
    sqlx::query(
        "INSERT INTO authorize_requests (id_hash, session_id_hash, app_id, request, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(kept.id_hash)
    .bind(kept.session_id_hash)
    .bind(kept.app_id)
    .bind(kept.request)
    .bind(kept.expires_at)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "DELETE FROM authorize_requests
         WHERE session_id_hash = $1
           AND id NOT IN (SELECT id FROM authorize_requests WHERE session_id_hash = $1
                          ORDER BY id DESC LIMIT $2)",
    )
    .bind(kept.session_id_hash)
    .bind(per_session)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// A kept request of this session, if it has not expired (nor had its app removed).
pub async fn find_request(
    conn: &mut AnyConnection,
    id_hash: &str,
    session_id_hash: &str,
    now: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT request FROM authorize_requests
         WHERE id_hash = $1 AND session_id_hash = $2 AND expires_at > $3",
    )
    .bind(id_hash)
    .bind(session_id_hash)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// Ends a kept request (answered), and any that have expired meanwhile.
pub async fn delete_request(conn: &mut AnyConnection, id_hash: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM authorize_requests WHERE id_hash = $1 OR expires_at <= $2")
        .bind(id_hash)
        .bind(now)
        .execute(conn)
        .await
        .map(drop)
}
