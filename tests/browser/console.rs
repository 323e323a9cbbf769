//! No page makes the browser complain: no CSP violation, no failed load, no script error.
//! (Every other test checks the same at its end, in `Browser::finish`.)

use crate::apps::RunningApp;
use crate::browser::Browser;

#[rocket::async_test]
async fn the_console_check_sees_a_csp_violation() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (_app, github) = RunningApp::with_fake_github().await;

    // A page on the fake that breaks its own policy: proof the check below can fail.
    browser.goto(&format!("{}/csp-canary", github.url)).await;
    let errors = browser.console_errors().await;
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("[security]") && e.contains("Content Security Policy")),
        "{errors:?}"
    );

    browser.finish().await;
}

#[rocket::async_test]
async fn no_page_logs_a_csp_violation_or_a_console_error() {
    let Some(mut browser) = Browser::start().await else {
        return;
    };
    let (app, _github) = RunningApp::with_fake_github().await;

    browser.goto(&app.at("/")).await;
    browser
        .assert_console_clean("the home page, signed out")
        .await;

    browser.click_link("Sign in with GitHub").await;
    browser.click_button("Authorize").await;
    assert_eq!(browser.h1().await, "Hello, The Octocat");
    browser
        .assert_console_clean("the home page, signed in")
        .await;

    browser.click_link("About you").await;
    assert_eq!(browser.h1().await, "About The Octocat");
    browser.assert_console_clean("the About page").await;

    browser.goto_error_page(&app.at("/no/such/page")).await;
    assert_eq!(browser.h1().await, "Not Found");
    browser.assert_console_clean("the 404 page").await;

    browser
        .goto_error_page(&app.at("/login/callback?error=redirect_uri_mismatch&state=y"))
        .await;
    assert_eq!(browser.h1().await, "Bad Request");
    browser.assert_console_clean("the 400 page").await;

    browser.goto(&app.at("/")).await;
    browser.click_button("Sign out").await;
    assert!(browser.text().await.contains("Signed out"));
    browser
        .assert_console_clean("the home page after sign-out")
        .await;

    browser.finish().await;
}
