//! A person's API tokens after the sign-in: a refresh may buy one for any API the code was
//! for, with the same or fewer scopes and never more (RFC 6749 §6, RFC 8707 §2.2), and a
//! person the API no longer admits loses them at introspection and at the next refresh.

use rocket::http::Status;
use serde_json::json;

use super::people::{asking, jwt_for, ledger, redeem_with, setup};
use super::services::{introspect, verified, DATA};
use crate::provider::{access_token, assert_invalid_token, refresh_token, refreshed, userinfo};
use crate::provider::{assert_token_error, code, signed_in, token, OCTOCAT_ID};

#[rocket::async_test]
async fn a_refresh_may_narrow_but_never_widen_nor_reach_another_api() {
    let (app, rp, _) = setup(&["acme/ops"]).await;
    ledger(&app);
    let browser = signed_in(&app).await;
    let body = jwt_for(&app, &browser, &rp).await;
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    let ask = |scope: Option<&'static str>, resource: &'static str| {
        let mut fields = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
            ("resource", resource),
        ];
        fields.extend(scope.map(|s| ("scope", s)));
        fields
    };

    let wider = token(&app, rp.auth(), &ask(Some("read write admin"), DATA)).await;
    let elsewhere = token(&app, rp.auth(), &ask(None, "https://ledger.example")).await;

    assert_token_error(&wider, Status::BadRequest, "invalid_scope");
    assert_token_error(&elsewhere, Status::BadRequest, "invalid_target");
    let (status, narrowed) = token(&app, rp.auth(), &ask(Some("read"), DATA)).await;
    assert_eq!(
        status,
        Status::Ok,
        "the refused refreshes spent nothing: {narrowed}"
    );
    assert_eq!(narrowed["scope"], "read");
    assert_eq!(
        verified(&app, narrowed["access_token"].as_str().unwrap(), DATA).await["scope"],
        "read"
    );
}

#[rocket::async_test]
async fn a_person_the_api_no_longer_admits_makes_its_tokens_inactive() {
    let (app, rp, data) = setup(&["acme/ops"]).await;
    let browser = signed_in(&app).await;
    let body = jwt_for(&app, &browser, &rp).await;
    let jwt = body["access_token"].as_str().unwrap();

    crate::provider::memberships_forgotten(&app).await;

    assert_eq!(
        introspect(&app, data.auth(), jwt).await.1,
        json!({ "active": false })
    );
    let refresh = body["refresh_token"].as_str().unwrap();
    let fields = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
        ("resource", DATA),
    ];
    assert_token_error(
        &token(&app, rp.auth(), &fields).await,
        Status::BadRequest,
        "invalid_grant",
    );
}

#[rocket::async_test]
async fn a_refresh_buys_a_token_for_another_api_the_code_was_for_without_the_person() {
    let (app, rp, _) = setup(&[]).await;
    ledger(&app);
    let browser = signed_in(&app).await;
    let both = asking(&rp).and("resource", "https://ledger.example");
    let code = code(&browser, &rp, &both).await;
    let (_, body) = redeem_with(&app, &rp, &code, &[("resource", DATA)]).await;
    let refresh = body["refresh_token"].as_str().unwrap();

    let fields = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
        ("resource", "https://ledger.example"),
    ];
    let (status, body) = token(&app, rp.auth(), &fields).await;

    assert_eq!(status, Status::Ok, "{body}");
    let jwt = body["access_token"].as_str().unwrap();
    let claims = verified(&app, jwt, "https://ledger.example").await;
    assert_eq!(claims["sub"], OCTOCAT_ID);
    assert_eq!(claims["client_id"], rp.client_id);
}

