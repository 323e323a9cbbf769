//! Refresh tokens: issued only for `offline_access`, replaced by a new one at every use, and
//! a reused one taken for a stolen copy (RFC 9700 §4.14.2): the whole family, the newest
//! token included, stops working, whoever held which copy. The one exception, an answer lost
//! on the way, is `lost_answer.rs`'s. Each refresh also ends the access token it replaces, so
//! that a family holds one however long it lives.

use rocket::http::Status;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use super::{access_token, assert_invalid_token, assert_token_error, offline_tokens, refresh};
use super::{app_post, json_of, register, signed_in, Rp};
use super::{refreshed, tokens, userinfo, Authorize};
use crate::helpers::TestApp;

#[rocket::async_test]
async fn a_refresh_token_is_replaced_at_every_use() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let first = offline_tokens(&app, &browser, &rp).await;
    let mut current = first["refresh_token"].as_str().unwrap().to_owned();
    let mut seen = vec![current.clone()];

    for _ in 0..3 {
        let (status, body) = refresh(&app, &rp, &current).await;

        assert_eq!(status, Status::Ok, "{body}");
        assert_eq!(
            userinfo(&app, access_token(&body)).await.status(),
            Status::Ok
        );
        current = body["refresh_token"].as_str().expect("rotated").to_owned();
        assert!(!seen.contains(&current), "a new refresh token every time");
        seen.push(current.clone());
    }
}

/// The reuse comes at once, well within the 60 s a lost answer has (`lost_answer.rs`): it is
/// refused because the successor is in use (its access token accepted at userinfo), which
/// shows the app did get the answer, so the token presented again is someone else's copy.
#[rocket::async_test]
async fn a_reused_refresh_token_is_refused_and_revokes_its_family() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let first = offline_tokens(&app, &browser, &rp).await;
    let stolen = first["refresh_token"].as_str().unwrap().to_owned();
    let (status, second) = refresh(&app, &rp, &stolen).await;
    assert_eq!(status, Status::Ok, "{second}");
    let newest = second["refresh_token"].as_str().unwrap();
    // The successor is in use: its access token works until the reuse.
    let response = userinfo(&app, access_token(&second)).await;
    assert_eq!(response.status(), Status::Ok, "{second}");

    let reuse = refresh(&app, &rp, &stolen).await;

    assert_token_error(&reuse, Status::BadRequest, "invalid_grant");
    assert_token_error(
        &refresh(&app, &rp, newest).await,
        Status::BadRequest,
        "invalid_grant",
    );
    assert_invalid_token(&userinfo(&app, access_token(&first)).await);
    assert_invalid_token(&userinfo(&app, access_token(&second)).await);
}

#[rocket::async_test]
async fn a_refresh_token_of_another_app_is_refused() {
    let app = TestApp::spawn().await;
    let wiki = register(&app, "wiki", &[]);
    let billing = register(&app, "billing", &[]);
    let browser = signed_in(&app).await;
    let wikis = offline_tokens(&app, &browser, &wiki).await;

    let answer = refresh(&app, &billing, wikis["refresh_token"].as_str().unwrap()).await;

    assert_token_error(&answer, Status::BadRequest, "invalid_grant");
}

#[rocket::async_test]
async fn without_offline_access_no_refresh_token_is_issued() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;

    let body = tokens(&app, &browser, &rp, &Authorize::new(&rp)).await;

    assert!(body.get("refresh_token").is_none(), "{body}");
    assert_eq!(
        body["scope"]
            .as_str()
            .map(|s| s.split(' ').any(|s| s == "offline_access")),
        Some(false),
        "{body}"
    );
}

/// The app's rules again at every refresh: someone no longer in the org its rule names (seen
/// at their next sign-in) loses the app at its next refresh.
#[rocket::async_test]
async fn a_refresh_after_leaving_the_apps_org_is_refused_and_revokes_the_grant() {
    use gitlogin::github::fake::Account;
    let app = TestApp::spawn().await;
    let member = Account {
        orgs: vec!["acme".into()],
        ..Account::octocat()
    };
    app.github.set_account(member.clone());
    let rp = register(&app, "wiki", &["--allow-org", "acme"]);
    let browser = signed_in(&app).await;
    let body = super::offline_tokens(&app, &browser, &rp).await;

    app.github.set_account(Account {
        orgs: vec![],
        ..member
    });
    browser.sign_in(None).await;
    let refresh_token = body["refresh_token"].as_str().unwrap();

    let answer = super::refresh(&app, &rp, refresh_token).await;
    super::assert_token_error(&answer, Status::BadRequest, "invalid_grant");
    assert_eq!(app.count("grants").await, 0, "the grant is revoked");
}

/// The refresh's own check, with nothing in its way: the person drops out of the app's rules
/// in the store, and no sign-in here revokes the grant first.
#[rocket::async_test]
async fn a_refresh_by_someone_who_left_the_apps_org_is_refused_without_a_new_sign_in() {
    use gitlogin::github::fake::Account;
    let app = TestApp::spawn().await;
    app.github.set_account(Account {
        orgs: vec!["acme".into()],
        ..Account::octocat()
    });
    let rp = register(&app, "wiki", &["--allow-org", "acme"]);
    let browser = signed_in(&app).await;
    let body = super::offline_tokens(&app, &browser, &rp).await;
    let refresh_token = body["refresh_token"].as_str().unwrap();

    super::memberships_forgotten(&app).await;
    let answer = refresh(&app, &rp, refresh_token).await;

    assert_token_error(&answer, Status::BadRequest, "invalid_grant");
    assert_eq!(app.count("grants").await, 0, "the grant is revoked");
}

