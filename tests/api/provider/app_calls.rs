//! What an app's server sends gitlogin: form POSTs to the token and revocation endpoints,
//! authenticated as RFC 6749 §2.3.1 says, and Bearer tokens to userinfo; and the answers'
//! shapes (RFC 6749 §5.2, RFC 6750 §3.1).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::LocalResponse;
use serde_json::Value;

use super::{form, Rp, VERIFIER};
use crate::helpers::{encode, TestApp};

/// How an app proves who it is at the token and revocation endpoints (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy)]
pub enum Auth<'r> {
    /// `client_secret_basic`: `Authorization: Basic` of the id and secret.
    Basic(&'r str, &'r str),
    /// `client_secret_post`: both in the form.
    Post(&'r str, &'r str),
    /// `client_id` alone in the form: a public app (or a confidential one leaving out its secret).
    IdOnly(&'r str),
}

/// A form POST to `path` from an app's server: no cookie, no browser header.
pub async fn app_post<'a>(
    app: &'a TestApp,
    path: &str,
    auth: Auth<'_>,
    fields: &[(&str, &str)],
) -> LocalResponse<'a> {
    let mut fields: Vec<(&str, &str)> = fields.to_vec();
    let mut request = app.client.post(path.to_owned()).header(ContentType::Form);
    match auth {
        Auth::Basic(id, secret) => {
            let pair = format!("{}:{}", encode(id), encode(secret));
            let value = format!("Basic {}", STANDARD.encode(pair));
            request = request.header(Header::new("Authorization", value));
        }
        Auth::Post(id, secret) => fields.extend([("client_id", id), ("client_secret", secret)]),
        Auth::IdOnly(id) => fields.push(("client_id", id)),
    }
    request.body(form(&fields)).dispatch().await
}

/// A JSON answer's body.
pub async fn json_of(response: LocalResponse<'_>) -> Value {
    let status = response.status();
    assert_eq!(
        response.content_type(),
        Some(ContentType::JSON),
        "not a JSON answer ({status})"
    );
    serde_json::from_str(&response.into_string().await.unwrap()).unwrap()
}

/// `POST /oauth/token`: the status and the JSON answer.
pub async fn token(app: &TestApp, auth: Auth<'_>, fields: &[(&str, &str)]) -> (Status, Value) {
    let response = app_post(app, "/oauth/token", auth, fields).await;
    let status = response.status();
    (status, json_of(response).await)
}

/// `rp` redeems `code` as it should: its redirect URI, [`VERIFIER`], its own credentials.
pub async fn redeem(app: &TestApp, rp: &Rp, code: &str) -> (Status, Value) {
    let fields = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", rp.redirect_uri.as_str()),
        ("code_verifier", VERIFIER),
    ];
    token(app, rp.auth(), &fields).await
}
/// `grant_type=refresh_token` by `rp`.
pub async fn refresh(app: &TestApp, rp: &Rp, refresh_token: &str) -> (Status, Value) {
    let fields = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    token(app, rp.auth(), &fields).await
}

/// The answer to refreshing with `body`'s refresh token, which must be honoured.
pub async fn refreshed(app: &TestApp, rp: &Rp, body: &Value) -> Value {
    let (status, answer) = refresh(app, rp, refresh_token(body)).await;
    assert_eq!(status, Status::Ok, "{answer}");
    answer
}

/// The refresh token of a token answer.
pub fn refresh_token(body: &Value) -> &str {
    body["refresh_token"].as_str().expect("no refresh_token")
}

/// Asserts an RFC 6749 §5.2 error answer.
pub fn assert_token_error(answer: &(Status, Value), status: Status, error: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1["error"], error, "{}", answer.1);
    assert!(answer.1.get("access_token").is_none(), "{}", answer.1);
}

/// `GET /oauth/userinfo` with `access_token` as the Bearer token.
pub async fn userinfo<'a>(app: &'a TestApp, access_token: &str) -> LocalResponse<'a> {
    app.client
        .get("/oauth/userinfo")
        .header(Header::new(
            "Authorization",
            format!("Bearer {access_token}"),
        ))
        .dispatch()
        .await
}

/// Asserts a 401 with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3.1).
pub fn assert_invalid_token(response: &LocalResponse<'_>) {
    assert_eq!(response.status(), Status::Unauthorized);
    let challenge = response.headers().get_one("WWW-Authenticate").unwrap_or("");
    assert!(
        challenge.starts_with("Bearer ") && challenge.contains("error=\"invalid_token\""),
        "{challenge:?}"
    );
}

/// The access token of a token answer.
pub fn access_token(body: &Value) -> &str {
    body["access_token"].as_str().expect("no access_token")
}
