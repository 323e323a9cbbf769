//! Identity tokens through HTTP: `POST /api/token`, `GET /api/me`, the JWKS, key rotation and
//! `SIGNING_KEY`. The real binary and the sibling service that verifies its tokens are in
//! `sibling.rs`.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use ring::signature::{Ed25519KeyPair, KeyPair};
use rocket::http::{ContentType, Header as HttpHeader, Status};
use rocket::local::asynchronous::LocalResponse;
use serde_json::{json, Value};

use crate::helpers::{Browser, TestApp, PUBLIC_URL};
use crate::real_server::gitlogin;

pub const AUDIENCES: &str = "sibling, billing";
/// How long an instance believes the signing keys it read from the store, the JWKS included.
const KEYS_REREAD_SECS: u64 = 10;

async fn spawn() -> TestApp {
    TestApp::spawn_with(|f| f.merge(("token_audiences", AUDIENCES))).await
}

async fn json_body(response: LocalResponse<'_>) -> Value {
    assert_eq!(response.content_type(), Some(ContentType::JSON));
    serde_json::from_str(&response.into_string().await.unwrap()).unwrap()
}

/// `POST /api/token` as this site's own page would send it.
async fn ask_for_token<'a>(browser: &Browser<'a>, body: &str) -> LocalResponse<'a> {
    browser.post_form("/api/token", body).await
}

pub async fn token_for(browser: &Browser<'_>, audience: &str) -> String {
    let csrf = browser.csrf_token().await;
    let response = ask_for_token(browser, &format!("csrf_token={csrf}&audience={audience}")).await;
    assert_eq!(response.status(), Status::Ok);
    json_body(response).await["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub async fn jwks(browser: &Browser<'_>) -> JwkSet {
    let response = browser.get("/.well-known/jwks.json").await;
    assert_eq!(response.status(), Status::Ok);
    serde_json::from_value(json_body(response).await).unwrap()
}

pub fn kids(set: &JwkSet) -> Vec<String> {
    set.keys
        .iter()
        .map(|k| k.common.key_id.clone().unwrap())
        .collect()
}

/// Checks `token` the way a service would, against `set`: signature, `iss`, `aud`, `exp`.
pub fn verify(token: &str, set: &JwkSet, audience: &str) -> Result<Value, String> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
    let kid = header.kid.ok_or("no kid")?;
    let jwk = set.find(&kid).ok_or("kid not in the JWKS")?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[PUBLIC_URL]);
    validation.set_audience(&[audience]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .map(|data| data.claims)
        .map_err(|e| e.to_string())
}

/// Every row that matters, so that a test can show a request wrote nothing.
async fn store_contents(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT 'session ' || id_hash || ' ' || last_seen_at || ' ' || expires_at FROM sessions
         UNION ALL SELECT 'user ' || github_id || ' ' || updated_at FROM users
         UNION ALL SELECT 'key ' || kid || ' ' || coalesce(CAST(retired_at AS TEXT), '-') FROM signing_keys",
    )
    .fetch_all(&app.db)
    .await
    .unwrap()
}

