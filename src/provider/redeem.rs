//! The code an app presents at the token endpoint, checked (with its redirect URI and PKCE
//! verifier, RFC 6749 4.1.3, RFC 7636 4.6; a refresh token is `refresh_token.rs`'s). A code
//! used twice means someone has a copy: its whole grant is revoked (RFC 6749 4.1.2).

use rocket_db_pools::sqlx::AnyConnection;
use subtle::ConstantTimeEq;

use super::oauth_error::OAuthError;
use crate::models::apps::StoredApp;
use crate::models::grants::{self, Grant};
use crate::ops::random::sha256_hex;

/// Why no tokens are issued.
pub(super) enum TokenFailure {
    Error(OAuthError),
    /// A code or refresh token used again, or a person the app's rules no longer admit: the
    /// whole grant goes, and the answer is `invalid_grant`.
    Revoke(i64),
    /// A refusal whose writes stay: a device's poll is recorded, so that the next one is
    /// measured against it (RFC 8628 §3.5).
    Recorded(OAuthError),
}

impl<E: Into<OAuthError>> From<E> for TokenFailure {
    fn from(error: E) -> TokenFailure {
        TokenFailure::Error(error.into())
    }
}

/// A code as the app presents it.
pub(super) struct Presented<'a> {
    pub(super) code: &'a str,
    pub(super) redirect_uri: Option<&'a str>,
    pub(super) code_verifier: Option<&'a str>,
}

/// The code's grant, if `app` may redeem it now with this redirect URI and verifier.
pub(super) async fn redeem_code(
    conn: &mut AnyConnection,
    app: &StoredApp,
    presented: Presented<'_>,
    now: i64,
) -> Result<Grant, TokenFailure> {
    let (row, unused) = grants::redeem_code(conn, app.id, &sha256_hex(presented.code))
        .await?
        .ok_or(OAuthError::InvalidGrant)?;
    if !unused {
        crate::ops::logging::audit!("code replayed app={:?}: its grant is revoked", app.name);
        return Err(TokenFailure::Revoke(row.grant.id));
    }
    let verifier_ok = match (row.code_challenge.as_str(), presented.code_verifier) {
        ("", None) => true,
        ("", Some(_)) | (_, None) => false,
        (challenge, Some(verifier)) => {
            bool::from(s256(verifier).as_bytes().ct_eq(challenge.as_bytes()))
        }
    };
    let good = row.expires_at > now
        && presented.redirect_uri == Some(row.redirect_uri.as_str())
        && verifier_ok;
    Ok(good.then_some(row.grant).ok_or(OAuthError::InvalidGrant)?)
}

/// PKCE's S256: base64url of the SHA-256 of the verifier.
fn s256(verifier: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()))
}
