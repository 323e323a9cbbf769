//! GitHub's own limits, explained to the person: its rate limits are a 503 that says when to
//! try again (and passes `Retry-After` on), and an organisation's refusal says that the
//! organisation may restrict OAuth Apps, with a link to where a member asks for approval.

use gitlogin::github::fake::{Fault, Limit};
use rocket::http::Status;

use crate::helpers::{TestApp, CLIENT_ID};

/// Signs in with `fault` on `/user`; the status, `Retry-After` and page.
async fn sign_in_limited(app: &TestApp) -> (Status, Option<String>, String) {
    let response = app.browser().sign_in(None).await;
    let status = response.status();
    let retry_after = response.headers().get_one("Retry-After").map(str::to_owned);
    (status, retry_after, response.into_string().await.unwrap())
}

#[rocket::async_test]
async fn a_secondary_rate_limit_is_a_503_that_says_when_to_try_again() {
    let app = TestApp::spawn().await;
    let limit = Fault::RateLimited(Limit::RetryAfter(120));
    app.github.with(|w| w.user_fault = Some(limit));

    let (status, retry_after, page) = sign_in_limited(&app).await;

    assert_eq!(status, Status::ServiceUnavailable);
    assert_eq!(retry_after.as_deref(), Some("120"));
    assert!(page.contains("GitHub is limiting sign-ins"), "{page}");
    assert!(page.contains("try again in 2 minutes"), "{page}");
    assert_eq!(app.count("sessions").await, 0);
}

#[rocket::async_test]
async fn an_exhausted_hourly_limit_passes_on_the_wait_until_its_reset() {
    let app = TestApp::spawn().await;
    let limit = Fault::RateLimited(Limit::Exhausted { resets_in: 600 });
    app.github.with(|w| w.user_fault = Some(limit));

    let (status, retry_after, page) = sign_in_limited(&app).await;

    assert_eq!(status, Status::ServiceUnavailable);
    let wait: u64 = retry_after.unwrap().parse().unwrap();
    assert!((595..=600).contains(&wait), "{wait}");
    assert!(page.contains("try again in 10 minutes"), "{page}");
}

#[rocket::async_test]
async fn a_limit_without_a_time_says_a_few_minutes_and_sends_no_retry_after() {
    let app = TestApp::spawn().await;
    let limit = Fault::RateLimited(Limit::ExhaustedNoReset);
    app.github.with(|w| w.user_fault = Some(limit));

    let (status, retry_after, page) = sign_in_limited(&app).await;

    assert_eq!(status, Status::ServiceUnavailable);
    assert_eq!(retry_after, None);
    assert!(page.contains("try again in a few minutes"), "{page}");
}

#[rocket::async_test]
async fn a_rate_limited_token_endpoint_is_the_same_503() {
    let app = TestApp::spawn().await;
    let limit = Fault::RateLimited(Limit::RetryAfter(30));
    app.github.with(|w| w.token_fault = Some(limit));

    let (status, retry_after, page) = sign_in_limited(&app).await;

    assert_eq!(status, Status::ServiceUnavailable);
    assert_eq!(retry_after.as_deref(), Some("30"));
    assert!(page.contains("try again in 30 seconds"), "{page}");
}

#[rocket::async_test]
async fn an_organisation_refusal_links_to_where_a_member_asks_for_approval() {
    let app = TestApp::spawn_with(|f| f.merge(("allowed_github_orgs", "acme"))).await;

    let (status, _, page) = sign_in_limited(&app).await;

    assert_eq!(status, Status::Forbidden);
    assert!(page.contains("may restrict which OAuth Apps"), "{page}");
    let link = format!(
        "href=\"{}/settings/connections/applications/{CLIENT_ID}\"",
        app.github.url
    );
    // Tera escapes `/` in attributes as `&#x2F;`, which the browser reads back as `/`.
    assert!(page.replace("&#x2F;", "/").contains(&link), "{page}");
}

#[rocket::async_test]
async fn a_refusal_by_the_user_list_alone_names_no_organisation() {
    let app = TestApp::spawn_with(|f| f.merge(("allowed_github_users", "someone-else"))).await;

    let (status, _, page) = sign_in_limited(&app).await;

    assert_eq!(status, Status::Forbidden);
    assert!(!page.contains("OAuth Apps"), "{page}");
    assert!(!page.contains("/settings/connections/"), "{page}");
}
