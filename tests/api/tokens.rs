//! Identity tokens: `POST /api/token`, `GET /api/me`, the JWKS, key rotation, and the sibling
//! service of `examples/sibling_service.rs` verifying tokens from the real `gitlogin` binary.
//!
//! The sibling runs in this process (its file is included below as a module) and fetches the
//! JWKS over loopback from the binary: the two talk HTTP as they would in production, and the
//! test needs no `cargo build --example` of its own.

use std::process::Command;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use ring::signature::{Ed25519KeyPair, KeyPair};
use rocket::http::{ContentType, Header as HttpHeader, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use serde_json::{json, Value};

use crate::fake_github::FakeGithub;
use crate::helpers::{random_secret_key, Browser, Store, TestApp, PUBLIC_URL};
use crate::real_server::{
    csrf_token, free_port, gitlogin, no_redirects, sign_in, use_fake, wait_until_answering, Jar,
    Server,
};

#[allow(dead_code)]
#[path = "../../examples/sibling_service.rs"]
mod sibling;

const AUDIENCES: &str = "sibling, billing";

async fn spawn() -> Option<TestApp> {
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

async fn token_for(browser: &Browser<'_>, audience: &str) -> String {
    let csrf = browser.csrf_token().await;
    let response = ask_for_token(browser, &format!("csrf_token={csrf}&audience={audience}")).await;
    assert_eq!(response.status(), Status::Ok);
    json_body(response).await["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn jwks(browser: &Browser<'_>) -> JwkSet {
    let response = browser.get("/.well-known/jwks.json").await;
    assert_eq!(response.status(), Status::Ok);
    serde_json::from_value(json_body(response).await).unwrap()
}

fn kids(set: &JwkSet) -> Vec<String> {
    set.keys
        .iter()
        .map(|k| k.common.key_id.clone().unwrap())
        .collect()
}

/// Checks `token` the way a service would, against `set`: signature, `iss`, `aud`, `exp`.
fn verify(token: &str, set: &JwkSet, audience: &str) -> Result<Value, String> {
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
    let Some(app) = spawn().await else {
        return;
    };
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
    let Some(app) = spawn().await else {
        return;
    };

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
    let Some(app) = spawn().await else {
        return;
    };
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
    let Some(app) = spawn().await else {
        return;
    };
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

#[rocket::async_test]
async fn a_cross_site_post_is_a_403_json_error_even_with_the_right_token() {
    let Some(app) = spawn().await else {
        return;
    };
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
    let Some(app) = spawn().await else {
        return;
    };
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
    let Some(app) = spawn().await else {
        return;
    };
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
    let Some(first) = spawn().await else {
        return;
    };
    let browser = first.browser();
    browser.sign_in(None).await;
    let token = token_for(&browser, "sibling").await;
    let url = first.db_url.clone();

    let Some(second) = TestApp::spawn_with(move |f| {
        f.merge(("token_audiences", AUDIENCES))
            .merge(("databases.gitlogin.url", url))
    })
    .await
    else {
        return;
    };

    let before = jwks(&first.browser()).await;
    let after = jwks(&second.browser()).await;
    assert_eq!(kids(&after), kids(&before));
    assert!(verify(&token, &after, "sibling").is_ok());
    assert_eq!(first.count("signing_keys").await, 1, "one key, kept");
}

#[rocket::async_test]
async fn after_a_rotation_the_old_key_stays_published_until_its_last_token_expired() {
    let Some(first) = spawn().await else {
        return;
    };
    let browser = first.browser();
    browser.sign_in(None).await;
    let old_token = token_for(&browser, "sibling").await;
    let old_kid = kids(&jwks(&browser).await)[0].clone();
    let url = first.db_url.clone();

    let rotated = gitlogin()
        .arg("rotate-key")
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(rotated.status.success(), "{rotated:?}");
    let new_kid = String::from_utf8(rotated.stdout).unwrap().trim().to_owned();
    assert_eq!(
        kids(&jwks(&browser).await),
        [new_kid.clone(), old_kid.clone()],
        "published at once, by the server still signing with the old key too"
    );
    let first_browser = browser;
    // The restart: a server that loads the keys anew.
    let Some(second) = TestApp::spawn_with(move |f| {
        f.merge(("token_audiences", AUDIENCES))
            .merge(("databases.gitlogin.url", url))
    })
    .await
    else {
        return;
    };
    let browser = second.browser();
    browser.sign_in(None).await;
    let new_token = token_for(&browser, "sibling").await;
    let set = jwks(&browser).await;

    assert_ne!(new_kid, old_kid);
    assert_eq!(kids(&set), [new_kid.clone(), old_kid.clone()]);
    let header = jsonwebtoken::decode_header(&new_token).unwrap();
    assert_eq!(header.kid.as_deref(), Some(new_kid.as_str()));
    assert!(verify(&old_token, &set, "sibling").is_ok());
    assert!(verify(&new_token, &set, "sibling").is_ok());
    assert_eq!(
        jwks(&first_browser).await,
        set,
        "every instance publishes the same keys"
    );
    // The server started before the rotation finds its key retired and follows at once.
    let follower = token_for(&first_browser, "sibling").await;
    let header = jsonwebtoken::decode_header(&follower).unwrap();
    assert_eq!(header.kid.as_deref(), Some(new_kid.as_str()));

    // The old server signed until it stopped: its last token expires 5 minutes later.
    second.clock.advance(Duration::from_secs(5 * 60 - 1));
    assert_eq!(kids(&jwks(&browser).await).len(), 2);
    second.clock.advance(Duration::from_secs(1));
    assert_eq!(kids(&jwks(&browser).await), [new_kid]);
}

/// A fresh Ed25519 key, made for this test run only: its PKCS#8 bytes and its public key.
fn test_key() -> (Vec<u8>, Vec<u8>) {
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

fn pem_of(der: &[u8]) -> String {
    pem::encode(&pem::Pem::new("PRIVATE KEY", der.to_vec()))
}

#[rocket::async_test]
async fn a_signing_key_setting_is_used_instead_of_the_store() {
    let (der, public) = test_key();
    let setting = pem_of(&der);
    let Some(app) = TestApp::spawn_with(move |f| {
        f.merge(("token_audiences", AUDIENCES))
            .merge(("signing_key", setting))
    })
    .await
    else {
        return;
    };
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

// The real binary, and the sibling service.

/// A running `gitlogin` (killed when dropped) and its address.
struct Running {
    _process: Server,
    base: String,
}

/// Where one `gitlogin` lives across restarts: its port, store and secret key.
struct Deployment {
    port: u16,
    /// The suite's store (`crate::STORE`): a SQLite file in `dir`, or a PostgreSQL database.
    database_url: String,
    dir: tempfile::TempDir,
    secret_key: String,
    github: FakeGithub,
    signing_key: Option<String>,
}

impl Deployment {
    async fn new(signing_key: Option<String>) -> Option<Deployment> {
        let (database_url, dir) = crate::STORE.create().await?;
        Some(Deployment {
            port: free_port(),
            database_url,
            dir,
            secret_key: random_secret_key(),
            github: FakeGithub::start().await,
            signing_key,
        })
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn command(&self) -> Command {
        let mut cmd = gitlogin();
        cmd.env("DATABASE_URL", &self.database_url)
            .env("ROCKET_SECRET_KEY", &self.secret_key)
            .env("ROCKET_PORT", self.port.to_string())
            .env("PUBLIC_URL", self.base())
            .env("TOKEN_AUDIENCES", "sibling,other");
        use_fake(&mut cmd, &self.github);
        if let Some(key) = &self.signing_key {
            cmd.env("SIGNING_KEY", key);
        }
        cmd
    }

    /// Starts the server, its output in `server.log`, and waits until it answers.
    async fn start(&self) -> Running {
        let log_path = self.dir.path().join("server.log");
        let log = std::fs::File::create(&log_path).unwrap();
        let child = self
            .command()
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let running = Running {
            _process: Server(child),
            base: self.base(),
        };
        wait_until_answering(&running.base, &log_path).await;
        running
    }

    fn rotate_key(&self) -> std::process::Output {
        self.command().arg("rotate-key").output().unwrap()
    }
}

/// Signs in through the fake GitHub, as a browser would; returns the browser's cookies.
async fn signed_in(server: &Running) -> Jar {
    let mut jar = Jar::default();
    let response = sign_in(&no_redirects(), &server.base, "/login", &mut jar).await;
    assert_eq!(response.status(), 303);
    jar
}

/// What a page of the site does: read the CSRF field, then `POST /api/token`.
async fn request_token(server: &Running, jar: &Jar, audience: &str) -> String {
    let http = no_redirects();
    let csrf = csrf_token(&http, &server.base, jar).await;
    let response = http
        .post(format!("{}/api/token", server.base))
        .header("cookie", jar.header())
        .form(&[("csrf_token", csrf.as_str()), ("audience", audience)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

async fn published_kids(server: &Running) -> Vec<String> {
    let set: JwkSet = reqwest::get(format!("{}/.well-known/jwks.json", server.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    kids(&set)
}

/// The sibling service for `gitlogin` at `base`, in this process, fetching the JWKS from it
/// over loopback. No refetch delay, so that a rotation shows up at once.
async fn sibling_for(base: &str) -> Client {
    let settings = sibling::Settings {
        issuer: base.to_owned(),
        jwks_url: format!("{base}/.well-known/jwks.json"),
        audience: "sibling".into(),
        refetch_after: Duration::ZERO,
    };
    let quiet = rocket::Config::figment().merge(("log_level", "off"));
    Client::untracked(sibling::app(settings).configure(quiet))
        .await
        .unwrap()
}

/// The sibling's status and body for a request with `authorization`.
async fn call(sibling: &Client, authorization: Option<&str>) -> (Status, String) {
    let mut request = sibling.get("/");
    if let Some(value) = authorization {
        request = request.header(HttpHeader::new("Authorization", value.to_owned()));
    }
    let response = request.dispatch().await;
    (response.status(), response.into_string().await.unwrap())
}

async fn call_with(sibling: &Client, token: &str) -> (Status, String) {
    call(sibling, Some(&format!("Bearer {token}"))).await
}

/// A token signed with `der`, naming `kid`, with these claims.
fn craft(der: &[u8], kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(der)).unwrap()
}

fn now() -> i64 {
    jsonwebtoken::get_current_timestamp() as i64
}

#[rocket::async_test]
async fn the_sibling_service_greets_a_valid_token_and_refuses_every_bad_one() {
    // The deployment's key comes from SIGNING_KEY, so this test can also sign with it.
    let (der, _) = test_key();
    let Some(deployment) = Deployment::new(Some(pem_of(&der))).await else {
        return;
    };
    let server = deployment.start().await;
    let jar = signed_in(&server).await;
    let token = request_token(&server, &jar, "sibling").await;
    let for_other = request_token(&server, &jar, "other").await;
    let kid = published_kids(&server).await[0].clone();
    let sibling = sibling_for(&server.base).await;
    let claims = |exp: i64, iss: &str| {
        json!({ "iss": iss, "sub": "583231", "aud": "sibling", "login": "octocat",
                "github_id": 583231, "iat": exp - 300, "exp": exp })
    };
    let (other_der, _) = test_key();
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    parts[1] = URL_SAFE_NO_PAD.encode(payload.replace("octocat", "mallory"));
    let tampered = parts.join(".");
    let alg_none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({ "alg": "none", "typ": "JWT", "kid": kid }).to_string()),
        URL_SAFE_NO_PAD.encode(claims(now() + 300, &server.base).to_string()),
    );

    assert_eq!(
        call_with(&sibling, &token).await,
        (Status::Ok, "hello, octocat".into())
    );
    let refused: [(&str, (Status, String), &str); 10] = [
        ("no header", call(&sibling, None).await, "Bearer"),
        (
            "another scheme",
            call(&sibling, Some(&format!("Basic {token}"))).await,
            "Bearer",
        ),
        ("garbage", call_with(&sibling, "abc.def").await, "EdDSA"),
        ("alg none", call_with(&sibling, &alg_none).await, "EdDSA"),
        (
            "tampered",
            call_with(&sibling, &tampered).await,
            "signature",
        ),
        (
            "another audience",
            call_with(&sibling, &for_other).await,
            "another service",
        ),
        (
            "expired",
            call_with(
                &sibling,
                &craft(&der, &kid, &claims(now() - 600, &server.base)),
            )
            .await,
            "expired",
        ),
        (
            "another issuer",
            call_with(
                &sibling,
                &craft(&der, &kid, &claims(now() + 300, "http://evil.example")),
            )
            .await,
            "not issued",
        ),
        (
            "another key, our kid",
            call_with(
                &sibling,
                &craft(&other_der, &kid, &claims(now() + 300, &server.base)),
            )
            .await,
            "signature",
        ),
        (
            "another key, its own kid",
            call_with(
                &sibling,
                &craft(&other_der, "mine", &claims(now() + 300, &server.base)),
            )
            .await,
            "does not publish",
        ),
    ];
    for (what, (status, body), why) in refused {
        assert_eq!(status, Status::Unauthorized, "{what}: {body}");
        assert!(body.contains(why), "{what}: {body}");
    }
    // The real token still works: none of the above poisoned the sibling's key cache.
    assert_eq!(call_with(&sibling, &token).await.0, Status::Ok);
}

/// GHSA-h395-gr6q-cpjc (CVE-2026-25537): jsonwebtoken before 10.3 skipped an `exp` of the
/// wrong JSON type instead of refusing it, unless the claim was marked required, so a token
/// whose `exp` is a string never expired. Two locks hold it shut: the example marks `exp`
/// required, and 10.3 refuses the wrong type anyway. With only one (9.3.1 and `exp` not
/// required), the sibling greeted this token.
#[rocket::async_test]
async fn the_sibling_service_refuses_a_token_whose_exp_is_a_string() {
    // Signed with the deployment's own key, so only the claim's type is wrong.
    let (der, _) = test_key();
    let Some(deployment) = Deployment::new(Some(pem_of(&der))).await else {
        return;
    };
    let server = deployment.start().await;
    let kid = published_kids(&server).await[0].clone();
    let sibling = sibling_for(&server.base).await;
    let claims = |exp: Value| {
        json!({ "iss": server.base, "sub": "583231", "aud": "sibling", "login": "octocat",
                "github_id": 583231, "iat": now(), "exp": exp })
    };
    let sound = craft(&der, &kid, &claims(json!(now() + 300)));
    let never_expiring = craft(&der, &kid, &claims(json!("9999999999")));

    let refused = call_with(&sibling, &never_expiring).await;

    assert_eq!(
        refused,
        (Status::Unauthorized, "the token is malformed".into())
    );
    // The same token with a numeric `exp` is greeted: the type alone was refused.
    assert_eq!(
        call_with(&sibling, &sound).await,
        (Status::Ok, "hello, octocat".into())
    );
}

#[rocket::async_test]
async fn restarts_keep_the_key_and_tokens_signed_before_a_rotation_keep_verifying() {
    let Some(deployment) = Deployment::new(None).await else {
        return;
    };
    let server = deployment.start().await;
    let jar = signed_in(&server).await;
    let old_token = request_token(&server, &jar, "sibling").await;
    let old_kids = published_kids(&server).await;
    let sibling = sibling_for(&server.base).await;
    assert_eq!(call_with(&sibling, &old_token).await.0, Status::Ok);

    drop(server);
    let server = deployment.start().await;
    assert_eq!(
        published_kids(&server).await,
        old_kids,
        "a restart keeps it"
    );

    drop(server);
    let rotated = deployment.rotate_key();
    assert!(rotated.status.success(), "{rotated:?}");
    let new_kid = String::from_utf8(rotated.stdout).unwrap().trim().to_owned();
    let server = deployment.start().await;
    let new_token = request_token(&server, &jar, "sibling").await;

    assert_eq!(
        published_kids(&server).await,
        [new_kid.clone(), old_kids[0].clone()]
    );
    let header = jsonwebtoken::decode_header(&new_token).unwrap();
    assert_eq!(header.kid, Some(new_kid));
    // The same sibling: it has only the old key cached, and fetches the new one when asked.
    assert_eq!(
        call_with(&sibling, &old_token).await,
        (Status::Ok, "hello, octocat".into())
    );
    assert_eq!(
        call_with(&sibling, &new_token).await,
        (Status::Ok, "hello, octocat".into())
    );
}

#[rocket::async_test]
async fn rotate_key_refuses_when_the_key_comes_from_signing_key() {
    let (der, _) = test_key();
    let Some(deployment) = Deployment::new(Some(pem_of(&der))).await else {
        return;
    };

    let output = deployment.rotate_key();

    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("SIGNING_KEY is set"), "says why: {stderr}");
    // Not even migrated: the store was never opened.
    match crate::STORE {
        Store::Sqlite => assert!(
            deployment.dir.path().read_dir().unwrap().next().is_none(),
            "no SQLite file was created"
        ),
        Store::Postgres => {
            let mut conn =
                <sqlx::PgConnection as sqlx::Connection>::connect(&deployment.database_url)
                    .await
                    .unwrap();
            let tables: i64 =
                sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
            assert_eq!(tables, 0, "no table was created");
        }
    }
}

#[rocket::async_test]
async fn an_unreadable_signing_key_stops_start_up_naming_it() {
    let Some(deployment) = Deployment::new(Some("not a key".into())).await else {
        return;
    };

    let output = deployment.command().output().unwrap();

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("SIGNING_KEY"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
}
