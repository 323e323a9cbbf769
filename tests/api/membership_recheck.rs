//! Membership re-verified within `MEMBERSHIP_RECHECK`: wherever an organisation or team
//! decides access, a session whose memberships GitHub confirmed longer ago goes through
//! GitHub again before it is shown anything, so someone removed at GitHub loses access at
//! the first request after the interval, never up to `SESSION_MAX_AGE` later. On the test
//! clock, at the exact second.

use std::time::Duration;

use rocket::http::{ContentType, Status};

use crate::helpers::{assert_redirect, location, Browser, TestApp};
use crate::provider::{access_token, assert_token_error, offline_tokens, refresh, register};
use crate::provider::{userinfo, Authorize};
use gitlogin::github::fake::Account;

const RECHECK: u64 = 15 * 60;

fn octocat_in(orgs: &[&str], teams: &[&str]) -> Account {
    Account {
        orgs: orgs.iter().map(|o| o.to_string()).collect(),
        teams: teams.iter().map(|t| t.to_string()).collect(),
        ..Account::octocat()
    }
}

/// gitlogin for the members of `acme` only, octocat one of them and signed in.
async fn acme_only() -> TestApp {
    let app = TestApp::spawn_with(|f| f.merge(("allowed_github_orgs", "acme"))).await;
    app.github.set_account(octocat_in(&["acme"], &[]));
    app
}

async fn signed_in(app: &TestApp) -> Browser<'_> {
    let browser = app.browser();
    assert_redirect(&browser.sign_in(Some("/about")).await, "/about");
    browser
}

fn wait(app: &TestApp, seconds: u64) {
    app.clock.advance(Duration::from_secs(seconds));
}

#[rocket::async_test]
async fn a_member_removed_from_the_org_loses_access_at_the_first_page_after_the_interval() {
    let app = acme_only().await;
    let browser = signed_in(&app).await;
    app.github.set_account(octocat_in(&[], &[]));

    wait(&app, RECHECK - 1);
    assert_eq!(
        browser.get("/about").await.status(),
        Status::Ok,
        "still believed"
    );
    wait(&app, 1);
    let response = browser.get("/about").await;

    // Not shown the page: sent through GitHub, which now says "not a member".
    assert_redirect(&response, "/login?next=/about");
    let back = browser.sign_in(Some("/about")).await;
    assert_eq!(back.status(), Status::Forbidden);
    assert_eq!(app.count("sessions").await, 0, "every session ended");
    assert_redirect(&browser.get("/about").await, "/login?next=/about");
}

#[rocket::async_test]
async fn a_member_still_in_the_org_is_verified_again_without_a_page() {
    let app = acme_only().await;
    let browser = signed_in(&app).await;
    let orgs_asked = app.github.with(|w| w.orgs_requests);

    wait(&app, RECHECK);
    assert_redirect(&browser.get("/").await, "/login?next=/");
    // GitHub sends an app the person authorized before straight back.
    assert_redirect(&browser.sign_in(Some("/about")).await, "/about");

    assert_eq!(app.github.with(|w| w.orgs_requests), orgs_asked + 1);
    assert_eq!(browser.get("/about").await.status(), Status::Ok);
    wait(&app, RECHECK - 1);
    assert_eq!(browser.get("/about").await.status(), Status::Ok);
}

#[rocket::async_test]
async fn api_and_forward_auth_answer_401_for_a_session_due_for_a_recheck() {
    let app = acme_only().await;
    let browser = signed_in(&app).await;
    assert_eq!(browser.get("/api/me").await.status(), Status::Ok);

    wait(&app, RECHECK);

    let api = browser.get("/api/me").await;
    assert_eq!(api.status(), Status::Unauthorized);
    assert_eq!(api.content_type(), Some(ContentType::JSON));
    let check = browser.get("/auth/check").await;
    assert_eq!(check.status(), Status::Unauthorized);
    // Kept, for the round trip through GitHub to replace.
    assert_eq!(app.count("sessions").await, 1);
}

#[rocket::async_test]
async fn sign_out_still_works_on_a_session_due_for_a_recheck() {
    let app = acme_only().await;
    let browser = signed_in(&app).await;
    let csrf = browser.csrf_token().await;

    wait(&app, RECHECK);
    let response = browser
        .post_form("/logout", &format!("csrf_token={csrf}"))
        .await;

    assert_redirect(&response, "/");
    assert_eq!(app.count("sessions").await, 0);
}

