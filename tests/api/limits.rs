//! Oversized requests are refused before any handler, and so the store, sees them.

use rocket::http::Status;

use crate::helpers::TestApp;

#[rocket::async_test]
async fn an_oversized_form_body_is_413_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;
    let csrf = browser.csrf_token().await;
    let padding = "x".repeat(64 * 1024);

    let response = browser
        .post_form("/logout", &format!("csrf_token={csrf}&pad={padding}"))
        .await;

    assert_eq!(response.status(), Status::PayloadTooLarge);
    assert!(response.into_string().await.unwrap().contains("too large"));
    assert_eq!(app.count("sessions").await, 1);
}

#[rocket::async_test]
async fn an_oversized_uri_is_414_before_any_handler_runs() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let huge = "a".repeat(16 * 1024);

    let response = browser
        .get(&format!("/login/callback?code={huge}&state={huge}"))
        .await;

    assert_eq!(response.status(), Status::UriTooLong);
    assert!(response.into_string().await.unwrap().contains("too long"));
    assert_eq!(app.github.calls(), 0);
    let response = browser.get(&format!("/login?next=/{huge}")).await;
    assert_eq!(response.status(), Status::UriTooLong);
    assert!(browser.cookie("gitlogin_login").is_none(), "no handler ran");
}
