//! Consent: the first time a person uses an app, gitlogin asks them on a page of its own that
//! names the app; Allow sends a code back, Deny sends `access_denied`, and the answer is
//! remembered. The answer is a POST that only this site can make, with the session's CSRF
//! token: a page on another site can neither press Allow for a signed-in person (and so sign
//! them in to an app, or hand an app their data) nor get a code by trying.

use rocket::http::{ContentType, Header, Status};

use super::{assert_error_back, back_at, consent_fields, decide, form, register, signed_in};
use super::{Authorize, Rp};
use crate::helpers::{Browser, TestApp};

/// The consent page `request` shows the signed-in `browser`.
async fn consent_page(browser: &Browser<'_>, request: &Authorize) -> String {
    let response = browser.get(&request.uri()).await;
    assert_eq!(response.status(), Status::Ok, "no consent page");
    assert_eq!(response.content_type(), Some(ContentType::HTML));
    response.into_string().await.unwrap()
}

/// Asserts that nothing was consented to: the next request still asks.
async fn still_asks(browser: &Browser<'_>, rp: &Rp) {
    let page = consent_page(browser, &Authorize::new(rp)).await;
    assert!(page.contains(&rp.name));
}

#[rocket::async_test]
async fn the_first_use_asks_on_a_page_naming_the_app_and_the_answer_is_remembered() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;

    let page = consent_page(&browser, &Authorize::new(&rp)).await;

    assert!(page.contains("wiki"), "{page}");
    assert!(
        page.contains("action=\"/oauth/authorize/consent\""),
        "{page}"
    );
    let back = back_at(&rp, &decide(&browser, &page, "allow").await);
    assert_eq!(back["state"], super::STATE);
    assert!(back["code"].len() >= 32, "{back:?}");
    let again = browser.get(&Authorize::new(&rp).uri()).await;
    assert!(back_at(&rp, &again).contains_key("code"), "not asked twice");
}

/// The page says in words what each scope asked for gives the app, one line each.
#[rocket::async_test]
async fn the_consent_page_says_in_words_what_each_scope_gives_the_app() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let all = "openid profile email groups offline_access";

    let page = consent_page(&browser, &Authorize::new(&rp).with("scope", all)).await;

    for words in [
        "who you are on GitHub: your login and GitHub id",
        "your name and picture, as GitHub shows them",
        "your verified email address",
        "which of the organisations and teams its rules, and those of the services it calls for you, name you are in",
        "access while you are away, until you revoke it on your About page",
    ] {
        assert!(page.contains(&format!("<li>{words}</li>")), "{words}: {page}");
    }
    assert!(!page.contains("<li></li>"), "{page}");
}

#[rocket::async_test]
async fn deny_goes_back_to_the_app_as_access_denied_and_is_not_remembered_as_consent() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let page = consent_page(&browser, &Authorize::new(&rp)).await;

    let response = decide(&browser, &page, "deny").await;

    assert_error_back(&rp, &response, "access_denied");
    still_asks(&browser, &rp).await;
}

#[rocket::async_test]
async fn consent_posted_cross_site_changes_nothing_and_issues_no_code() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let page = consent_page(&browser, &Authorize::new(&rp)).await;
    // The right fields, token included: only where the POST comes from is wrong.
    let body = form(&consent_fields(&browser, &page, "allow").await);

    for header in [
        Header::new("Origin", "http://evil.test"),
        Header::new("Sec-Fetch-Site", "cross-site"),
    ] {
        let request = app
            .client
            .post("/oauth/authorize/consent")
            .header(ContentType::Form)
            .header(header.clone())
            .body(body.clone());
        let response = browser.send(request).await;

        assert_eq!(response.status(), Status::Forbidden, "{header}");
        assert!(response.headers().get_one("Location").is_none(), "{header}");
    }
    still_asks(&browser, &rp).await;
}

#[rocket::async_test]
async fn consent_posted_without_the_csrf_token_changes_nothing_and_issues_no_code() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let other = signed_in(&app).await;
    let others_token = other.csrf_token().await;
    let page = consent_page(&browser, &Authorize::new(&rp)).await;
    let fields = consent_fields(&browser, &page, "allow").await;
    let without: Vec<_> = fields.iter().filter(|(k, _)| k != "csrf_token").collect();

    for token in [None, Some(""), Some("wrong"), Some(others_token.as_str())] {
        let mut body: Vec<(&str, &str)> = without
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        if let Some(token) = token {
            body.push(("csrf_token", token));
        }
        let response = browser
            .post_form("/oauth/authorize/consent", &form(&body))
            .await;

        assert_eq!(response.status(), Status::Forbidden, "{token:?}");
        assert!(
            response.headers().get_one("Location").is_none(),
            "{token:?}"
        );
    }
    still_asks(&browser, &rp).await;
}

/// The About page lists the apps a person signed in to; revoking one kills its tokens for
/// them and the next request asks again.
#[rocket::async_test]
async fn revoking_an_app_on_the_about_page_ends_its_tokens_and_asks_again() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let body = super::offline_tokens(&app, &browser, &rp).await;

    let about = browser.page("/about").await;
    assert!(about.contains("Apps you have signed in to"), "{about}");
    let fields = super::form_fields(&about, "/apps/revoke");
    assert!(fields.iter().any(|(k, _)| k == "app"), "{about}");
    let revoked = browser.post_form("/apps/revoke", &form(&fields)).await;
    assert_eq!(revoked.status(), Status::SeeOther);

    super::assert_invalid_token(&super::userinfo(&app, super::access_token(&body)).await);
    let refresh = body["refresh_token"].as_str().unwrap();
    let answer = super::refresh(&app, &rp, refresh).await;
    super::assert_token_error(&answer, Status::BadRequest, "invalid_grant");
    still_asks(&browser, &rp).await;
    assert!(!browser.page("/about").await.contains("/apps/revoke"));
}

/// Revoking is checked like every POST: without the CSRF token nothing changes.
#[rocket::async_test]
async fn revoking_an_app_without_the_csrf_token_changes_nothing() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    super::code(&browser, &rp, &Authorize::new(&rp)).await;
    let about = browser.page("/about").await;
    let fields: Vec<(String, String)> = super::form_fields(&about, "/apps/revoke")
        .into_iter()
        .filter(|(k, _)| k != "csrf_token")
        .collect();

    let response = browser.post_form("/apps/revoke", &form(&fields)).await;

    assert_eq!(response.status(), Status::Forbidden);
    assert_eq!(app.count("consents").await, 1);
}
