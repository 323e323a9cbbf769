//! Service accounts (`client_credentials`, RFC 6749 §4.4) and introspection (RFC 7662): a
//! service gets a JWT access token (RFC 9068) for an API that accepts it, with the scopes
//! granted to it; the API verifies it with the JWKS, or asks introspection, which answers
//! only the API the token is for.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rocket::http::Status;
use serde_json::{json, Value};

use super::add;
use crate::helpers::{TestApp, PUBLIC_URL};
use crate::provider::{app_post, assert_token_error, json_of, token, Auth};

pub const DATA: &str = "https://data.example/v1";

/// An app's credentials as `apps add --json` printed them.
pub struct Creds {
    pub id: String,
    pub secret: String,
}

impl Creds {
    pub fn auth(&self) -> Auth<'_> {
        Auth::Basic(&self.id, &self.secret)
    }
}

/// `apps add ARGS…` on `app`'s store, for a confidential app.
pub fn register(app: &TestApp, args: &[&str]) -> Creds {
    let (id, secret) = add(&app.db_url, args);
    Creds {
        id,
        secret: secret.expect("a confidential app"),
    }
}

/// The `billing` service and the `data` API, which accepts it and grants it `read`; `write`
/// goes to a team only, `admin` to everyone the API admits and every service it accepts.
pub struct Services {
    pub billing: Creds,
    pub data: Creds,
}

pub fn services(app: &TestApp) -> Services {
    let billing = register(app, &["billing", "--service"]);
    let data = register(
        app,
        &[
            "data",
            "--api",
            DATA,
            "--scope",
            "read",
            "--scope",
            "write",
            "--scope",
            "admin",
            "--grant-service",
            "read=billing",
            "--grant-team",
            "write=acme/ops",
            "--accept",
            "billing",
        ],
    );
    Services { billing, data }
}

/// `client_credentials` by `auth`, with `fields` added.
pub async fn service_token(
    app: &TestApp,
    auth: Auth<'_>,
    fields: &[(&str, &str)],
) -> (Status, Value) {
    let mut all = vec![("grant_type", "client_credentials")];
    all.extend_from_slice(fields);
    token(app, auth, &all).await
}

/// `POST /oauth/introspect` of `token` by `auth`: the status and the JSON answer.
pub async fn introspect(app: &TestApp, auth: Auth<'_>, token: &str) -> (Status, Value) {
    let response = app_post(app, "/oauth/introspect", auth, &[("token", token)]).await;
    let status = response.status();
    assert_eq!(
        response.headers().get_one("Cache-Control"),
        Some("no-store")
    );
    (status, json_of(response).await)
}

/// The claims of `jwt`, verified as an API does: signature with a key of the JWKS, RS256,
/// `typ: at+jwt`, the issuer and the audience `aud`.
pub async fn verified(app: &TestApp, jwt: &str, aud: &str) -> Value {
    let header = jsonwebtoken::decode_header(jwt).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(header.alg, Algorithm::RS256);
    let jwks: JwkSet =
        serde_json::from_value(json_of(app.browser().get("/.well-known/jwks.json").await).await)
            .unwrap();
    let jwk = jwks
        .find(&header.kid.unwrap())
        .expect("its key is published");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[PUBLIC_URL]);
    validation.set_audience(&[aud]);
    let key = DecodingKey::from_jwk(jwk).unwrap();
    jsonwebtoken::decode::<Value>(jwt, &key, &validation)
        .unwrap()
        .claims
}

#[rocket::async_test]
async fn a_service_gets_a_jwt_for_an_api_that_accepts_it_with_the_scopes_granted_to_it() {
    let app = TestApp::spawn().await;
    let s = services(&app);

    let (status, body) = service_token(&app, s.billing.auth(), &[("resource", DATA)]).await;

    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 600);
    assert_eq!(body["scope"], "admin read");
    assert!(
        body.get("refresh_token").is_none() && body.get("id_token").is_none(),
        "{body}"
    );
    let claims = verified(&app, body["access_token"].as_str().unwrap(), DATA).await;
    assert_eq!(claims["iss"], PUBLIC_URL);
    assert_eq!(claims["aud"], DATA);
    assert_eq!(claims["sub"], s.billing.id);
    assert_eq!(claims["client_id"], s.billing.id);
    assert_eq!(claims["scope"], "admin read");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        600
    );
    assert_eq!(claims["iat"], app.clock.now());
    assert!(claims["jti"].as_str().is_some_and(|jti| jti.len() >= 43));
    for person in [
        "auth_time",
        "groups",
        "email",
        "preferred_username",
        "nonce",
    ] {
        assert!(
            claims.get(person).is_none(),
            "{person} in a service's token"
        );
    }
    // Asked for less, it gets less; asked for a scope not granted to it, it goes without.
    let narrower = [("resource", DATA), ("scope", "write read")];
    let (status, body) = service_token(&app, s.billing.auth(), &narrower).await;
    assert_eq!(
        (status, &body["scope"]),
        (Status::Ok, &json!("read")),
        "{body}"
    );
}

