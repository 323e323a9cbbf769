//! `GET` and `POST /oauth/userinfo` (OpenID Connect Core 5.3): the claims of the access
//! token's scopes, for an app holding one. A token is good only while it is live, its app
//! still exists (removing an app deletes its grants) and the person still passes the app's
//! rules. The token comes in the `Authorization` header or, on a `POST`, in a form body
//! (RFC 6750 §2.1, §2.2), as relying-party libraries variously send it. Errors are RFC 6750
//! 3.1's (`oauth_error.rs`): a missing token is a bare `WWW-Authenticate: Bearer`, a bad one
//! `error="invalid_token"`, one without `openid` a 403, one sent two ways a 400.
//!
//! Apps ask this at every page view, so an answer is remembered while nothing it rests on
//! has changed (`userinfo/memory.rs`).

mod memory;

use rocket::form::{Form, FromForm};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::serde::json::Json;
use rocket::{get, post, routes, Route, State};
use rocket_db_pools::sqlx::AnyConnection;

use super::id_token::PersonClaims;
use super::oauth_error::OAuthError;
use crate::access::app_rules;
use crate::config::AppConfig;
use crate::models::apps::{self, StoredApp};
use crate::models::grants::{self, TokenKind, TokenRow};
use crate::models::{self, User};
use crate::ops::clock::Clock;
use crate::ops::random::sha256_hex;
use crate::store::pool::Db;
pub(crate) use memory::AccessTokens;
use memory::Memory;

pub fn routes() -> Vec<Route> {
    routes![userinfo_get, userinfo_post]
}

/// The `Authorization: Bearer` token, if any.
pub struct Bearer(Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Bearer {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let token = req
            .headers()
            .get_one("Authorization")
            .and_then(|h| super::client::scheme_value(h, "Bearer"))
            .map(str::to_owned);
        Outcome::Success(Bearer(token))
    }
}

#[get("/oauth/userinfo")]
async fn userinfo_get(
    bearer: Bearer,
    memory: Memory<'_>,
    config: &State<AppConfig>,
    clock: &State<Clock>,
    db: &Db,
) -> Result<Json<PersonClaims>, OAuthError> {
    let token = bearer.0.ok_or(OAuthError::NoToken)?;
    answer(&token, &memory, config, clock.now(), db).await
}

/// RFC 6750 §2.2: the form body's `access_token`, every copy of it, so that a repeat is seen.
#[derive(FromForm)]
struct BodyToken {
    access_token: Vec<String>,
}

/// A body that is not a form (or not readable as one) carries no token: only the header can.
#[post("/oauth/userinfo", data = "<body>")]
async fn userinfo_post(
    bearer: Bearer,
    body: Option<Form<BodyToken>>,
    memory: Memory<'_>,
    config: &State<AppConfig>,
    clock: &State<Clock>,
    db: &Db,
) -> Result<Json<PersonClaims>, OAuthError> {
    let in_body = body.map(|form| form.into_inner().access_token);
    let token = one_token(bearer.0, in_body.unwrap_or_default())?;
    answer(&token, &memory, config, clock.now(), db).await
}

/// The one access token a request sent. RFC 6750 §2: a client "MUST NOT use more than one
/// method to transmit the token in each request"; one that does (or repeats it in the body)
/// is `invalid_request`, so that no reader of the request has to guess which copy counts.
fn one_token(header: Option<String>, body: Vec<String>) -> Result<String, OAuthError> {
    match (header, body.as_slice()) {
        (Some(token), []) => Ok(token),
        (None, [token]) => Ok(token.clone()),
        (None, []) => Err(OAuthError::NoToken),
        _ => Err(OAuthError::TokenSentTwice),
    }
}

/// The claims for `token`: remembered, or else asked of the store and then remembered.
async fn answer(
    token: &str,
    memory: &Memory<'_>,
    config: &AppConfig,
    now: i64,
    db: &Db,
) -> Result<Json<PersonClaims>, OAuthError> {
    let hash = sha256_hex(token);
    if let Some(claims) = memory.recall(&hash, now) {
        return Ok(Json(claims));
    }
    let mut conn = db.acquire().await?;
    let answer = claims(&mut conn, config, now, &hash).await?;
    memory.remember(hash, &answer.claims, answer.until);
    Ok(Json(answer.claims))
}

/// What userinfo answers for a live token, and until when that holds if nothing is written.
pub(crate) struct Answer {
    pub(crate) claims: PersonClaims,
    /// When the token expires or the person's memberships are due a recheck, if sooner.
    pub(crate) until: i64,
}

/// The userinfo step: the claims an access token's scopes allow, for a token that is live,
/// found by its SHA-256 (`token_hash`).
pub(crate) async fn claims(
    conn: &mut AnyConnection,
    config: &AppConfig,
    now: i64,
    token_hash: &str,
) -> Result<Answer, OAuthError> {
    let (row, app, user) = live_access(conn, config, token_hash, now)
        .await?
        .ok_or(OAuthError::InvalidToken)?;
    if !row.grant.has_scope("openid") {
        return Err(OAuthError::InsufficientScope("openid"));
    }
    let groups = super::id_token::groups(conn, &app, &user).await?;
    let recheck_due = user.memberships_verified_at + config.membership_recheck;
    Ok(Answer {
        claims: PersonClaims::of(&user, &row.grant, groups),
        until: row.expires_at.min(recheck_due),
    })
}

/// The token's row, app and person, for a live access token whose person still passes its
/// app's rules.
async fn live_access(
    conn: &mut AnyConnection,
    config: &AppConfig,
    hash: &str,
    now: i64,
) -> rocket_db_pools::sqlx::Result<Option<(TokenRow, StoredApp, User)>> {
    let row = grants::find_token(conn, hash).await?;
    let live = |row: &TokenRow| row.kind == TokenKind::Access && row.expires_at > now;
    let Some(row) = row.filter(live) else {
        return Ok(None);
    };
    let (Some(app), Some(user)) = (
        apps::find_app_by_id(conn, row.grant.app_id).await?,
        models::user_by_id(conn, row.grant.user_id).await?,
    ) else {
        return Ok(None);
    };
    if !app_rules::pin_and_decide(conn, config, &app, &user, now)
        .await?
        .is_admitted()
    {
        return Ok(None);
    }
    // Once per token: what it records cannot change for this token afterwards (a family
    // that rotates again ends it), so an answer from memory need not write it.
    super::refresh_token::access_used(conn, &row.grant, hash, now).await?;
    Ok(Some((row, app, user)))
}
