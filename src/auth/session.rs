//! Server-side sessions, and the two guards that read them: `CurrentUser` (signed in and let
//! in now) and `LiveSession` (signed in, perhaps due for a membership recheck).
//!
//! The browser holds only a random session id, in a private cookie. The `sessions` table
//! holds its SHA-256, the user, a CSRF token and the expiry, so signing out (or an expiry)
//! takes effect on the server: a copied cookie dies with its row.

use rocket::http::{CookieJar, Status};
use rocket::request::{FromRequest, Outcome, Request};
use time::Duration;

use crate::config::{AppConfig, SessionSettings};
use crate::models::{self, SessionRow, User};
use crate::ops::clock::Clock;
use crate::ops::random::{sha256_hex, token};
use crate::store::request_conn::RequestConn;
use crate::web::cookies::CookiePolicy;

mod memory;
mod settle;

use memory::Memory;
pub(crate) use memory::{AppAdmissions, Sessions};
pub use settle::is_live;
use settle::settle;

pub(crate) const COOKIE: &str = "gitlogin_session";

/// A protected host's own cookie, standing for the main session there (`identity/hosts.rs`).
pub(crate) const HOST_COOKIE: &str = "gitlogin_host";

/// `last_seen_at` is written at most this often per session: a page view is not a write.
const TOUCH_EVERY_SECS: i64 = 60;

/// What the `sessions` table stores in place of the id itself.
fn hash_id(id: &str) -> String {
    sha256_hex(id)
}

/// A session about to be stored: the row, and the id that only the browser will keep.
pub struct NewSession {
    pub row: SessionRow,
    id: String,
    max_age: i64,
}

impl NewSession {
    /// A fresh id at every sign-in, so an id planted before sign-in is never promoted.
    pub fn generate(now: i64, settings: &SessionSettings, user_agent: Option<&str>) -> NewSession {
        let (id, id_hash) = new_id();
        NewSession {
            row: SessionRow {
                id_hash,
                csrf_token: token(),
                sid: token(),
                created_at: now,
                last_seen_at: now,
                expires_at: now + settings.max_age,
                user_agent: user_agent.map(|ua| ua.chars().take(200).collect()),
            },
            id,
            max_age: settings.max_age,
        }
    }

    /// Hands the id to the browser, for as long as the session can live. Call only once the
    /// row is committed.
    pub fn set_cookie(self, jar: &CookieJar<'_>, policy: &CookiePolicy) {
        let max_age = Duration::seconds(self.max_age);
        jar.add_private(policy.build(COOKIE, self.id, max_age));
    }
}

/// A fresh random id for a row that a cookie names (a session, a host session) or a link
/// carries (a ticket), and what the store keeps of it: the id itself goes to the browser only.
pub fn new_id() -> (String, String) {
    let id = token();
    let hash = hash_id(&id);
    (id, hash)
}

/// The stored id of the session this browser's cookie names, live or not: a new sign-in
/// replaces it.
pub fn replaced_by_sign_in(jar: &CookieJar<'_>, policy: &CookiePolicy) -> Option<String> {
    jar.get_private(&policy.name(COOKIE))
        .map(|cookie| hash_id(cookie.value()))
}

/// Tells the browser to drop its session cookie.
pub fn remove_cookie(jar: &CookieJar<'_>, policy: &CookiePolicy) {
    jar.remove_private(policy.removal(COOKIE));
}

/// Proof that this request carries a live session whose owner the allow-lists let in now,
/// memberships and all: what a page may show and an app may be issued. Only [`FromRequest`]
/// builds one, so a handler that takes a `CurrentUser` cannot run for anyone else. Without
/// one the guard forwards with 401; pages that serve everyone take `Option<CurrentUser>`.
///
/// A session whose memberships are due for a recheck is "not signed in" here: the handlers
/// for strangers send a page view through GitHub again (`/login?next=`), which replaces it
/// with a verified one, and answer `/api/*` and `/auth/check` with 401. To end such a
/// session, take a [`LiveSession`].
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub session: SessionRow,
}

impl CurrentUser {
    /// The CSRF token that this session's forms must send back (checked in `csrf.rs`).
    pub fn csrf_token(&self) -> &str {
        &self.session.csrf_token
    }
}

/// Proof that this request carries a live session, its owner let in now or only on a
/// membership due for a recheck (`recheck_due`). Enough to end the session (sign out,
/// delete the account) or to send it through GitHub again; never to show or issue anything:
/// that takes a [`CurrentUser`].
#[derive(Debug, Clone)]
pub struct LiveSession {
    /// The session and its owner; a `CurrentUser` only in name while `recheck_due`.
    pub current: CurrentUser,
    pub recheck_due: bool,
}

