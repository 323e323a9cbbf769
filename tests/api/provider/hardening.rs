//! What a careful reading of the provider found, each pinned by a test: consent is per
//! scope, bad bytes are refused as bad requests on both stores (never a 503), a browser's
//! `form-action` lets the consent and logout answers reach the registered app and nowhere
//! else, nothing is written for a request answered at once or for a stranger's, and the
//! purge empties what has expired.

use std::time::Duration;

use rocket::http::{Header, Status};

use super::{access_token, assert_error_page, back_at, code, register};
use super::{offline_tokens, signed_in, tokens, Authorize};
use crate::helpers::TestApp;

#[rocket::async_test]
async fn a_wider_scope_than_the_one_consented_to_asks_again() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    code(&browser, &rp, &Authorize::new(&rp).with("scope", "openid")).await;

    for scope in ["openid email", "openid offline_access"] {
        let wider = browser
            .get(&Authorize::new(&rp).with("scope", scope).uri())
            .await;
        assert_eq!(wider.status(), Status::Ok, "{scope}: asked again");
        let page = wider.into_string().await.unwrap();
        assert!(page.contains("/oauth/authorize/consent"), "{page}");
    }
    // What was granted still needs no page.
    let same = browser
        .get(&Authorize::new(&rp).with("scope", "openid").uri())
        .await;
    assert!(back_at(&rp, &same).contains_key("code"));
}

#[rocket::async_test]
async fn a_nul_or_control_character_is_a_bad_request_not_a_store_error() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;

    for client_id in ["\0", "ab\0cd", "\n"] {
        let request = Authorize::new(&rp).with("client_id", client_id);
        assert_error_page(browser.get(&request.uri()).await, "client_id").await;
    }
    for field in ["state", "nonce"] {
        let request = Authorize::new(&rp).with(field, "x\0y");
        let response = browser.get(&request.uri()).await;
        assert_eq!(response.status(), Status::SeeOther, "{field}");
        let query = back_at(&rp, &response);
        assert_eq!(query["error"], "invalid_request", "{field}");
    }
    let nul = super::token(
        &app,
        super::Auth::Post("\0", "x"),
        &[("grant_type", "refresh_token")],
    )
    .await;
    super::assert_token_error(&nul, Status::Unauthorized, "invalid_client");
    let forward = browser.get("/auth/check?app=%00").await;
    assert_eq!(forward.status(), Status::Forbidden);
}

#[rocket::async_test]
async fn the_consent_page_lets_its_form_reach_the_app_and_no_other_site() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;

    let consent = browser.get(&Authorize::new(&rp).uri()).await;
    assert_eq!(consent.status(), Status::Ok);
    let csp = consent
        .headers()
        .get_one("Content-Security-Policy")
        .unwrap();
    assert!(
        csp.contains("form-action 'self' https://wiki.example;"),
        "{csp}"
    );
    let about = browser.get("/about").await;
    let csp = about.headers().get_one("Content-Security-Policy").unwrap();
    assert!(csp.contains("form-action 'self';"), "{csp}");
}

#[rocket::async_test]
async fn the_logout_confirmation_lets_its_form_reach_the_registered_page_only() {
    let app = TestApp::spawn().await;
    let signed_out = "https://wiki.example:8443/signed-out";
    let rp = register(&app, "wiki", &["--post-logout-redirect-uri", signed_out]);
    let browser = signed_in(&app).await;
    let id_token = tokens(&app, &browser, &rp, &Authorize::new(&rp)).await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let query = super::form(&[
        ("id_token_hint", id_token.as_str()),
        ("post_logout_redirect_uri", signed_out),
    ]);

    let page = browser.get(&format!("/oauth/logout?{query}")).await;

    assert_eq!(page.status(), Status::Ok);
    let csp = page.headers().get_one("Content-Security-Policy").unwrap();
    assert!(
        csp.contains("form-action 'self' https://wiki.example:8443;"),
        "{csp}"
    );
}

#[rocket::async_test]
async fn a_request_answered_at_once_writes_nothing_and_the_purge_empties_what_expired() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let body = offline_tokens(&app, &browser, &rp).await;
    // Consented: the next request is answered at once.
    let again = browser.get(&Authorize::new(&rp).uri()).await;
    assert!(back_at(&rp, &again).contains_key("code"));
    assert_eq!(app.count("authorize_requests").await, 0);
    // A stranger's request waits for its sign-in in the stranger's own cookie.
    let stranger = app.browser().get(&Authorize::new(&rp).uri()).await;
    assert_eq!(stranger.status(), Status::SeeOther);
    assert_eq!(app.count("authorize_requests").await, 0);
    // A consent page's request waits in the store, for its answer.
    let other = register(&app, "billing", &[]);
    let page = browser.get(&Authorize::new(&other).uri()).await;
    assert_eq!(page.status(), Status::Ok);
    assert_eq!(app.count("authorize_requests").await, 1);

    app.clock.advance(Duration::from_secs(31 * 24 * 3600));
    let purge = gitlogin::auth::purge::Purge::from_rocket(app.client.rocket()).unwrap();
    purge.run().await.unwrap();

    for table in ["authorize_requests", "codes", "tokens", "grants"] {
        assert_eq!(app.count(table).await, 0, "{table}");
    }
    assert_eq!(app.count("consents").await, 1, "a consent does not expire");
    let answer = super::userinfo(&app, access_token(&body)).await;
    super::assert_invalid_token(&answer);
}

#[rocket::async_test]
async fn the_authorization_schemes_are_case_insensitive() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let body = tokens(&app, &browser, &rp, &Authorize::new(&rp)).await;

    for scheme in ["bearer", "BEARER"] {
        let answer = app
            .client
            .get("/oauth/userinfo")
            .header(Header::new(
                "Authorization",
                format!("{scheme} {}", access_token(&body)),
            ))
            .dispatch()
            .await;
        assert_eq!(answer.status(), Status::Ok, "{scheme}");
    }
}
