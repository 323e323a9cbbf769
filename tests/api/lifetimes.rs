//! Sessions end on the server: after an idle spell, after their absolute age, and the purge
//! clears what is left. Time moves with the app's test clock, never with sleeps.

use std::time::{Duration, Instant};

use rocket::http::Status;

use gitlogin::auth::purge::Purge;

use crate::helpers::{assert_redirect, Store, TestApp};

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;

async fn app_with(idle: &str, max_age: &str) -> TestApp {
    let (idle, max_age) = (idle.to_owned(), max_age.to_owned());
    TestApp::spawn_with(move |f| {
        f.merge(("session_idle_timeout", idle))
            .merge(("session_max_age", max_age))
    })
    .await
}

#[rocket::async_test]
async fn the_cookie_lives_as_long_as_the_absolute_limit() {
    let app = app_with("2h", "12h").await;

    let callback = app.browser().sign_in(None).await;

    let session = callback
        .headers()
        .get("Set-Cookie")
        .find(|c| c.starts_with("gitlogin_session="))
        .unwrap();
    assert!(session.contains("Max-Age=43200"), "{session}");
}

#[rocket::async_test]
async fn an_idle_session_is_signed_out_and_deleted() {
    let app = app_with("2h", "30d").await;
    let browser = app.browser();
    browser.sign_in(None).await;

    app.clock.advance(Duration::from_secs(HOUR + 59 * MINUTE));
    assert_eq!(
        browser.get("/about").await.status(),
        Status::Ok,
        "still within 2h"
    );
    // Each visit counts as activity: another 1h59m later it is still alive.
    app.clock.advance(Duration::from_secs(HOUR + 59 * MINUTE));
    assert_eq!(browser.get("/about").await.status(), Status::Ok);
    app.clock.advance(Duration::from_secs(2 * HOUR + MINUTE));

    assert_redirect(&browser.get("/about").await, "/login?next=/about");
    assert_eq!(app.count("sessions").await, 0);
}

#[rocket::async_test]
async fn a_session_past_its_absolute_age_ends_however_busy() {
    let app = app_with("2h", "6h").await;
    let browser = app.browser();
    browser.sign_in(None).await;

    for _ in 0..5 {
        app.clock.advance(Duration::from_secs(HOUR));
        assert_eq!(browser.get("/about").await.status(), Status::Ok);
    }
    app.clock.advance(Duration::from_secs(HOUR));

    assert_redirect(&browser.get("/about").await, "/login?next=/about");
    assert_eq!(app.count("sessions").await, 0);
}

#[rocket::async_test]
async fn last_seen_is_written_at_most_once_a_minute() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;
    // Count every write to `sessions` from here on.
    let count_writes: &[&str] = match crate::STORE {
        Store::Sqlite => &["CREATE TRIGGER count_writes AFTER UPDATE ON sessions
                            BEGIN UPDATE writes SET n = n + 1; END"],
        Store::Postgres => &[
            "CREATE FUNCTION count_write() RETURNS trigger LANGUAGE plpgsql
             AS $$ BEGIN UPDATE writes SET n = n + 1; RETURN NULL; END $$",
            "CREATE TRIGGER count_writes AFTER UPDATE ON sessions
             FOR EACH ROW EXECUTE FUNCTION count_write()",
        ],
    };
    let setup = [
        "CREATE TABLE writes (n BIGINT NOT NULL)",
        "INSERT INTO writes VALUES (0)",
    ];
    for sql in setup.iter().chain(count_writes) {
        sqlx::query(sql).execute(&app.db).await.unwrap();
    }
    let writes = || async {
        sqlx::query_scalar::<_, i64>("SELECT n FROM writes")
            .fetch_one(&app.db)
            .await
            .unwrap()
    };

    for _ in 0..20 {
        assert_eq!(browser.get("/about").await.status(), Status::Ok);
    }
    assert_eq!(
        writes().await,
        0,
        "page views within the first minute are reads"
    );

    app.clock.advance(Duration::from_secs(61));
    for _ in 0..20 {
        browser.get("/").await;
    }
    assert_eq!(
        writes().await,
        1,
        "one write for the new minute, not twenty"
    );
}

#[rocket::async_test]
async fn the_purge_deletes_idle_and_too_old_sessions_and_keeps_live_ones() {
    let app = app_with("1h", "1d").await;
    let purge = Purge::from_rocket(app.client.rocket()).unwrap();
    let idle = app.browser();
    idle.sign_in(None).await;
    let busy = app.browser();
    busy.sign_in(None).await;

    // Nobody visits again through `idle`; `busy` is used every 50 minutes.
    app.clock.advance(Duration::from_secs(50 * MINUTE));
    busy.get("/").await;
    app.clock.advance(Duration::from_secs(11 * MINUTE));
    assert_eq!(purge.run().await.unwrap(), 1, "the idle one");
    assert_eq!(app.count("sessions").await, 1);
    assert_eq!(busy.get("/about").await.status(), Status::Ok);

    // Keep `busy` busy until just before its first day is over, then stop looking.
    for _ in 0..27 {
        app.clock.advance(Duration::from_secs(50 * MINUTE));
        assert_eq!(busy.get("/").await.status(), Status::Ok);
    }
    assert_eq!(
        purge.run().await.unwrap(),
        0,
        "still under a day old and active"
    );
    app.clock.advance(Duration::from_secs(HOUR / 2));

    assert_eq!(
        purge.run().await.unwrap(),
        1,
        "over a day old, though used 30 minutes ago"
    );
    assert_eq!(app.count("sessions").await, 0);
}

#[rocket::async_test]
async fn the_purge_also_runs_at_start_up() {
    let first = TestApp::spawn().await;
    first.browser().sign_in(None).await;
    sqlx::query("UPDATE sessions SET expires_at = 0")
        .execute(&first.db)
        .await
        .unwrap();
    let url = first.db_url.clone();

    // A second app on the same store: its liftoff purge removes the dead row.
    let second = TestApp::spawn_with(move |f| f.merge(("databases.gitlogin.url", url))).await;
    // The purge runs in a task of its own: wait for it, up to a deadline a slow machine meets.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut remaining = first.count("sessions").await;
    while remaining != 0 && Instant::now() < deadline {
        rocket::tokio::time::sleep(Duration::from_millis(20)).await;
        remaining = first.count("sessions").await;
    }

    assert_eq!(remaining, 0);
    drop(second);
}
