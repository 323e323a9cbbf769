//! No GitHub token outlives the sign-in: the app revokes it at GitHub before the callback
//! answers, whatever the sign-in's outcome once the token exists, and a failed revocation
//! never fails the sign-in.

use gitlogin::github::fake::Fault;
use rocket::http::Status;

use crate::helpers::{assert_redirect, TestApp};

/// What GitHub's API answers the token now: 200 while it lives, 401 once revoked.
async fn api_status(app: &TestApp, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{}/user", app.github.url))
        .bearer_auth(token)
        .header("Accept", "application/vnd.github+json")
        .header("User-Agent", "a copy of the token")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The one token the fake issued in this test.
fn issued_token(app: &TestApp) -> String {
    let issued = app.github.with(|w| w.issued_tokens.clone());
    assert_eq!(issued.len(), 1, "{issued:?}");
    issued[0].clone()
}

#[rocket::async_test]
async fn a_copied_github_token_is_dead_when_the_callback_returns() {
    let app = TestApp::spawn().await;

    assert_redirect(&app.browser().sign_in(None).await, "/");

    let token = issued_token(&app);
    let revoked = app.github.with(|w| w.revoked_tokens.clone());
    assert_eq!(revoked, std::slice::from_ref(&token));
    assert_eq!(api_status(&app, &token).await, 401);
}

#[rocket::async_test]
async fn a_refused_sign_in_revokes_its_token_too() {
    let app = TestApp::spawn_with(|f| f.merge(("allowed_github_users", "someone-else"))).await;

    let response = app.browser().sign_in(None).await;

    assert_eq!(response.status(), Status::Forbidden);
    assert_eq!(api_status(&app, &issued_token(&app)).await, 401);
}

#[rocket::async_test]
async fn a_sign_in_that_github_failed_after_the_exchange_revokes_its_token() {
    let app = TestApp::spawn().await;
    app.github.with(|w| w.user_fault = Some(Fault::ServerError));

    let response = app.browser().sign_in(None).await;

    assert_eq!(response.status(), Status::BadGateway);
    assert_eq!(app.github.with(|w| w.revoke_requests), 1);
    app.github.with(|w| w.user_fault = None);
    assert_eq!(api_status(&app, &issued_token(&app)).await, 401);
}

#[rocket::async_test]
async fn a_failed_revocation_does_not_fail_the_sign_in() {
    let app = TestApp::spawn().await;
    app.github
        .with(|w| w.revoke_fault = Some(Fault::ServerError));
    let browser = app.browser();

    assert_redirect(&browser.sign_in(None).await, "/");

    assert_eq!(app.github.with(|w| w.revoke_requests), 1);
    assert!(browser.page("/about").await.contains("octocat"));
    // GitHub kept it: the attempt was made, and its failure only logged.
    assert_eq!(api_status(&app, &issued_token(&app)).await, 200);
}
