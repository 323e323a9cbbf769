//! The authorization requests waiting for their person to answer the consent page, each
//! kept for the one session shown it (migration 12).

use rocket_db_pools::sqlx::{self, AnyConnection, Connection};

/// A checked authorization request about to be kept for the session that is shown its
/// consent page.
pub struct WaitingRequest<'a> {
    pub id_hash: &'a str,
    pub session_id_hash: &'a str,
    pub app_id: i64,
    /// The request, as JSON.
    pub request: &'a str,
    pub expires_at: i64,
}

/// Keeps `kept`, and of its session's requests only the newest `per_session`.
pub async fn save(
    conn: &mut AnyConnection,
    kept: &WaitingRequest<'_>,
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
pub async fn find(
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
pub async fn delete(conn: &mut AnyConnection, id_hash: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM authorize_requests WHERE id_hash = $1 OR expires_at <= $2")
        .bind(id_hash)
        .bind(now)
        .execute(conn)
        .await
        .map(drop)
}
