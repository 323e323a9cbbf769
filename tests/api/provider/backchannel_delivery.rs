//! How logout tokens travel: an app that is down gets a fresh token once it is back (never a
//! replay), a 400 is its refusal and is never retried, one that keeps failing is dropped after
//! the events' last attempt, and two instances on one store send each logout once. Each
//! outcome is counted in `/metrics`, whose counters the tests of one process share: a count
//! only this file's test can move is checked exactly, the others at least.

use std::time::Duration;

use jsonwebtoken::Algorithm;

use super::backchannel::{settled, sid_for, told, with_logouts};
use super::logout_receiver::{verified, LogoutReceiver};
use super::{signed_in, unverified_claims, Rp};
use crate::event_receiver::eventually;
use crate::helpers::{Browser, TestApp};

const METRICS_TOKEN: &str = "the-scrapers-token";

/// gitlogin with its metrics on, `wiki` taking logouts at a receiver, and a browser signed in
/// to it.
async fn wiki_signed_in() -> (TestApp, LogoutReceiver, Rp) {
    let app = TestApp::spawn_with(|f| f.merge(("metrics_token", METRICS_TOKEN))).await;
    let receiver = LogoutReceiver::start().await;
    let wiki = with_logouts(&app, "wiki", &receiver, "RS256");
    (app, receiver, wiki)
}

