//! `GET` and `POST /oauth/userinfo` (OpenID Connect Core 5.3): the claims of the access
//! token's scopes, for an app holding one. A token is good only while it is live, its app
//! still exists (removing an app deletes its grants) and the person still passes the app's
//! rules. Errors are RFC 6750 3.1's: a missing token is a bare `WWW-Authenticate: Bearer`,
//! a bad one `error="invalid_token"`, one without `openid` a 403.

use rocket::http::{Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder};
use rocket::serde::json::{json, Json, Value};
use rocket::{get, post, routes, Route, State};

use super::id_token::PersonClaims;
use crate::access::app_rules;
use crate::config::AppConfig;
use crate::models::apps::{self, StoredApp};
use crate::models::grants::{self, Grant};
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
) -> Answer {
    userinfo(bearer, config, clock.now(), db).await
}

#[post("/oauth/userinfo")]
async fn userinfo_post(
    bearer: Bearer,
    config: &State<AppConfig>,
    clock: &State<Clock>,
    db: &Db,
) -> Answer {
    userinfo(bearer, config, clock.now(), db).await
}

async fn userinfo(bearer: Bearer, config: &AppConfig, now: i64, db: &Db) -> Answer {
    let Some(token) = bearer.0 else {
        return Answer::NoToken;
    };
    let found = async {
        let mut conn = db.acquire().await?;
        let Some((grant, app, user)) = live_access(&mut conn, config, &token, now).await? else {
            return Ok(Answer::InvalidToken);
        };
        if !grant.has_scope("openid") {
            return Ok(Answer::InsufficientScope);
        }
        let groups = super::id_token::groups(&mut conn, &app, &user).await?;
        Ok(Answer::Claims(Json(json!(PersonClaims::of(
            &user, &grant, groups
        )))))
    };
    found
        .await
        .unwrap_or_else(|e: rocket_db_pools::sqlx::Error| {
            rocket::error!("the store did not answer: {e}");
            Answer::Unavailable
        })
}

/// The grant, app and person of a live access token whose person still passes its app's
/// rules.
async fn live_access(
    conn: &mut rocket_db_pools::sqlx::AnyConnection,
    config: &AppConfig,
    token: &str,
    now: i64,
) -> rocket_db_pools::sqlx::Result<Option<(Grant, StoredApp, User)>> {
    let row = grants::find_token(conn, &sha256_hex(token)).await?;
    let Some(row) = row.filter(|row| row.kind == "access" && row.expires_at > now) else {
        return Ok(None);
    };
    let (Some(app), Some(user)) = (
        apps::find_app_by_id(conn, row.grant.app_id).await?,
        models::user_by_id(conn, row.grant.user_id).await?,
    ) else {
        return Ok(None);
    };
    if !app_rules::admits(conn, config, &app, &user, now)
        .await?
        .is_admitted()
    {
        return Ok(None);
    }
    Ok(Some((row.grant, app, user)))
}

enum Answer {
    Claims(Json<Value>),
    NoToken,
    InvalidToken,
    InsufficientScope,
    Unavailable,
}

impl<'r> Responder<'r, 'static> for Answer {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let (status, challenge, body) = match self {
            Answer::Claims(claims) => (Status::Ok, None, claims),
            Answer::NoToken => (
                Status::Unauthorized,
                Some("Bearer".to_owned()),
                Json(json!({})),
            ),
            Answer::InvalidToken => (
                Status::Unauthorized,
                Some("Bearer error=\"invalid_token\"".to_owned()),
                Json(json!({ "error": "invalid_token" })),
            ),
            Answer::InsufficientScope => (
                Status::Forbidden,
                Some("Bearer error=\"insufficient_scope\", scope=\"openid\"".to_owned()),
                Json(json!({ "error": "insufficient_scope" })),
            ),
            Answer::Unavailable => (
                Status::ServiceUnavailable,
                None,
                Json(json!({ "error": "temporarily_unavailable" })),
            ),
        };
        let mut response = response::Response::build_from((status, body).respond_to(req)?);
        response.header(Header::new("Cache-Control", "no-store"));
        if let Some(challenge) = challenge {
            response.header(Header::new("WWW-Authenticate", challenge));
        }
        response.ok()
    }
}
