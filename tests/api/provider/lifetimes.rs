//! Each of the provider's lifetimes at its exact second, on the test clock: a code lives 60 s,
//! an access token 10 minutes (and says so in `expires_in`), an ID token 10 minutes (its
//! `exp`), a refresh token 30 days, and a consent page may be answered for 10 minutes.

use std::time::Duration;

use rocket::http::Status;

use super::{access_token, assert_invalid_token, assert_token_error, code, offline_tokens};
use super::{back_at, decide, unverified_claims};
use super::{redeem, refresh, register, signed_in, tokens, userinfo, Authorize};
use crate::helpers::TestApp;

#[rocket::async_test]
async fn a_code_works_until_its_sixtieth_second() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;

    let fresh = code(&browser, &rp, &Authorize::new(&rp)).await;
    app.clock.advance(Duration::from_secs(59));
    assert_eq!(redeem(&app, &rp, &fresh).await.0, Status::Ok);

    let stale = code(&browser, &rp, &Authorize::new(&rp)).await;
    app.clock.advance(Duration::from_secs(60));
    assert_token_error(
        &redeem(&app, &rp, &stale).await,
        Status::BadRequest,
        "invalid_grant",
    );
}

#[rocket::async_test]
async fn an_access_token_works_for_ten_minutes_and_says_so() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let body = tokens(&app, &browser, &rp, &Authorize::new(&rp)).await;
    assert_eq!(body["expires_in"], 600, "{body}");

    app.clock.advance(Duration::from_secs(10 * 60 - 1));
    assert_eq!(
        userinfo(&app, access_token(&body)).await.status(),
        Status::Ok
    );
    app.clock.advance(Duration::from_secs(1));
    assert_invalid_token(&userinfo(&app, access_token(&body)).await);
}

#[rocket::async_test]
async fn a_refresh_token_works_for_thirty_days() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let first = offline_tokens(&app, &browser, &rp).await;
    let second = offline_tokens(&app, &browser, &rp).await;
    let thirty_days = 30 * 24 * 3600;

    app.clock.advance(Duration::from_secs(thirty_days - 1));
    let kept = refresh(&app, &rp, first["refresh_token"].as_str().unwrap()).await;
    assert_eq!(kept.0, Status::Ok, "{}", kept.1);
    app.clock.advance(Duration::from_secs(1));
    let expired = refresh(&app, &rp, second["refresh_token"].as_str().unwrap()).await;
    assert_token_error(&expired, Status::BadRequest, "invalid_grant");
}

#[rocket::async_test]
async fn an_id_token_expires_ten_minutes_after_it_is_issued() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;

    let body = tokens(&app, &browser, &rp, &Authorize::new(&rp)).await;

    let claims = unverified_claims(body["id_token"].as_str().unwrap());
    assert_eq!(claims["iat"], app.clock.now(), "{claims}");
    assert_eq!(claims["exp"], app.clock.now() + 10 * 60, "{claims}");
}

/// The request a consent page answers is kept for ten minutes: Allow at the 599th second
/// brings a code, at the 600th the page says the request has expired, and no code.
#[rocket::async_test]
async fn a_consent_page_can_be_answered_until_its_six_hundredth_second() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let fresh = browser.page(&Authorize::new(&rp).uri()).await;
    let stale = browser.page(&Authorize::new(&rp).uri()).await;

    app.clock.advance(Duration::from_secs(10 * 60 - 1));
    let back = back_at(&rp, &decide(&browser, &fresh, "allow").await);
    assert!(back.contains_key("code"), "{back:?}");
    // The second page's request, kept in the same second as the first, is now 600 s old.
    app.clock.advance(Duration::from_secs(1));
    let response = decide(&browser, &stale, "allow").await;
    assert_eq!(response.status(), Status::BadRequest);
    assert_eq!(response.headers().get_one("Location"), None);
    let gone = response.into_string().await.unwrap();
    assert!(gone.contains("has expired"), "{gone}");
}
