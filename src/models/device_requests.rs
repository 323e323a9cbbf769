//! The device authorization requests waiting for their person (RFC 8628), and the wrong user
//! codes each person typed. Migration 15 says what each column holds; `provider/device*.rs`
//! decides what the rows mean.

use rocket_db_pools::sqlx::{self, AnyConnection};

/// A waiting request as the device's poll and the person's page read it.
#[derive(Debug, sqlx::FromRow)]
pub struct DeviceRow {
    pub device_code_hash: String,
    pub app_id: i64,
    /// The checked request, JSON.
    pub request: String,
    pub state: String,
    pub interval_secs: i64,
    pub last_poll_at: i64,
    pub expires_at: i64,
}

/// What a new request is stored with.
pub struct NewDeviceRequest<'a> {
    pub device_code_hash: &'a str,
    pub user_code_hash: &'a str,
    pub app_id: i64,
    pub request: &'a str,
    pub interval_secs: i64,
    pub expires_at: i64,
}

/// Stores `new`; `false` if its user code is already another waiting request's (the caller
/// draws another).
pub async fn insert(conn: &mut AnyConnection, new: &NewDeviceRequest<'_>) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO device_requests
             (device_code_hash, user_code_hash, app_id, request, interval_secs, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (user_code_hash) DO NOTHING",
    )
    .bind(new.device_code_hash)
    .bind(new.user_code_hash)
    .bind(new.app_id)
    .bind(new.request)
    .bind(new.interval_secs)
    .bind(new.expires_at)
    .execute(conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

const COLUMNS: &str =
    "device_code_hash, app_id, request, state, interval_secs, last_poll_at, expires_at";

/// The request a person's typed code names, unexpired and still waiting for an answer.
pub async fn waiting_for(
    conn: &mut AnyConnection,
    user_code_hash: &str,
    now: i64,
) -> sqlx::Result<Option<DeviceRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM device_requests
         WHERE user_code_hash = $1 AND state = 'pending' AND expires_at > $2"
    ))
    .bind(user_code_hash)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// The request of `app` whose device code hashes to `device_code_hash`, expired or not.
pub async fn of_device(
    conn: &mut AnyConnection,
    app_id: i64,
    device_code_hash: &str,
) -> sqlx::Result<Option<DeviceRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM device_requests WHERE device_code_hash = $1 AND app_id = $2"
    ))
    .bind(device_code_hash)
    .bind(app_id)
    .fetch_optional(conn)
    .await
}

/// The request as its confirmation page showed it (with what it offered: Allow gives no more).
pub async fn shown(
    conn: &mut AnyConnection,
    device_code_hash: &str,
    request: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE device_requests SET request = $1 WHERE device_code_hash = $2")
        .bind(request)
        .bind(device_code_hash)
        .execute(conn)
        .await
        .map(drop)
}

/// Ends a waiting request with the person's answer; `false` if it was no longer waiting.
pub async fn answer(
    conn: &mut AnyConnection,
    device_code_hash: &str,
    allowed: bool,
) -> sqlx::Result<bool> {
    let state = if allowed { "allowed" } else { "denied" };
    let done = sqlx::query(
        "UPDATE device_requests SET state = $1 WHERE device_code_hash = $2 AND state = 'pending'",
    )
    .bind(state)
    .bind(device_code_hash)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the device's poll at `now`, and the interval it must keep from now on.
pub async fn polled(
    conn: &mut AnyConnection,
    device_code_hash: &str,
    now: i64,
    interval_secs: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE device_requests SET last_poll_at = $1, interval_secs = $2
         WHERE device_code_hash = $3",
    )
    .bind(now)
    .bind(interval_secs)
    .bind(device_code_hash)
    .execute(conn)
    .await
    .map(drop)
}

/// Until when this person may type no code (0: they may).
pub async fn locked_until(conn: &mut AnyConnection, user_id: i64) -> sqlx::Result<i64> {
    let until: Option<i64> =
        sqlx::query_scalar("SELECT locked_until FROM user_code_failures WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(conn)
            .await?;
    Ok(until.unwrap_or(0))
}

/// Counts a wrong code typed at `now`; `window` seconds after the first one the count starts
/// again. Returns how many wrong codes the window holds now.
pub async fn count_failure(
    conn: &mut AnyConnection,
    user_id: i64,
    now: i64,
    window: i64,
) -> sqlx::Result<i64> {
    sqlx::query(
        "INSERT INTO user_code_failures (user_id, failures, first_at) VALUES ($1, 1, $2)
         ON CONFLICT (user_id) DO UPDATE SET
             failures = CASE WHEN user_code_failures.first_at + $3 <= $2 THEN 1
                             ELSE user_code_failures.failures + 1 END,
             first_at = CASE WHEN user_code_failures.first_at + $3 <= $2 THEN $2
                             ELSE user_code_failures.first_at END",
    )
    .bind(user_id)
    .bind(now)
    .bind(window)
    .execute(&mut *conn)
    .await?;
    sqlx::query_scalar("SELECT failures FROM user_code_failures WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(conn)
        .await
}

/// Refuses this person's codes until `until`, and starts their count again.
pub async fn lock(conn: &mut AnyConnection, user_id: i64, until: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE user_code_failures SET locked_until = $1, failures = 0, first_at = $1
         WHERE user_id = $2",
    )
    .bind(until)
    .bind(user_id)
    .execute(conn)
    .await
    .map(drop)
}
