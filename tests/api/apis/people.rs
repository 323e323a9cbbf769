//! A web app calls an API on a person's behalf: it names the API with `resource` at authorize
//! (RFC 8707), the person consents to the API and its scopes, and the code (then the refresh
//! token) buys a JWT access token (RFC 9068) for that API, with the scopes the API's grants
//! give the person. A team rule withholds a scope from whoever is not in the team.

use rocket::http::Status;
use serde_json::{json, Value};

use super::services::{introspect, register as register_api, verified, Creds, DATA};
use crate::helpers::{Browser, TestApp, PUBLIC_URL};
use crate::provider::{
    assert_error_back, assert_token_error, code, register, signed_in, token, Authorize, Rp,
    OCTOCAT_ID, VERIFIER,
};
use gitlogin::github::fake::Account;

/// The `data` API, which accepts `web`: `read` for everyone it admits, `write` for the
/// `acme/ops` team only.
pub(super) fn data_api(app: &TestApp) -> Creds {
    register_api(
        app,
        &[
            "data",
            "--api",
            DATA,
            "--scope",
            "read",
            "--scope",
            "write",
            "--grant-team",
            "write=acme/ops",
            "--accept",
            "web",
            "--allow-org",
            "acme",
        ],
    )
}

/// `ledger`, another API, which accepts `web` too.
pub(super) fn ledger(app: &TestApp) {
    let args = [
        "ledger",
        "--api",
        "https://ledger.example",
        "--accept",
        "web",
    ];
    register_api(app, &args);
}

pub(super) fn octocat(teams: &[&str]) -> Account {
    Account {
        orgs: vec!["acme".into(), "elsewhere".into()],
        teams: teams.iter().map(|t| t.to_string()).collect(),
        ..Account::octocat()
    }
}

/// `web`, an app that asks for `data`'s scopes with `openid groups offline_access`.
pub(super) fn asking(rp: &Rp) -> Authorize {
    Authorize::new(rp)
        .with("scope", "openid groups offline_access read write")
        .with("resource", DATA)
}

/// The code redeemed by `rp` with `extra` fields.
pub(super) async fn redeem_with(
    app: &TestApp,
    rp: &Rp,
    code: &str,
    extra: &[(&str, &str)],
) -> (Status, Value) {
    let mut fields = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", rp.redirect_uri.as_str()),
        ("code_verifier", VERIFIER),
    ];
    fields.extend_from_slice(extra);
    token(app, rp.auth(), &fields).await
}

pub(super) async fn setup(teams: &[&str]) -> (TestApp, Rp, Creds) {
    let app = TestApp::spawn().await;
    app.github.set_account(octocat(teams));
    let rp = register(&app, "web", &[]);
    let data = data_api(&app);
    (app, rp, data)
}

pub(super) async fn jwt_for(app: &TestApp, browser: &Browser<'_>, rp: &Rp) -> Value {
    let code = code(browser, rp, &asking(rp)).await;
    let (status, body) = redeem_with(app, rp, &code, &[("resource", DATA)]).await;
    assert_eq!(status, Status::Ok, "{body}");
    body
}

#[rocket::async_test]
async fn the_code_buys_a_jwt_for_the_api_with_the_persons_scopes_and_groups() {
    let (app, rp, _) = setup(&["acme/ops"]).await;
    let browser = signed_in(&app).await;

    let body = jwt_for(&app, &browser, &rp).await;

    assert_eq!(body["scope"], "read write");
    assert!(
        body["id_token"].is_string() && body["refresh_token"].is_string(),
        "{body}"
    );
    let claims = verified(&app, body["access_token"].as_str().unwrap(), DATA).await;
    assert_eq!(claims["sub"], OCTOCAT_ID);
    assert_eq!(claims["client_id"], rp.client_id);
    assert_eq!(claims["scope"], "read write");
    assert_eq!(claims["iss"], PUBLIC_URL);
    assert!(claims["auth_time"].is_i64(), "{claims}");
    // Only what the API's rules and grants name: not `elsewhere`.
    assert_eq!(claims["groups"], json!(["acme", "acme/ops"]));
    // The ID token is still for the app, and never the access token.
    let id_token = body["id_token"].as_str().unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(id_token)
            .unwrap()
            .typ
            .as_deref(),
        Some("JWT")
    );
}

#[rocket::async_test]
async fn a_scope_a_team_rule_withholds_is_absent_from_the_token() {
    let (app, rp, data) = setup(&[]).await;
    let browser = signed_in(&app).await;

    let body = jwt_for(&app, &browser, &rp).await;

    assert_eq!(body["scope"], "read");
    let jwt = body["access_token"].as_str().unwrap();
    assert_eq!(verified(&app, jwt, DATA).await["scope"], "read");
    let (_, answer) = introspect(&app, data.auth(), jwt).await;
    assert_eq!(answer["scope"], "read");
    assert_eq!(answer["sub"], OCTOCAT_ID);
    // Without `groups` asked, no `groups` claim.
    let request = Authorize::new(&rp)
        .with("scope", "openid read")
        .with("resource", DATA);
    let code = code(&browser, &rp, &request).await;
    let (_, body) = redeem_with(&app, &rp, &code, &[("resource", DATA)]).await;
    assert!(verified(&app, body["access_token"].as_str().unwrap(), DATA)
        .await
        .get("groups")
        .is_none());
}

