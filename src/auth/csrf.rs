//! Cross-site request forgery defences for every POST that changes something.
//!
//! Three layers, each enough on its own against a different attacker: the session cookie is
//! `SameSite=Lax` (browsers do not send it on cross-site POSTs), [`SameOrigin`] refuses
//! requests the browser labels cross-site, and every form carries the session's CSRF token
//! ([`CsrfField`], checked by [`token_matches`]: every check of the token is here).
//!
//! A handler gets all three, and the session, from one data guard: [`CheckedPost`].

use rocket::data::{self, Data, FromData};
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use subtle::ConstantTimeEq;

use crate::auth::session::{CurrentUser, LiveSession, LookupFailed};
use crate::config::AppConfig;
use crate::store::request_conn::RequestConn;

/// The hidden field every state-changing form sends. Optional here so that a missing field
/// is a 403, like a wrong one, instead of a form error.
#[derive(Debug, rocket::FromForm)]
pub struct CsrfField<'r> {
    pub csrf_token: Option<&'r str>,
}

/// A form that carries the session's CSRF token, in a field of its own.
pub trait CsrfForm {
    fn csrf_token(&self) -> Option<&str>;
}

impl CsrfForm for CsrfField<'_> {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token
    }
}

/// A session guard whose forms carry its CSRF token: [`CurrentUser`] for what needs someone
/// let in now, [`LiveSession`] for what only ends a session.
pub trait CsrfSession {
    fn csrf_token(&self) -> &str;
}

impl CsrfSession for CurrentUser {
    fn csrf_token(&self) -> &str {
        &self.session.csrf_token
    }
}

impl CsrfSession for LiveSession {
    fn csrf_token(&self) -> &str {
        &self.current.session.csrf_token
    }
}

/// A POST that changes something, checked in the order a forged one is best stopped: a
/// session (`S`: without one the route forwards with 401, to a route for strangers if there
/// is one), a request the browser does not label cross-site (403), the form `F` (as Rocket
/// refuses any form), and the session's CSRF token in it (403, nothing changed). Only
/// [`FromData`] builds one, so a handler that takes it cannot run on a forged request.
///
/// It also hands on the store connection the session's lookup checked out (one connection
/// per request: `store/request_conn.rs`). A handler that takes a `CheckedPost` takes no
/// `RequestConn` of its own: Rocket runs request guards before the data guard, so that one
/// would be a second checkout, made before the lookup's.
pub struct CheckedPost<F, S = CurrentUser> {
    pub session: S,
    pub form: F,
    pub db: RequestConn,
}

/// Why a [`CheckedPost`] was refused (the status says it to the browser; Rocket logs this).
#[derive(Debug)]
pub enum PostRefused {
    SessionLookup,
    CrossSite,
    Form,
    WrongToken,
    NoConnection,
}

#[rocket::async_trait]
impl<'r, F, S> FromData<'r> for CheckedPost<F, S>
where
    F: FromForm<'r> + CsrfForm + Send + 'r,
    S: FromRequest<'r, Error = LookupFailed> + CsrfSession + Send + 'r,
{
    type Error = PostRefused;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let session = match S::from_request(req).await {
            Outcome::Success(session) => session,
            Outcome::Forward(status) => return data::Outcome::Forward((data, status)),
            Outcome::Error((status, _)) => {
                return data::Outcome::Error((status, PostRefused::SessionLookup))
            }
        };
        if let Outcome::Error((status, CrossSite)) = SameOrigin::from_request(req).await {
            return data::Outcome::Error((status, PostRefused::CrossSite));
        }
        let form = match Form::<F>::from_data(req, data).await {
            data::Outcome::Success(form) => form.into_inner(),
            data::Outcome::Forward(forward) => return data::Outcome::Forward(forward),
            data::Outcome::Error((status, _)) => {
                return data::Outcome::Error((status, PostRefused::Form))
            }
        };
        if !token_matches(session.csrf_token(), form.csrf_token()) {
            return data::Outcome::Error((Status::Forbidden, PostRefused::WrongToken));
        }
        // The connection the lookup parked, or, when another guard took it first, a new
        // checkout (logged where every failed checkout is: `request_conn.rs`).
        match RequestConn::from_request(req).await {
            Outcome::Success(db) => data::Outcome::Success(CheckedPost { session, form, db }),
            Outcome::Error((status, _)) => {
                data::Outcome::Error((status, PostRefused::NoConnection))
            }
            Outcome::Forward(status) => data::Outcome::Error((status, PostRefused::NoConnection)),
        }
    }
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
pub fn token_matches(expected: &str, field: Option<&str>) -> bool {
    field.is_some_and(|given| bool::from(given.as_bytes().ct_eq(expected.as_bytes())))
}
