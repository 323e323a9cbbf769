//! `GET` and `POST /oauth/userinfo` (OpenID Connect Core 5.3): the claims of the access
//! token's scopes, for an app holding one. A token is good only while it is live, its app
//! still exists (removing an app deletes its grants) and the person still passes the app's
//! rules. The token comes in the `Authorization` header or, on a `POST`, in a form body
//! (RFC 6750 §2.1, §2.2), as relying-party libraries variously send it. Errors are RFC 6750
//! 3.1's (`oauth_error.rs`): a missing token is a bare `WWW-Authenticate: Bearer`, a bad one
//! `error="invalid_token"`, one without `openid` a 403, one sent two ways a 400.

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
use crate::models::grants::{self, Grant, TokenKind, TokenRow};
use crate::models::{self, User};
use crate::ops::clock::Clock;
use crate::ops::random::sha256_hex;
use crate::store::pool::Db;

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
    config: &State<AppConfig>,
    clock: &State<Clock>,
    db: &Db,
) -> Result<Json<PersonClaims>, OAuthError> {
    let token = bearer.0.ok_or(OAuthError::NoToken)?;
    let mut conn = db.acquire().await?;
    let claims = claims(&mut conn, config, clock.now(), &token).await?;
    Ok(Json(claims))
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
    config: &State<AppConfig>,
    clock: &State<Clock>,
    db: &Db,
) -> Result<Json<PersonClaims>, OAuthError> {
    let in_body = body.map(|form| form.into_inner().access_token);
    let token = one_token(bearer.0, in_body.unwrap_or_default())?;
    let mut conn = db.acquire().await?;
    let claims = claims(&mut conn, config, clock.now(), &token).await?;
    Ok(Json(claims))
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

/// The userinfo step: the claims an access token's scopes allow, for a token that is live.
pub(crate) async fn claims(
    conn: &mut AnyConnection,
    config: &AppConfig,
    now: i64,
    token: &str,
) -> Result<PersonClaims, OAuthError> {
    let (grant, app, user) = live_access(conn, config, token, now)
        .await?
        .ok_or(OAuthError::InvalidToken)?;
    if !grant.has_scope("openid") {
        return Err(OAuthError::InsufficientScope("openid"));
    }
    let groups = super::id_token::groups(conn, &app, &user).await?;
    Ok(PersonClaims::of(&user, &grant, groups))
}

/// The grant, app and person of a live access token whose person still passes its app's
/// rules.
async fn live_access(
    conn: &mut AnyConnection,
    config: &AppConfig,
    token: &str,
    now: i64,
) -> rocket_db_pools::sqlx::Result<Option<(Grant, StoredApp, User)>> {
    let hash = sha256_hex(token);
    let row = grants::find_token(conn, &hash).await?;
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
    super::refresh_token::access_used(conn, &row.grant, &hash, now).await?;
    Ok(Some((row.grant, app, user)))
}
