//! Events for the operator's other systems: each change is told to `EVENTS_URL`, signed, at
//! least once, in the background: a receiver that is down, slow or failing never delays or
//! fails the request, and an event is retried on the app's clock until its last attempt.

use std::time::Duration;

use rocket::http::Status;

use crate::event_receiver::{eventually, silent, Receiver, SECRET};
use crate::helpers::TestApp;

/// The app, sending its events to `url`.
async fn app_sending_to(url: &str) -> TestApp {
    let url = url.to_owned();
    TestApp::spawn_with(move |f| {
        f.merge(("events_url", url))
            .merge(("events_secret", SECRET))
            .merge(("events_timeout", 1))
    })
    .await
}

/// Rows still in the outbox with at least `attempts` failed attempts.
async fn waiting(app: &TestApp, attempts: i64) -> i64 {
    let sql = format!("SELECT count(*) FROM events WHERE attempts >= {attempts}");
    sqlx::query_scalar(&sql).fetch_one(&app.db).await.unwrap()
}

fn kinds(receiver: &Receiver) -> Vec<String> {
    let mut kinds: Vec<String> = receiver
        .deliveries()
        .iter()
        .map(|d| d.kind().to_owned())
        .collect();
    kinds.sort();
    kinds
}

#[rocket::async_test]
async fn every_change_reaches_the_receiver_signed_with_the_persons_ids() {
    let receiver = Receiver::start(0).await;
    let app = app_sending_to(&receiver.url).await;
    let browser = app.browser();

    assert_eq!(browser.sign_in(None).await.status(), Status::SeeOther);
    eventually("the first sign-in is told", async || {
        receiver.deliveries().len() == 2
    })
    .await;
    assert_eq!(kinds(&receiver), ["user.created", "user.signed_in"]);

    browser.sign_out().await;
    browser.sign_in(None).await;
    let csrf = browser.csrf_token().await;
    let delete = format!("csrf_token={csrf}&confirm=octocat");
    assert_eq!(
        browser.post_form("/account/delete", &delete).await.status(),
        Status::SeeOther
    );
    eventually("every change is told", async || {
        receiver.deliveries().len() == 5
    })
    .await;
    assert_eq!(
        kinds(&receiver),
        [
            "user.created",
            "user.deleted",
            "user.signed_in",
            "user.signed_in",
            "user.signed_out"
        ]
    );

    let deliveries = receiver.deliveries();
    for delivery in &deliveries {
        assert_eq!(delivery.event, delivery.kind(), "{delivery:?}");
        assert_eq!(delivery.body["user"]["github_id"], 583231, "{delivery:?}");
        assert_eq!(delivery.body["user"]["login"], "octocat", "{delivery:?}");
        let at = delivery.body["created_at"].as_str().unwrap();
        let format = time::format_description::well_known::Rfc3339;
        assert!(time::OffsetDateTime::parse(at, &format).is_ok(), "{at}");
    }
    let mut ids: Vec<&str> = deliveries
        .iter()
        .map(|d| d.body["id"].as_str().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5, "each event has an id of its own");
    eventually("a delivered event leaves the outbox", async || {
        app.count("events").await == 0
    })
    .await;
}

#[rocket::async_test]
async fn without_events_url_nothing_is_written_to_the_outbox() {
    let app = TestApp::spawn().await;
    app.browser().sign_in(None).await;
    assert_eq!(app.count("users").await, 1);
    assert_eq!(app.count("events").await, 0);
}

/// Down behind its proxy (502), then up: the retry after the first step of the backoff gets
/// it there, and not before.
#[rocket::async_test]
async fn a_receiver_that_is_down_gets_the_event_once_it_is_up() {
    let receiver = Receiver::start(0).await;
    receiver.answer(502);
    let app = app_sending_to(&receiver.url).await;

    // The sign-in is not held up, and the events wait in the outbox.
    assert_eq!(app.browser().sign_in(None).await.status(), Status::SeeOther);
    eventually("both attempts fail", async || waiting(&app, 1).await == 2).await;

    receiver.answer(204);
    // The first retry is 10 s later on the app's clock.
    app.clock.advance(Duration::from_secs(10));
    eventually("the retry is delivered", async || {
        receiver.deliveries().len() == 2
    })
    .await;
    assert_eq!(kinds(&receiver), ["user.created", "user.signed_in"]);
    // The sender deletes a delivered event once the receiver's answer is in: just after.
    eventually("the delivered events leave the outbox", async || {
        app.count("events").await == 0
    })
    .await;
}

