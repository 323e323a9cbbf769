//! `next` never leads off the site.

use crate::helpers::{assert_redirect, TestApp};

#[rocket::async_test]
async fn each_open_redirect_form_ends_at_home() {
    let app = TestApp::spawn().await;
    let attacks = [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "%2F%2Fevil.example",
        "/%5Cevil.example",
        "///evil.example",
        "/\t/evil.example",
        "/%09/evil.example",
        "\\/evil.example",
        "http:/evil.example",
        // Dot segments: a browser or proxy that resolves them could make `//evil.example`.
        "/.//evil.example",
        "/a/..//evil.example",
        "/../evil",
        "/%2e%2e/%2fevil.example",
        "/%2E/%2Fevil.example",
    ];
    for next in attacks {
        let browser = app.browser();
        let callback = browser.sign_in(Some(next)).await;
        assert_redirect(&callback, "/");
        // Home because `next` was dropped, not because the sign-in failed.
        assert!(browser.cookie("gitlogin_session").is_some(), "{next:?}");
    }
}

#[rocket::async_test]
async fn raw_encodings_in_the_query_string_also_end_at_home() {
    let app = TestApp::spawn().await;
    // Sent as written, not re-encoded by the test.
    for raw in [
        "%2F%2Fevil.example",
        "/%5Cevil.example",
        "%2F%09%2Fevil.example",
        "/%252F%252Fevil.example",
        "%FF",
        "/%2e%2e%2f%2fevil.example",
        "/.%2F%2Fevil.example",
    ] {
        let browser = app.browser();
        let response = browser.get(&format!("/login?next={raw}")).await;
        let authorize = url::Url::parse(crate::helpers::location(&response)).unwrap();
        let callback = crate::helpers::github_redirect(&authorize).await;
        assert_redirect(&browser.get(&callback).await, "/");
        assert!(browser.cookie("gitlogin_session").is_some(), "{raw:?}");
    }
}

#[rocket::async_test]
async fn a_local_path_with_a_query_is_kept() {
    let app = TestApp::spawn().await;
    let browser = app.browser();

    let callback = browser.sign_in(Some("/about?tab=profile")).await;

    assert_redirect(&callback, "/about?tab=profile");
}
