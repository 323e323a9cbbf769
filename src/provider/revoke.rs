//! `POST /oauth/revoke` (RFC 7009): an app gives back a token it holds. A refresh token takes
//! its whole grant with it (the access tokens issued from it too); an access token only
//! itself. The answer is 200 whatever the token was, so that the endpoint tells a caller
//! nothing about tokens that are not its own, and another app's token is left alone.

use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::{post, routes, Route};

use super::client::{self, Basic, OAuthError};
use crate::models::grants;
use crate::ops::random::sha256_hex;
use crate::store::pool::Db;

pub fn routes() -> Vec<Route> {
    routes![revoke]
}

#[derive(FromForm)]
struct RevokeForm<'r> {
    token: Option<&'r str>,
    client_id: Option<&'r str>,
    client_secret: Option<&'r str>,
}

#[post("/oauth/revoke", data = "<form>")]
async fn revoke(form: Form<RevokeForm<'_>>, basic: Basic, db: &Db) -> Result<Status, OAuthError> {
    let mut conn = db.acquire().await?;
    let app = client::authenticate(&mut conn, &basic, form.client_id, form.client_secret).await?;
    let token = form.token.ok_or(OAuthError::InvalidRequest)?;
    let hash = sha256_hex(token);
    let Some(row) = grants::find_token(&mut conn, &hash).await? else {
        return Ok(Status::Ok);
    };
    if row.grant.app_id != app.id {
        return Ok(Status::Ok);
    }
    if row.kind == "refresh" {
        grants::delete_grant(&mut conn, row.grant.id).await?;
    } else {
        grants::delete_token(&mut conn, &hash).await?;
    }
    Ok(Status::Ok)
}
