//! The page that refuses an unregistered `post_logout_redirect_uri`: it tells the operator
//! which address was asked for and how to register one, without ever offering it as a link.

use rocket::http::Status;

use super::logout::{logout_uri, signed_in_to_wiki};
use crate::helpers::TestApp;

/// What Tera's autoescape makes of `text`.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2F;")
}

#[rocket::async_test]
async fn an_unregistered_post_logout_redirect_uri_is_named_on_the_page_as_text_never_as_a_link() {
    let app = TestApp::spawn().await;
    let (_, browser, id_token) = signed_in_to_wiki(&app).await;

    for uri in [
        "https://wiki.example/signed-out/",
        r#"https://evil.test/"><script>alert(1)</script><a href="https://evil.test"#,
    ] {
        let response = browser.get(&logout_uri(&id_token, uri)).await;

        assert_eq!(response.status(), Status::BadRequest, "{uri}");
        let page = response.into_string().await.unwrap();
        assert!(page.contains(&escaped(uri)), "names {uri}: {page}");
        assert!(page.contains("--post-logout-redirect-uri"), "{page}");
        assert!(!page.contains("<script>"), "{page}");
        assert!(!page.contains("href=\"https://evil.test"), "{page}");
        assert!(!page.contains("href=\"https://wiki.example"), "{page}");
    }
}
