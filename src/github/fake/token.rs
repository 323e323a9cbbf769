//! `POST /login/oauth/access_token`: a code traded for a token, once. Every answer is HTTP
//! 200, errors included, as GitHub sends them.
//!
//! As on GitHub: a form with `client_id`, `client_secret` (or HTTP Basic), `code`,
//! `redirect_uri` (the one sent to authorize) and PKCE's `code_verifier`. With
//! `Accept: application/json` the answer is `{"access_token":"gho_...","token_type":"bearer",
//! "scope":"user:email"}`; an error is `{"error":"bad_verification_code","error_description":
//! ...}` (or `incorrect_client_credentials`, `redirect_uri_mismatch`), still with HTTP 200, which
//! the oauth2 crate reports as a body it could not parse. An OAuth App's tokens do not expire,
//! and a person holds at most ten per app and scope: a newer one revokes the oldest.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::{post, routes, Route, State};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::faults::{apply, token_error, Answer};
use super::{Account, FakeGithub, World};

pub(super) fn routes() -> Vec<Route> {
    routes![access_token]
}

#[derive(FromForm)]
struct TokenForm<'r> {
    client_id: &'r str,
    client_secret: &'r str,
    code: &'r str,
    redirect_uri: Option<&'r str>,
    code_verifier: Option<&'r str>,
}

#[post("/login/oauth/access_token", data = "<form>")]
async fn access_token(form: Form<TokenForm<'_>>, fake: &State<FakeGithub>) -> Answer {
    let fault = fake.with(|w| {
        w.token_requests += 1;
        w.token_fault
    });
    if let Some(answer) = apply(fault).await {
        return answer;
    }
    let body = fake.with(|world| exchange(world, &form));
    Answer::json(Status::Ok, body).padded(fault)
}

fn exchange(world: &mut World, form: &TokenForm<'_>) -> serde_json::Value {
    // Single use: the code is gone whether or not the rest of the request is right.
    let grant = world.codes.remove(form.code);
    if form.client_id != world.client_id || form.client_secret != world.client_secret {
        return token_error(
            "incorrect_client_credentials",
            "The client_id and/or client_secret passed are incorrect.",
        );
    }
    let verifier = form.code_verifier.unwrap_or_default();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let now = world.clock.now();
    let valid = |g: &super::authorize::Grant| {
        g.expires_at > now
            && g.challenge == challenge
            && form.redirect_uri == Some(g.redirect_uri.as_str())
    };
    match grant.filter(valid) {
        Some(grant) => {
            let token = issue(world, grant.account);
            json!({ "access_token": token, "token_type": "bearer", "scope": "user:email" })
        }
        None => token_error(
            "bad_verification_code",
            "The code passed is incorrect or expired.",
        ),
    }
}

/// A new token for `account`, revoking its oldest beyond `tokens_per_person`.
fn issue(world: &mut World, account: Account) -> String {
    let token = format!("gho_{}", super::random_hex());
    let live = world.tokens_of.entry(account.id).or_default();
    live.push_back(token.clone());
    if live.len() > world.tokens_per_person {
        if let Some(oldest) = live.pop_front() {
            world.tokens.remove(&oldest);
        }
    }
    world.tokens.insert(token.clone(), account);
    world.issued_tokens.push(token.clone());
    token
}
