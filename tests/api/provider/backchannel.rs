//! Back-channel logout (OpenID Connect Back-Channel Logout 1.0) as an app sees it: each ID
//! token names its gitlogin session (`sid`), and when that session ends every app registered
//! with a back-channel logout URI that got an ID token in it is POSTed one logout token,
//! which verifies as §2.6 asks, for either algorithm. An app that is down gets a fresh token
//! once it is back; a 400 is its refusal, never retried. What ends each session is
//! `backchannel_triggers.rs`'s.

use std::time::Duration;

use jsonwebtoken::Algorithm;
use rocket::http::Status;
use serde_json::Value;

use super::logout_receiver::{verified, LogoutReceiver};
use super::{register, remove, signed_in, tokens, unverified_claims, Authorize, Rp, OCTOCAT_ID};
use crate::event_receiver::eventually;
use crate::helpers::{Browser, TestApp};
use crate::real_server::{gitlogin, run_to_end};

/// `name`, registered to take logouts at `receiver`, its ID tokens signed with `alg`.
pub fn with_logouts(app: &TestApp, name: &str, receiver: &LogoutReceiver, alg: &str) -> Rp {
    register(
        app,
        name,
        &[
            "--backchannel-logout-uri",
            &receiver.uri,
            "--id-token-alg",
            alg,
        ],
    )
}

/// Signs in to `rp` in `browser`: the `sid` of the ID token it gets.
pub async fn sid_for(app: &TestApp, browser: &Browser<'_>, rp: &Rp) -> String {
    let body = tokens(app, browser, rp, &Authorize::new(rp)).await;
    let claims = unverified_claims(body["id_token"].as_str().unwrap());
    claims["sid"]
        .as_str()
        .expect("the ID token has a sid")
        .to_owned()
}

/// Waits until `receiver` has had `count` POSTs, then a moment more for any extra one.
pub async fn told(receiver: &LogoutReceiver, count: usize) -> Vec<String> {
    eventually("the app is told", async || receiver.posts().len() >= count).await;
    receiver.tokens()
}

/// Lets the sender look at the outbox again (a move of its clock wakes it), then says what is
/// left in it: nothing is still on its way when this returns 0.
pub async fn settled(app: &TestApp) -> i64 {
    app.clock.advance(Duration::ZERO);
    let mut left = 0;
    eventually("the outbox is looked at", async || {
        left = app.count("logout_deliveries").await;
        left == 0
    })
    .await;
    left
}

#[rocket::async_test]
async fn every_id_token_names_its_session_by_a_sid_shared_by_its_apps_and_never_its_cookie() {
    let app = TestApp::spawn().await;
    let wiki = register(&app, "wiki", &[]);
    let grafana = register(&app, "grafana", &["--id-token-alg", "EdDSA"]);
    let browser = signed_in(&app).await;
    let laptop = signed_in(&app).await;

    let sid = sid_for(&app, &browser, &wiki).await;
    assert_eq!(sid_for(&app, &browser, &grafana).await, sid);
    assert_ne!(sid_for(&app, &laptop, &wiki).await, sid);
    assert!(sid.len() >= 22, "{sid}");
    let stored: Vec<String> = sqlx::query_scalar("SELECT id_hash FROM sessions")
        .fetch_all(&app.db)
        .await
        .unwrap();
    let cookies = [
        browser.cookie("gitlogin_session"),
        laptop.cookie("gitlogin_session"),
    ];
    for cookie in cookies.into_iter().flatten().chain(stored) {
        assert!(
            !cookie.contains(&sid) && !sid.contains(&cookie),
            "{sid} {cookie}"
        );
    }
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions WHERE sid = $1")
        .bind(&sid)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(kept, 1, "the sid is the session's own");
}

#[rocket::async_test]
async fn signing_out_posts_each_app_of_the_session_one_logout_token_it_can_verify() {
    let app = TestApp::spawn().await;
    let (rs, ed) = (LogoutReceiver::start().await, LogoutReceiver::start().await);
    let wiki = with_logouts(&app, "wiki", &rs, "RS256");
    let grafana = with_logouts(&app, "grafana", &ed, "EdDSA");
    let browser = signed_in(&app).await;
    let sid = sid_for(&app, &browser, &wiki).await;
    sid_for(&app, &browser, &grafana).await;
    assert!(rs.posts().is_empty() && ed.posts().is_empty());

    assert_eq!(browser.sign_out().await.status(), Status::SeeOther);

    for (receiver, rp, alg) in [
        (&rs, &wiki, Algorithm::RS256),
        (&ed, &grafana, Algorithm::EdDSA),
    ] {
        let tokens = told(receiver, 1).await;
        let claims = verified(&app, rp, alg, &tokens[0]).await;
        // Two minutes, as docs/apps.md says (the spec asks for no more).
        let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
        assert_eq!(lifetime, 120);
        assert_eq!(claims["sub"], OCTOCAT_ID);
        assert_eq!(claims["sid"], sid.as_str());
        let post = &receiver.posts()[0];
        assert_eq!(post.content_type, "application/x-www-form-urlencoded");
    }
    assert_eq!(settled(&app).await, 0);
    assert_eq!(
        (rs.posts().len(), ed.posts().len()),
        (1, 1),
        "told once each"
    );
}