/// The rows in `tokens` of the grant that `body`'s access token was issued from.
async fn access_rows_of_its_grant(app: &TestApp, body: &Value) -> i64 {
    let hash = format!("{:x}", Sha256::digest(access_token(body).as_bytes()));
    sqlx::query_scalar(
        "SELECT count(*) FROM tokens
         WHERE grant_id = (SELECT grant_id FROM tokens WHERE token_hash = $1)",
    )
    .bind(hash)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

/// Whether `rp`'s introspection calls `body`'s access token active.
async fn active(app: &TestApp, rp: &Rp, body: &Value) -> bool {
    let fields = [("token", access_token(body))];
    let response = app_post(app, "/oauth/introspect", rp.auth(), &fields).await;
    assert_eq!(response.status(), Status::Ok);
    json_of(response).await["active"] == true
}

/// Asserts that `body`'s access token works at userinfo and introspection.
async fn assert_live(app: &TestApp, rp: &Rp, body: &Value) {
    let response = userinfo(app, access_token(body)).await;
    assert_eq!(response.status(), Status::Ok, "{body}");
    assert!(active(app, rp, body).await, "{body}");
}

/// Asserts that `body`'s access token is refused by userinfo and inactive at introspection.
async fn assert_ended(app: &TestApp, rp: &Rp, body: &Value) {
    assert_invalid_token(&userinfo(app, access_token(body)).await);
    assert!(!active(app, rp, body).await, "{body}");
}

/// The benchmark of issue 27 saw 1,001 rows in `tokens` for a family refreshed 1,000 times:
/// one per access token, until each expired.
#[rocket::async_test]
async fn a_family_holds_one_access_token_however_often_it_is_refreshed() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let mut current = offline_tokens(&app, &browser, &rp).await;

    for _ in 0..20 {
        current = refreshed(&app, &rp, &current).await;
    }

    assert_eq!(access_rows_of_its_grant(&app, &current).await, 1);
    assert_eq!(app.count("tokens").await, 1);
    assert_live(&app, &rp, &current).await;
}

#[rocket::async_test]
async fn a_refresh_ends_the_access_token_it_replaces() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let first = offline_tokens(&app, &browser, &rp).await;
    assert_live(&app, &rp, &first).await;

    let second = refreshed(&app, &rp, &first).await;

    assert_ended(&app, &rp, &first).await;
    assert_live(&app, &rp, &second).await;
    let third = refreshed(&app, &rp, &second).await;
    assert_ended(&app, &rp, &second).await;
    assert_live(&app, &rp, &third).await;
}

/// The same person's other grants are other families: another device's in the same app, and
/// another app's.
#[rocket::async_test]
async fn a_refresh_leaves_the_persons_other_grants_alone() {
    let app = TestApp::spawn().await;
    let wiki = register(&app, "wiki", &[]);
    let billing = register(&app, "billing", &[]);
    let browser = signed_in(&app).await;
    let laptop = offline_tokens(&app, &browser, &wiki).await;
    let desktop = offline_tokens(&app, &browser, &wiki).await;
    let billings = offline_tokens(&app, &browser, &billing).await;

    let mut current = laptop;
    for _ in 0..3 {
        current = refreshed(&app, &wiki, &current).await;
    }

    assert_live(&app, &wiki, &desktop).await;
    assert_live(&app, &billing, &billings).await;
    assert_eq!(access_rows_of_its_grant(&app, &current).await, 1);
    assert_eq!(app.count("tokens").await, 3, "one for each grant");
    refreshed(&app, &wiki, &desktop).await;
    refreshed(&app, &billing, &billings).await;
}

/// The current token's three parts: lookup id, generation, secret.
fn parts(refresh_token: &str) -> (&str, u32, &str) {
    let mut parts = refresh_token.splitn(3, '.');
    let (lookup, generation, secret) = (parts.next(), parts.next(), parts.next());
    let generation = generation
        .and_then(|g| g.parse().ok())
        .expect("no generation");
    (lookup.unwrap(), generation, secret.expect("no secret"))
}

/// Asserts that `forged`, made from `body`'s refresh token, is refused and takes the family
/// with it: `body`'s refresh and access tokens are dead.
async fn assert_revokes_the_family(app: &TestApp, rp: &Rp, body: &Value, forged: &str) {
    let answer = refresh(app, rp, forged).await;

    assert_token_error(&answer, Status::BadRequest, "invalid_grant");
    let current = body["refresh_token"].as_str().unwrap();
    assert_token_error(
        &refresh(app, rp, current).await,
        Status::BadRequest,
        "invalid_grant",
    );
    assert_invalid_token(&userinfo(app, access_token(body)).await);
}

/// Whoever presents the family's lookup id with a wrong secret holds a copy of some token of
/// it: the current generation with another secret revokes the family.
#[rocket::async_test]
async fn the_current_generation_with_another_secret_revokes_its_family() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let first = offline_tokens(&app, &browser, &rp).await;
    let current = refreshed(&app, &rp, &first).await;
    let (lookup, generation, _) = parts(current["refresh_token"].as_str().unwrap());

    let forged = format!("{lookup}.{generation}.not-the-secret");

    assert_revokes_the_family(&app, &rp, &current, &forged).await;
}

/// Nor does the current secret make a generation not reached yet good.
#[rocket::async_test]
async fn the_current_secret_under_a_later_generation_revokes_its_family() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let first = offline_tokens(&app, &browser, &rp).await;
    let current = refreshed(&app, &rp, &first).await;
    let (lookup, generation, secret) = parts(current["refresh_token"].as_str().unwrap());

    let forged = format!("{lookup}.{}.{secret}", generation + 1);

    assert_revokes_the_family(&app, &rp, &current, &forged).await;
}