#[rocket::async_test]
async fn a_token_names_the_user_and_audience_and_verifies_against_the_jwks() {
    let app = spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;
    let before = store_contents(&app).await;

    let issued_after = app.clock.now();
    let token = token_for(&browser, "sibling").await;
    let issued_before = app.clock.now();
    let second = token_for(&browser, "sibling").await;
    let set = jwks(&app.browser()).await;

    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);
    assert_eq!(header.kid, Some(kids(&set)[0].clone()));
    // Its own type (RFC 8725 §3.11): no reader of ID tokens takes it for one.
    assert_eq!(header.typ.as_deref(), Some("gitlogin-identity+jwt"));
    let claims = verify(&token, &set, "sibling").unwrap();
    assert_eq!(claims["iss"], PUBLIC_URL);
    assert_eq!(claims["sub"], "583231");
    assert_eq!(claims["aud"], "sibling");
    assert_eq!(claims["github_id"], 583231);
    assert_eq!(claims["login"], "octocat");
    assert_eq!(claims["name"], "The Octocat");
    assert_eq!(claims["email"], "octocat@github.example");
    let iat = claims["iat"].as_i64().unwrap();
    assert!((issued_after..=issued_before).contains(&iat));
    assert_eq!(claims["exp"].as_i64().unwrap(), iat + 5 * 60);
    let jti = claims["jti"].as_str().unwrap();
    assert!(jti.len() >= 32);
    assert_ne!(jti, verify(&second, &set, "sibling").unwrap()["jti"]);
    assert!(
        verify(&token, &set, "billing").is_err(),
        "aud is the one asked for"
    );
    assert_eq!(store_contents(&app).await, before, "issuing wrote nothing");
}

#[rocket::async_test]
async fn the_jwks_publishes_one_public_ed25519_key_and_no_private_part() {
    let app = spawn().await;

    let response = app.browser().get("/.well-known/jwks.json").await;

    assert_eq!(response.status(), Status::Ok);
    let body = json_body(response).await;
    let keys = body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let key = keys[0].as_object().unwrap();
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert_eq!(key["alg"], "EdDSA");
    assert_eq!(key["use"], "sig");
    assert!(!key["kid"].as_str().unwrap().is_empty());
    let x = URL_SAFE_NO_PAD.decode(key["x"].as_str().unwrap()).unwrap();
    assert_eq!(x.len(), 32);
    assert!(!key.contains_key("d"), "the private key is never published");
    assert_eq!(app.count("signing_keys").await, 1);
}

#[rocket::async_test]
async fn an_audience_that_is_not_configured_is_a_400_json_error() {
    let app = spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;
    let csrf = browser.csrf_token().await;
    let before = store_contents(&app).await;

    for audience in ["&audience=elsewhere", "&audience=SIBLING", "&audience=", ""] {
        let response = ask_for_token(&browser, &format!("csrf_token={csrf}{audience}")).await;

        assert_eq!(response.status(), Status::BadRequest, "{audience:?}");
        let body = json_body(response).await;
        assert_eq!(body["error"], "unknown_audience");
        assert!(body.get("token").is_none());
    }
    assert_eq!(store_contents(&app).await, before);
}

#[rocket::async_test]
async fn a_missing_or_wrong_csrf_token_is_a_403_json_error() {
    let app = spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;
    let other = app.browser();
    other.sign_in(None).await;
    let others_csrf = other.csrf_token().await;
    let before = store_contents(&app).await;

    for body in [
        "audience=sibling".to_owned(),
        "csrf_token=&audience=sibling".to_owned(),
        "csrf_token=wrong&audience=sibling".to_owned(),
        format!("csrf_token={others_csrf}&audience=sibling"),
    ] {
        let response = ask_for_token(&browser, &body).await;

        assert_eq!(response.status(), Status::Forbidden, "{body:?}");
        let json = json_body(response).await;
        assert_eq!(json["error"], "forbidden");
        assert!(json.get("token").is_none());
    }
    assert_eq!(store_contents(&app).await, before);
}

/// A program reads `error` to decide what to do: a request it got wrong is its own to fix
/// (`bad_request`), never taken for gitlogin failing (`internal`), whatever its 4xx status.
#[rocket::async_test]
async fn a_body_too_large_to_read_is_a_413_bad_request_json_error() {
    let app = spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;
    let csrf = browser.csrf_token().await;
    let before = store_contents(&app).await;

    let audience = "a".repeat(100_000);
    let response = ask_for_token(&browser, &format!("csrf_token={csrf}&audience={audience}")).await;

    assert_eq!(response.status(), Status::PayloadTooLarge);
    let json = json_body(response).await;
    assert_eq!(json["error"], "bad_request");
    assert!(json.get("token").is_none());
    assert_eq!(store_contents(&app).await, before);
}

