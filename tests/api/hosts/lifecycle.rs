//! How many host sessions there are, and when they end: one per main session and host, and
//! none left for an app's hosts once the app is removed.

use rocket::http::Status;

use super::{check, redeemed, ticket_for, WIKI};
use crate::helpers::TestApp;
use crate::provider::register;
use crate::real_server::{gitlogin, run_to_end};

#[rocket::async_test]
async fn signing_in_to_a_host_again_replaces_its_host_session_instead_of_adding_one() {
    let app = TestApp::spawn().await;
    register(&app, "wiki", &["--host", WIKI]);
    let browser = app.browser();
    browser.sign_in(None).await;
    let first = redeemed(&app, WIKI, &ticket_for(&browser, WIKI).await).await;
    assert_eq!(app.count("host_sessions").await, 1);

    let second = redeemed(&app, WIKI, &ticket_for(&browser, WIKI).await).await;
    let third = redeemed(&app, WIKI, &ticket_for(&browser, WIKI).await).await;

    assert_eq!(app.count("host_sessions").await, 1);
    for old in [&first, &second] {
        let seen = check(old, WIKI, "wiki", "/").await;
        assert_eq!(seen.status(), Status::Unauthorized);
    }
    assert_eq!(check(&third, WIKI, "wiki", "/").await.status(), Status::Ok);
}

#[rocket::async_test]
async fn removing_an_app_ends_its_host_cookies_and_tickets() {
    let app = TestApp::spawn().await;
    register(&app, "wiki", &["--host", WIKI]);
    let browser = app.browser();
    browser.sign_in(None).await;
    let wiki = redeemed(&app, WIKI, &ticket_for(&browser, WIKI).await).await;
    ticket_for(&browser, WIKI).await;
    let bare_check = || async {
        let request = wiki
            .app
            .client
            .get("/auth/check")
            .header(rocket::http::Header::new("Host", WIKI));
        wiki.send(request).await.status()
    };
    assert_eq!(bare_check().await, Status::Ok);

    let removed = run_to_end(
        gitlogin()
            .args(["apps", "remove", "wiki"])
            .env("DATABASE_URL", &app.db_url),
    );
    assert!(removed.status.success(), "{removed:?}");

    assert_eq!(app.count("host_sessions").await, 0);
    assert_eq!(app.count("host_tickets").await, 0);
    // Not with the allow-lists alone, nor once the host is registered again.
    assert_eq!(bare_check().await, Status::Unauthorized);
    register(&app, "wiki", &["--host", WIKI]);
    assert_eq!(
        check(&wiki, WIKI, "wiki", "/").await.status(),
        Status::Unauthorized
    );
}
