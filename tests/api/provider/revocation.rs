//! Revocation (RFC 7009): an app ends its own tokens, and only its own; the answer is 200
//! whether or not the token existed (so it tells a caller nothing), and only an authenticated
//! app may ask.

use rocket::http::Status;

use super::{access_token, app_post, assert_invalid_token, assert_token_error, json_of};
use super::{offline_tokens, refresh, register, signed_in, userinfo, Auth};
use crate::helpers::TestApp;

#[rocket::async_test]
async fn a_revoked_access_token_stops_working() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let body = offline_tokens(&app, &browser, &rp).await;
    let before = userinfo(&app, access_token(&body)).await;
    assert_eq!(before.status(), Status::Ok, "alive until revoked");

    let fields = [
        ("token", access_token(&body)),
        ("token_type_hint", "access_token"),
    ];
    let response = app_post(&app, "/oauth/revoke", rp.auth(), &fields).await;

    assert_eq!(response.status(), Status::Ok);
    assert_invalid_token(&userinfo(&app, access_token(&body)).await);
}

#[rocket::async_test]
async fn a_revoked_refresh_token_stops_working() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let body = offline_tokens(&app, &browser, &rp).await;
    let refresh_token = body["refresh_token"].as_str().unwrap();

    // No hint: the endpoint finds out which kind it is.
    let response = app_post(
        &app,
        "/oauth/revoke",
        rp.auth(),
        &[("token", refresh_token)],
    )
    .await;

    assert_eq!(response.status(), Status::Ok);
    assert_token_error(
        &refresh(&app, &rp, refresh_token).await,
        Status::BadRequest,
        "invalid_grant",
    );
}

#[rocket::async_test]
async fn revoking_an_unknown_token_answers_200() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);

    let response = app_post(&app, "/oauth/revoke", rp.auth(), &[("token", "made-up")]).await;

    assert_eq!(response.status(), Status::Ok);
}

#[rocket::async_test]
async fn another_app_cannot_revoke_an_apps_token() {
    let app = TestApp::spawn().await;
    let wiki = register(&app, "wiki", &[]);
    let billing = register(&app, "billing", &[]);
    let browser = signed_in(&app).await;
    let body = offline_tokens(&app, &browser, &wiki).await;

    for token in [access_token(&body), body["refresh_token"].as_str().unwrap()] {
        app_post(&app, "/oauth/revoke", billing.auth(), &[("token", token)]).await;
    }

    assert_eq!(
        userinfo(&app, access_token(&body)).await.status(),
        Status::Ok
    );
    let (status, refreshed) = refresh(&app, &wiki, body["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, Status::Ok, "{refreshed}");
}

#[rocket::async_test]
async fn revocation_without_client_authentication_is_invalid_client() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let body = offline_tokens(&app, &browser, &rp).await;
    let token = access_token(&body);

    for auth in [
        Auth::IdOnly(&rp.client_id),
        Auth::Basic(&rp.client_id, "wrong"),
    ] {
        let response = app_post(&app, "/oauth/revoke", auth, &[("token", token)]).await;

        assert_eq!(response.status(), Status::Unauthorized, "{auth:?}");
        assert!(response.headers().get_one("WWW-Authenticate").is_some());
        assert_eq!(json_of(response).await["error"], "invalid_client");
    }
    assert_eq!(userinfo(&app, token).await.status(), Status::Ok);
}
