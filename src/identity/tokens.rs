//! Identity tokens, for the other services behind the same sign-in.
//!
//! A signed-in page asks `POST /api/token` for a JWT naming one of those services (its
//! audience) and hands it over; the service checks it against `GET /.well-known/jwks.json`,
//! with no call back to us and no shared secret (see `examples/sibling_service.rs`). Tokens
//! live five minutes and are never stored: issuing one writes nothing.
//!
//! Everything under `/api` answers JSON, errors included: a script gets
//! `401 {"error": "unauthorized", ...}`, never a redirect to sign in or an HTML page.

use std::sync::Arc;

use rocket::fairing::AdHoc;
use rocket::form::FromForm;
use rocket::http::{ContentType, Status};
use rocket::request::Request;
use rocket::response::{self, Responder};
use rocket::serde::json::{json, Json, Value};
use rocket::{catch, catchers, get, post, routes, State};
use serde::Serialize;

use crate::auth::csrf::{CheckedPost, CsrfForm};
use crate::auth::session::CurrentUser;
use crate::config::{AppConfig, ConfigError};
use crate::keys::{self, loader, KeyRing};
use crate::ops::clock::Clock;
use crate::ops::logging::audit;
use crate::store::pool::Db;

/// Loads the signing keys and serves the token routes. Attach it after `store::stage()`: the keys
/// may live in the store. Fails early, naming `SIGNING_KEY`, if that setting is unreadable.
pub fn stage(config: &AppConfig) -> Result<AdHoc, ConfigError> {
    let configured = loader::from_config(config)?;
    Ok(AdHoc::on_ignite("Identity tokens", |rocket| async move {
        rocket
            .attach(loader::loader(configured))
            .mount("/", routes![jwks, issue_token, me])
            .register("/api", catchers![api_error])
    }))
}

/// The public keys, for anyone: a service needs nothing else to check our tokens. Made from
/// the store's keys each time the ring reads them, so every instance of a deployment
/// publishes the same set within seconds, and served as made ([`KeyRing::jwks`]).
#[get("/.well-known/jwks.json")]
async fn jwks(
    keys: &State<KeyRing>,
    db: &Db,
    clock: &State<Clock>,
) -> Result<(ContentType, Arc<str>), ApiError> {
    let jwks = keys.jwks(db, clock.now()).await?;
    Ok((ContentType::JSON, jwks.body.clone()))
}

/// The `typ` of an identity token (RFC 8725 §3.11, explicit typing). The provider's ID
/// tokens are signed with the same keys and carry the same `iss`, so without a type of its
/// own one kind could be passed off as the other: an identity token as an `id_token_hint`,
/// an ID token whose `aud` happens to be a service's name at that service. Each reader
/// accepts only its own `typ`. (ID tokens keep `JWT`: relying-party libraries such as the
/// `openidconnect` crate refuse any other.)
pub const TYP: &str = "gitlogin-identity+jwt";

/// How long an identity token is valid: it is handed over at once, and never stored.
pub const TOKEN_LIFETIME_SECS: i64 = 5 * 60;

// A retired key leaves the JWKS once the longest-lived token it signed has expired.
const _: () = assert!(TOKEN_LIFETIME_SECS <= keys::LONGEST_TOKEN_SECS);

#[derive(FromForm)]
struct TokenForm<'r> {
    /// The same field as the sign-out form's, checked the same way.
    csrf_token: Option<&'r str>,
    audience: Option<&'r str>,
}

impl CsrfForm for TokenForm<'_> {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token
    }
}

/// What a token says. `sub` is the GitHub id, which never changes, as a string (RFC 7519
/// makes `sub` a string); `login` is only a label, since logins get renamed and reused.
#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: String,
    aud: &'a str,
    iat: i64,
    exp: i64,
    /// Unique per token, for a service that wants to refuse replays or trace one in our log.
    jti: String,
    github_id: i64,
    login: &'a str,
    name: Option<&'a str>,
    email: Option<&'a str>,
}

