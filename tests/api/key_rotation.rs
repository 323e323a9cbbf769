//! Signing keys that replace themselves, on the test clock: a new key every
//! `SIGNING_KEY_ROTATION` (30 days here), published at once and signing a day later
//! (`SIGNING_KEY_PUBLISH_AHEAD`) on every instance, without a restart; `rotate-key` and
//! `rotate-key --now` the same way by hand; and a retired key kept in the JWKS until its last
//! token has expired.

use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use rocket::figment::Figment;

use crate::event_receiver::eventually;
use crate::helpers::{Browser, TestApp};
use crate::real_server::{gitlogin, run_to_end};
use crate::tokens::{jwks, kids, pem_of, test_key, token_for, verify, AUDIENCES};

const DAY: u64 = 24 * 60 * 60;
/// A retired key's time in the JWKS: the longest token (10 minutes) and the 10 seconds an
/// instance may take to read that it is retired.
const KEPT: u64 = 10 * 60 + 10;

/// Identity tokens for `sibling`, from sessions that outlive the month a rotation takes.
fn settings(figment: Figment) -> Figment {
    figment
        .merge(("token_audiences", AUDIENCES))
        .merge(("session_idle_timeout", "365d"))
        .merge(("session_max_age", "365d"))
}

async fn spawn() -> TestApp {
    TestApp::spawn_with(settings).await
}

/// A second instance on `first`'s store and clock.
async fn another_instance(first: &TestApp) -> TestApp {
    let url = first.db_url.clone();
    TestApp::spawn_with_clock(first.clock.clone(), move |f| {
        settings(f).merge(("databases.gitlogin.url", url))
    })
    .await
}

/// The `kid` in a token's header.
fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

/// A token from `browser`, and the JWKS at the moment it was signed.
async fn signed(browser: &Browser<'_>) -> (String, JwkSet) {
    let token = token_for(browser, "sibling").await;
    (token, jwks(browser).await)
}

async fn stored(app: &TestApp, alg: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT kid FROM signing_keys WHERE alg = $1 ORDER BY id")
        .bind(alg)
        .fetch_all(&app.db)
        .await
        .unwrap()
}

