//! The grants a person can see and end on the About page. One app may hold several for one
//! person (a laptop and a desktop, a browser and a command-line tool), each its own family of
//! tokens; each is listed while one of its tokens lives.

use rocket_db_pools::sqlx::{self, AnyConnection};

/// A grant as the About page lists it.
#[derive(Debug, sqlx::FromRow)]
pub struct LiveGrant {
    pub id: i64,
    pub app_id: i64,
    /// `browser` or `device` (migration 17).
    pub origin: String,
    pub created_at: i64,
    /// Its last code or refresh redemption; 0 for none since it began.
    pub last_used_at: i64,
}

/// This person's grants with a live token (refresh, opaque access or an API's), oldest first.
pub async fn live_grants_of(
    conn: &mut AnyConnection,
    user_id: i64,
    now: i64,
) -> sqlx::Result<Vec<LiveGrant>> {
    sqlx::query_as(
        "SELECT id, app_id, origin, created_at, last_used_at FROM grants g
         WHERE user_id = $1
           AND (EXISTS (SELECT 1 FROM refresh_families f
                        WHERE f.grant_id = g.id AND f.expires_at > $2)
             OR EXISTS (SELECT 1 FROM tokens t WHERE t.grant_id = g.id AND t.expires_at > $2)
             OR EXISTS (SELECT 1 FROM api_tokens a WHERE a.grant_id = g.id AND a.expires_at > $2))
         ORDER BY created_at, id",
    )
    .bind(user_id)
    .bind(now)
    .fetch_all(conn)
    .await
}

/// Notes a redemption of the grant's code or refresh token at `now`. Userinfo calls write
/// nothing: they would make every page view of every app a write.
pub async fn mark_used(conn: &mut AnyConnection, grant_id: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE grants SET last_used_at = $1 WHERE id = $2")
        .bind(now)
        .bind(grant_id)
        .execute(conn)
        .await
        .map(drop)
}

/// Ends one grant of this person's, its codes and tokens with it; the app's other grants and
/// the person's consent stay. `false` if it is not theirs, or gone already.
pub async fn revoke_grant(
    conn: &mut AnyConnection,
    user_id: i64,
    grant_id: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM grants WHERE id = $1 AND user_id = $2")
        .bind(grant_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
