//! The errors of the endpoints an app's server calls, in one place: RFC 6749 5.2's JSON for
//! the token and revocation endpoints (RFC 7009 2.2.1 reuses it), RFC 6750 3's Bearer
//! challenges for userinfo. Each answer is JSON with `error`, never cached (RFC 6749 5.1),
//! and a 401 says how to authenticate (`WWW-Authenticate`, RFC 7235 3.1).

use rocket::http::{Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder};
use rocket::serde::json::{json, Json};

use crate::keys::KeyError;

#[derive(Debug)]
pub(crate) enum OAuthError {
    /// RFC 6749 5.2: a parameter missing, repeated, or sent two ways.
    InvalidRequest,
    /// RFC 6749 5.2: the app could not be authenticated (HTTP Basic is the way to try).
    InvalidClient,
    /// RFC 6749 5.2: the code or refresh token is unknown, spent, expired or not this app's.
    InvalidGrant,
    UnsupportedGrantType,
    /// RFC 6749 5.2: this app may not use this grant type (`client_credentials` without
    /// `--service`).
    UnauthorizedClient,
    /// RFC 6749 5.2: a scope the API does not declare, or wider than the grant's.
    InvalidScope,
    /// RFC 8707 §2: no API with this audience, or one that does not accept this app.
    InvalidTarget,
    /// RFC 8628 §3.5: the person has not answered yet; poll again after the interval.
    AuthorizationPending,
    /// RFC 8628 §3.5: polled sooner than the interval allows, which grows by 5 s.
    SlowDown,
    /// RFC 8628 §3.5: the person said no, or the app's rules refuse them.
    AccessDenied,
    /// RFC 8628 §3.5: the device code expired before anyone allowed it.
    ExpiredToken,
    /// RFC 6750 3.1: a request with no access token at all gets a bare challenge and no
    /// error code, as the RFC asks.
    NoToken,
    /// RFC 6750 §2, §3.1: the access token sent in more than one way, or twice.
    TokenSentTwice,
    /// RFC 6750 3.1: the access token is unknown, expired, revoked, or its person is no
    /// longer admitted.
    InvalidToken,
    /// RFC 6750 3.1: the token lacks a scope the resource needs (userinfo: `openid`).
    InsufficientScope(&'static str),
    Store(rocket_db_pools::sqlx::Error),
    Keys(KeyError),
}

impl From<rocket_db_pools::sqlx::Error> for OAuthError {
    fn from(e: rocket_db_pools::sqlx::Error) -> OAuthError {
        OAuthError::Store(e)
    }
}

impl From<KeyError> for OAuthError {
    fn from(e: KeyError) -> OAuthError {
        OAuthError::Keys(e)
    }
}

impl OAuthError {
    /// The status, the `error` code, and the challenge of `WWW-Authenticate`, if any.
    fn parts(&self) -> (Status, Option<&'static str>, Option<String>) {
        let bearer = |error: &str| Some(format!("Bearer error=\"{error}\""));
        match self {
            OAuthError::InvalidRequest => (Status::BadRequest, Some("invalid_request"), None),
            OAuthError::InvalidClient => (
                Status::Unauthorized,
                Some("invalid_client"),
                Some("Basic realm=\"gitlogin\"".to_owned()),
            ),
            OAuthError::InvalidGrant => (Status::BadRequest, Some("invalid_grant"), None),
            OAuthError::UnsupportedGrantType => {
                (Status::BadRequest, Some("unsupported_grant_type"), None)
            }
            OAuthError::UnauthorizedClient => {
                (Status::BadRequest, Some("unauthorized_client"), None)
            }
            OAuthError::InvalidScope => (Status::BadRequest, Some("invalid_scope"), None),
            OAuthError::InvalidTarget => (Status::BadRequest, Some("invalid_target"), None),
            OAuthError::AuthorizationPending => {
                (Status::BadRequest, Some("authorization_pending"), None)
            }
            OAuthError::SlowDown => (Status::BadRequest, Some("slow_down"), None),
            OAuthError::AccessDenied => (Status::BadRequest, Some("access_denied"), None),
            OAuthError::ExpiredToken => (Status::BadRequest, Some("expired_token"), None),
            OAuthError::NoToken => (Status::Unauthorized, None, Some("Bearer".to_owned())),
            OAuthError::TokenSentTwice => (
                Status::BadRequest,
                Some("invalid_request"),
                bearer("invalid_request"),
            ),
            OAuthError::InvalidToken => (
                Status::Unauthorized,
                Some("invalid_token"),
                bearer("invalid_token"),
            ),
            OAuthError::InsufficientScope(scope) => (
                Status::Forbidden,
                Some("insufficient_scope"),
                Some(format!(
                    "Bearer error=\"insufficient_scope\", scope=\"{scope}\""
                )),
            ),
            OAuthError::Store(e) => {
                rocket::error!("the store did not answer: {e}");
                (
                    Status::ServiceUnavailable,
                    Some("temporarily_unavailable"),
                    None,
                )
            }
            OAuthError::Keys(e) => {
                rocket::error!("no key to sign with: {e}");
                (Status::InternalServerError, Some("server_error"), None)
            }
        }
    }
}

impl<'r> Responder<'r, 'static> for OAuthError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let (status, error, challenge) = self.parts();
        let body = match error {
            Some(error) => json!({ "error": error }),
            None => json!({}),
        };
        let mut response = response::Response::build_from((status, Json(body)).respond_to(req)?);
        response.header(Header::new("Cache-Control", "no-store"));
        if let Some(challenge) = challenge {
            response.header(Header::new("WWW-Authenticate", challenge));
        }
        response.ok()
    }
}
