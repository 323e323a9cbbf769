//! Introspection (RFC 7662) as an API asks it: a live token described to its own API only;
//! without credentials, `invalid_client`; and a token revoked, expired, or held by an app
//! the API rejected or the operator removed, inactive at once.

use rocket::http::Status;
use serde_json::{json, Value};

use super::services::{
    api_tokens, introspect, public_app, register, service_token, services, verified, DATA,
};
use crate::helpers::{TestApp, PUBLIC_URL};
use crate::provider::{app_post, assert_token_error, json_of, Auth};

#[rocket::async_test]
async fn introspection_describes_a_live_token_to_its_api_and_to_no_other_app() {
    let app = TestApp::spawn().await;
    let s = services(&app);
    let other = register(
        &app,
        &[
            "ledger",
            "--api",
            "https://ledger.example",
            "--accept",
            "billing",
        ],
    );
    let (_, body) = service_token(&app, s.billing.auth(), &[("resource", DATA)]).await;
    let jwt = body["access_token"].as_str().unwrap();

    let (status, answer) = introspect(&app, s.data.auth(), jwt).await;

    assert_eq!(status, Status::Ok);
    let claims = verified(&app, jwt, DATA).await;
    assert_eq!(
        answer,
        json!({
            "active": true,
            "scope": "admin read",
            "client_id": s.billing.id,
            "sub": s.billing.id,
            "aud": DATA,
            "iss": PUBLIC_URL,
            "exp": claims["exp"],
            "iat": claims["iat"],
            "token_type": "Bearer",
        })
    );
    // API A's token at API B, and at the service that holds it: nothing at all.
    for asking in [other.auth(), s.billing.auth()] {
        assert_eq!(
            introspect(&app, asking, jwt).await,
            (Status::Ok, json!({ "active": false }))
        );
    }
    let post = Auth::Post(&s.data.id, &s.data.secret);
    assert_eq!(introspect(&app, post, jwt).await.1["active"], true);
}

#[rocket::async_test]
async fn introspection_without_credentials_is_invalid_client() {
    let app = TestApp::spawn().await;
    let s = services(&app);
    let spa = public_app(&app);
    let (_, body) = service_token(&app, s.billing.auth(), &[("resource", DATA)]).await;
    let jwt = body["access_token"].as_str().unwrap();

    for auth in [
        Auth::IdOnly(&spa),
        Auth::IdOnly(&s.data.id),
        Auth::Basic(&s.data.id, "nope"),
    ] {
        let response = app_post(&app, "/oauth/introspect", auth, &[("token", jwt)]).await;
        assert_eq!(response.status(), Status::Unauthorized, "{auth:?}");
        let challenge = response
            .headers()
            .get_one("WWW-Authenticate")
            .map(str::to_owned);
        assert_eq!(challenge.as_deref(), Some("Basic realm=\"gitlogin\""));
        let body = json_of(response).await;
        assert_eq!(body, json!({ "error": "invalid_client" }), "{auth:?}");
    }
    let response = app
        .client
        .post("/oauth/introspect")
        .header(rocket::http::ContentType::Form)
        .body(format!("token={jwt}"))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Unauthorized);
}

#[rocket::async_test]
async fn a_revoked_or_expired_jwt_is_inactive_at_once() {
    let app = TestApp::spawn().await;
    let s = services(&app);
    let jwt = |body: Value| body["access_token"].as_str().unwrap().to_owned();
    let first = jwt(service_token(&app, s.billing.auth(), &[("resource", DATA)])
        .await
        .1);
    let second = jwt(service_token(&app, s.billing.auth(), &[("resource", DATA)])
        .await
        .1);

    let revoked = app_post(
        &app,
        "/oauth/revoke",
        s.billing.auth(),
        &[("token", &first)],
    )
    .await;

    assert_eq!(revoked.status(), Status::Ok);
    assert_eq!(
        introspect(&app, s.data.auth(), &first).await.1,
        json!({ "active": false })
    );
    assert_eq!(
        introspect(&app, s.data.auth(), &second).await.1["active"],
        true
    );
    // Another app cannot revoke it: the API it is for did not receive it from gitlogin.
    app_post(&app, "/oauth/revoke", s.data.auth(), &[("token", &second)]).await;
    app.clock.advance(std::time::Duration::from_secs(599));
    assert_eq!(
        introspect(&app, s.data.auth(), &second).await.1["active"],
        true
    );
    app.clock.advance(std::time::Duration::from_secs(1));
    assert_eq!(
        introspect(&app, s.data.auth(), &second).await.1,
        json!({ "active": false })
    );
}

#[rocket::async_test]
async fn apps_reject_and_apps_remove_end_a_clients_tokens_at_introspection() {
    let app = TestApp::spawn().await;
    let s = services(&app);
    let jwt = |body: Value| body["access_token"].as_str().unwrap().to_owned();
    let before = jwt(service_token(&app, s.billing.auth(), &[("resource", DATA)])
        .await
        .1);

    let cli = |args: &[&str]| assert!(super::gitlogin_on(&app.db_url, args, &[]).status.success());
    cli(&["apps", "reject", "data", "billing"]);

    assert_eq!(
        introspect(&app, s.data.auth(), &before).await.1,
        json!({ "active": false })
    );
    let refused = service_token(&app, s.billing.auth(), &[("resource", DATA)]).await;
    assert_token_error(&refused, Status::BadRequest, "invalid_target");
    cli(&["apps", "accept", "data", "billing"]);
    assert_eq!(
        introspect(&app, s.data.auth(), &before).await.1,
        json!({ "active": false }),
        "dead for good"
    );
    let after = jwt(service_token(&app, s.billing.auth(), &[("resource", DATA)])
        .await
        .1);
    assert_eq!(
        introspect(&app, s.data.auth(), &after).await.1["active"],
        true
    );
    cli(&["apps", "remove", "billing"]);
    assert_eq!(
        introspect(&app, s.data.auth(), &after).await.1,
        json!({ "active": false })
    );
    assert_eq!(api_tokens(&app).await, 0);
}

#[rocket::async_test]
async fn an_app_introspecting_its_own_userinfo_token_learns_it_is_live_until_it_expires() {
    let app = TestApp::spawn().await;
    let rp = crate::provider::register(&app, "web", &[]);
    let browser = crate::provider::signed_in(&app).await;
    let request = crate::provider::Authorize::new(&rp);
    let body = crate::provider::tokens(&app, &browser, &rp, &request).await;
    let opaque = body["access_token"].as_str().unwrap();
    let auth = rp.auth();

    let (status, answer) = introspect(&app, auth, opaque).await;

    assert_eq!(status, Status::Ok);
    assert_eq!(answer["active"], true, "{answer}");
    assert_eq!(answer["aud"], rp.client_id);
    assert_eq!(answer["client_id"], rp.client_id);
    assert_eq!(answer["sub"], crate::provider::OCTOCAT_ID);
    assert_eq!(answer["scope"], "openid profile email");
    assert_eq!(answer["iss"], PUBLIC_URL);
    let iat = answer["iat"].as_i64().unwrap();
    assert_eq!(iat, app.clock.now());
    assert_eq!(answer["exp"].as_i64().unwrap() - iat, 600);
    app.clock.advance(std::time::Duration::from_secs(599));
    assert_eq!(introspect(&app, auth, opaque).await.1["active"], true);
    app.clock.advance(std::time::Duration::from_secs(1));
    assert_eq!(
        introspect(&app, auth, opaque).await.1,
        json!({ "active": false })
    );
}
