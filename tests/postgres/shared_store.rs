//! What a shared store adds: purges running on every instance at once, and a database server
//! that goes away (or hangs) and comes back while the app keeps running.

use std::time::{Duration, Instant};

use rocket::futures::future::join;
use rocket::http::Status;

use gitlogin::auth::purge::Purge;

use crate::helpers::{random_secret_key, Browser, TestApp};
use crate::pg_cluster::Cluster;

/// Two in-process instances on one database and one secret key.
async fn two_instances_on(url: String) -> (TestApp, TestApp) {
    let key = random_secret_key();
    let (k, u) = (key.clone(), url.clone());
    let first = TestApp::spawn_with(move |f| {
        f.merge(("secret_key", k))
            .merge(("databases.gitlogin.url", u))
    })
    .await;
    let second = TestApp::spawn_with(move |f| {
        f.merge(("secret_key", key))
            .merge(("databases.gitlogin.url", url))
    })
    .await;
    (first, second)
}

#[rocket::async_test]
async fn purges_on_every_instance_at_once_neither_fail_nor_lose_live_rows() {
    let url = crate::pg_cluster::create_database(crate::pg_cluster::shared()).await;
    let (first, second) = two_instances_on(url.clone()).await;
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    first.browser().sign_in(None).await;
    // 5,000 sessions past their end, 500 live ones, and the real one from the sign-in.
    let now = first.clock.now();
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at,
                               sid)
         SELECT 'dead' || g, (SELECT id FROM users), 'x', 0, 0, 0, 'dead' || g
         FROM generate_series(1, 5000) g
         UNION ALL
         SELECT 'live' || g, (SELECT id FROM users), 'x', $1, $1, $1 + 3600, 'live' || g
         FROM generate_series(1, 500) g",
    )
    .bind(now)
    .execute(&mut conn)
    .await
    .unwrap();
    let purges = [first.client.rocket(), second.client.rocket()]
        .map(|rocket| Purge::from_rocket(rocket).unwrap());

    let (a, b) = join(purges[0].run(), purges[1].run()).await;

    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a + b, 5000, "each dead row deleted once: {a} + {b}");
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(left, 501);
    let (a, b) = join(purges[0].run(), purges[1].run()).await;
    assert_eq!((a.unwrap(), b.unwrap()), (0, 0));
}

#[rocket::async_test]
async fn a_stopped_database_server_is_a_503_within_seconds_and_recovery_needs_no_restart() {
    let (cluster, app) = app_on_a_cluster_of_its_own().await;
    let (browser, newcomer) = (app.browser(), app.browser());
    browser.sign_in(None).await;
    assert_eq!(browser.get("/about").await.status(), Status::Ok);

    cluster.stop().unwrap();
    assert_store_unavailable_within_seconds(&browser, &newcomer).await;

    cluster.resume().unwrap();
    assert_back_without_a_restart(&browser, &newcomer).await;
}

/// A server that hangs rather than goes away (its sockets stay open and nothing answers) must
/// not hang the app: the pool tests a connection before handing it out, within its timeout.
#[rocket::async_test]
async fn a_hung_database_server_is_a_503_within_seconds_and_recovery_needs_no_restart() {
    let (cluster, app) = app_on_a_cluster_of_its_own().await;
    let (browser, newcomer) = (app.browser(), app.browser());
    browser.sign_in(None).await;
    assert_eq!(browser.get("/about").await.status(), Status::Ok);

    let frozen = cluster.freeze();
    assert_store_unavailable_within_seconds(&browser, &newcomer).await;

    drop(frozen);
    assert_back_without_a_restart(&browser, &newcomer).await;
}

/// For the tests that stop or freeze the server: on the shared cluster that would fail every
/// other test.
async fn app_on_a_cluster_of_its_own() -> (Cluster, TestApp) {
    let cluster = crate::pg_cluster::start();
    let url = crate::pg_cluster::create_database(&cluster).await;
    let app = TestApp::spawn_with(move |f| f.merge(("databases.gitlogin.url", url))).await;
    (cluster, app)
}

/// The signed-in `browser`'s About page, `/health` and `newcomer`'s sign-in all answer 503, the
/// site's own page, each within the pool's 2 s wait (`connect_timeout` in the tests).
async fn assert_store_unavailable_within_seconds(browser: &Browser<'_>, newcomer: &Browser<'_>) {
    let about = within_seconds("About", async {
        let about = browser.get("/about").await;
        (about.status(), about.into_string().await.unwrap())
    })
    .await;
    let health = within_seconds("/health", async { browser.get("/health").await.status() }).await;
    let ready = within_seconds("/readyz", async { browser.get("/readyz").await.status() }).await;
    let live = within_seconds("/livez", async { browser.get("/livez").await.status() }).await;
    // Its first step already: `/login` reads which orgs the apps' rules name.
    let sign_in =
        within_seconds("a sign-in", async { newcomer.get("/login").await.status() }).await;
    assert_eq!(about.0, Status::ServiceUnavailable);
    assert!(about.1.contains("<h1"));
    assert_eq!(health, Status::ServiceUnavailable);
    // Not ready, and still live: a liveness probe must not restart it for the store's sake.
    assert_eq!(ready, Status::ServiceUnavailable);
    assert_eq!(live, Status::Ok);
    assert_eq!(sign_in, Status::ServiceUnavailable);
    assert!(newcomer.cookie("gitlogin_session").is_none());
}

/// `request`'s answer, which must come within the pool's 2 s wait and 2 s of slack. A hang
/// would be the bug itself, so it is cut off at 30 s and fails rather than waits for ever.
async fn within_seconds<T>(what: &str, request: impl std::future::Future<Output = T>) -> T {
    let started = Instant::now();
    let answer = rocket::tokio::time::timeout(Duration::from_secs(30), request)
        .await
        .unwrap_or_else(|_| panic!("{what} hung on the unavailable store"));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(4), "{what} took {took:?}");
    answer
}

/// Once the server answers again, so does the app, with no restart: `/health` within seconds,
/// the session from before, and a new sign-in.
async fn assert_back_without_a_restart(browser: &Browser<'_>, newcomer: &Browser<'_>) {
    let mut health = Status::ServiceUnavailable;
    for _ in 0..100 {
        health = browser.get("/health").await.status();
        if health == Status::Ok {
            break;
        }
        rocket::tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(health, Status::Ok, "the app got going again by itself");
    assert_eq!(browser.get("/readyz").await.status(), Status::Ok);
    assert_eq!(
        browser.get("/about").await.status(),
        Status::Ok,
        "the session survived"
    );
    assert_eq!(newcomer.sign_in(None).await.status(), Status::SeeOther);
}
