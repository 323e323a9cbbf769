//! `/login?next=` never sends a freshly signed-in person to another site.

use crate::apps::RunningApp;
use crate::browser::Browser;

#[rocket::async_test]
async fn a_next_pointing_off_site_ends_on_the_app() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (app, github) = RunningApp::with_fake_github().await;
    // Off-site addresses on loopback: a broken check would land on the fake's
    // "You left the app" page, never on the network.
    let elsewhere = github.elsewhere();
    let host_and_path = elsewhere.trim_start_matches("http:");
    let attempts = [
        elsewhere.clone(),
        host_and_path.to_owned(),
        format!("/\\{}", host_and_path.trim_start_matches('/')),
        format!("/%2F{}", host_and_path.trim_start_matches('/')),
    ];

    for next in attempts {
        let encoded: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
        browser
            .goto(&app.at(&format!("/login?next={encoded}")))
            .await;
        assert_eq!(browser.h1().await, "Authorize gitlogin", "next={next}");
        browser.click_button("Authorize").await;

        assert_eq!(browser.url().await.as_str(), app.at("/"), "next={next}");
        assert_eq!(browser.h1().await, "Hello, The Octocat", "next={next}");
    }

    browser.finish().await;
}
