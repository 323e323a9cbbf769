//! Reading back a token gitlogin signed: an `id_token_hint` at the provider's logout, an
//! access token at introspection and revocation. Checked against the published keys only,
//! with the algorithms gitlogin signs with, decided here and not by the token (`none`,
//! HS256 and the rest never reach a key), and for one kind of token, by its `typ`: an ID
//! token, an identity token and an access token are signed with the same keys, and none may
//! pass for another (RFC 9068 §2.1, RFC 8725 §3.11).

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rocket_db_pools::sqlx::AnyConnection;
use serde_json::Value;

use super::KeyRing;

/// What a token must be, besides signed by one of our published keys.
pub struct Expected<'a> {
    /// The header's `typ`, compared without regard to case (RFC 7515 §4.1.9).
    pub typ: &'a str,
    pub issuer: &'a str,
    /// Whether an expired token is refused; a logout's hint may be old.
    pub unexpired: bool,
}

/// The claims of `token`, if it is ours and what `expected` says; `None` for anything else,
/// or when the keys cannot be read.
pub async fn our_token(
    keys: &KeyRing,
    conn: &mut AnyConnection,
    token: &str,
    expected: &Expected<'_>,
    now: i64,
) -> Option<Value> {
    let header = jsonwebtoken::decode_header(token).ok()?;
    let typ_ok = header
        .typ
        .as_deref()
        .is_some_and(|typ| typ.eq_ignore_ascii_case(expected.typ));
    if !typ_ok || !matches!(header.alg, Algorithm::RS256 | Algorithm::EdDSA) {
        return None;
    }
    let kid = header.kid.as_deref()?;
    let jwk = keys.published_key(conn, kid, now).await.ok()??;
    let key = DecodingKey::from_jwk(&jwk).ok()?;
    let mut validation = Validation::new(header.alg);
    // One clock, the caller's `now`, not the library's: `exp` is checked below.
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["iss", "aud", "exp"]);
    validation.set_issuer(&[expected.issuer]);
    let claims = jsonwebtoken::decode::<Value>(token, &key, &validation)
        .ok()?
        .claims;
    let live = claims["exp"].as_i64().is_some_and(|exp| exp > now);
    (live || !expected.unexpired).then_some(claims)
}
