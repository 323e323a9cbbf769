//! The sibling service of `examples/sibling_service.rs` verifying tokens from the real
//! `gitlogin` binary: restarts, rotations, `SIGNING_KEY`, and every bad token it refuses.
//!
//! The sibling runs in this process (its file is included below as a module) and fetches the
//! JWKS over loopback from the binary: the two talk HTTP as they would in production, and the
//! test needs no `cargo build --example` of its own.

use std::process::Command;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rocket::http::{Header as HttpHeader, Status};
use rocket::local::asynchronous::Client;
use serde_json::{json, Value};

use crate::helpers::{assert_refuses_to_start, random_secret_key, Store};
use crate::real_server::{
    csrf_token, free_port, gitlogin, sign_in, use_fake, wait_until_answering, Browser, Server,
};
use gitlogin::github::fake::FakeGithub;

#[allow(dead_code)]
#[path = "../../examples/sibling_service.rs"]
mod example;

use crate::tokens::{kids, pem_of, test_key};

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
    async fn new(signing_key: Option<String>) -> Deployment {
        let (database_url, dir) = crate::STORE.create().await;
        Deployment {
            port: free_port(),
            database_url,
            dir,
            secret_key: random_secret_key(),
            github: crate::helpers::fake_github().await,
            signing_key,
        }
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
        // At once: the restarted server is to sign with it, not a day later.
        self.command()
            .args(["rotate-key", "--now"])
            .output()
            .unwrap()
    }
}

/// Signs in through the fake GitHub; returns the browser, signed in.
async fn signed_in(server: &Running) -> Browser {
    let browser = Browser::new();
    let response = sign_in(&browser, &server.base, "/login").await;
    assert_eq!(response.status(), 303);
    browser
}

/// What a page of the site does: read the CSRF field, then `POST /api/token`.
async fn request_token(server: &Running, browser: &Browser, audience: &str) -> String {
    let csrf = csrf_token(browser, &server.base).await;
    let response = browser
        .http
        .post(format!("{}/api/token", server.base))
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
    let settings = example::Settings {
        issuer: base.to_owned(),
        jwks_url: format!("{base}/.well-known/jwks.json"),
        audience: "sibling".into(),
        refetch_after: Duration::ZERO,
    };
    let quiet = rocket::Config::figment().merge(("log_level", "off"));
    Client::untracked(example::app(settings).configure(quiet))
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

/// An identity token signed with `der`, naming `kid`, with these claims.
fn craft(der: &[u8], kid: &str, claims: &Value) -> String {
    craft_typed(der, kid, Some(example::IDENTITY_TYP), claims)
}

/// A token signed with `der`, naming `kid`, with this `typ` in its header and these claims.
fn craft_typed(der: &[u8], kid: &str, typ: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    header.typ = typ.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(der)).unwrap()
}

fn now() -> i64 {
    jsonwebtoken::get_current_timestamp() as i64
}

#[rocket::async_test]
async fn the_sibling_service_greets_a_valid_token_and_refuses_every_bad_one() {
    // The deployment's key comes from SIGNING_KEY, so this test can also sign with it.
    let (der, _) = test_key();
    let deployment = Deployment::new(Some(pem_of(&der))).await;
    let server = deployment.start().await;
    let browser = signed_in(&server).await;
    let token = request_token(&server, &browser, "sibling").await;
    let for_other = request_token(&server, &browser, "other").await;
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

/// Explicit typing (RFC 8725 §3.11): gitlogin signs its ID tokens (`typ: JWT`) with the same
/// keys and issuer, so one with `aud` set to this service's name (an app registered under
/// it) would otherwise pass here. Only `gitlogin-identity+jwt` is an identity token.
#[rocket::async_test]
async fn the_sibling_service_refuses_a_token_typed_as_an_id_token() {
    let (der, _) = test_key();
    let deployment = Deployment::new(Some(pem_of(&der))).await;
    let server = deployment.start().await;
    let kid = published_kids(&server).await[0].clone();
    let sibling = sibling_for(&server.base).await;
    let claims = json!({ "iss": server.base, "sub": "583231", "aud": "sibling", "login": "octocat",
                         "github_id": 583231, "iat": now(), "exp": now() + 300 });

    for typ in [Some("JWT"), Some("at+jwt"), None] {
        let (status, body) = call_with(&sibling, &craft_typed(&der, &kid, typ, &claims)).await;
        assert_eq!(status, Status::Unauthorized, "{typ:?}: {body}");
        assert!(body.contains("not an identity token"), "{typ:?}: {body}");
    }
    // The same claims typed as an identity token are greeted: the type alone was refused.
    assert_eq!(
        call_with(&sibling, &craft(&der, &kid, &claims)).await,
        (Status::Ok, "hello, octocat".into())
    );
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
    let deployment = Deployment::new(Some(pem_of(&der))).await;
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
    let deployment = Deployment::new(None).await;
    let server = deployment.start().await;
    let browser = signed_in(&server).await;
    let old_token = request_token(&server, &browser, "sibling").await;
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
    let new_token = request_token(&server, &browser, "sibling").await;

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
    let deployment = Deployment::new(Some(pem_of(&der))).await;

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
    let deployment = Deployment::new(Some("not a key".into())).await;

    let stderr = assert_refuses_to_start(&mut deployment.command()).stderr;

    assert!(stderr.contains("SIGNING_KEY"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
}
