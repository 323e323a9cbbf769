//! Every way a session or an app's access ends tells the apps that got an ID token in it, one
//! logout token per app and session, and tells no one else: the sign-out of the other
//! sessions, one session ended from the About page, the account deleted, the operator's
//! `users sign-out`, GitHub's org webhook, a sign-in refused, the allow-lists no longer
//! admitting a session's owner, an app revoked on the About page or lost with a team, and a
//! browser signed in to by someone else. Each token is verified as §2.6 says an app must, half
//! of the tests with RS256 and half with EdDSA.

use gitlogin::github::fake::Account;
use jsonwebtoken::Algorithm;
use rocket::http::Status;

use super::backchannel::{settled, sid_for, told, with_logouts};
use super::logout_receiver::{verified, LogoutReceiver};
use super::{form, memberships_forgotten, register, signed_in, Rp, OCTOCAT_ID};
use crate::helpers::{Browser, TestApp};
use crate::real_server::{gitlogin, run_to_end};
use crate::webhooks::{deliver_json, member_removed, octocat_in, team_member_removed, SECRET};

/// The `sid`s of the logout tokens `receiver` got, sorted; each verified as `rp`, whose ID
/// tokens are signed with `alg`, must (§2.6), and about octocat.
async fn sids_told(
    app: &TestApp,
    receiver: &LogoutReceiver,
    (rp, alg): (&Rp, Algorithm),
    count: usize,
) -> Vec<String> {
    told(receiver, count).await;
    assert_eq!(settled(app).await, 0);
    let mut sids = Vec::new();
    for token in receiver.tokens() {
        let claims = verified(app, rp, alg, &token).await;
        assert_eq!(claims["sub"], OCTOCAT_ID);
        sids.push(claims["sid"].as_str().unwrap().to_owned());
    }
    sids.sort();
    sids
}

fn sorted(mut sids: Vec<String>) -> Vec<String> {
    sids.sort();
    sids
}

/// gitlogin for the members of `acme`, with GitHub's org webhook; octocat in `acme/ops`.
async fn acme_with_webhook() -> TestApp {
    let app = TestApp::spawn_with(|f| {
        f.merge(("github_webhook_secret", SECRET))
            .merge(("allowed_github_orgs", "acme"))
    })
    .await;
    app.github.set_account(octocat_in(&["acme"], &["acme/ops"]));
    app
}