#[rocket::async_test]
async fn a_cross_site_post_is_a_403_json_error_even_with_the_right_token() {
    let app = spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;
    let csrf = browser.csrf_token().await;

    for (header, value) in [
        ("Origin", "https://evil.example"),
        ("Sec-Fetch-Site", "cross-site"),
    ] {
        let request = app
            .client
            .post("/api/token")
            .header(ContentType::Form)
            .header(HttpHeader::new(header, value))
            .body(format!("csrf_token={csrf}&audience=sibling"));
        let response = browser.send(request).await;

        assert_eq!(response.status(), Status::Forbidden, "{header}: {value}");
        assert_eq!(json_body(response).await["error"], "forbidden");
    }
}

#[rocket::async_test]
async fn without_a_session_the_api_answers_401_json_and_never_redirects() {
    let app = spawn().await;
    let visitor = app.browser();

    let me = visitor.get("/api/me").await;
    let token = ask_for_token(&visitor, "csrf_token=anything&audience=sibling").await;

    for response in [me, token] {
        assert_eq!(response.status(), Status::Unauthorized);
        assert!(response.headers().get_one("Location").is_none());
        assert_eq!(json_body(response).await["error"], "unauthorized");
    }
    let missing = visitor.get("/api/nothing-here").await;
    assert_eq!(missing.status(), Status::NotFound);
    assert_eq!(json_body(missing).await["error"], "not_found");
    assert_eq!(app.count("sessions").await, 0);
}

#[rocket::async_test]
async fn api_me_is_the_signed_in_user_as_json() {
    let app = spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;

    let response = browser.get("/api/me").await;

    assert_eq!(response.status(), Status::Ok);
    assert_eq!(
        json_body(response).await,
        json!({
            "github_id": 583231,
            "login": "octocat",
            "name": "The Octocat",
            "email": "octocat@github.example",
            "avatar_url": "https://avatars.githubusercontent.com/u/583231?v=4",
        })
    );
}

#[rocket::async_test]
async fn a_second_start_on_the_same_store_signs_with_the_same_key() {
    let first = spawn().await;
    let browser = first.browser();
    browser.sign_in(None).await;
    let token = token_for(&browser, "sibling").await;
    let url = first.db_url.clone();

    let second = TestApp::spawn_with(move |f| {
        f.merge(("token_audiences", AUDIENCES))
            .merge(("databases.gitlogin.url", url))
    })
    .await;

    let before = jwks(&first.browser()).await;
    let after = jwks(&second.browser()).await;
    assert_eq!(kids(&after), kids(&before));
    assert!(verify(&token, &after, "sibling").is_ok());
    assert_eq!(first.count("signing_keys").await, 1, "one key, kept");
}