/// Nobody listens at all (the connection is refused): the same, counted and kept.
#[rocket::async_test]
async fn a_receiver_nobody_listens_on_is_retried_later() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/in", closed.local_addr().unwrap());
    drop(closed);
    let app = app_sending_to(&url).await;

    assert_eq!(app.browser().sign_in(None).await.status(), Status::SeeOther);
    eventually("both attempts fail", async || waiting(&app, 1).await == 2).await;
    assert_eq!(app.count("events").await, 2, "kept for the next attempt");
}

#[rocket::async_test]
async fn a_receiver_that_never_answers_is_given_up_on_after_the_timeout_and_retried() {
    let (url, connections) = silent().await;
    let app = app_sending_to(&url).await;

    assert_eq!(app.browser().sign_in(None).await.status(), Status::SeeOther);
    // Each attempt waits EVENTS_TIMEOUT (1 s here), then counts as failed.
    eventually("both attempts time out", async || {
        waiting(&app, 1).await == 2
    })
    .await;
    assert_eq!(*connections.lock().unwrap(), 2);
    app.clock.advance(Duration::from_secs(10));
    eventually("both are tried again", async || waiting(&app, 2).await == 2).await;
}

#[rocket::async_test]
async fn an_event_the_receiver_keeps_refusing_is_dropped_after_its_last_attempt() {
    let receiver = Receiver::start(0).await;
    receiver.answer(503);
    let app = app_sending_to(&receiver.url).await;
    let browser = app.browser();
    browser.sign_in(None).await;
    // Only the sign-out's event, from here on.
    eventually("the sign-in's two attempts", async || {
        receiver.attempts().len() == 2
    })
    .await;
    sqlx::query("DELETE FROM events")
        .execute(&app.db)
        .await
        .unwrap();
    browser.sign_out().await;

    // docs/running.md's schedule: each retry comes at its time on the app's clock, not before.
    let backoff = [10, 60, 5 * 60, 30 * 60, 2 * 3600, 6 * 3600, 12 * 3600];
    for attempt in 1..=8 {
        eventually("the next attempt", async || {
            receiver.attempts().len() == 2 + attempt
        })
        .await;
        eventually("it is counted", async || {
            app.count("events").await == 0 || waiting(&app, attempt as i64).await == 1
        })
        .await;
        let Some(wait) = backoff.get(attempt - 1) else {
            break;
        };
        app.clock.advance(Duration::from_secs(wait - 1));
        rocket::tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(receiver.attempts().len(), 2 + attempt, "too early");
        app.clock.advance(Duration::from_secs(1));
    }
    app.clock.advance(Duration::from_secs(24 * 3600));
    eventually("it is dropped", async || app.count("events").await == 0).await;
    let tried = receiver.attempts()[2..].to_vec();
    assert_eq!(tried.len(), 8, "eight attempts, then no more: {tried:?}");
    assert!(
        tried.iter().all(|id| id == &tried[0]),
        "the same id each time"
    );
    assert!(receiver.deliveries().is_empty());
}

#[rocket::async_test]
async fn two_instances_on_one_store_send_each_event_once() {
    let receiver = Receiver::start(0).await;
    let first = app_sending_to(&receiver.url).await;
    let url = receiver.url.clone();
    let store = first.db_url.clone();
    let second = TestApp::spawn_with_clock(first.clock.clone(), move |f| {
        f.merge(("events_url", url))
            .merge(("events_secret", SECRET))
            .merge(("databases.gitlogin.url", store))
    })
    .await;

    for app in [&first, &second, &first, &second] {
        app.browser().sign_in(None).await;
    }
    eventually("the outbox empties", async || {
        first.count("events").await == 0
    })
    .await;
    // Both senders are woken at once, and each event must be sent by one of them only.
    first.clock.advance(Duration::from_secs(1));
    rocket::tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.attempts().len(), 5, "{:?}", kinds(&receiver));
    assert_eq!(
        kinds(&receiver),
        [
            "user.created",
            "user.signed_in",
            "user.signed_in",
            "user.signed_in",
            "user.signed_in"
        ]
    );
}

/// `gitlogin users sign-out` exits at once; its event waits in the outbox for a server.
#[rocket::async_test]
async fn the_operators_sign_out_is_sent_by_a_server_after_the_command_exits() {
    let receiver = Receiver::start(0).await;
    let app = app_sending_to(&receiver.url).await;
    app.browser().sign_in(None).await;
    eventually("the sign-in is told", async || {
        receiver.deliveries().len() == 2
    })
    .await;

    let signed_out = sign_out_command(&app, Some(&receiver.url));
    assert!(signed_out.status.success(), "{signed_out:?}");
    assert_eq!(app.count("sessions").await, 0);
    // Found at the server's next look at the outbox (a move of its clock is one).
    catch_up_with_the_command(&app).await;
    eventually("the sign-out is told", async || {
        receiver.deliveries().len() == 3
    })
    .await;
    assert_eq!(receiver.deliveries()[2].kind(), "user.signed_out");
    assert_eq!(app.count("events").await, 0);
}

