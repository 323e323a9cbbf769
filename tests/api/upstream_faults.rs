//! GitHub failing in each way it can: a clear 502/504 page, quickly, no row, and the app
//! keeps serving.

use std::time::{Duration, Instant};

use rocket::http::Status;

use crate::helpers::TestApp;
use gitlogin::github::fake::Fault;

async fn sign_in_with_fault(
    token: Option<Fault>,
    user: Option<Fault>,
) -> (Status, String, Duration, TestApp) {
    let app = TestApp::spawn().await;
    app.github.with(|s| {
        s.token_fault = token;
        s.user_fault = user;
    });
    let browser = app.browser();
    let started = Instant::now();
    let response = browser.sign_in(None).await;
    let elapsed = started.elapsed();
    let status = response.status();
    let body = response.into_string().await.unwrap_or_default();
    assert!(browser.cookie("gitlogin_session").is_none());
    (status, body, elapsed, app)
}

async fn assert_still_serving(app: &TestApp) {
    assert_eq!(app.count("users").await, 0);
    assert_eq!(app.count("sessions").await, 0);
    assert_eq!(app.browser().get("/health").await.status(), Status::Ok);
    // And the next sign-in works once GitHub is back.
    app.github.with(|s| {
        s.token_fault = None;
        s.user_fault = None;
    });
    let browser = app.browser();
    crate::helpers::assert_redirect(&browser.sign_in(None).await, "/");
}

#[rocket::async_test]
async fn token_endpoint_5xx_is_a_502_page() {
    let (status, body, _, app) = sign_in_with_fault(Some(Fault::ServerError), None).await;
    assert_eq!(status, Status::BadGateway);
    assert!(body.contains("GitHub gave an answer we could not use"));
    assert_still_serving(&app).await;
}

#[rocket::async_test]
async fn token_endpoint_garbage_is_a_502_page() {
    let (status, _, _, app) = sign_in_with_fault(Some(Fault::Garbage), None).await;
    assert_eq!(status, Status::BadGateway);
    assert_still_serving(&app).await;
}

#[rocket::async_test]
async fn user_endpoint_5xx_is_a_502_page() {
    let (status, _, _, app) = sign_in_with_fault(None, Some(Fault::ServerError)).await;
    assert_eq!(status, Status::BadGateway);
    assert_still_serving(&app).await;
}

#[rocket::async_test]
async fn user_endpoint_invalid_json_is_a_502_page() {
    let (status, body, _, app) = sign_in_with_fault(None, Some(Fault::Garbage)).await;
    assert_eq!(status, Status::BadGateway);
    assert!(body.contains("Back to the home page"));
    assert_still_serving(&app).await;
}

/// The tests configure a 2 s timeout (`github_timeout`) so the 10 s default is not waited out.
#[rocket::async_test]
async fn a_slow_token_endpoint_is_a_504_page_within_the_timeout() {
    let (status, body, elapsed, app) =
        sign_in_with_fault(Some(Fault::Slow(Duration::from_secs(6))), None).await;
    assert_eq!(status, Status::GatewayTimeout);
    assert!(body.contains("GitHub did not answer in time"));
    assert!(
        elapsed < Duration::from_secs(6),
        "waited {elapsed:?}: the timeout did not fire"
    );
    assert_still_serving(&app).await;
}

#[rocket::async_test]
async fn a_slow_user_endpoint_is_a_504_page_within_the_timeout() {
    let (status, _, elapsed, app) =
        sign_in_with_fault(None, Some(Fault::Slow(Duration::from_secs(6)))).await;
    assert_eq!(status, Status::GatewayTimeout);
    assert!(elapsed < Duration::from_secs(6), "waited {elapsed:?}");
    assert_still_serving(&app).await;
}

#[rocket::async_test]
async fn an_unreachable_github_is_a_502_page() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = format!("http://127.0.0.1:{port}");
    let app = TestApp::spawn_with(|f| f.merge(("github_api_url", dead))).await;
    let browser = app.browser();

    let response = browser.sign_in(None).await;

    assert_eq!(response.status(), Status::BadGateway);
    assert_eq!(app.count("users").await, 0);
    assert_eq!(browser.get("/health").await.status(), Status::Ok);
}

