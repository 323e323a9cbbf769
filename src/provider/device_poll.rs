//! The device authorization grant, step 3: the device polls the token endpoint with its
//! device code (RFC 8628 §3.4, §3.5) until its person has answered at `/device`. Once they
//! allowed it, the grant waits as a code whose hash is the device code's (`device_answer.rs`),
//! and is redeemed as any code is: once, a second redemption revoking what the first issued.

use rocket_db_pools::sqlx::AnyConnection;

use super::oauth_error::OAuthError;
use super::redeem::TokenFailure;
use crate::models::apps::StoredApp;
use crate::models::device_requests;
use crate::models::grants::{self, Grant};
use crate::ops::random::sha256_hex;

/// How much longer a device must wait after each poll that came too soon (RFC 8628 §3.5).
const SLOW_DOWN_SECS: i64 = 5;

/// The grant `device_code` of `app` brings now, or why none: every answer but the grant
/// itself is [`TokenFailure::Recorded`], since the poll is written down either way.
pub(super) async fn poll(
    conn: &mut AnyConnection,
    app: &StoredApp,
    device_code: &str,
    now: i64,
) -> Result<Grant, TokenFailure> {
    let hash = sha256_hex(device_code);
    let Some(row) = device_requests::of_device(conn, app.id, &hash).await? else {
        return Err(OAuthError::InvalidGrant.into());
    };
    let pending = row.state == "pending";
    // "slow_down ... the interval MUST be increased by 5 seconds for this and all subsequent
    // requests": a poll too soon is measured against the grown interval from then on.
    let too_soon = pending && row.last_poll_at > 0 && now < row.last_poll_at + row.interval_secs;
    let interval = row.interval_secs + if too_soon { SLOW_DOWN_SECS } else { 0 };
    device_requests::polled(conn, &hash, now, interval).await?;
    let refusal = |error| Err(TokenFailure::Recorded(error));
    if row.expires_at <= now {
        return refusal(OAuthError::ExpiredToken);
    }
    match row.state.as_str() {
        "allowed" => {}
        "denied" => return refusal(OAuthError::AccessDenied),
        _ if too_soon => return refusal(OAuthError::SlowDown),
        _ => return refusal(OAuthError::AuthorizationPending),
    }
    let (code, unused) = grants::redeem_code(conn, app.id, &hash)
        .await?
        .ok_or(OAuthError::InvalidGrant)?;
    if !unused {
        crate::ops::logging::audit!(
            "device code replayed app={:?}: its grant is revoked",
            app.name
        );
        return Err(TokenFailure::Revoke(code.grant.id));
    }
    Ok(code.grant)
}