/// Why a session could not be looked up, as opposed to "not signed in".
#[derive(Debug, Clone, Copy)]
pub enum LookupFailed {
    /// The store did not answer (logged where it happened): 503.
    StoreDidNotAnswer,
    /// The app was built without the states a lookup needs (`lib.rs` manages them all): 500.
    NotManaged,
}

impl LookupFailed {
    pub fn status(self) -> Status {
        match self {
            LookupFailed::StoreDidNotAnswer => Status::ServiceUnavailable,
            LookupFailed::NotManaged => Status::InternalServerError,
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CurrentUser {
    type Error = LookupFailed;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        match LiveSession::from_request(req).await {
            Outcome::Success(LiveSession {
                current,
                recheck_due: false,
            }) => Outcome::Success(current),
            Outcome::Success(_) | Outcome::Forward(_) => Outcome::Forward(Status::Unauthorized),
            Outcome::Error(e) => Outcome::Error(e),
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for LiveSession {
    type Error = LookupFailed;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        // Cached: several guards on one request share one lookup.
        let found = req.local_cache_async(lookup(req)).await;
        match found {
            Ok(Some(live)) => Outcome::Success(live.clone()),
            Ok(None) => Outcome::Forward(Status::Unauthorized),
            Err(e) => Outcome::Error((e.status(), *e)),
        }
    }
}

/// A missing, tampered, truncated, foreign (another key's), idle, too old or revoked cookie
/// all come out as `Ok(None)`: "not signed in". A cookie with no live row is removed, and an
/// expired row is deleted on sight. A session this instance remembers (`memory.rs`) costs no
/// lookup while the store says nothing changed since.
async fn lookup(req: &Request<'_>) -> Result<Option<LiveSession>, LookupFailed> {
    let (policy, clock, config) = states(req)?;
    let jar = req.cookies();
    // `get_private` returns `None` unless the value decrypts and authenticates.
    let Some(cookie) = jar.get_private(&policy.name(COOKIE)) else {
        return Ok(None);
    };
    let now = clock.now();
    let id_hash = hash_id(cookie.value());
    let memory = Memory::of(req).await;
    if let Some(live) = memory.recall(&id_hash, config, now) {
        return Ok(Some(live));
    }
    let mut conn = RequestConn::of(req).await.map_err(log_store_error)?;
    let found = models::find_session(&mut conn, &id_hash)
        .await
        .map_err(log_store_error)?;
    let Some((owner, facts)) = settle(&mut conn, config, found, now).await? else {
        remove_cookie(jar, policy);
        return Ok(None);
    };
    memory.remember(id_hash, &owner, facts);
    // The handler that this guard lets through will likely want the store too.
    conn.park(req);
    Ok(Some(owner))
}

/// The session a protected host's cookie stands for (`identity/hosts.rs`): its main session,
/// if the cookie was made for `host`, decided exactly as the main cookie is.
pub async fn host_session(
    req: &Request<'_>,
    host: &str,
) -> Result<Option<LiveSession>, LookupFailed> {
    let (policy, clock, config) = states(req)?;
    let Some(cookie) = req.cookies().get_private(&policy.name(HOST_COOKIE)) else {
        return Ok(None);
    };
    let mut conn = RequestConn::of(req).await.map_err(log_store_error)?;
    let found = models::hosts::find_host_session(&mut conn, &hash_id(cookie.value()), host)
        .await
        .map_err(log_store_error)?;
    let owner = settle(&mut conn, config, found, clock.now()).await?;
    let owner = owner.map(|(owner, _)| owner);
    if owner.is_none() {
        req.cookies().remove_private(policy.removal(HOST_COOKIE));
    }
    Ok(owner)
}

/// What a session lookup needs, managed at ignition.
fn states<'r>(
    req: &'r Request<'_>,
) -> Result<(&'r CookiePolicy, &'r Clock, &'r AppConfig), LookupFailed> {
    let rocket = req.rocket();
    match (
        rocket.state::<CookiePolicy>(),
        rocket.state::<Clock>(),
        rocket.state::<AppConfig>(),
    ) {
        (Some(policy), Some(clock), Some(config)) => Ok((policy, clock, config)),
        _ => Err(LookupFailed::NotManaged),
    }
}

fn log_store_error(e: rocket_db_pools::sqlx::Error) -> LookupFailed {
    rocket::error!("session lookup failed: the store did not answer: {e}");
    LookupFailed::StoreDidNotAnswer
}

/// The request's `User-Agent`, if any: recorded to label a new session for its owner.
pub struct UserAgent<'r>(pub Option<&'r str>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for UserAgent<'r> {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(UserAgent(req.headers().get_one("User-Agent")))
    }
}
