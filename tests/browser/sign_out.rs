//! Signing out: the button ends the session, and nothing of the About page is left to see.

use crate::apps::RunningApp;
use crate::browser::Browser;

#[rocket::async_test]
async fn after_sign_out_the_back_button_and_about_ask_for_sign_in_again() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (app, github) = RunningApp::with_fake_github().await;
    browser.goto(&app.at("/about")).await;
    browser.click_button("Authorize").await;
    assert_eq!(browser.h1().await, "About The Octocat");

    // The About page's own Sign out button (the sessions list has another).
    browser.click_button("Sign out").await;
    assert_eq!(browser.url().await.as_str(), app.at("/"));
    assert_eq!(browser.h1().await, "Sign in with GitHub");
    assert!(browser.text().await.contains("Signed out"));

    // Back to the About page: it was never stored (no-store), so the browser asks the app
    // again, which sends it to sign in instead of showing the page.
    browser.back().await;
    let page = browser.text().await;
    assert!(!page.contains("About The Octocat"), "{page}");
    assert!(!page.contains("octocat@github.example"), "{page}");
    assert!(browser.url().await.as_str().starts_with(&github.url));
    assert_eq!(browser.h1().await, "Authorize gitlogin");

    browser.goto(&app.at("/about")).await;
    assert!(browser.url().await.as_str().starts_with(&github.url));
    assert_eq!(browser.h1().await, "Authorize gitlogin");

    browser.finish().await;
}