/// How many deliveries `/metrics` has counted with `outcome`.
async fn counted(app: &TestApp, outcome: &str) -> f64 {
    let request = app.client.get("/metrics").header(rocket::http::Header::new(
        "Authorization",
        format!("Bearer {METRICS_TOKEN}"),
    ));
    let scrape = request.dispatch().await.into_string().await.unwrap();
    let series = format!("gitlogin_backchannel_logout_deliveries_total{{outcome=\"{outcome}\"}} ");
    scrape
        .lines()
        .find_map(|line| line.strip_prefix(&series))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

/// Waits until the outbox has recorded `attempts` failed attempts at its one logout: its
/// next attempt is timed from then, so the test's clock must not move before.
async fn failed(app: &TestApp, attempts: i64) {
    eventually("the failure is recorded", async || {
        let recorded: Option<i64> = sqlx::query_scalar("SELECT attempts FROM logout_deliveries")
            .fetch_optional(&app.db)
            .await
            .unwrap();
        recorded == Some(attempts)
    })
    .await;
}

/// Signs `browser` in to `wiki`, then out: one logout on its way.
async fn signed_out_of(app: &TestApp, browser: &Browser<'_>, wiki: &Rp) {
    sid_for(app, browser, wiki).await;
    browser.sign_out().await;
}

#[rocket::async_test]
async fn an_app_that_is_down_gets_a_fresh_token_once_it_is_back() {
    let (app, receiver, wiki) = wiki_signed_in().await;
    receiver.answer(503);

    signed_out_of(&app, &signed_in(&app).await, &wiki).await;
    let first = told(&receiver, 1).await.remove(0);
    failed(&app, 1).await;
    receiver.answer(204);
    // The first retry is 10 s later on the app's clock, and not before.
    app.clock.advance(Duration::from_secs(9));
    assert_eq!(app.count("logout_deliveries").await, 1);
    app.clock.advance(Duration::from_secs(1));
    let second = told(&receiver, 2).await.remove(1);

    let (old, new) = (unverified_claims(&first), unverified_claims(&second));
    assert_ne!(old["jti"], new["jti"], "a retry is never a replay");
    assert_eq!(
        new["iat"].as_i64().unwrap(),
        old["iat"].as_i64().unwrap() + 10
    );
    verified(&app, &wiki, Algorithm::RS256, &second).await;
    assert_eq!(settled(&app).await, 0);
    // Other tests of this process count too: at least this one's.
    assert!(counted(&app, "retried").await >= 1.0);
    assert!(counted(&app, "delivered").await >= 1.0);
}

#[rocket::async_test]
async fn an_app_that_answers_400_has_refused_the_token_and_is_not_asked_again() {
    let (app, receiver, wiki) = wiki_signed_in().await;
    receiver.answer(400);

    signed_out_of(&app, &signed_in(&app).await, &wiki).await;
    told(&receiver, 1).await;
    assert_eq!(settled(&app).await, 0);
    app.clock.advance(Duration::from_secs(24 * 3600));
    assert_eq!(settled(&app).await, 0);

    assert_eq!(receiver.posts().len(), 1);
    assert_eq!(counted(&app, "refused").await, 1.0);
}

/// The events' schedule (docs/running.md): eight attempts over about a day, each at its time
/// on the app's clock, then the logout is dropped, counted once.
#[rocket::async_test]
async fn a_logout_the_app_never_takes_is_dropped_after_the_last_attempt() {
    let (app, receiver, wiki) = wiki_signed_in().await;
    receiver.answer(502);

    signed_out_of(&app, &signed_in(&app).await, &wiki).await;
    told(&receiver, 1).await;
    for (attempt, wait) in [10, 60, 300, 1800, 7200, 21600, 43200]
        .into_iter()
        .enumerate()
    {
        failed(&app, attempt as i64 + 1).await;
        app.clock.advance(Duration::from_secs(wait - 1));
        assert_eq!(receiver.posts().len(), attempt + 1, "not before its time");
        app.clock.advance(Duration::from_secs(1));
        told(&receiver, attempt + 2).await;
    }
    assert_eq!(settled(&app).await, 0);
    app.clock.advance(Duration::from_secs(24 * 3600));
    assert_eq!(settled(&app).await, 0);

    assert_eq!(receiver.posts().len(), 8);
    assert!(counted(&app, "retried").await >= 7.0);
    assert_eq!(counted(&app, "dropped").await, 1.0);
}

/// Two instances on one store, both woken at once: each logout is claimed by one of them and
/// POSTed once (on PostgreSQL, by whichever instance takes its row first).
#[rocket::async_test]
async fn two_instances_on_one_store_send_each_logout_once() {
    let first = TestApp::spawn().await;
    let receiver = LogoutReceiver::start().await;
    let wiki = with_logouts(&first, "wiki", &receiver, "RS256");
    let store = first.db_url.clone();
    let second = TestApp::spawn_with_clock(first.clock.clone(), move |f| {
        f.merge(("databases.gitlogin.url", store))
    })
    .await;
    let mut sids = Vec::new();
    let mut browsers = Vec::new();
    for app in [&first, &second, &first, &second] {
        let browser = signed_in(app).await;
        sids.push(sid_for(app, &browser, &wiki).await);
        browsers.push(browser);
    }

    for browser in &browsers {
        browser.sign_out().await;
    }
    told(&receiver, 4).await;
    assert_eq!(settled(&first).await, 0);
    first.clock.advance(Duration::from_secs(1));
    rocket::tokio::time::sleep(Duration::from_millis(200)).await;

    let mut told: Vec<String> = receiver
        .tokens()
        .iter()
        .map(|t| unverified_claims(t)["sid"].as_str().unwrap().to_owned())
        .collect();
    told.sort();
    sids.sort();
    assert_eq!(told, sids, "each session once");
}

/// An app that takes the POST and never answers is given up on after 10 s and tried again
/// later; meanwhile the logout stays claimed, so another instance looking a minute later by
/// the clock does not send it a second time.
#[rocket::async_test]
async fn an_app_that_never_answers_is_given_up_on_after_ten_seconds_and_not_sent_twice() {
    let (url, connections) = crate::event_receiver::silent().await;
    let first = TestApp::spawn().await;
    let wiki = super::register(&first, "wiki", &["--backchannel-logout-uri", &url]);
    let store = first.db_url.clone();
    let second = TestApp::spawn_with_clock(first.clock.clone(), move |f| {
        f.merge(("databases.gitlogin.url", store))
    })
    .await;
    signed_out_of(&first, &signed_in(&first).await, &wiki).await;
    eventually("the logout is under way", async || {
        *connections.lock().unwrap() == 1
    })
    .await;
    let started = std::time::Instant::now();

    second.clock.advance(Duration::from_secs(65));
    while std::time::Instant::now() < started + Duration::from_secs(20) {
        let failed: Option<i64> = sqlx::query_scalar("SELECT attempts FROM logout_deliveries")
            .fetch_optional(&first.db)
            .await
            .unwrap();
        if failed == Some(1) {
            break;
        }
        rocket::tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(9) && waited < Duration::from_secs(20),
        "{waited:?}"
    );
    assert_eq!(*connections.lock().unwrap(), 1, "one attempt");
}
