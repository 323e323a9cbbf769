//! Signing in the way a person does: a button here, a button at GitHub, and back.

use crate::apps::RunningApp;
use crate::browser::Browser;

#[rocket::async_test]
async fn sign_in_from_the_home_page_ends_on_the_home_page_with_your_name() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (app, github) = RunningApp::with_fake_github().await;

    browser.goto(&app.at("/")).await;
    assert_eq!(browser.h1().await, "Sign in with GitHub");
    browser.click_link("Sign in with GitHub").await;

    // At the fake GitHub: another site, asking before it hands out a code.
    let at_github = browser.url().await;
    assert_eq!(
        at_github.origin(),
        url::Url::parse(&github.url).unwrap().origin()
    );
    assert_eq!(browser.h1().await, "Authorize gitlogin");
    browser.click_button("Authorize").await;

    assert_eq!(browser.url().await.as_str(), app.at("/"));
    assert_eq!(browser.h1().await, "Hello, The Octocat");
    let page = browser.text().await;
    assert!(page.contains("Signed in as octocat"), "{page}");
    assert!(page.contains("Signed in with GitHub as octocat"), "{page}");
    // The avatar loaded: the CSP let it in and it is a real picture.
    let avatar_width = browser
        .script("const img = document.querySelector('img.avatar'); return img && img.complete ? img.naturalWidth : 0;")
        .await;
    assert!(
        avatar_width.as_u64().unwrap() > 0,
        "the avatar did not load"
    );
    // The session cookie is out of reach of scripts.
    assert_eq!(browser.script("return document.cookie;").await, "");

    browser.finish().await;
}

#[rocket::async_test]
async fn cancel_at_github_comes_back_signed_out_with_a_message() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (app, _github) = RunningApp::with_fake_github().await;

    browser.goto(&app.at("/")).await;
    browser.click_link("Sign in with GitHub").await;
    browser.click_button("Cancel").await;

    assert_eq!(browser.url().await.as_str(), app.at("/"));
    assert_eq!(browser.h1().await, "Sign in with GitHub");
    let page = browser.text().await;
    assert!(page.contains("GitHub sign-in was cancelled"), "{page}");
    assert!(!page.contains("Hello,"), "{page}");

    browser.finish().await;
}

#[rocket::async_test]
async fn opening_about_signed_out_signs_in_and_comes_back_to_about() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (app, github) = RunningApp::with_fake_github().await;

    browser.goto(&app.at("/about")).await;
    assert!(browser.url().await.as_str().starts_with(&github.url));
    assert_eq!(browser.h1().await, "Authorize gitlogin");
    browser.click_button("Authorize").await;

    assert_eq!(browser.url().await.as_str(), app.at("/about"));
    assert_eq!(browser.h1().await, "About The Octocat");
    let page = browser.text().await;
    assert!(page.contains("octocat@github.example"), "{page}");
    assert!(page.contains("583231"), "{page}");

    browser.finish().await;
}
