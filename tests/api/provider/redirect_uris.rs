//! The `redirect_uri` of an authorization request must equal one registered for its app as
//! a string (RFC 9700 §4.1.3): no prefix, suffix, case, trailing-slash, port, userinfo,
//! fragment or percent-encoding leeway. A request that fails it gets gitlogin's own error
//! page and is never redirected, not even with an error: that redirect would be an open
//! redirector, and with a code in it, a stolen sign-in. Each request comes from a person who
//! has already consented to the app, so the redirect URI is all that stands between the
//! attacker and a code.

use super::{assert_error_page, code, register, signed_in, Authorize};
use crate::helpers::TestApp;

/// The app `wiki` redirects to `https://wiki.example/callback`; octocat has consented to it.
/// Each of `variants` as the `redirect_uri` gets the error page, and the registered one still
/// brings a code (the refusals were about the URI, not a broken session).
async fn never_redirected_to(variants: &[&str]) {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    code(&browser, &rp, &Authorize::new(&rp)).await;

    for variant in variants {
        let request = Authorize::new(&rp).with("redirect_uri", variant);
        let response = browser.get(&request.uri()).await;
        assert_error_page(response, variant).await;
    }
    code(&browser, &rp, &Authorize::new(&rp)).await;
}

#[rocket::async_test]
async fn a_redirect_uri_that_extends_the_registered_one_is_never_redirected_to() {
    never_redirected_to(&[
        "https://wiki.example/callback/evil",
        "https://wiki.example/callbackevil",
        "https://wiki.example/callback?next=https://evil.test/",
        "https://wiki.example/callback/../evil",
        "https://wiki.example.evil.test/callback",
    ])
    .await;
}

#[rocket::async_test]
async fn a_redirect_uri_that_ends_like_the_registered_one_is_never_redirected_to() {
    never_redirected_to(&[
        "https://evilwiki.example/callback",
        "https://evil.wiki.example/callback",
        "https://evil.test/wiki.example/callback",
        "https://evil.test/?https://wiki.example/callback",
    ])
    .await;
}

#[rocket::async_test]
async fn a_redirect_uri_that_differs_only_in_case_is_never_redirected_to() {
    never_redirected_to(&[
        "https://wiki.example/Callback",
        "https://wiki.example/CALLBACK",
        "https://WIKI.example/callback",
        "HTTPS://wiki.example/callback",
    ])
    .await;
}

#[rocket::async_test]
async fn a_redirect_uri_with_a_trailing_slash_is_never_redirected_to() {
    never_redirected_to(&[
        "https://wiki.example/callback/",
        "https://wiki.example/callback//",
        "https://wiki.example/callback/.",
    ])
    .await;
}

#[rocket::async_test]
async fn a_redirect_uri_on_another_port_is_never_redirected_to() {
    never_redirected_to(&[
        "https://wiki.example:8443/callback",
        // The default port spelt out is still another string.
        "https://wiki.example:443/callback",
        // Plain http: port 80, and a code readable on the way.
        "http://wiki.example/callback",
    ])
    .await;
}

#[rocket::async_test]
async fn a_redirect_uri_with_userinfo_is_never_redirected_to() {
    never_redirected_to(&[
        "https://evil.test@wiki.example/callback",
        "https://wiki.example@evil.test/callback",
        "https://user:password@wiki.example/callback",
        "https://@wiki.example/callback",
    ])
    .await;
}

#[rocket::async_test]
async fn a_redirect_uri_with_a_fragment_is_never_redirected_to() {
    never_redirected_to(&[
        "https://wiki.example/callback#",
        "https://wiki.example/callback#evil",
        "https://wiki.example/callback#@evil.test",
    ])
    .await;
}

#[rocket::async_test]
async fn a_percent_encoded_redirect_uri_is_never_redirected_to() {
    // Each is the value after the query string's own decoding: what is left encoded is in
    // the URI itself.
    never_redirected_to(&[
        "https://wiki.example/%63allback",
        "https://wiki.example/callback%2F",
        "https://wiki.example/callback%2F..%2Fevil",
        "https://wiki%2Eexample/callback",
        "https://wiki.example%2Fcallback",
        "https%3A%2F%2Fwiki.example%2Fcallback",
        "https://wiki.example/callback%00",
    ])
    .await;
}

#[rocket::async_test]
async fn the_redirect_uri_of_another_registered_app_is_never_redirected_to() {
    let app = TestApp::spawn().await;
    let wiki = register(&app, "wiki", &[]);
    let billing = register(&app, "billing", &[]);
    let browser = signed_in(&app).await;
    code(&browser, &wiki, &Authorize::new(&wiki)).await;

    let request = Authorize::new(&wiki).with("redirect_uri", &billing.redirect_uri);
    let response = browser.get(&request.uri()).await;

    assert_error_page(response, &billing.redirect_uri).await;
}

#[rocket::async_test]
async fn an_unknown_client_id_is_never_redirected_anywhere() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;

    for client_id in [Some("no-such-client"), Some(""), None] {
        let request = Authorize::new(&rp);
        let request = match client_id {
            Some(id) => request.with("client_id", id),
            None => request.without("client_id"),
        };
        let response = browser.get(&request.uri()).await;
        assert_error_page(response, &format!("client_id {client_id:?}")).await;
    }
}

#[rocket::async_test]
async fn a_request_without_a_redirect_uri_is_never_redirected() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    code(&browser, &rp, &Authorize::new(&rp)).await;

    let request = Authorize::new(&rp).without("redirect_uri");
    let response = browser.get(&request.uri()).await;

    // OpenID Connect requires it (Core §3.1.2.1), even of an app with one URI registered.
    assert_error_page(response, "no redirect_uri").await;
}

#[rocket::async_test]
async fn a_bad_redirect_uri_is_refused_before_any_sign_in() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let visitor = app.browser();

    let request = Authorize::new(&rp).with("redirect_uri", "https://evil.test/callback");
    let response = visitor.get(&request.uri()).await;

    // Not even to gitlogin's own sign-in: it would come back to the same bad request.
    assert_error_page(response, "signed out").await;
}