#[rocket::async_test]
async fn no_one_is_told_of_a_session_that_expired_nor_is_an_app_without_a_uri_or_removed() {
    let app = TestApp::spawn().await;
    let receiver = LogoutReceiver::start().await;
    let wiki = with_logouts(&app, "wiki", &receiver, "RS256");
    let gone = with_logouts(&app, "gone", &receiver, "RS256");
    let plain = register(&app, "plain", &[]);
    let expired = signed_in(&app).await;
    sid_for(&app, &expired, &wiki).await;

    // Past SESSION_MAX_AGE: the session ends when next used, and nothing was ended by anyone.
    app.clock.advance(Duration::from_secs(31 * 24 * 3600));
    assert_eq!(expired.get("/about").await.status(), Status::SeeOther);
    assert_eq!(settled(&app).await, 0);
    assert!(receiver.posts().is_empty(), "{:?}", receiver.posts());
    // The purge forgets which apps the expired session had signed in to.
    assert_eq!(app.count("app_sessions").await, 1);
    let purge = gitlogin::auth::purge::Purge::from_rocket(app.client.rocket()).unwrap();
    purge.run().await.unwrap();
    assert_eq!(app.count("app_sessions").await, 0);

    let browser = signed_in(&app).await;
    let mut sid = String::new();
    for rp in [&wiki, &gone, &plain] {
        sid = sid_for(&app, &browser, rp).await;
    }
    // Only the apps with a URI are remembered in the session.
    let remembered: i64 = sqlx::query_scalar("SELECT count(*) FROM app_sessions WHERE sid = $1")
        .bind(&sid)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(remembered, 2);
    remove(&app, &gone);
    browser.sign_out().await;

    let tokens = told(&receiver, 1).await;
    assert_eq!(settled(&app).await, 0);
    assert_eq!(tokens.len(), 1, "only wiki is told");
    assert_eq!(
        unverified_claims(&tokens[0])["aud"],
        wiki.client_id.as_str()
    );
}

#[rocket::async_test]
async fn the_uri_is_kept_as_registered_shown_and_a_bad_one_refused() {
    let app = TestApp::spawn().await;
    let uri = "https://wiki.example/oidc/callback?logout=backchannel";
    register(&app, "wiki", &["--backchannel-logout-uri", uri]);
    let show = run_to_end(
        gitlogin()
            .args(["apps", "show", "wiki"])
            .env("DATABASE_URL", &app.db_url),
    );
    let shown = String::from_utf8(show.stdout).unwrap();
    assert!(
        shown.contains(&format!("backchannel_logout_uri: {uri}\n")),
        "{shown}"
    );
    let list = run_to_end(
        gitlogin()
            .args(["apps", "list", "--json"])
            .env("DATABASE_URL", &app.db_url),
    );
    let listed: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(listed[0]["backchannel_logout_uri"], uri);

    for bad in [
        "http://wiki.example/logout",
        "https://wiki.example/logout#top",
        "/logout",
        "ftp://wiki.example/logout",
        "https://user:pw@wiki.example/logout",
    ] {
        let output = run_to_end(
            gitlogin()
                .args([
                    "apps",
                    "add",
                    "other",
                    "--redirect-uri",
                    "https://o.example/cb",
                ])
                .args(["--backchannel-logout-uri", bad])
                .env("DATABASE_URL", &app.db_url),
        );
        assert!(!output.status.success(), "{bad}");
        let said = String::from_utf8_lossy(&output.stderr);
        assert!(
            said.contains("is not a back-channel logout URI"),
            "{bad}: {said}"
        );
    }
    assert_eq!(app.count("apps").await, 1, "nothing half-written");

    let discovery = app
        .browser()
        .page("/.well-known/openid-configuration")
        .await;
    let discovery: Value = serde_json::from_str(&discovery).unwrap();
    assert_eq!(discovery["backchannel_logout_supported"], true);
    assert_eq!(discovery["backchannel_logout_session_supported"], true);
    assert!(discovery["claims_supported"]
        .as_array()
        .unwrap()
        .contains(&"sid".into()));
}