#[rocket::async_test]
async fn account_deletion_still_works_on_a_session_due_for_a_recheck() {
    let app = acme_only().await;
    let browser = signed_in(&app).await;
    let csrf = browser.csrf_token().await;

    wait(&app, RECHECK);
    let form = format!("csrf_token={csrf}&confirm=octocat");
    let response = browser.post_form("/account/delete", &form).await;

    assert_redirect(&response, "/");
    assert_eq!(app.count("users").await, 0);
}

#[rocket::async_test]
async fn where_no_organisation_decides_a_session_is_never_sent_back_to_github() {
    for list in [
        ("allowed_github_users", "octocat"),
        ("allowed_github_orgs", ""),
    ] {
        let app = TestApp::spawn_with(|f| f.merge(list)).await;
        app.github.set_account(octocat_in(&["acme"], &[]));
        let browser = signed_in(&app).await;

        wait(&app, 24 * 60 * 60);

        assert_eq!(browser.get("/about").await.status(), Status::Ok, "{list:?}");
    }
}

#[rocket::async_test]
async fn the_interval_is_membership_recheck() {
    let app = TestApp::spawn_with(|f| {
        f.merge(("allowed_github_orgs", "acme"))
            .merge(("membership_recheck", "2m"))
    })
    .await;
    app.github.set_account(octocat_in(&["acme"], &[]));
    let browser = signed_in(&app).await;

    wait(&app, 119);
    assert_eq!(browser.get("/about").await.status(), Status::Ok);
    wait(&app, 1);
    assert_redirect(&browser.get("/about").await, "/login?next=/about");
}

#[rocket::async_test]
async fn an_apps_team_rule_is_rechecked_and_a_lost_team_ends_only_that_apps_access() {
    let app = TestApp::spawn().await;
    app.github.set_account(octocat_in(&["acme"], &["acme/ops"]));
    let rp = register(&app, "wiki", &["--allow-team", "acme/ops"]);
    let browser = signed_in(&app).await;
    let tokens = offline_tokens(&app, &browser, &rp).await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (status, tokens) = refresh(&app, &rp, &refresh_token).await;
    assert_eq!(status, Status::Ok, "within the interval: {tokens}");
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();

    wait(&app, RECHECK);

    // The app's refresh stops, so it sends the person to authorize again; the proxy's check
    // sends them to sign in; gitlogin's own pages, which no team decides, stay.
    let stale = refresh(&app, &rp, &refresh_token).await;
    assert_token_error(&stale, Status::BadRequest, "invalid_grant");
    let check = browser.get("/auth/check?app=wiki").await;
    assert_eq!(check.status(), Status::Unauthorized);
    assert_eq!(browser.get("/about").await.status(), Status::Ok);
    let authorize = browser.get(&Authorize::new(&rp).uri()).await;
    assert!(
        location(&authorize).starts_with("/login?next="),
        "{}",
        location(&authorize)
    );

    // Out of the team at GitHub: the sign-in that rechecks ends the app's access, and only it.
    app.github.set_account(octocat_in(&["acme"], &[]));
    assert_redirect(&browser.sign_in(Some("/about")).await, "/about");
    assert_eq!(app.count("consents").await, 0);
    assert_eq!(app.count("grants").await, 0);
    assert_eq!(app.count("sessions").await, 1);
    let check = browser.get("/auth/check?app=wiki").await;
    assert_eq!(check.status(), Status::Forbidden);
    assert_eq!(
        userinfo(&app, access_token(&tokens)).await.status(),
        Status::Unauthorized
    );
}

#[rocket::async_test]
async fn a_recheck_that_confirms_the_team_keeps_the_apps_access() {
    let app = TestApp::spawn().await;
    app.github.set_account(octocat_in(&["acme"], &["acme/ops"]));
    let rp = register(&app, "wiki", &["--allow-team", "acme/ops"]);
    let browser = signed_in(&app).await;
    offline_tokens(&app, &browser, &rp).await;

    wait(&app, RECHECK);
    assert_redirect(&browser.sign_in(Some("/about")).await, "/about");

    assert_eq!(
        app.count("consents").await,
        1,
        "still in the team: nothing ends"
    );
    assert_eq!(app.count("grants").await, 1);
    let check = browser.get("/auth/check?app=wiki").await;
    assert_eq!(check.status(), Status::Ok);
}