/// `rotate-key --now` (`key_rotation.rs` has the schedule and the day's notice): every
/// instance publishes the new key when it next reads its keys from the store, 10 seconds
/// after the last read, and signs with it within a minute, without a restart; and the old
/// key stays published until its last token has expired.
#[rocket::async_test]
async fn after_a_rotation_the_old_key_stays_published_until_its_last_token_expired() {
    let first = spawn().await;
    let browser = first.browser();
    browser.sign_in(None).await;
    let old_token = token_for(&browser, "sibling").await;
    let old_kid = kids(&jwks(&browser).await)[0].clone();
    let url = first.db_url.clone();
    let second = TestApp::spawn_with_clock(first.clock.clone(), move |f| {
        f.merge(("token_audiences", AUDIENCES))
            .merge(("databases.gitlogin.url", url))
    })
    .await;
    let other_browser = second.browser();
    other_browser.sign_in(None).await;

    let rotated = gitlogin()
        .args(["rotate-key", "--now"])
        .env("DATABASE_URL", &first.db_url)
        .output()
        .unwrap();
    assert!(rotated.status.success(), "{rotated:?}");
    let new_kid = String::from_utf8(rotated.stdout).unwrap().trim().to_owned();
    // The keys were read for the first token, at this second.
    first
        .clock
        .advance(Duration::from_secs(KEYS_REREAD_SECS - 1));
    assert_eq!(
        kids(&jwks(&browser).await),
        std::slice::from_ref(&old_kid),
        "not read yet"
    );
    first.clock.advance(Duration::from_secs(1));
    assert_eq!(
        kids(&jwks(&browser).await),
        [new_kid.clone(), old_kid.clone()],
        "published once the keys are read again"
    );
    // The command's clock is the wall clock, a little ahead of the frozen test clock.
    let retired: i64 = sqlx::query_scalar("SELECT retired_at FROM signing_keys WHERE kid = $1")
        .bind(&old_kid)
        .fetch_one(&first.db)
        .await
        .unwrap();
    first.clock.advance(Duration::from_secs(
        (retired + 60 - first.clock.now()) as u64,
    ));
    let new_token = token_for(&browser, "sibling").await;
    let follower = token_for(&other_browser, "sibling").await;
    let set = jwks(&browser).await;

    assert_ne!(new_kid, old_kid);
    assert_eq!(kids(&set), [new_kid.clone(), old_kid.clone()]);
    for token in [&new_token, &follower] {
        let header = jsonwebtoken::decode_header(token).unwrap();
        assert_eq!(header.kid.as_deref(), Some(new_kid.as_str()));
        assert!(verify(token, &set, "sibling").is_ok());
    }
    assert!(verify(&old_token, &set, "sibling").is_ok());
    assert_eq!(
        jwks(&other_browser).await,
        set,
        "every instance publishes the same keys"
    );

    // The old key's last token, signed at most 10 seconds after its retirement by an
    // instance that had not read it yet, expires at most 10 minutes later.
    first
        .clock
        .advance(Duration::from_secs(10 * 60 + 10 - 60 - 1));
    assert_eq!(kids(&jwks(&browser).await).len(), 2);
    first.clock.advance(Duration::from_secs(1));
    assert_eq!(kids(&jwks(&browser).await), [new_kid]);
}

/// A fresh Ed25519 key, made for this test run only: its PKCS#8 bytes and its public key.
pub fn test_key() -> (Vec<u8>, Vec<u8>) {
    let rng = ring::rand::SystemRandom::new();
    let der = Ed25519KeyPair::generate_pkcs8(&rng)
        .unwrap()
        .as_ref()
        .to_vec();
    let public = Ed25519KeyPair::from_pkcs8(&der)
        .unwrap()
        .public_key()
        .as_ref()
        .to_vec();
    (der, public)
}

pub fn pem_of(der: &[u8]) -> String {
    pem::encode(&pem::Pem::new("PRIVATE KEY", der.to_vec()))
}

#[rocket::async_test]
async fn a_signing_key_setting_is_used_instead_of_the_store() {
    let (der, public) = test_key();
    let setting = pem_of(&der);
    let app = TestApp::spawn_with(move |f| {
        f.merge(("token_audiences", AUDIENCES))
            .merge(("signing_key", setting))
    })
    .await;
    let browser = app.browser();
    browser.sign_in(None).await;

    let token = token_for(&browser, "sibling").await;
    let set = jwks(&browser).await;

    assert_eq!(set.keys.len(), 1);
    let published = serde_json::to_value(&set.keys[0]).unwrap();
    assert_eq!(published["x"], URL_SAFE_NO_PAD.encode(&public));
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_audience(&["sibling"]);
    let ours = DecodingKey::from_ed_der(&public);
    assert!(jsonwebtoken::decode::<Value>(&token, &ours, &validation).is_ok());
    assert_eq!(app.count("signing_keys").await, 0, "nothing generated");
}
