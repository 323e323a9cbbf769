//! The store's signing keys across start-ups: which are published beside a `SIGNING_KEY`,
//! which are made before any app reads the JWKS, and which signs after a restart (rotation
//! itself is `key_rotation.rs`).

use rocket::figment::Figment;
use serde_json::Value;

use crate::helpers::TestApp;
use crate::provider::register;
use crate::real_server::{gitlogin, run_to_end};
use crate::tokens::{pem_of, test_key, token_for, AUDIENCES};

/// The `(kid, alg)` of every key `app` publishes.
async fn published(app: &TestApp) -> Vec<(String, String)> {
    let set: Value =
        serde_json::from_str(&app.browser().page("/.well-known/jwks.json").await).unwrap();
    let keys = set["keys"].as_array().unwrap();
    let field = |key: &Value, name: &str| key[name].as_str().unwrap().to_owned();
    keys.iter()
        .map(|key| (field(key, "kid"), field(key, "alg")))
        .collect()
}

/// A second instance on `first`'s store, sharing its clock.
async fn restart(first: &TestApp, extra: impl FnOnce(Figment) -> Figment) -> TestApp {
    let url = first.db_url.clone();
    TestApp::spawn_with_clock(first.clock.clone(), move |f| {
        extra(f.merge(("databases.gitlogin.url", url)))
    })
    .await
}

async fn stored_kids(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar("SELECT kid FROM signing_keys ORDER BY id")
        .fetch_all(&app.db)
        .await
        .unwrap()
}

#[rocket::async_test]
async fn a_signing_key_setting_replaces_the_stores_ed25519_key_but_not_its_rsa_key() {
    let first = TestApp::spawn().await;
    let stored_ed25519 = published(&first).await;
    register(&first, "wiki", &[]); // signs its ID tokens with RS256: the store makes its key
    let (der, _) = test_key();
    let setting = pem_of(&der);

    let second = restart(&first, |f| f.merge(("signing_key", setting))).await;

    let keys = published(&second).await;
    let algs: Vec<&str> = keys.iter().map(|(_, alg)| alg.as_str()).collect();
    assert_eq!(
        algs,
        ["EdDSA", "RS256"],
        "the setting's key, then the store's RSA key"
    );
    assert!(
        !keys.contains(&stored_ed25519[0]),
        "the store's Ed25519 key signs nothing while SIGNING_KEY is set: {keys:?}"
    );
}

/// A store can hold an app that signs with RS256 and no RSA key (restored from before the
/// key was made, or kept across an upgrade): the key is made at start-up, so a relying party
/// that reads the JWKS before the first sign-in already finds the key its ID tokens name.
#[rocket::async_test]
async fn an_app_signing_with_rs256_finds_its_key_published_from_start_up() {
    let first = TestApp::spawn().await;
    register(&first, "wiki", &[]);
    sqlx::query("DELETE FROM signing_keys WHERE alg = 'RS256'")
        .execute(&first.db)
        .await
        .unwrap();

    let second = restart(&first, |f| f).await;

    let algs: Vec<String> = published(&second)
        .await
        .into_iter()
        .map(|(_, alg)| alg)
        .collect();
    assert_eq!(algs, ["RS256", "EdDSA"], "before any ID token was signed");
}

/// A start-up changes nothing about which key signs: a key `rotate-key` added signs at its
/// time, on every instance, and not sooner on one that happened to restart.
#[rocket::async_test]
async fn a_start_up_signs_with_the_key_of_the_moment_not_the_newest() {
    let first = TestApp::spawn().await;
    let old = stored_kids(&first).await;
    let rotated = run_to_end(
        gitlogin()
            .arg("rotate-key")
            .env("DATABASE_URL", &first.db_url),
    );
    assert!(rotated.status.success(), "{rotated:?}");

    let second = restart(&first, |f| f.merge(("token_audiences", AUDIENCES))).await;
    let browser = second.browser();
    browser.sign_in(None).await;
    let token = token_for(&browser, "sibling").await;

    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(
        header.kid,
        Some(old[0].clone()),
        "the new key signs tomorrow"
    );
    assert_eq!(stored_kids(&first).await.len(), 2);
}
