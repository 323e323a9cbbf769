//! The OpenID Connect provider from the outside: apps registered the way an
//! operator does (`gitlogin apps add`, the real binary, on the test's store), people signing
//! in to them with a browser, and the apps' own calls to the token, userinfo and revocation
//! endpoints. One concern per file; what they share is here.

mod app_calls;
mod forms;

mod apache;
mod app_rules;
mod authorize;
mod backchannel;
mod backchannel_delivery;
mod backchannel_triggers;
mod client_auth;
mod codes;
mod consent;
mod device;
mod device_registry;
mod discovery;
mod hardening;
mod lifetimes;
mod live_grants;
mod logout;
mod logout_hints;
mod logout_receiver;
mod logout_refused;
mod logout_state;
mod lost_answer;
mod native_apps;
mod pkce;
mod redirect_uris;
mod refresh;
mod relying_party;
mod repeats;
mod revocation;
mod stock_client_apis;
mod stock_client_device;
mod strangers;
mod typing;
mod userinfo;
mod userinfo_memory;

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rocket::http::{ContentType, Status};
use rocket::local::asynchronous::LocalResponse;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

pub use app_calls::{access_token, app_post, assert_invalid_token, assert_token_error};
pub use app_calls::{json_of, redeem, refresh, refresh_token, refreshed, token, userinfo, Auth};
pub use forms::{consent_fields, decide, form_fields};

use crate::helpers::{location, Browser, TestApp, PUBLIC_URL};
use crate::real_server::{gitlogin, run_to_end};

/// The PKCE verifier of every flow unless a test says otherwise (RFC 7636: 43 to 128
/// characters of `[A-Za-z0-9-._~]`).
pub const VERIFIER: &str = "the-tests-pkce-verifier-0123456789-abcdefghijklmnop";
pub const STATE: &str = "the-apps-state";
pub const NONCE: &str = "the-apps-nonce";
/// Octocat's GitHub id: the `sub` of every token here.
pub const OCTOCAT_ID: &str = "583231";

/// An app as `gitlogin apps add --json` registered it.
#[derive(Debug, Clone)]
pub struct Rp {
    pub name: String,
    pub client_id: String,
    /// `None` for a public app.
    pub client_secret: Option<String>,
    /// The redirect URI it was registered with.
    pub redirect_uri: String,
}

impl Rp {
    /// How this app authenticates at the token endpoint: its secret in HTTP Basic
    /// (`client_secret_basic`), or, public, its `client_id` alone.
    pub fn auth(&self) -> Auth<'_> {
        match &self.client_secret {
            Some(secret) => Auth::Basic(&self.client_id, secret),
            None => Auth::IdOnly(&self.client_id),
        }
    }
}

/// `gitlogin apps add NAME --redirect-uri REDIRECT_URI EXTRA… --json` on the store at `db_url`.
pub fn register_in(db_url: &str, name: &str, redirect_uri: &str, extra: &[&str]) -> Rp {
    let mut args = vec![
        "apps",
        "add",
        name,
        "--redirect-uri",
        redirect_uri,
        "--json",
    ];
    args.extend_from_slice(extra);
    let output = run_to_end(gitlogin().args(&args).env("DATABASE_URL", db_url));
    assert!(
        output.status.success(),
        "apps add {name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    Rp {
        name: name.to_owned(),
        client_id: json["client_id"].as_str().unwrap().to_owned(),
        client_secret: json["client_secret"].as_str().map(str::to_owned),
        redirect_uri: redirect_uri.to_owned(),
    }
}

/// Registers `name` on `app`'s store, redirecting to `https://NAME.example/callback`.
pub fn register(app: &TestApp, name: &str, extra: &[&str]) -> Rp {
    let redirect_uri = format!("https://{name}.example/callback");
    register_in(&app.db_url, name, &redirect_uri, extra)
}

/// `gitlogin apps remove NAME`: the operator decommissions the app.
pub fn remove(app: &TestApp, rp: &Rp) {
    let output = run_to_end(
        gitlogin()
            .args(["apps", "remove", &rp.name])
            .env("DATABASE_URL", &app.db_url),
    );
    assert!(output.status.success(), "{output:?}");
}

/// Octocat leaves every organisation and team as the store knows it (a recheck or another
/// instance's sign-in would record that), without signing in again here.
pub async fn memberships_forgotten(app: &TestApp) {
    sqlx::query("DELETE FROM memberships")
        .execute(&app.db)
        .await
        .unwrap();
}

/// A browser in which octocat signed in to gitlogin.
pub async fn signed_in(app: &TestApp) -> Browser<'_> {
    let browser = app.browser();
    browser.sign_in(None).await;
    browser
}

/// The S256 challenge of `verifier`.
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// An authorization request as an app sends a browser with it: the code flow for
/// `openid profile email`, [`STATE`], [`NONCE`] and the S256 challenge of [`VERIFIER`].
#[derive(Debug, Clone)]
pub struct Authorize(Vec<(String, String)>);

