//! Step 2, on the protected host: `GET /_gitlogin/start` marks the browser that is about to
//! ask gitlogin's host for a ticket, so that the ticket works in that browser only.
//!
//! A ticket is a bearer link: without this mark, anyone an app admits could fetch a ticket
//! for their own session, not follow it, and get someone else to open it (or redirect them
//! to it). The victim would then use the app as the attacker, and lose their own cookie
//! there: a login CSRF, the attack RFC 6749 §10.12 binds `state` to the user-agent against.
//! The mark does the same here: a random nonce in a short-lived, host-only cookie on the
//! protected host (which no other site can set, `__Host-` behind https), its SHA-256 carried
//! through gitlogin's host and kept with the ticket, and the ticket redeemed only beside the
//! cookie whose hash it keeps (`ticket.rs`). The nonce itself travels in no URL.

use rocket::form::{self, FromFormField, ValueField};
use rocket::http::{CookieJar, Status};
use rocket::response::Redirect;
use rocket::{get, routes, Route, State};
use time::Duration;

use super::{encode, ForeignHost, OnHost, RequestHost};
use crate::auth::next::SafeNext;
use crate::auth::pending;
use crate::config::AppConfig;
use crate::models::apps;
use crate::ops::logging::audit;
use crate::ops::random::{sha256_hex, token};
use crate::store::request_conn::RequestConn;
use crate::web::cookies::CookiePolicy;
use crate::web::error_pages::ErrorPage;

/// The nonce cookie's name (`__Host-` behind https).
pub(crate) const COOKIE: &str = "gitlogin_host_nonce";

pub(super) fn routes() -> Vec<Route> {
    routes![start]
}

#[get("/_gitlogin/start?<next>")]
async fn start(
    next: Option<SafeNext>,
    host: RequestHost,
    policy: &State<CookiePolicy>,
    config: &State<AppConfig>,
    jar: &CookieJar<'_>,
    mut db: RequestConn,
) -> Result<Redirect, OnHost> {
    let next = next.unwrap_or_default();
    let owner = apps::host_owner(&mut db, &host.0)
        .await
        .map_err(ErrorPage::store_unavailable)?;
    let Some(foreign) = ForeignHost::of(config, &host.0, owner.as_deref(), None) else {
        audit!(
            "host sign-in refused: {:?} is not a registered host of an app",
            host.0
        );
        return Err(ErrorPage::new(
            Status::BadRequest,
            "This address is not one this sign-in service signs people in to.",
        )
        .into());
    };
    let nonce = token();
    // As long as a sign-in at GitHub may take: the nonce waits for the ticket that long.
    let lives = Duration::seconds(pending::LIFETIME_SECS);
    jar.add_private(policy.build(COOKIE, nonce.clone(), lives));
    Ok(Redirect::to(format!(
        "{}/auth/host?host={}&next={}&nonce={}",
        config.public_url,
        encode(foreign.as_str()),
        encode(next.as_str()),
        sha256_hex(&nonce)
    )))
}

/// The SHA-256 of this browser's nonce cookie, if it has one.
pub(super) fn hash_of(jar: &CookieJar<'_>, policy: &CookiePolicy) -> Option<String> {
    let cookie = jar.get_private(&policy.name(COOKIE))?;
    Some(sha256_hex(cookie.value()))
}

/// Takes the cookie away once its ticket is redeemed: each nonce marks one redemption. A
/// refused ticket leaves it, so that a sign-in this browser has under way in another tab
/// still ends well.
pub(super) fn forget(jar: &CookieJar<'_>, policy: &CookiePolicy) {
    jar.remove_private(policy.removal(COOKIE));
}

/// A nonce's hash as `/auth/host` receives it: 64 lower-case hex digits.
pub(super) struct NonceHash(pub(super) String);

impl<'v> FromFormField<'v> for NonceHash {
    fn from_value(field: ValueField<'v>) -> form::Result<'v, Self> {
        let value = field.value;
        let hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
        if value.len() == 64 && value.chars().all(hex) {
            Ok(NonceHash(value.to_owned()))
        } else {
            Err(form::Error::validation("not a nonce's hash"))?
        }
    }
}