#[rocket::async_test]
async fn an_app_the_api_does_not_accept_gets_invalid_target_back_at_authorize() {
    let (app, rp, _) = setup(&[]).await;
    let other = register(&app, "other", &[]);
    let browser = signed_in(&app).await;

    let unaccepted = browser.get(&asking(&other).uri()).await;
    let unknown = browser
        .get(
            &asking(&rp)
                .with("resource", "https://nowhere.example")
                .uri(),
        )
        .await;

    assert_error_back(&other, &unaccepted, "invalid_target");
    assert_error_back(&rp, &unknown, "invalid_target");
}

#[rocket::async_test]
async fn a_token_request_for_an_api_the_code_was_not_for_is_invalid_target() {
    let (app, rp, _) = setup(&[]).await;
    ledger(&app);
    let browser = signed_in(&app).await;
    let first = code(&browser, &rp, &asking(&rp)).await;

    let answer = redeem_with(&app, &rp, &first, &[("resource", "https://ledger.example")]).await;

    assert_token_error(&answer, Status::BadRequest, "invalid_target");
    // Refused, not spent: the same code still buys a token for the API it was for.
    let (status, _) = redeem_with(&app, &rp, &first, &[("resource", DATA)]).await;
    assert_eq!(status, Status::Ok);
    // Without `resource`, the opaque token for userinfo, as before.
    let second = code(&browser, &rp, &asking(&rp)).await;
    let (status, body) = redeem_with(&app, &rp, &second, &[]).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(
        body["access_token"].as_str().unwrap().split('.').count(),
        1,
        "{body}"
    );
}

#[rocket::async_test]
async fn an_id_token_or_an_opaque_token_is_inactive_at_the_apis_introspection() {
    let (app, rp, data) = setup(&[]).await;
    let browser = signed_in(&app).await;
    let body = jwt_for(&app, &browser, &rp).await;
    let code = code(&browser, &rp, &asking(&rp)).await;
    let (_, opaque) = redeem_with(&app, &rp, &code, &[]).await;

    for token in [&body["id_token"], &opaque["access_token"]] {
        let answer = introspect(&app, data.auth(), token.as_str().unwrap()).await;
        assert_eq!(answer, (Status::Ok, json!({ "active": false })));
    }
    let jwt = body["access_token"].as_str().unwrap();
    assert_eq!(introspect(&app, data.auth(), jwt).await.1["active"], true);
}

#[rocket::async_test]
async fn an_access_token_is_no_id_token_hint_and_userinfo_refuses_it() {
    let (app, rp, _) = setup(&[]).await;
    let browser = signed_in(&app).await;
    let body = jwt_for(&app, &browser, &rp).await;
    let jwt = body["access_token"].as_str().unwrap();
    let logout = |hint: &str| {
        let query = crate::provider::form(&[("id_token_hint", hint)]);
        format!("/oauth/logout?{query}")
    };

    let as_hint = browser.get(&logout(jwt)).await;
    let at_userinfo = crate::provider::userinfo(&app, jwt).await;

    crate::provider::assert_error_page(as_hint, "an access token as hint").await;
    crate::provider::assert_invalid_token(&at_userinfo);
    // The ID token of the same answer is a hint, naming its app.
    let page = browser
        .get(&logout(body["id_token"].as_str().unwrap()))
        .await;
    assert_eq!(page.status(), Status::Ok);
}

#[rocket::async_test]
async fn a_request_may_name_eight_apis_but_not_nine_and_repeats_count_once() {
    let (app, rp, _) = setup(&[]).await;
    let browser = signed_in(&app).await;
    // `data` and seven more.
    let mut eight = asking(&rp);
    for n in 1..=7 {
        let api = format!("api{n}");
        let audience = format!("https://{api}.example");
        register_api(&app, &[&api, "--api", &audience, "--accept", "web"]);
        eight = eight.and("resource", &audience);
    }
    register_api(
        &app,
        &["api8", "--api", "https://api8.example", "--accept", "web"],
    );
    let nine = eight.clone().and("resource", "https://api8.example");

    assert_error_back(&rp, &browser.get(&nine.uri()).await, "invalid_target");
    code(&browser, &rp, &eight).await;
    let mut repeated = asking(&rp);
    for _ in 0..150 {
        repeated = repeated.and("resource", DATA);
    }
    code(&browser, &rp, &repeated).await;
}
