//! A request that has to wait for a GitHub sign-in, carried by the visitor's own browser
//! rather than kept in the store: anyone can send browsers any number of authorize links,
//! and a row for each would let a stranger fill the disk. As the pending sign-in is
//! (`auth/pending.rs`), it is one private cookie, encrypted and authenticated with the secret
//! key (the browser can neither read nor change it), host-only, `SameSite=Lax` so that it
//! comes back from GitHub, and for as long as a sign-in may take. One per browser: a second
//! request sent through the sign-in replaces the first, whose continue link then finds
//! nothing.

use rocket::http::CookieJar;
use serde::{Deserialize, Serialize};
use time::Duration;

use super::request::AuthRequest;
use crate::auth::pending;
use crate::ops::random::token;
use crate::web::cookies::CookiePolicy;

pub(crate) const COOKIE: &str = "gitlogin_authorize";

/// What a browser keeps of one cookie's name and value at most (RFC 6265 §6.1 asks for at
/// least this much, and the common browsers keep no more).
const BROWSER_LIMIT: usize = 4096;

#[derive(Serialize, Deserialize)]
struct Carried {
    /// What the continue link names: a link of an earlier request does not continue this one.
    id: String,
    request: AuthRequest,
    /// Unix seconds. Checked on the server too, because a copied cookie ignores `Max-Age`.
    expires_at: i64,
}

/// Puts `request` in this browser's cookie; the id its continue link names. `None` if the
/// browser would drop a cookie that long: a `state` or `nonce` near its cap (`request.rs`)
/// that is mostly quotes or backslashes, each written twice in JSON, or a request naming
/// several APIs with many long scopes. The app then gets `invalid_request`; the same request
/// by someone already signed in, which is never carried, goes through.
pub fn carry(
    jar: &CookieJar<'_>,
    policy: &CookiePolicy,
    request: &AuthRequest,
    now: i64,
) -> Option<String> {
    let id = token();
    let carried = Carried {
        id: id.clone(),
        request: request.clone(),
        expires_at: now + pending::LIFETIME_SECS,
    };
    let value = serde_json::to_string(&carried).ok()?;
    // Encrypted, the value is the base64 of a 12-byte nonce, the text and a 16-byte tag, and
    // Rocket sends it percent-encoded: each `/` and `=` of it takes three bytes. The padding
    // is at most two `=`; a `/` is one base64 character in 64 of random ciphertext, and
    // counting one in 16 leaves a margin no ciphertext of this size reaches (some 24 standard
    // deviations), so a cookie that passes here is never one the browser drops.
    let sealed = (12 + value.len() + 16).div_ceil(3) * 4;
    let encoded = sealed + 2 * sealed.div_ceil(16) + 2 * 2;
    if policy.name(COOKIE).len() + 1 + encoded > BROWSER_LIMIT {
        return None;
    }
    let lifetime = Duration::seconds(pending::LIFETIME_SECS);
    jar.add_private(policy.build(COOKIE, value, lifetime));
    Some(id)
}

/// The request this browser carries under `id`, if it is still live; the cookie is then
/// removed, so that it is continued at most once. A cookie of another request is left alone
/// for its own link.
pub fn take(jar: &CookieJar<'_>, policy: &CookiePolicy, id: &str, now: i64) -> Option<AuthRequest> {
    let cookie = jar.get_private(&policy.name(COOKIE))?;
    let carried: Option<Carried> = serde_json::from_str(cookie.value()).ok();
    if carried.as_ref().is_some_and(|carried| carried.id != id) {
        return None;
    }
    jar.remove_private(policy.removal(COOKIE));
    carried
        .filter(|carried| carried.expires_at > now)
        .map(|carried| carried.request)
}
