//! Demo mode in a browser: no OAuth App configured, the app's own stand-in for GitHub.

use crate::apps::RunningApp;
use crate::browser::Browser;

#[rocket::async_test]
async fn demo_mode_signs_in_with_the_built_in_stand_in() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = RunningApp::demo().await;

    browser.goto(&app.at("/")).await;
    assert!(browser.text().await.contains("Demo mode."));
    browser.click_link("Sign in with GitHub").await;

    // The stand-in's authorize page lives on the app's own origin.
    let authorize = browser.url().await;
    assert_eq!(
        authorize.origin(),
        url::Url::parse(&app.url).unwrap().origin()
    );
    assert_eq!(authorize.path(), "/demo/github/login/oauth/authorize");
    assert_eq!(browser.h1().await, "Authorize gitlogin");
    assert!(browser.text().await.contains("demo-octocat"));
    browser.click_button("Authorize").await;

    assert_eq!(browser.url().await.as_str(), app.at("/"));
    assert_eq!(browser.h1().await, "Hello, Demo Octocat");
    assert!(browser.text().await.contains("Signed in as demo-octocat"));

    browser.click_link("About you").await;
    assert_eq!(browser.h1().await, "About Demo Octocat");
    assert!(browser.text().await.contains("demo@example.com"));

    browser.finish().await;
}
