//! `DELETE /applications/{client_id}/token`: the OAuth App revokes one of its tokens. As on
//! GitHub, the app authenticates with HTTP Basic (its client id and secret), names the token in
//! a JSON body, and gets 204; a token that is not live is 404, bad credentials 401.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::serde::json::Json;
use rocket::{delete, routes, Route, State};
use serde::Deserialize;

use super::faults::apply;
use super::FakeGithub;

pub(super) fn routes() -> Vec<Route> {
    routes![revoke_token]
}

#[derive(Deserialize)]
struct Revoke {
    access_token: String,
}

/// The `user:password` of an `Authorization: Basic` header.
struct Basic(String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Basic {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let decoded = req
            .headers()
            .get_one("Authorization")
            .and_then(|a| a.strip_prefix("Basic "))
            .and_then(|b64| STANDARD.decode(b64).ok())
            .and_then(|bytes| String::from_utf8(bytes).ok());
        match decoded {
            Some(pair) => Outcome::Success(Basic(pair)),
            None => Outcome::Error((Status::Unauthorized, ())),
        }
    }
}

#[delete("/applications/<client_id>/token", data = "<body>")]
async fn revoke_token(
    client_id: &str,
    basic: Basic,
    body: Json<Revoke>,
    fake: &State<FakeGithub>,
) -> Status {
    let fault = fake.with(|w| {
        w.revoke_requests += 1;
        w.revoke_fault
    });
    if apply(fault).await.is_some() {
        return Status::BadGateway;
    }
    fake.with(|w| {
        let expected = format!("{}:{}", w.client_id, w.client_secret);
        if client_id != w.client_id || basic.0 != expected {
            return Status::Unauthorized;
        }
        let Some(account) = w.tokens.remove(&body.access_token) else {
            return Status::NotFound;
        };
        if let Some(live) = w.tokens_of.get_mut(&account.id) {
            live.retain(|token| token != &body.access_token);
        }
        w.revoked_tokens.push(body.access_token.clone());
        Status::NoContent
    })
}