#[rocket::async_test]
async fn without_events_url_the_operators_sign_out_writes_no_event() {
    let app = TestApp::spawn().await;
    app.browser().sign_in(None).await;
    let signed_out = sign_out_command(&app, None);
    assert!(signed_out.status.success(), "{signed_out:?}");
    assert_eq!(app.count("sessions").await, 0);
    assert_eq!(app.count("events").await, 0);
}

/// The command dates its event by the real clock, which may be seconds past the test's
/// frozen one on a busy machine: the app's clock is moved up to it (a move wakes the sender).
async fn catch_up_with_the_command(app: &TestApp) {
    let due: i64 = sqlx::query_scalar("SELECT max(next_attempt_at) FROM events")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let ahead = (due - app.clock.now()).max(0) as u64;
    app.clock.advance(Duration::from_secs(ahead));
}

/// Another instance on `first`'s store and clock, sending to `url` as `first` does.
async fn second_instance(first: &TestApp, url: &str) -> TestApp {
    let (store, url) = (first.db_url.clone(), url.to_owned());
    TestApp::spawn_with_clock(first.clock.clone(), move |f| {
        f.merge(("events_url", url))
            .merge(("events_secret", SECRET))
            .merge(("events_timeout", 1))
            .merge(("databases.gitlogin.url", store))
    })
    .await
}

fn sign_out_command(app: &TestApp, events_url: Option<&str>) -> std::process::Output {
    let mut command = crate::real_server::gitlogin();
    command
        .args(["users", "sign-out", "octocat"])
        .env("DATABASE_URL", &app.db_url);
    if let Some(url) = events_url {
        command.env("EVENTS_URL", url).env("EVENTS_SECRET", SECRET);
    }
    crate::real_server::run_to_end(&mut command)
}

/// A sender claims an event for as long as its delivery may take: another instance that
/// looks meanwhile leaves it alone, even though it is still in the outbox.
#[rocket::async_test]
async fn an_event_being_delivered_is_not_sent_again_by_another_instance() {
    let (url, connections) = silent().await;
    let first = app_sending_to(&url).await;
    let second = second_instance(&first, &url).await;

    first.browser().sign_in(None).await;
    eventually("a delivery is under way", async || {
        *connections.lock().unwrap() >= 1
    })
    .await;
    // Wakes both senders while the receiver holds the first delivery.
    second.clock.advance(Duration::ZERO);
    eventually("both events were tried", async || {
        waiting(&first, 1).await == 2
    })
    .await;
    assert_eq!(*connections.lock().unwrap(), 2, "one attempt per event");
}

/// Allowing an app on its consent page is told too, naming the app.
#[rocket::async_test]
async fn a_consent_to_an_app_is_told_naming_the_app() {
    let receiver = Receiver::start(0).await;
    let app = app_sending_to(&receiver.url).await;
    let rp = crate::provider::register(&app, "wiki", &[]);
    let browser = crate::provider::signed_in(&app).await;
    crate::provider::code(&browser, &rp, &crate::provider::Authorize::new(&rp)).await;

    eventually("the consent is told", async || {
        receiver
            .deliveries()
            .iter()
            .any(|d| d.kind() == "app.consented")
    })
    .await;
    let deliveries = receiver.deliveries();
    let consented = deliveries
        .iter()
        .find(|d| d.kind() == "app.consented")
        .unwrap();
    assert_eq!(consented.body["app"]["name"], "wiki");
    assert_eq!(consented.body["user"]["login"], "octocat");
}

/// The claim lasts the delivery's timeout and a minute more, so that a slow answer is never
/// sent twice: with one event in flight, the other instance looking a minute later by the
/// clock still leaves it alone.
#[rocket::async_test]
async fn an_event_in_flight_is_claimed_for_its_timeout_and_a_minute_more() {
    let (url, connections) = silent().await;
    let first = app_sending_to(&url).await;
    let second = second_instance(&first, &url).await;
    first.browser().sign_in(None).await;
    eventually("the sign-in's events failed once", async || {
        waiting(&first, 1).await == 2
    })
    .await;
    sqlx::query("DELETE FROM events")
        .execute(&first.db)
        .await
        .unwrap();
    let before = *connections.lock().unwrap();

    assert!(sign_out_command(&first, Some(&url)).status.success());
    catch_up_with_the_command(&first).await;
    eventually("the one event is under way", async || {
        *connections.lock().unwrap() == before + 1
    })
    .await;
    second.clock.advance(Duration::from_secs(60));
    eventually("its attempt failed", async || waiting(&first, 1).await == 1).await;

    assert_eq!(*connections.lock().unwrap(), before + 1, "one attempt");
}