/// Issues a token for one configured audience. Checked like sign-out: a live session (else
/// 401), a same-origin request (else 403) and the session's CSRF token (else 403), so another
/// site cannot make a signed-in browser fetch one for it.
#[post("/api/token", data = "<post>")]
async fn issue_token(
    post: CheckedPost<TokenForm<'_>>,
    config: &State<AppConfig>,
    keys: &State<KeyRing>,
    clock: &State<Clock>,
) -> Result<Json<Value>, ApiError> {
    let CheckedPost {
        session: current,
        form,
        mut db,
    } = post;
    // Exact match against the list: a token for a service we were not told about is one
    // that no service should accept, so we do not make it.
    let audience = form
        .audience
        .filter(|asked| config.token_audiences.iter().any(|known| known == asked))
        .ok_or(ApiError::UnknownAudience)?;
    // Nor for an API's audience, should one be put in TOKEN_AUDIENCES after the API was
    // registered (`apps add` refuses the other order): an identity token and an access
    // token must never share one, or an API that skips `typ` would take one for the other.
    let taken = crate::models::apis::api_by_audience(&mut db, audience).await;
    if taken.map_err(keys::KeyError::Store)?.is_some() {
        return Err(ApiError::UnknownAudience);
    }

    let user = &current.user;
    let now = clock.now();
    let claims = Claims {
        iss: &config.public_url,
        sub: user.github_id.0.to_string(),
        aud: audience,
        iat: now,
        exp: now + TOKEN_LIFETIME_SECS,
        jti: crate::ops::random::token(),
        github_id: user.github_id.0,
        login: &user.login,
        name: user.name.as_deref(),
        email: user.email.as_deref(),
    };
    let key = keys.signing_key(&mut db, keys::Alg::EdDsa, now).await?;
    let token = key.sign_jwt(TYP, &claims)?;
    crate::ops::metrics::token_issued(audience);
    audit!(
        "token issued github_id={} login={:?} aud={audience:?} jti={}",
        user.github_id.0,
        user.login,
        claims.jti
    );
    Ok(Json(json!({ "token": token })))
}

/// Who is signed in, for this site's own scripts. No session: the guard forwards with 401 and
/// [`api_error`] answers it in JSON.
#[get("/api/me")]
fn me(current: CurrentUser) -> Json<Value> {
    let user = &current.user;
    Json(json!({
        "github_id": user.github_id.0,
        "login": user.login,
        "name": user.name,
        "email": user.email,
        "avatar_url": user.avatar_url,
    }))
}

/// Why a token or JWKS request failed. Each maps to one status and a fixed sentence.
#[derive(Debug, thiserror::Error)]
enum ApiError {
    #[error("audience not in TOKEN_AUDIENCES")]
    UnknownAudience,
    #[error("no key to sign with: {0}")]
    Keys(#[from] keys::KeyError),
}

impl<'r> Responder<'r, 'static> for ApiError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let (status, code, message) = match self {
            ApiError::UnknownAudience => (
                Status::BadRequest,
                "unknown_audience",
                "The audience must be one of the services this app signs tokens for.",
            ),
            ApiError::Keys(keys::KeyError::Store(_)) => (
                Status::ServiceUnavailable,
                "unavailable",
                "The app's store is not answering right now. Please try again in a moment.",
            ),
            ApiError::Keys(_) => (
                Status::InternalServerError,
                "internal",
                "Something went wrong on our side. Please try again in a moment.",
            ),
        };
        if status.class().is_server_error() {
            rocket::error!("{} failed: {self}", req.uri().path());
        }
        error_body(status, code, message).respond_to(req)
    }
}

/// Every error under `/api` that Rocket answers itself: no session (the guard's 401), a
/// cross-site request or a missing or wrong CSRF token (403, from [`CheckedPost`]), a body
/// that is not a form, an unknown path.
#[catch(default)]
fn api_error(status: Status, _req: &Request<'_>) -> (Status, Json<Value>) {
    let (code, message) = match status.code {
        401 => ("unauthorized", "Sign in first."),
        403 => (
            "forbidden",
            "That request was refused: it did not come from this site's own pages, with their csrf_token.",
        ),
        404 => ("not_found", "There is nothing at this address."),
        503 => (
            "unavailable",
            "The app's store is not answering right now. Please try again in a moment.",
        ),
        _ if status.class().is_client_error() => {
            ("bad_request", "That request could not be handled.")
        }
        _ => (
            "internal",
            "Something went wrong on our side. Please try again in a moment.",
        ),
    };
    error_body(status, code, message)
}

/// `{"error": "<code for programs>", "message": "<sentence for people>"}`, with its status.
fn error_body(status: Status, code: &str, message: &str) -> (Status, Json<Value>) {
    (status, Json(json!({ "error": code, "message": message })))
}
