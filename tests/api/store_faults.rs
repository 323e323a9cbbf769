//! A store that stops answering: what needs it says so with a 503 (the site's own page,
//! within the pool's timeout), `/health` says so, and everything works again once the store
//! is back, without a restart.

use std::time::Duration;

use rocket::http::Status;
use sqlx::{Connection, SqliteConnection};

use crate::helpers::{assert_redirect, TestApp};

/// Another process's connection holding the write lock until dropped (WAL readers go on).
async fn lock_for_writing(app: &TestApp) -> SqliteConnection {
    let mut conn = SqliteConnection::connect(&app.db_url).await.unwrap();
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut conn)
        .await
        .unwrap();
    conn
}

#[rocket::async_test]
async fn a_locked_store_answers_503_and_recovers_by_itself() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;
    let csrf = browser.csrf_token().await;
    // Due for its once-a-minute `last_seen` write.
    app.clock.advance(Duration::from_secs(120));

    let lock = lock_for_writing(&app).await;
    let health = browser.get("/health").await;
    let sign_in = app.browser().sign_in(None).await;
    let about = browser.get("/about").await;
    let logout = browser
        .post_form("/logout", &format!("csrf_token={csrf}"))
        .await;

    assert_eq!(health.status(), Status::ServiceUnavailable);
    assert_eq!(
        health.into_string().await.unwrap(),
        r#"{"status":"unavailable"}"#
    );
    assert_eq!(sign_in.status(), Status::ServiceUnavailable);
    assert_eq!(about.status(), Status::ServiceUnavailable);
    assert_eq!(logout.status(), Status::ServiceUnavailable);
    let page = sign_in.into_string().await.unwrap();
    assert!(page.contains("store is not answering") && page.contains("Back to the home page"));

    drop(lock);
    assert_eq!(browser.get("/health").await.status(), Status::Ok);
    assert_eq!(browser.get("/about").await.status(), Status::Ok);
    assert_redirect(&app.browser().sign_in(None).await, "/");
    assert_eq!(app.count("users").await, 1);
    assert_eq!(
        app.count("sessions").await,
        2,
        "the failed sign-in left no row"
    );
}

#[rocket::async_test]
async fn a_store_that_cannot_be_read_answers_503_on_every_page_that_needs_it() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;
    sqlx::query("ALTER TABLE sessions RENAME TO sessions_away")
        .execute(&app.db)
        .await
        .unwrap();

    assert_eq!(browser.get("/").await.status(), Status::ServiceUnavailable);
    assert_eq!(
        browser.get("/about").await.status(),
        Status::ServiceUnavailable
    );
    // A visitor without a session needs no store to see the home page.
    assert_eq!(app.browser().get("/").await.status(), Status::Ok);

    sqlx::query("ALTER TABLE sessions_away RENAME TO sessions")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(browser.get("/about").await.status(), Status::Ok);
}

/// A liveness probe must not restart an instance the store has let down: it answers while
/// readiness says to send the traffic elsewhere, and both agree again once the store is back.
#[rocket::async_test]
async fn a_locked_store_leaves_the_process_live_but_not_ready() {
    let app = TestApp::spawn().await;
    let browser = app.browser();

    let lock = lock_for_writing(&app).await;
    let live = browser.get("/livez").await;
    let ready = browser.get("/readyz").await;

    assert_eq!(live.status(), Status::Ok);
    assert_eq!(ready.status(), Status::ServiceUnavailable);
    assert_eq!(live.into_string().await.unwrap(), "ok\n");
    lock.close().await.unwrap();
    assert_eq!(browser.get("/readyz").await.status(), Status::Ok);
    assert_eq!(browser.get("/livez").await.status(), Status::Ok);
}
