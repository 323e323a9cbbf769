//! Demo mode: a small stand-in for GitHub's OAuth endpoints, mounted on the app's own origin
//! when no OAuth App is configured (debug builds only).
//!
//! The app points itself at this stand-in and runs the *same* sign-in code it runs against
//! github.com: authorize page, state, PKCE, token exchange over HTTP, `/user`, `/user/emails`.
//! It is deliberately small and keeps its codes in memory; it is not a model of GitHub's
//! security, only of its wire format.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rocket::fairing::AdHoc;
use rocket::form::{Form, FromForm};
use rocket::http::{ContentType, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::Redirect;
use rocket::{get, post, routes, State};
use rocket_dyn_templates::{context, Template};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::auth::session::random_token;
use crate::config::AppConfig;
use crate::ops::clock::Clock;
use crate::web::error_pages::ErrorPage;

use crate::config::{DEMO_CLIENT_ID as CLIENT_ID, DEMO_CLIENT_SECRET as CLIENT_SECRET};

/// Codes waiting to be exchanged, and tokens handed out.
#[derive(Default)]
struct DemoGithub {
    codes: Mutex<HashMap<String, Grant>>,
    tokens: Mutex<HashSet<String>>,
}

struct Grant {
    code_challenge: String,
    redirect_uri: String,
    expires_at: i64,
}

pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Demo GitHub", |rocket| async {
        rocket.manage(DemoGithub::default()).mount(
            "/",
            routes![authorize_page, authorize, access_token, user, user_emails],
        )
    })
}

/// Only codes for the app's own callback are ever handed out.
fn check_request(config: &AppConfig, client_id: &str, redirect_uri: &str) -> Result<(), ErrorPage> {
    if client_id != CLIENT_ID || redirect_uri != config.callback_url() {
        return Err(ErrorPage::new(
            Status::BadRequest,
            "This demo authorize page only serves this app's own sign-in.",
        ));
    }
    Ok(())
}

#[get("/demo/github/login/oauth/authorize?<client_id>&<redirect_uri>&<state>&<code_challenge>&<code_challenge_method>")]
fn authorize_page(
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    code_challenge: &str,
    code_challenge_method: &str,
    config: &State<AppConfig>,
) -> Result<Template, ErrorPage> {
    check_request(config, client_id, redirect_uri)?;
    if code_challenge_method != "S256" {
        return Err(ErrorPage::new(Status::BadRequest, "PKCE S256 is required."));
    }
    Ok(Template::render(
        "demo_authorize",
        context! { demo: true, client_id, redirect_uri, state, code_challenge, user: DEMO_LOGIN },
    ))
}

#[derive(FromForm)]
struct Decision<'r> {
    client_id: &'r str,
    redirect_uri: &'r str,
    state: &'r str,
    code_challenge: &'r str,
    decision: &'r str,
}

/// The person pressed Authorize or Cancel: back to the app, as GitHub would.
#[post("/demo/github/login/oauth/authorize", data = "<form>")]
fn authorize(
    form: Form<Decision<'_>>,
    config: &State<AppConfig>,
    demo: &State<DemoGithub>,
    clock: &State<Clock>,
) -> Result<Redirect, ErrorPage> {
    check_request(config, form.client_id, form.redirect_uri)?;
    let mut back = url::Url::parse(form.redirect_uri)
        .map_err(|_| ErrorPage::for_status(Status::BadRequest))?;
    if form.decision == "approve" {
        let code = random_token();
        let grant = Grant {
            code_challenge: form.code_challenge.to_owned(),
            redirect_uri: form.redirect_uri.to_owned(),
            expires_at: clock.now() + 600,
        };
        let mut codes = lock(&demo.codes);
        // Unused codes expire; forget them so the map cannot grow without bound.
        let now = clock.now();
        codes.retain(|_, g| g.expires_at > now);
        codes.insert(code.clone(), grant);
        back.query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("state", form.state);
    } else {
        back.query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair(
                "error_description",
                "The user has denied your application access.",
            )
            .append_pair("state", form.state);
    }
    // RFC 9207, as GitHub does: the issuer the app checks, `{GITHUB_URL}/login/oauth`.
    let issuer = format!("{}/login/oauth", config.github.web_url);
    back.query_pairs_mut().append_pair("iss", &issuer);
    Ok(Redirect::to(back.to_string()))
}

#[derive(FromForm)]
struct TokenRequest<'r> {
    client_id: &'r str,
    client_secret: &'r str,
    code: &'r str,
    redirect_uri: &'r str,
    code_verifier: &'r str,
}

/// Like GitHub: every outcome is HTTP 200, errors included.
#[post("/demo/github/login/oauth/access_token", data = "<form>")]
fn access_token(
    form: Form<TokenRequest<'_>>,
    demo: &State<DemoGithub>,
    clock: &State<Clock>,
) -> (ContentType, String) {
    let grant = lock(&demo.codes).remove(form.code);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(form.code_verifier.as_bytes()));
    let valid = grant.is_some_and(|g| {
        g.expires_at > clock.now()
            && g.redirect_uri == form.redirect_uri
            && g.code_challenge == challenge
            && form.client_id == CLIENT_ID
            && form.client_secret == CLIENT_SECRET
    });
    let body = if valid {
        let token = format!("gho_demo{}", random_token());
        lock(&demo.tokens).insert(token.clone());
        json!({ "access_token": token, "token_type": "bearer", "scope": "user:email" })
    } else {
        json!({
            "error": "bad_verification_code",
            "error_description": "The code passed is incorrect or expired.",
        })
    };
    (ContentType::JSON, body.to_string())
}

const DEMO_LOGIN: &str = "demo-octocat";

#[get("/demo/github/api/user")]
fn user(_token: DemoToken, config: &State<AppConfig>) -> (ContentType, String) {
    let body = json!({
        "login": DEMO_LOGIN,
        "id": 583231,
        "name": "Demo Octocat",
        // Like most people's: no public email, so the app asks `/user/emails`.
        "email": null,
        "avatar_url": format!("{}/static/demo-avatar.svg", config.public_url),
        "type": "User",
    });
    (ContentType::JSON, body.to_string())
}

#[get("/demo/github/api/user/emails")]
fn user_emails(_token: DemoToken) -> (ContentType, String) {
    let body = json!([
        { "email": "old@example.com", "primary": false, "verified": true, "visibility": null },
        { "email": "demo@example.com", "primary": true, "verified": true, "visibility": "private" },
    ]);
    (ContentType::JSON, body.to_string())
}

/// A bearer token this stand-in issued; anything else gets GitHub's 401.
struct DemoToken;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for DemoToken {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let token = req
            .headers()
            .get_one("Authorization")
            .and_then(|h| h.strip_prefix("Bearer "));
        let known = match (token, req.rocket().state::<DemoGithub>()) {
            (Some(token), Some(demo)) => lock(&demo.tokens).contains(token),
            _ => false,
        };
        if known {
            Outcome::Success(DemoToken)
        } else {
            Outcome::Error((Status::Unauthorized, ()))
        }
    }
}

/// A poisoned lock only means another request panicked mid-insert; the maps stay usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
