//! A sign-in in progress: what `/login` must remember until GitHub sends the browser back.
//!
//! It lives in the browser, in one private cookie (encrypted and authenticated with the
//! secret key), so any instance can finish a sign-in another one started and the server
//! keeps no state for people who never come back.

use rocket::http::CookieJar;
use serde::{Deserialize, Serialize};
use time::Duration;

use crate::auth::next::SafeNext;
use crate::web::cookies::CookiePolicy;

pub(crate) const COOKIE: &str = "gitlogin_login";

/// How long someone has to finish at GitHub; GitHub's own codes last as long.
pub const LIFETIME_SECS: i64 = 10 * 60;

#[derive(Serialize, Deserialize)]
pub struct PendingLogin {
    /// The OAuth `state`: GitHub echoes it back, and only this browser knows it.
    pub state: String,
    /// The PKCE verifier: proves to GitHub that whoever redeems the code started the flow.
    pub verifier: String,
    /// Where to go once signed in, already checked to be on this site.
    pub next: SafeNext,
    /// Unix seconds. Checked on the server too, because a copied cookie ignores `Max-Age`.
    pub expires_at: i64,
}

impl PendingLogin {
    pub fn store(&self, jar: &CookieJar<'_>, policy: &CookiePolicy) {
        let value = serde_json::to_string(self).unwrap_or_default();
        jar.add_private(policy.build(COOKIE, value, Duration::seconds(LIFETIME_SECS)));
    }

    /// Removes the cookie, whatever happens next, so each one is used at most once; returns
    /// it only when it is present, intact and not expired.
    pub fn take(jar: &CookieJar<'_>, policy: &CookiePolicy, now: i64) -> Option<PendingLogin> {
        let cookie = jar.get_private(&policy.name(COOKIE));
        jar.remove_private(policy.removal(COOKIE));
        let pending: PendingLogin = serde_json::from_str(cookie?.value()).ok()?;
        (pending.expires_at > now).then_some(pending)
    }
}

impl std::fmt::Debug for PendingLogin {
    // By hand, so that the state and verifier never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingLogin")
            .field("next", &self.next)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_where_it_goes_but_never_the_state_or_the_verifier() {
        let pending = PendingLogin {
            state: "the-state-value".into(),
            verifier: "the-verifier-value".into(),
            next: SafeNext::parse("/about").unwrap(),
            expires_at: 1_700_000_000,
        };
        let shown = format!("{pending:?}");
        assert!(!shown.contains("the-state-value") && !shown.contains("the-verifier-value"));
        assert!(
            shown.contains("/about") && shown.contains("1700000000"),
            "{shown}"
        );
    }
}
