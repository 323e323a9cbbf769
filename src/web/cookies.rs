//! How this app's cookies are named and flagged. Every cookie the app sets is built here.

use rocket::http::{Cookie, SameSite};
use time::{Duration, OffsetDateTime};

use crate::config::AppConfig;

/// Built once from `PUBLIC_URL` and managed; guards and handlers ask it for cookies.
#[derive(Debug, Clone, Copy)]
pub struct CookiePolicy {
    secure: bool,
}

impl CookiePolicy {
    pub fn new(config: &AppConfig) -> CookiePolicy {
        CookiePolicy {
            secure: config.https,
        }
    }

    /// Behind https, `__Host-name`: browsers then insist the cookie is `Secure`, has
    /// `Path=/` and no `Domain`, so a sibling subdomain cannot plant or overwrite it.
    pub fn name(&self, base: &str) -> String {
        if self.secure {
            format!("__Host-{base}")
        } else {
            base.to_owned()
        }
    }

    /// A cookie that lives `max_age`. `SameSite=Lax`, not Rocket's default `Strict`: a
    /// Strict cookie is not sent on the top-level navigation back from GitHub, so neither
    /// the pending sign-in nor the session would survive the redirect. Lax still keeps it off
    /// cross-site POSTs, images and frames.
    pub fn build(&self, base: &str, value: String, max_age: Duration) -> Cookie<'static> {
        Cookie::build((self.name(base), value))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .max_age(max_age)
            .expires(OffsetDateTime::now_utc() + max_age)
            .build()
    }

    /// What to pass to `CookieJar::remove` so the browser drops the cookie `base`.
    pub fn removal(&self, base: &str) -> Cookie<'static> {
        Cookie::build(self.name(base))
            .path("/")
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .build()
    }
}
