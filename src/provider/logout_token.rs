//! The logout token (OpenID Connect Back-Channel Logout 1.0 §2.4): a JWT that tells an app
//! that the session `sid` of the person `sub` has ended, signed with the key and algorithm of
//! the app's ID tokens, which it already knows how to check.

use serde::Serialize;
use serde_json::{json, Value};

use crate::keys::{KeyError, KeyRing, LONGEST_TOKEN_SECS};
use crate::models::apps::StoredApp;
use crate::models::logouts::Logout;
use crate::ops::random::token;
use rocket_db_pools::sqlx::AnyConnection;

/// Its `typ` (§2.4, as the spec's errata recommend): a relying party that checks it can never
/// take a logout token for an ID token, nor the other way round.
pub const TYP: &str = "logout+jwt";

/// The one event it carries (§2.4).
pub const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// How long it is valid: it is POSTed at once, and §2.4 advises minutes at most.
pub const LIFETIME_SECS: i64 = 2 * 60;

// A retired key leaves the JWKS once the longest-lived token it signed has expired.
const _: () = assert!(LIFETIME_SECS <= LONGEST_TOKEN_SECS);

/// Both `sub` and `sid`, always (§2.4 asks for at least one; mod_auth_openidc finds its
/// session by `sid` when the ID token had one); never a `nonce` (§2.4 forbids it, so that
/// a logout token can never pass for an ID token).
#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
    jti: String,
    sub: &'a str,
    sid: &'a str,
    events: Value,
}

/// A fresh logout token for `app` at `now`: a new `jti`, `iat` and `exp` at each attempt, so
/// that a retry is never a replay of one the app may have seen.
pub async fn sign(
    keys: &KeyRing,
    conn: &mut AnyConnection,
    issuer: &str,
    app: &StoredApp,
    logout: &Logout,
    now: i64,
) -> Result<String, KeyError> {
    let key = keys.signing_key(conn, app.id_token_alg, now).await?;
    let claims = Claims {
        iss: issuer,
        aud: &app.client_id,
        iat: now,
        exp: now + LIFETIME_SECS,
        jti: token(),
        sub: &logout.sub,
        sid: &logout.sid,
        events: json!({ EVENT: {} }),
    };
    key.sign_jwt(TYP, &claims)
}