/// `wiki`, its ID tokens signed with `alg`, taking logouts at a receiver, signed in to from two
/// browsers: their sids.
async fn wiki_in_two_browsers(
    app: &TestApp,
    alg: Algorithm,
) -> (LogoutReceiver, Rp, [(Browser<'_>, String); 2]) {
    let receiver = LogoutReceiver::start().await;
    let name = if alg == Algorithm::EdDSA {
        "EdDSA"
    } else {
        "RS256"
    };
    let wiki = with_logouts(app, "wiki", &receiver, name);
    let (desk, laptop) = (signed_in(app).await, signed_in(app).await);
    let desk_sid = sid_for(app, &desk, &wiki).await;
    let laptop_sid = sid_for(app, &laptop, &wiki).await;
    (receiver, wiki, [(desk, desk_sid), (laptop, laptop_sid)])
}

async fn post(browser: &Browser<'_>, uri: &str, fields: &[(&str, &str)]) -> Status {
    let csrf = browser.csrf_token().await;
    let mut fields = fields.to_vec();
    fields.push(("csrf_token", &csrf));
    browser.post_form(uri, &form(&fields)).await.status()
}

#[rocket::async_test]
async fn signing_out_everywhere_else_tells_of_the_other_sessions_only() {
    let app = TestApp::spawn().await;
    let (receiver, wiki, [(desk, _), (_, laptop_sid)]) =
        wiki_in_two_browsers(&app, Algorithm::EdDSA).await;

    assert_eq!(
        post(&desk, "/sessions/revoke-others", &[]).await,
        Status::SeeOther
    );

    assert_eq!(
        sids_told(&app, &receiver, (&wiki, Algorithm::EdDSA), 1).await,
        [laptop_sid]
    );
}

#[rocket::async_test]
async fn ending_one_session_on_the_about_page_tells_of_that_session() {
    let app = TestApp::spawn().await;
    let (receiver, wiki, [(desk, _), (_, laptop_sid)]) =
        wiki_in_two_browsers(&app, Algorithm::RS256).await;
    let laptop_hash: String = sqlx::query_scalar("SELECT id_hash FROM sessions WHERE sid = $1")
        .bind(&laptop_sid)
        .fetch_one(&app.db)
        .await
        .unwrap();

    let status = post(&desk, "/sessions/revoke", &[("session", &laptop_hash)]).await;

    assert_eq!(status, Status::SeeOther);
    assert_eq!(
        sids_told(&app, &receiver, (&wiki, Algorithm::RS256), 1).await,
        [laptop_sid]
    );
}

#[rocket::async_test]
async fn deleting_the_account_tells_of_every_session() {
    let app = TestApp::spawn().await;
    let (receiver, wiki, [(desk, desk_sid), (_, laptop_sid)]) =
        wiki_in_two_browsers(&app, Algorithm::EdDSA).await;

    let status = post(&desk, "/account/delete", &[("confirm", "octocat")]).await;

    assert_eq!(status, Status::SeeOther);
    let both = sorted(vec![desk_sid, laptop_sid]);
    assert_eq!(
        sids_told(&app, &receiver, (&wiki, Algorithm::EdDSA), 2).await,
        both
    );
}

#[rocket::async_test]
async fn the_operators_sign_out_tells_of_every_session_once_the_server_looks() {
    let app = TestApp::spawn().await;
    let (receiver, wiki, [(_, desk_sid), (_, laptop_sid)]) =
        wiki_in_two_browsers(&app, Algorithm::RS256).await;

    let output = run_to_end(
        gitlogin()
            .args(["users", "sign-out", "octocat"])
            .env("DATABASE_URL", &app.db_url),
    );

    assert!(output.status.success(), "{output:?}");
    // The command's own process sends nothing: the server finds the logouts in the outbox.
    let both = sorted(vec![desk_sid, laptop_sid]);
    assert_eq!(
        sids_told(&app, &receiver, (&wiki, Algorithm::RS256), 2).await,
        both
    );
}

#[rocket::async_test]
async fn the_org_webhook_tells_of_every_session() {
    let app = acme_with_webhook().await;
    let (receiver, wiki, [(_, desk_sid), (_, laptop_sid)]) =
        wiki_in_two_browsers(&app, Algorithm::EdDSA).await;

    let removed = member_removed("acme", 583231, "octocat");
    assert_eq!(
        deliver_json(&app, "organization", "d-1", &removed).await,
        Status::Ok
    );

    let both = sorted(vec![desk_sid, laptop_sid]);
    assert_eq!(
        sids_told(&app, &receiver, (&wiki, Algorithm::EdDSA), 2).await,
        both
    );
    assert_eq!(app.count("sessions").await, 0);
}

#[rocket::async_test]
async fn a_refused_sign_in_tells_of_the_sessions_it_ends() {
    let app = TestApp::spawn_with(|f| f.merge(("allowed_github_orgs", "acme"))).await;
    app.github.set_account(octocat_in(&["acme"], &[]));
    let (receiver, wiki, [(_, desk_sid), (_, laptop_sid)]) =
        wiki_in_two_browsers(&app, Algorithm::RS256).await;

    app.github.set_account(octocat_in(&[], &[]));
    assert_eq!(
        app.browser().sign_in(None).await.status(),
        Status::Forbidden
    );

    let both = sorted(vec![desk_sid, laptop_sid]);
    assert_eq!(
        sids_told(&app, &receiver, (&wiki, Algorithm::RS256), 2).await,
        both
    );
}

#[rocket::async_test]
async fn a_session_the_allow_lists_no_longer_admit_ends_at_its_next_request_and_tells() {
    let app = TestApp::spawn_with(|f| f.merge(("allowed_github_orgs", "acme"))).await;
    app.github.set_account(octocat_in(&["acme"], &[]));
    let (receiver, wiki, [(desk, desk_sid), _]) =
        wiki_in_two_browsers(&app, Algorithm::EdDSA).await;

    memberships_forgotten(&app).await;
    assert_eq!(desk.get("/about").await.status(), Status::SeeOther);

    assert_eq!(
        sids_told(&app, &receiver, (&wiki, Algorithm::EdDSA), 1).await,
        [desk_sid]
    );
}

#[rocket::async_test]
async fn revoking_an_app_on_the_about_page_tells_it_alone_of_each_session_which_go_on() {
    let app = TestApp::spawn().await;
    let (receiver, wiki, [(desk, desk_sid), (_, laptop_sid)]) =
        wiki_in_two_browsers(&app, Algorithm::RS256).await;
    let other = LogoutReceiver::start().await;
    let grafana = with_logouts(&app, "grafana", &other, "EdDSA");
    sid_for(&app, &desk, &grafana).await;
    let wiki_id: i64 = sqlx::query_scalar("SELECT id FROM apps WHERE name = 'wiki'")
        .fetch_one(&app.db)
        .await
        .unwrap();

    let status = post(&desk, "/apps/revoke", &[("app", &wiki_id.to_string())]).await;

    assert_eq!(status, Status::SeeOther);
    let both = sorted(vec![desk_sid, laptop_sid]);
    assert_eq!(
        sids_told(&app, &receiver, (&wiki, Algorithm::RS256), 2).await,
        both
    );
    assert!(other.posts().is_empty(), "grafana is not told");
    assert_eq!(app.count("sessions").await, 2);
}

#[rocket::async_test]
async fn losing_the_team_an_apps_rules_name_tells_that_app_alone() {
    let app = acme_with_webhook().await;
    let receiver = LogoutReceiver::start().await;
    let uri = receiver.uri.as_str();
    let ops = register(
        &app,
        "ops",
        &["--backchannel-logout-uri", uri, "--allow-team", "acme/ops"],
    );
    let other = LogoutReceiver::start().await;
    let wiki = with_logouts(&app, "wiki", &other, "RS256");
    let desk = signed_in(&app).await;
    let sid = sid_for(&app, &desk, &ops).await;
    sid_for(&app, &desk, &wiki).await;

    let removed = team_member_removed("acme", "ops", 583231, "octocat");
    assert_eq!(
        deliver_json(&app, "membership", "d-1", &removed).await,
        Status::Ok
    );

    assert_eq!(
        sids_told(&app, &receiver, (&ops, Algorithm::RS256), 1).await,
        [sid]
    );
    assert!(other.posts().is_empty(), "wiki is not told");
    assert_eq!(app.count("sessions").await, 1);
}

#[rocket::async_test]
async fn signing_in_again_keeps_the_sid_and_someone_else_signing_in_tells_of_the_old_one() {
    let app = TestApp::spawn().await;
    let (receiver, wiki, [(desk, desk_sid), _]) =
        wiki_in_two_browsers(&app, Algorithm::EdDSA).await;

    desk.sign_in(None).await;
    assert_eq!(sid_for(&app, &desk, &wiki).await, desk_sid);
    assert_eq!(settled(&app).await, 0);
    assert!(receiver.posts().is_empty());

    app.github.set_account(Account {
        id: 1,
        login: "hubot".into(),
        ..Account::octocat()
    });
    desk.sign_in(None).await;
    assert_eq!(
        sids_told(&app, &receiver, (&wiki, Algorithm::EdDSA), 1).await,
        [desk_sid]
    );
}