#[rocket::async_test]
async fn the_api_calls_carry_the_headers_github_requires() {
    // The fake answers 403 without a User-Agent and 415 without GitHub's Accept type, so a
    // sign-in that succeeds proves both were sent, with the token as a Bearer.
    let app = TestApp::spawn().await;
    let browser = app.browser();

    crate::helpers::assert_redirect(&browser.sign_in(None).await, "/");

    assert_eq!(app.github.with(|s| s.user_requests), 1);
}

/// Each call alone is under the 2 s timeout; together they are not. The whole conversation
/// with GitHub has one deadline, so a slow GitHub cannot hold a sign-in for a multiple of it.
#[rocket::async_test]
async fn several_slow_calls_together_hit_one_overall_deadline() {
    let slow = Some(Fault::Slow(Duration::from_millis(1500)));
    let (status, _, elapsed, app) = sign_in_with_fault(slow, slow).await;
    assert_eq!(status, Status::GatewayTimeout);
    assert!(elapsed < Duration::from_millis(2900), "waited {elapsed:?}");
    assert_still_serving(&app).await;
}

/// A sign-in waiting on GitHub holds no store connection: with a pool of one, a signed-in
/// person's page views go on while someone else's sign-in waits on a slow token endpoint.
/// (Holding it would make every page view wait `connect_timeout`, then answer 503.)
#[rocket::async_test]
async fn a_sign_in_waiting_on_github_leaves_the_store_to_page_views() {
    let app = TestApp::spawn_with(crate::helpers::pool_of_one).await;
    let signed_in = app.browser();
    crate::helpers::assert_redirect(&signed_in.sign_in(Some("/about")).await, "/about");
    app.github
        .with(|s| s.token_fault = Some(Fault::Slow(Duration::from_millis(1500))));
    let newcomer = app.browser();

    let waiting = newcomer.sign_in(None);
    let meanwhile = async {
        let reached_github = async {
            while app.github.with(|s| s.token_requests) < 2 {
                rocket::tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        rocket::tokio::time::timeout(Duration::from_secs(10), reached_github)
            .await
            .expect("the second sign-in never asked for its token");
        let about = signed_in.get("/about").await.status();
        let health = signed_in.get("/health").await.status();
        // The slow sign-in has not got past its token yet: it has not asked for `/user`.
        let token_still_pending = app.github.with(|s| s.user_requests) < 2;
        (about, health, token_still_pending)
    };
    let (finished, (about, health, token_still_pending)) = rocket::tokio::join!(waiting, meanwhile);

    assert!(
        token_still_pending,
        "the page views came too late to prove anything"
    );
    assert_eq!(about, Status::Ok);
    assert_eq!(health, Status::Ok);
    crate::helpers::assert_redirect(&finished, "/");
    assert_eq!(app.count("sessions").await, 2);
}

/// 64 MiB of whitespace before an answer that would otherwise sign the person in.
const HUGE: Fault = Fault::Padded(64 * 1024 * 1024);

#[rocket::async_test]
async fn a_token_or_user_answer_too_large_to_read_is_a_502_page() {
    for (token, user) in [(Some(HUGE), None), (None, Some(HUGE))] {
        let (status, body, _, app) = sign_in_with_fault(token, user).await;
        assert_eq!(status, Status::BadGateway, "{token:?} {user:?}");
        assert!(
            body.contains("GitHub sent an answer too large to read"),
            "{body}"
        );
        assert_still_serving(&app).await;
    }
}

#[rocket::async_test]
async fn an_answer_just_under_the_cap_is_read() {
    let app = TestApp::spawn().await;
    app.github
        .with(|s| s.token_fault = Some(Fault::Padded(1024 * 1024 - 200)));
    let browser = app.browser();

    crate::helpers::assert_redirect(&browser.sign_in(None).await, "/");
    assert_eq!(browser.get("/auth/check").await.status(), Status::Ok);
}