impl Authorize {
    pub fn new(rp: &Rp) -> Authorize {
        let challenge = s256(VERIFIER);
        let params = [
            ("response_type", "code"),
            ("client_id", &rp.client_id),
            ("redirect_uri", &rp.redirect_uri),
            ("scope", "openid profile email"),
            ("state", STATE),
            ("nonce", NONCE),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ];
        Authorize(
            params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// The request with `key` set to `value` (replaced if it was there).
    pub fn with(self, key: &str, value: &str) -> Authorize {
        let mut params = self.without(key).0;
        params.push((key.to_owned(), value.to_owned()));
        Authorize(params)
    }

    /// The request with `key=value` added, even if `key` is there already.
    pub fn and(mut self, key: &str, value: &str) -> Authorize {
        self.0.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn without(mut self, key: &str) -> Authorize {
        self.0.retain(|(k, _)| k != key);
        self
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `/oauth/authorize?…`
    pub fn uri(&self) -> String {
        format!("/oauth/authorize?{}", form(&self.0))
    }
}

/// `pairs` as `application/x-www-form-urlencoded`.
pub fn form<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        serializer.append_pair(k.as_ref(), v.as_ref());
    }
    serializer.finish()
}

/// The query of the redirect back to `rp` that `response` is: a 303 to its redirect URI
/// exactly, with `iss` (RFC 9207) and never a fragment.
pub fn back_at(rp: &Rp, response: &LocalResponse<'_>) -> HashMap<String, String> {
    assert_eq!(
        response.status(),
        Status::SeeOther,
        "not sent back to the app"
    );
    let to = location(response);
    assert!(to.starts_with(&format!("{}?", rp.redirect_uri)), "{to}");
    let to = url::Url::parse(to).unwrap();
    assert_eq!(to.fragment(), None, "{to}");
    let query: HashMap<String, String> = to.query_pairs().into_owned().collect();
    assert_eq!(
        query.get("iss").map(String::as_str),
        Some(PUBLIC_URL),
        "{to}"
    );
    query
}

/// Asserts that `response` sends the browser back to `rp` with `error` and the request's
/// [`STATE`], and without a code.
pub fn assert_error_back(rp: &Rp, response: &LocalResponse<'_>, error: &str) {
    let query = back_at(rp, response);
    assert_eq!(
        query.get("error").map(String::as_str),
        Some(error),
        "{query:?}"
    );
    assert_eq!(
        query.get("state").map(String::as_str),
        Some(STATE),
        "{query:?}"
    );
    assert!(!query.contains_key("code"), "{query:?}");
}

/// Asserts that `response` is gitlogin's own error page: a 400, and no redirect anywhere.
pub async fn assert_error_page(response: LocalResponse<'_>, what: &str) {
    assert_eq!(response.status(), Status::BadRequest, "{what}");
    assert_eq!(response.headers().get_one("Location"), None, "{what}");
    assert_eq!(response.content_type(), Some(ContentType::HTML), "{what}");
}
/// Sends the signed-in `browser` with `request`, allows on the consent page if one is shown,
/// and returns the code it brings back to `rp` (with the request's state).
pub async fn code(browser: &Browser<'_>, rp: &Rp, request: &Authorize) -> String {
    let response = browser.get(&request.uri()).await;
    let response = if response.status() == Status::Ok {
        let page = response.into_string().await.unwrap();
        assert!(page.contains(&rp.name), "the consent page names the app");
        decide(browser, &page, "allow").await
    } else {
        response
    };
    let query = back_at(rp, &response);
    assert_eq!(
        query.get("state").map(String::as_str),
        request.get("state"),
        "{query:?}"
    );
    query.get("code").expect("no code").clone()
}
/// The whole flow: `request` in the signed-in `browser`, consent, the code redeemed; the
/// token endpoint's answer.
pub async fn tokens(app: &TestApp, browser: &Browser<'_>, rp: &Rp, request: &Authorize) -> Value {
    let code = code(browser, rp, request).await;
    let (status, body) = redeem(app, rp, &code).await;
    assert_eq!(status, Status::Ok, "{body}");
    body
}

/// [`tokens`] for `openid profile email offline_access`: with a refresh token.
pub async fn offline_tokens(app: &TestApp, browser: &Browser<'_>, rp: &Rp) -> Value {
    let request = Authorize::new(rp).with("scope", "openid profile email offline_access");
    let body = tokens(app, browser, rp, &request).await;
    assert!(body["refresh_token"].is_string(), "{body}");
    body
}
/// The claims of a JWT, read without checking anything: for tests that forge one.
pub fn unverified_claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("not a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// The JWKS's keys.
pub async fn jwks(app: &TestApp) -> Vec<Value> {
    let response = app.browser().get("/.well-known/jwks.json").await;
    assert_eq!(response.status(), Status::Ok);
    json_of(response).await["keys"].as_array().unwrap().clone()
}
