//! The OpenID Connect provider's consents, per person and app (migration 9).

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
/// the app's codes, access and refresh tokens for them stop working at once, and the app is
/// told each session of theirs it signed them in from has ended for it (ring the outbox
/// after).
pub async fn revoke_consent(
    conn: &mut AnyConnection,
    app_id: i64,
    user_id: i64,
) -> sqlx::Result<bool> {
    let mut tx = conn.begin().await?;
    super::logouts::tell_apps(&mut tx, super::logouts::Ending::App { app_id, user_id }).await?;
    let done = sqlx::query("DELETE FROM consents WHERE app_id = $1 AND user_id = $2")
        .bind(app_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    for table in ["api_consents", "grants"] {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE app_id = $1 AND user_id = $2"
        ))
        .bind(app_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    }
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

/// The scopes of the API `api_id` this person has granted this app, space-separated; `None`
/// if none yet.
pub async fn consented_api_scope(
    conn: &mut AnyConnection,
    app_id: i64,
    user_id: i64,
    api_id: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT scope FROM api_consents WHERE app_id = $1 AND user_id = $2 AND api_id = $3",
    )
    .bind(app_id)
    .bind(user_id)
    .bind(api_id)
    .fetch_optional(conn)
    .await
}

/// Remembers a yes to `scope` of the API `api_id`, which holds every scope of it granted so
/// far.
pub async fn consent_api(
    conn: &mut AnyConnection,
    (app_id, user_id, api_id): (i64, i64, i64),
    scope: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO api_consents (app_id, user_id, api_id, scope, granted_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (app_id, user_id, api_id) DO UPDATE SET scope = excluded.scope,
                                                             granted_at = excluded.granted_at",
    )
    .bind(app_id)
    .bind(user_id)
    .bind(api_id)
    .bind(scope)
    .bind(now)
    .execute(conn)
    .await
    .map(drop)
}
