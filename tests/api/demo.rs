//! Demo mode's fake GitHub lives on the app's own origin, so what it echoes is the app's
//! problem: a script in its consent page would run as the app, and a redirect it follows
//! blindly would make the app an open redirector.

use rocket::http::Status;

use crate::helpers::{encode, location, query_param, TestApp, PUBLIC_URL};

async fn demo_app() -> TestApp {
    TestApp::spawn_with(|f| {
        // No OAuth App in a debug build: demo mode.
        f.merge(("github_client_id", ""))
            .merge(("github_client_secret", ""))
    })
    .await
}

fn authorize(redirect_uri: &str, state: &str) -> String {
    format!(
        "/demo/github/login/oauth/authorize?client_id=gitlogin-demo&scope=user%3Aemail\
         &code_challenge=abc&code_challenge_method=S256&redirect_uri={}&state={}",
        encode(redirect_uri),
        encode(state)
    )
}

#[rocket::async_test]
async fn the_demo_consent_page_escapes_what_the_query_carries() {
    let app = demo_app().await;
    let callback = format!("{PUBLIC_URL}/login/callback");
    let state = r#""><script>alert(1)</script>"#;

    let response = app.browser().get(&authorize(&callback, state)).await;

    assert_eq!(response.status(), Status::Ok);
    let page = response.into_string().await.unwrap();
    assert!(page.contains("Authorize gitlogin"), "{page}");
    assert!(!page.contains("<script>"), "{page}");
    assert!(page.contains("&lt;script&gt;"), "{page}");
}

#[rocket::async_test]
async fn the_demo_github_sends_nobody_to_another_site() {
    let app = demo_app().await;

    let response = app
        .browser()
        .get(&authorize("https://evil.example/login/callback", "s"))
        .await;

    // As GitHub does: back to the registered callback, with the error.
    assert_eq!(response.status(), Status::Found);
    let back = url::Url::parse(location(&response)).unwrap();
    assert_eq!(
        back.as_str().split('?').next(),
        Some(format!("{PUBLIC_URL}/login/callback").as_str())
    );
    assert_eq!(
        query_param(back.as_str(), "error").as_deref(),
        Some("redirect_uri_mismatch")
    );
}
