//! `POST /oauth/revoke` (RFC 7009): an app gives back a token it holds. A refresh token takes
//! its whole grant with it (the access tokens issued from it too); an access token only
//! itself. The answer is 200 whatever the token was, so that the endpoint tells a caller
//! nothing about tokens that are not its own, and another app's token is left alone.

use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::{post, routes, Route};
use rocket_db_pools::sqlx::AnyConnection;

use super::client::{self, Basic, ClientAuth};
use super::oauth_error::OAuthError;
use crate::models::grants::{self, TokenKind};
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
    db: &Db,
) -> Result<Status, OAuthError> {
    let client = ClientAuth::parse(&basic, form.client_id, form.client_secret)?;
    let mut conn = db.acquire().await?;
    revoke(&mut conn, &client, form.token).await?;
    Ok(Status::Ok)
}

/// The revocation step: `client` authenticated, then `token` ended if it is that app's.
/// Done, or not a token at all, or another app's: the same answer.
pub(crate) async fn revoke(
    conn: &mut AnyConnection,
    client: &ClientAuth,
    token: Option<&str>,
) -> Result<(), OAuthError> {
    let app = client::authenticate(conn, client).await?;
    let token = token.ok_or(OAuthError::InvalidRequest)?;
    let hash = sha256_hex(token);
    let Some(row) = grants::find_token(conn, &hash).await? else {
        return Ok(());
    };
    if row.grant.app_id != app.id {
        return Ok(());
    }
    match row.kind {
        TokenKind::Refresh => grants::delete_grant(conn, row.grant.id).await,
        TokenKind::Access => grants::delete_token(conn, &hash).await,
    }?;
    Ok(())
}
