//! Numbers past 32 bits, read back from the store: a GitHub id of 2^31 or more (GitHub's ids
//! are handed out in order and will get there), and a time after 2038-01-19 03:14:07 UTC.
//! sqlx 0.7's `Any` driver read every SQLite integer as an `i32` (sqlx issue #3179), so both
//! came back wrapped round; `vendor/sqlx-sqlite` is the fix. Each test looks where a person,
//! an app or an operator sees the number.

use std::time::Duration;

use rocket::http::Status;

use crate::helpers::{assert_redirect, TestApp};
use crate::provider::{access_token, json_of, register, signed_in, tokens, userinfo};
use crate::provider::{unverified_claims, Authorize};
use crate::real_server::{gitlogin, run_to_end};
use gitlogin::github::fake::Account;

/// Past `i32::MAX` (2,147,483,647); as an `i32` it reads -294,967,295.
const BIG_ID: i64 = 4_000_000_001;

/// 2040-01-01 00:00:00 UTC, in unix seconds: past `i32::MAX`, which is 2038-01-19 03:14:07.
const IN_2040: i64 = 2_208_988_800;

/// Octocat, under an id past 32 bits.
fn octocat_past_32_bits() -> Account {
    Account {
        id: BIG_ID,
        ..Account::octocat()
    }
}

/// Moves `app`'s clock (and its fake GitHub's) to `unix_secs`.
fn set_clock(app: &TestApp, unix_secs: i64) {
    let ahead = u64::try_from(unix_secs - app.clock.now()).expect("the clock only moves forward");
    app.clock.advance(Duration::from_secs(ahead));
}

#[rocket::async_test]
async fn a_github_id_past_32_bits_is_the_sub_of_the_id_token_and_of_userinfo() {
    let app = TestApp::spawn().await;
    app.github.set_account(octocat_past_32_bits());
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;

    let body = tokens(&app, &browser, &rp, &Authorize::new(&rp)).await;

    let id_token = unverified_claims(body["id_token"].as_str().unwrap());
    assert_eq!(id_token["sub"], BIG_ID.to_string(), "{id_token}");
    let response = userinfo(&app, access_token(&body)).await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(json_of(response).await["sub"], BIG_ID.to_string());
}

#[rocket::async_test]
async fn a_github_id_past_32_bits_is_named_by_auth_check_and_the_about_page() {
    let app = TestApp::spawn().await;
    app.github.set_account(octocat_past_32_bits());
    let browser = app.browser();
    browser.sign_in(None).await;

    let check = browser.get("/auth/check").await;
    let about = browser.page("/about").await;

    assert_eq!(check.status(), Status::Ok);
    assert_eq!(
        check.headers().get_one("X-Auth-Request-Github-Id"),
        Some(BIG_ID.to_string().as_str())
    );
    assert!(
        about.contains(&format!("<dt>GitHub id</dt><dd>{BIG_ID}</dd>")),
        "{about}"
    );
}

/// A session begun after 2038 lives out its idle limit like any other: alive a second
/// before it, and signed out at it.
#[rocket::async_test]
async fn a_session_begun_in_2040_shows_its_dates_and_lives_to_its_idle_limit() {
    const IDLE: i64 = 2 * 3600;
    let app = TestApp::spawn_with(|f| f.merge(("session_idle_timeout", "2h"))).await;
    set_clock(&app, IN_2040);
    let browser = app.browser();
    browser.sign_in(None).await;

    let response = browser.get("/about").await;

    assert_eq!(response.status(), Status::Ok, "the new session is live");
    let about = response.into_string().await.unwrap();
    assert!(
        about.contains("<dt>First seen</dt><dd>2040-01-01 00:00 UTC</dd>"),
        "{about}"
    );
    assert!(
        about.contains("<dt>Last sign-in</dt><dd>2040-01-01 00:00 UTC</dd>"),
        "{about}"
    );
    assert!(
        about.contains("Signed in 2040-01-01 00:00 UTC · last seen 2040-01-01 00:00 UTC"),
        "{about}"
    );
    let last_visit = IN_2040 + IDLE - 1;
    set_clock(&app, last_visit);
    assert_eq!(browser.get("/about").await.status(), Status::Ok);
    set_clock(&app, last_visit + IDLE);
    assert_redirect(&browser.get("/about").await, "/login?next=/about");
}

/// An app's sign-in after 2038: the code is still unexpired when the app redeems it, and the
/// ID token says when the person signed in.
#[rocket::async_test]
async fn an_app_signs_someone_in_in_2040_and_the_id_token_says_when() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    set_clock(&app, IN_2040);
    let browser = signed_in(&app).await;
    set_clock(&app, IN_2040 + 60);

    let body = tokens(&app, &browser, &rp, &Authorize::new(&rp)).await;

    let id_token = unverified_claims(body["id_token"].as_str().unwrap());
    assert_eq!(id_token["auth_time"], IN_2040, "{id_token}");
    assert_eq!(id_token["iat"], IN_2040 + 60, "{id_token}");
}

/// The operator's list reads the store with the same driver: the id and the day of a
/// sign-in after 2038 as they are.
#[rocket::async_test]
async fn users_list_shows_a_github_id_past_32_bits_and_a_sign_in_in_2040() {
    let app = TestApp::spawn().await;
    app.github.set_account(octocat_past_32_bits());
    set_clock(&app, IN_2040);
    app.browser().sign_in(None).await;

    let list = run_to_end(
        gitlogin()
            .args(["users", "list"])
            .env("DATABASE_URL", &app.db_url),
    );

    assert!(list.status.success(), "{list:?}");
    assert_eq!(
        String::from_utf8_lossy(&list.stdout),
        format!("octocat\t{BIG_ID}\t2040-01-01\t1 sessions\n")
    );
}
