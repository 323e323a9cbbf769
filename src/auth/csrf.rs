//! Cross-site request forgery defences for every POST that changes something.
//!
//! Three layers, each enough on its own against a different attacker: the session cookie is
//! `SameSite=Lax` (browsers do not send it on cross-site POSTs), [`SameOrigin`] refuses
//! requests the browser labels cross-site, and every form carries the session's CSRF token
//! ([`CsrfField`], checked by [`token_matches`]: every check of the token is here).

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use subtle::ConstantTimeEq;

use crate::auth::session::CurrentUser;
use crate::config::AppConfig;
use crate::web::error_pages::ErrorPage;

/// The hidden field every state-changing form sends. Optional here so that a missing field
/// is a 403 from the handler, like a wrong one, instead of a form error.
#[derive(Debug, rocket::FromForm)]
pub struct CsrfField<'r> {
    pub csrf_token: Option<&'r str>,
}

/// Proof that the browser did not label this request as coming from another site.
#[derive(Debug)]
pub struct SameOrigin;

#[derive(Debug)]
pub struct CrossSite;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for SameOrigin {
    type Error = CrossSite;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let Some(config) = req.rocket().state::<AppConfig>() else {
            return Outcome::Error((Status::InternalServerError, CrossSite));
        };
        let headers = req.headers();
        // Modern browsers say where a request comes from in `Sec-Fetch-Site`.
        let fetch_site_ok = headers
            .get_one("Sec-Fetch-Site")
            .is_none_or(|site| site == "same-origin");
        // Otherwise `Origin`. Under `Referrer-Policy: no-referrer` browsers send `Origin: null`
        // even for same-origin forms, so `null` says nothing either way; the token decides.
        let origin_ok = headers
            .get_one("Origin")
            .is_none_or(|origin| origin == "null" || origin == config.public_url);
        if fetch_site_ok && origin_ok {
            Outcome::Success(SameOrigin)
        } else {
            Outcome::Error((Status::Forbidden, CrossSite))
        }
    }
}

/// True if `field` is the session's CSRF token. Compared in constant time (`subtle`), so
/// response timing does not reveal how much of a guess was right.
pub fn token_matches(current: &CurrentUser, field: Option<&str>) -> bool {
    field.is_some_and(|given| bool::from(given.as_bytes().ct_eq(current.csrf_token().as_bytes())))
}

/// A wrong or missing CSRF token: refused with the 403 page, nothing changed.
pub fn require_csrf(current: &CurrentUser, field: Option<&str>) -> Result<(), ErrorPage> {
    if token_matches(current, field) {
        Ok(())
    } else {
        Err(ErrorPage::for_status(Status::Forbidden))
    }
}
