//! Each of the provider's lifetimes at its exact second, on the test clock: a code lives 60 s,
//! an access token 10 minutes (and says so in `expires_in`), a refresh token 30 days.

use std::time::Duration;

use rocket::http::Status;

use super::{access_token, assert_invalid_token, assert_token_error, code, offline_tokens};
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