#[rocket::async_test]
async fn a_rejected_apps_refresh_token_buys_nothing_for_the_api_even_once_accepted_again() {
    let (app, rp, _) = setup(&[]).await;
    let browser = signed_in(&app).await;
    let body = jwt_for(&app, &browser, &rp).await;
    let refresh = body["refresh_token"].as_str().unwrap();
    let cli = |args: &[&str]| {
        let output = super::gitlogin_on(&app.db_url, args, &[]);
        assert!(output.status.success(), "{args:?}");
    };

    cli(&["apps", "reject", "data", "web"]);
    cli(&["apps", "accept", "data", "web"]);

    let fields = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
        ("resource", DATA),
    ];
    assert_token_error(
        &token(&app, rp.auth(), &fields).await,
        Status::BadRequest,
        "invalid_target",
    );
    // The person is asked again before the app gets the API back.
    let page = browser.get(&asking(&rp).uri()).await;
    assert_eq!(page.status(), Status::Ok, "the consent page");
}

#[rocket::async_test]
async fn a_refresh_may_repeat_the_openid_scopes_but_never_widen_the_userinfo_token() {
    let (app, rp, _) = setup(&["acme/ops"]).await;
    let browser = signed_in(&app).await;
    let body = jwt_for(&app, &browser, &rp).await;
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    // What many libraries send: the original `scope` again, the API's scopes among them.
    let repeated = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
        ("scope", "openid groups offline_access read"),
        ("resource", DATA),
    ];
    let (status, body) = token(&app, rp.auth(), &repeated).await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body["scope"], "read");
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();

    // Without `resource`: the opaque token of the grant, never wider than it.
    let wider = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
        ("scope", "openid profile"),
    ];
    assert_token_error(
        &token(&app, rp.auth(), &wider).await,
        Status::BadRequest,
        "invalid_scope",
    );
    let same = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
        ("scope", "openid"),
    ];
    assert_eq!(
        token(&app, rp.auth(), &same).await.0,
        Status::Ok,
        "nothing spent"
    );
}

/// The lost-answer exception (`provider::lost_answer`) needs proof that the successor went
/// unused, and gitlogin cannot see an API use a JWT: a refresh token whose successor's access
/// token was one is never honoured again, and presenting it revokes the family.
#[rocket::async_test]
async fn a_refresh_whose_successor_is_an_apis_jwt_gets_no_second_chance() {
    let (app, rp, _) = setup(&["acme/ops"]).await;
    let browser = signed_in(&app).await;
    let body = jwt_for(&app, &browser, &rp).await;
    let first = body["refresh_token"].as_str().unwrap();
    let (status, successor) = token(&app, rp.auth(), &for_data(first)).await;
    assert_eq!(status, Status::Ok, "{successor}");

    // At once, well within 60 s, as a client whose answer was lost would.
    let again = token(&app, rp.auth(), &for_data(first)).await;

    assert_token_error(&again, Status::BadRequest, "invalid_grant");
    let next = successor["refresh_token"].as_str().unwrap();
    let revoked = token(&app, rp.auth(), &for_data(next)).await;
    assert_token_error(&revoked, Status::BadRequest, "invalid_grant");
}

/// A refresh ends the family's earlier token for userinfo (`provider::refresh`), but one that
/// buys a JWT for an API replaces nothing: the app may well call both.
#[rocket::async_test]
async fn a_refresh_for_an_api_leaves_the_token_for_userinfo_alive() {
    let (app, rp, _) = setup(&[]).await;
    let browser = signed_in(&app).await;
    let body = jwt_for(&app, &browser, &rp).await;
    let for_userinfo = refreshed(&app, &rp, &body).await;

    let (status, for_api) = token(&app, rp.auth(), &for_data(refresh_token(&for_userinfo))).await;

    assert_eq!(status, Status::Ok, "{for_api}");
    let response = userinfo(&app, access_token(&for_userinfo)).await;
    assert_eq!(response.status(), Status::Ok, "{for_userinfo}");
    let next = refreshed(&app, &rp, &for_api).await;
    assert_invalid_token(&userinfo(&app, access_token(&for_userinfo)).await);
    let response = userinfo(&app, access_token(&next)).await;
    assert_eq!(response.status(), Status::Ok, "{next}");
}

/// A refresh with `refresh_token` for a JWT for the data service.
fn for_data(refresh_token: &str) -> [(&str, &str); 3] {
    [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("resource", DATA),
    ]
}
