//! `POST /oauth/revoke` (RFC 7009): an app gives back a token it holds. A refresh token takes
//! its whole grant with it (the access tokens issued from it too); an access token only
//! itself. The answer is 200 whatever the token was, so that the endpoint tells a caller
//! nothing about tokens that are not its own, and another app's token is left alone. A JWT
//! access token for an API is known by its `jti`: introspection calls it inactive from then
//! on (an API that verifies tokens on its own learns it only when the token expires).

use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::{post, routes, Route, State};
use rocket_db_pools::sqlx::AnyConnection;

use super::access_token;
use super::client::{self, Basic, ClientAuth};
use super::oauth_error::OAuthError;
use super::refresh_token;
use crate::config::AppConfig;
use crate::keys::KeyRing;
use crate::models::api_tokens;
use crate::models::grants::{self, TokenKind};
use crate::ops::clock::Clock;
use crate::ops::random::sha256_hex;
use crate::store::pool::Db;

pub fn routes() -> Vec<Route> {
    routes![revoke_endpoint]
}

#[derive(FromForm)]
struct RevokeForm<'r> {
    token: Option<&'r str>,
    client_id: Option<&'r str>,
    client_secret: Option<&'r str>,
}

#[post("/oauth/revoke", data = "<form>")]
async fn revoke_endpoint(
    form: Form<RevokeForm<'_>>,
    basic: Basic,
    config: &State<AppConfig>,
    keys: &State<KeyRing>,
    clock: &State<Clock>,
    db: &Db,
) -> Result<Status, OAuthError> {
    let client = ClientAuth::parse(&basic, form.client_id, form.client_secret)?;
    let mut conn = db.acquire().await?;
    let jwts = Jwts {
        keys,
        issuer: &config.public_url,
        now: clock.now(),
    };
    revoke(&mut conn, &jwts, &client, form.token).await?;
    Ok(Status::Ok)
}

/// What reading a JWT access token takes.
pub(crate) struct Jwts<'a> {
    pub(crate) keys: &'a KeyRing,
    pub(crate) issuer: &'a str,
    pub(crate) now: i64,
}

/// The revocation step: `client` authenticated, then `token` ended if it is that app's.
/// Done, or not a token at all, or another app's: the same answer.
pub(crate) async fn revoke(
    conn: &mut AnyConnection,
    jwts: &Jwts<'_>,
    client: &ClientAuth,
    token: Option<&str>,
) -> Result<(), OAuthError> {
    let app = client::authenticate(conn, client).await?;
    let token = token.ok_or(OAuthError::InvalidRequest)?;
    if let Some(claims) = access_token::read(conn, jwts.keys, jwts.issuer, token, jwts.now).await {
        // RFC 7009 §2.1: an app revokes only the tokens issued to it.
        if claims.client_id == app.client_id {
            api_tokens::delete_token(conn, &claims.jti).await?;
        }
        return Ok(());
    }
    if let Some(grant) = refresh_token::grant_of(conn, token).await? {
        if grant.app_id == app.id {
            grants::delete_grant(conn, grant.id).await?;
        }
        return Ok(());
    }
    let hash = sha256_hex(token);
    let Some(row) = grants::find_token(conn, &hash).await? else {
        return Ok(());
    };
    if row.grant.app_id == app.id && row.kind == TokenKind::Access {
        grants::delete_token(conn, &hash).await?;
    }
    Ok(())
}