async fn signs_from(app: &TestApp, kid: &str) -> i64 {
    sqlx::query_scalar("SELECT signs_from FROM signing_keys WHERE kid = $1")
        .bind(kid)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// Moves the clock to the second `at` (which must not have passed).
fn move_to(app: &TestApp, at: i64) {
    let by = at - app.clock.now();
    assert!(by >= 0, "{at} has passed");
    app.clock.advance(Duration::from_secs(by as u64));
}

/// Waits until the store holds `count` keys of `alg`: the schedule runs in the background.
async fn until_stored(app: &TestApp, alg: &str, count: usize) {
    let what = format!("{count} {alg} keys stored");
    eventually(&what, async || stored(app, alg).await.len() == count).await;
}

#[rocket::async_test]
async fn a_scheduled_key_is_published_at_once_signs_a_day_later_and_tokens_verify_throughout() {
    let app = spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;
    let old = stored(&app, "EdDSA").await;
    let (first_token, _) = signed(&browser).await;
    assert_eq!(kid_of(&first_token), old[0]);

    app.clock.advance(Duration::from_secs(30 * DAY));
    until_stored(&app, "EdDSA", 2).await;
    let new = stored(&app, "EdDSA").await[1].clone();
    assert_eq!(signs_from(&app, &new).await, app.clock.now() + DAY as i64);

    // Published at once, signing a day later: until then the old key signs.
    app.clock.advance(Duration::from_secs(DAY - 1));
    let (before, set) = signed(&browser).await;
    assert_eq!(kid_of(&before), old[0], "a second before its time");
    assert_eq!(kids(&set), [new.clone(), old[0].clone()]);
    assert!(verify(&before, &set, "sibling").is_ok());

    app.clock.advance(Duration::from_secs(1));
    let (after, set) = signed(&browser).await;
    assert_eq!(kid_of(&after), new, "at its time, without a restart");
    assert!(
        verify(&before, &set, "sibling").is_ok(),
        "the old key's last"
    );
    assert!(verify(&after, &set, "sibling").is_ok());
}

/// The old key signed until the new one's time: it stays published until the last token it
/// can have signed has expired, then it goes, and its private half leaves the store.
#[rocket::async_test]
async fn a_retired_key_leaves_the_jwks_only_after_its_last_token_expired() {
    let app = spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;
    let old = stored(&app, "EdDSA").await[0].clone();
    app.clock.advance(Duration::from_secs(30 * DAY));
    until_stored(&app, "EdDSA", 2).await;
    let new = stored(&app, "EdDSA").await[1].clone();
    move_to(&app, signs_from(&app, &new).await - 1);
    let (last, _) = signed(&browser).await;
    assert_eq!(kid_of(&last), old);

    app.clock.advance(Duration::from_secs(1 + KEPT - 1));
    let set = jwks(&browser).await;
    assert_eq!(kids(&set), [new.clone(), old.clone()], "a second to go");
    assert!(verify(&last, &set, "sibling").is_ok());
    assert_eq!(stored(&app, "EdDSA").await, [old, new.clone()]);

    app.clock.advance(Duration::from_secs(1));
    assert_eq!(kids(&jwks(&browser).await), std::slice::from_ref(&new));
    eventually("the retired key's row is deleted", async || {
        stored(&app, "EdDSA").await == [new.clone()]
    })
    .await;
}

#[rocket::async_test]
async fn two_instances_make_one_key_between_them_and_both_sign_with_it_at_its_time() {
    let first = spawn().await;
    let second = another_instance(&first).await;
    let (a, b) = (first.browser(), second.browser());
    a.sign_in(None).await;
    b.sign_in(None).await;
    let old = stored(&first, "EdDSA").await[0].clone();

    // Wakes both instances' schedules at once.
    first.clock.advance(Duration::from_secs(30 * DAY));
    eventually("a new key is stored", async || {
        stored(&first, "EdDSA").await.len() >= 2
    })
    .await;
    first.clock.advance(Duration::from_secs(DAY));
    let (from_a, from_b) = (
        token_for(&a, "sibling").await,
        token_for(&b, "sibling").await,
    );

    let keys = stored(&first, "EdDSA").await;
    assert_eq!(keys.len(), 2, "one new key, not one per instance: {keys:?}");
    assert_eq!(keys[0], old);
    assert_eq!(kid_of(&from_a), keys[1]);
    assert_eq!(
        kid_of(&from_b),
        keys[1],
        "the instance that did not make it"
    );
}

#[rocket::async_test]
async fn rotate_key_publishes_at_once_and_every_instance_signs_with_it_a_day_later() {
    let app = spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;
    let old = stored(&app, "EdDSA").await[0].clone();

    let rotated = run_to_end(
        gitlogin()
            .arg("rotate-key")
            .env("DATABASE_URL", &app.db_url),
    );
    assert!(rotated.status.success(), "{rotated:?}");
    let new = String::from_utf8(rotated.stdout).unwrap().trim().to_owned();
    let told = String::from_utf8(rotated.stderr).unwrap();
    assert!(!told.to_lowercase().contains("restart gitlogin"), "{told}");
    assert!(told.contains("1d from now"), "{told}");

    let time = signs_from(&app, &new).await;
    assert!(time >= app.clock.now() + DAY as i64, "a day ahead");
    assert_eq!(kids(&jwks(&browser).await), [new.clone(), old.clone()]);
    move_to(&app, time - 1);
    assert_eq!(kid_of(&token_for(&browser, "sibling").await), old);
    app.clock.advance(Duration::from_secs(1));
    assert_eq!(kid_of(&token_for(&browser, "sibling").await), new);
}

/// A leaked key: `--now` makes the new key sign at once, and an instance that read the
/// schedule just before follows within 60 seconds, without a restart.
#[rocket::async_test]
async fn rotate_key_now_is_signed_with_by_a_running_instance_within_a_minute() {
    let app = spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;
    let old = stored(&app, "EdDSA").await[0].clone();
    let (leaked, _) = signed(&browser).await;

    let rotated = run_to_end(
        gitlogin()
            .args(["rotate-key", "--now"])
            .env("DATABASE_URL", &app.db_url),
    );
    assert!(rotated.status.success(), "{rotated:?}");
    let new = String::from_utf8(rotated.stdout).unwrap().trim().to_owned();
    let time = signs_from(&app, &new).await;
    move_to(&app, time.max(app.clock.now()) + 60);
    let (token, set) = signed(&browser).await;

    assert_eq!(kid_of(&token), new);
    assert_eq!(kids(&set), [new, old], "the old key's tokens still verify");
    assert!(verify(&leaked, &set, "sibling").is_ok());
}

/// `SIGNING_KEY` is the operator's to replace: the schedule makes no EdDSA key, even where
/// the store holds one from before the setting, but still replaces the store's RSA key, which
/// signs the apps' ID tokens.
#[rocket::async_test]
async fn with_signing_key_set_only_the_stores_rsa_keys_rotate() {
    let before = TestApp::spawn_with(|f| f.merge(("signing_key_rotation", "off"))).await;
    crate::provider::register(&before, "wiki", &[]);
    let (der, _) = test_key();
    let setting = pem_of(&der);
    let url = before.db_url.clone();
    let app = TestApp::spawn_with_clock(before.clock.clone(), move |f| {
        f.merge(("signing_key", setting))
            .merge(("databases.gitlogin.url", url))
    })
    .await;
    let stored_ed25519 = stored(&app, "EdDSA").await;
    assert_eq!(stored(&app, "RS256").await.len(), 1);

    // `apps add` made the RSA key on the wall clock, a moment ahead of the test's.
    app.clock.advance(Duration::from_secs(30 * DAY + 60));
    until_stored(&app, "RS256", 2).await;

    assert_eq!(stored(&app, "EdDSA").await, stored_ed25519, "none made");
    let set = jwks(&app.browser()).await;
    assert_eq!(set.keys.len(), 3, "SIGNING_KEY's and two RSA keys: {set:?}");
}