#[rocket::async_test]
async fn a_public_app_using_client_credentials_is_unauthorized_client() {
    let app = TestApp::spawn().await;
    let s = services(&app);
    let spa = public_app(&app);
    let web = register(&app, &["web", "--redirect-uri", "https://web.example/cb"]);
    for name in ["spa", "web"] {
        let output = super::gitlogin_on(&app.db_url, &["apps", "accept", "data", name], &[]);
        assert!(output.status.success());
    }

    let public = service_token(&app, Auth::IdOnly(&spa), &[("resource", DATA)]).await;
    let not_a_service = service_token(&app, web.auth(), &[("resource", DATA)]).await;

    assert_token_error(&public, Status::BadRequest, "unauthorized_client");
    assert_token_error(&not_a_service, Status::BadRequest, "unauthorized_client");
    let wrong_secret = service_token(
        &app,
        Auth::Basic(&s.billing.id, "nope"),
        &[("resource", DATA)],
    )
    .await;
    assert_token_error(&wrong_secret, Status::Unauthorized, "invalid_client");
    assert_eq!(api_tokens(&app).await, 0);
}

#[rocket::async_test]
async fn a_token_for_an_api_that_does_not_accept_the_service_is_invalid_target() {
    let app = TestApp::spawn().await;
    let s = services(&app);
    register(
        &app,
        &[
            "ledger",
            "--api",
            "https://ledger.example",
            "--scope",
            "read",
        ],
    );

    let cases: [&[(&str, &str)]; 5] = [
        &[("resource", "https://ledger.example")],
        &[("resource", "https://nowhere.example")],
        &[("resource", "https://data.example/v1/")],
        &[],
        &[("resource", DATA), ("resource", "https://ledger.example")],
    ];
    for fields in cases {
        let answer = service_token(&app, s.billing.auth(), fields).await;
        assert_token_error(&answer, Status::BadRequest, "invalid_target");
    }
    let undeclared = [("resource", DATA), ("scope", "read delete")];
    let answer = service_token(&app, s.billing.auth(), &undeclared).await;
    assert_token_error(&answer, Status::BadRequest, "invalid_scope");
    assert_eq!(api_tokens(&app).await, 0);
}

#[rocket::async_test]
async fn access_token_lifetime_sets_how_long_a_jwt_lives() {
    let app = TestApp::spawn_with(|f| f.merge(("access_token_lifetime", "45s"))).await;
    let s = services(&app);

    let (_, body) = service_token(&app, s.billing.auth(), &[("resource", DATA)]).await;

    assert_eq!(body["expires_in"], 45);
    let claims = verified(&app, body["access_token"].as_str().unwrap(), DATA).await;
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        45
    );
}

/// `spa`, a public app: its `client_id`.
pub fn public_app(app: &TestApp) -> String {
    let args = [
        "spa",
        "--public",
        "--redirect-uri",
        "https://spa.example/cb",
    ];
    add(&app.db_url, &args).0
}

pub async fn api_tokens(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM api_tokens")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[rocket::async_test]
async fn a_grant_row_gitlogin_cannot_read_withholds_its_scope_rather_than_opening_it() {
    let app = TestApp::spawn().await;
    let s = services(&app);
    sqlx::query(
        "INSERT INTO api_scope_grants (api_id, scope, kind, value)
         SELECT app_id, 'admin', 'a-kind-from-elsewhere', 'x' FROM apis",
    )
    .execute(&app.db)
    .await
    .unwrap();

    let (status, body) = service_token(&app, s.billing.auth(), &[("resource", DATA)]).await;

    assert_eq!(
        (status, &body["scope"]),
        (Status::Ok, &json!("read")),
        "{body}"
    );
}
