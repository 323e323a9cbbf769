//! A ticket planted in another browser: someone an app admits fetches a ticket for their own
//! session, does not follow it, and gets someone else to open it. It must sign nobody in, and
//! leave alone the host cookie the other person has.

use rocket::http::Status;
use sha2::{Digest, Sha256};

use super::{asker, check, get_on, redeemed, ticket_at, ticket_for, NONCE, WIKI};
use crate::helpers::{location, Browser, TestApp};
use crate::provider::register;
use gitlogin::github::fake::Account;

/// Mallory, signed in at gitlogin's host, with a ticket for `WIKI` she did not follow. Her
/// browser on the wiki is one she controls, so the nonce is one she chose.
async fn mallorys_ticket(app: &TestApp) -> String {
    app.github.set_account(Account::mallory());
    let mallory = app.browser();
    mallory.sign_in(None).await;
    app.github.set_account(Account::octocat());
    let nonce = hex(&Sha256::digest(b"mallory's own nonce"));
    let auth_host = format!("/auth/host?host={WIKI}&next=%2Fpage%3Fa%3D1&nonce={nonce}");
    ticket_at(&mallory, &auth_host, WIKI).await
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sets_host_cookie(response: &rocket::local::asynchronous::LocalResponse<'_>) -> bool {
    response
        .headers()
        .get("Set-Cookie")
        .any(|c| c.starts_with("gitlogin_host="))
}

async fn wiki_app() -> TestApp {
    let app = TestApp::spawn().await;
    register(&app, "wiki", &["--host", WIKI]);
    app
}

#[rocket::async_test]
async fn a_ticket_opened_in_a_strangers_browser_signs_nobody_in() {
    let app = wiki_app().await;
    let ticket = mallorys_ticket(&app).await;
    let victim = app.browser();

    let response = get_on(&victim, WIKI, &ticket).await;

    assert_eq!(response.status(), Status::BadRequest);
    assert!(!sets_host_cookie(&response));
    assert_eq!(app.count("host_sessions").await, 0);
    let seen = check(&victim, WIKI, "wiki", "/page").await;
    assert_eq!(seen.status(), Status::Unauthorized);
    assert_eq!(seen.headers().get_one("X-Auth-Request-User"), None);
}

#[rocket::async_test]
async fn a_ticket_opened_by_someone_signed_in_there_leaves_their_own_cookie_in_place() {
    let app = wiki_app().await;
    let octocat = app.browser();
    octocat.sign_in(None).await;
    let wiki = redeemed(&app, WIKI, &ticket_for(&octocat, WIKI).await).await;
    let ticket = mallorys_ticket(&app).await;

    let response = get_on(&wiki, WIKI, &ticket).await;

    assert_eq!(response.status(), Status::BadRequest);
    assert!(!sets_host_cookie(&response));
    let seen = check(&wiki, WIKI, "wiki", "/page").await;
    assert_eq!(seen.status(), Status::Ok);
    assert_eq!(
        seen.headers().get_one("X-Auth-Request-User"),
        Some("octocat")
    );
}

#[rocket::async_test]
async fn a_ticket_opened_beside_another_sign_ins_nonce_signs_nobody_in_nor_ends_that_sign_in() {
    let app = wiki_app().await;
    let octocat = app.browser();
    octocat.sign_in(None).await;
    // Octocat's own sign-in to the wiki is under way in another tab: her nonce is set.
    let hers = ticket_for(&octocat, WIKI).await;
    let on_wiki = asker(&app, &hers);
    let planted = mallorys_ticket(&app).await;

    let response = get_on(&on_wiki, WIKI, &planted).await;

    assert_eq!(response.status(), Status::BadRequest);
    assert!(!sets_host_cookie(&response));
    assert_eq!(on_wiki.cookie(NONCE), Some(hers.nonce.clone()));
    let own = get_on(&on_wiki, WIKI, &hers.path).await;
    assert_eq!(own.status(), Status::SeeOther);
    let seen = check(&on_wiki, WIKI, "wiki", "/").await;
    assert_eq!(
        seen.headers().get_one("X-Auth-Request-User"),
        Some("octocat")
    );
}

#[rocket::async_test]
async fn gitlogins_own_host_gets_no_ticket_even_when_an_app_names_it() {
    let app = TestApp::spawn().await;
    register(&app, "internal", &["--host", "app.test"]);
    let browser = app.browser();
    browser.sign_in(None).await;

    let auth_host = format!("/auth/host?host=app.test&next=%2F&nonce={}", "0".repeat(64));
    let response = browser.get(&auth_host).await;

    assert_eq!(response.status(), Status::BadRequest);
    assert_eq!(response.headers().get_one("Location"), None);
    assert_eq!(app.count("host_tickets").await, 0);
}

#[rocket::async_test]
async fn the_start_marks_the_browser_with_a_short_lived_host_only_nonce_cookie() {
    let app = wiki_app().await;
    let on_wiki = app.browser();

    let response = get_on(&on_wiki, WIKI, "/_gitlogin/start?next=%2Fpage").await;

    assert_eq!(response.status(), Status::SeeOther);
    let set: Vec<&str> = response.headers().get("Set-Cookie").collect();
    assert_eq!(set.len(), 1, "{set:?}");
    let cookie = set[0];
    assert!(cookie.starts_with(&format!("{NONCE}=")), "{cookie}");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=600"] {
        assert!(cookie.contains(flag), "{flag}: {cookie}");
    }
    assert!(!cookie.contains("Domain"), "host-only: {cookie}");
    let nonce = on_wiki.cookie(NONCE).unwrap();
    assert!(!location(&response).contains(&nonce), "the nonce in no URL");
}

#[rocket::async_test]
async fn the_start_marks_no_browser_on_a_host_no_app_has_nor_on_gitlogins_own() {
    let app = TestApp::spawn().await;
    register(&app, "internal", &["--host", "app.test"]);

    for host in ["evil.example", "app.test"] {
        let browser: Browser = app.browser();
        let response = get_on(&browser, host, "/_gitlogin/start?next=%2F").await;
        assert_eq!(response.status(), Status::BadRequest, "{host}");
        assert_eq!(response.headers().get_one("Location"), None, "{host}");
        assert_eq!(browser.cookie(NONCE), None, "{host}");
    }
}

#[rocket::async_test]
async fn a_malformed_nonce_hash_gets_no_ticket_and_starts_again_on_the_host() {
    let app = wiki_app().await;
    let browser = app.browser();
    browser.sign_in(None).await;

    // Too short though hex, and the right length though not hex: neither is a SHA-256 that
    // `/_gitlogin/start` made, so the browser is sent there to be marked first.
    for nonce in ["abc123".to_owned(), "g".repeat(64), "A".repeat(64)] {
        let auth_host = format!("/auth/host?host={WIKI}&next=%2Fpage&nonce={nonce}");
        let response = browser.get(&auth_host).await;

        assert_eq!(response.status(), Status::SeeOther, "{nonce}");
        assert_eq!(
            location(&response),
            format!("http://{WIKI}/_gitlogin/start?next=%2Fpage"),
            "{nonce}"
        );
    }
    assert_eq!(app.count("host_tickets").await, 0);
}
