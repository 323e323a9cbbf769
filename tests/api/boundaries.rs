//! Every time limit holds at its exact second: one second before it, still allowed; at it,
//! over. (Off by one, `<` written as `<=`, is the easiest slip to make and the hardest to see.)

use std::time::Duration;

use rocket::http::Status;

use gitlogin::ops::clock::Clock;

use crate::helpers::{assert_redirect, github_redirect, random_secret_key, TestApp};

const HOUR: u64 = 60 * 60;

fn seconds(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[rocket::async_test]
async fn a_session_ends_at_the_exact_second_its_idle_timeout_runs_out() {
    let app = TestApp::spawn_with(|f| f.merge(("session_idle_timeout", "2h"))).await;
    let browser = app.browser();
    browser.sign_in(None).await;

    app.clock.advance(seconds(2 * HOUR - 1));
    assert_eq!(browser.get("/auth/check").await.status(), Status::Ok);
    // That request was activity: the two hours start again from it.
    app.clock.advance(seconds(2 * HOUR));

    assert_eq!(
        browser.get("/auth/check").await.status(),
        Status::Unauthorized
    );
}

/// Signs in on an instance whose `SESSION_MAX_AGE` is `signed_in_under`, and checks the
/// session on another, on the same store and clock, whose limit is `checked_under`: it must
/// end exactly six hours after the sign-in, the shorter of the two.
async fn assert_ends_after_six_hours(signed_in_under: &str, checked_under: &str) {
    let clock = Clock::frozen();
    let key = random_secret_key();
    let (k, a) = (key.clone(), signed_in_under.to_owned());
    let first = TestApp::spawn_with_clock(clock.clone(), move |f| {
        f.merge(("secret_key", k))
            .merge(("session_max_age", a))
            .merge(("session_idle_timeout", "30d"))
    })
    .await;
    let (store, b) = (first.db_url.clone(), checked_under.to_owned());
    let second = TestApp::spawn_with_clock(clock.clone(), move |f| {
        f.merge(("secret_key", key))
            .merge(("databases.gitlogin.url", store))
            .merge(("session_max_age", b))
            .merge(("session_idle_timeout", "30d"))
    })
    .await;
    let browser = first.browser();
    browser.sign_in(None).await;
    let there = second.browser();
    there.set_cookie(
        "gitlogin_session",
        &browser.cookie("gitlogin_session").unwrap(),
    );

    clock.advance(seconds(6 * HOUR - 1));
    assert_eq!(there.get("/auth/check").await.status(), Status::Ok);
    clock.advance(seconds(1));

    assert_eq!(
        there.get("/auth/check").await.status(),
        Status::Unauthorized,
        "signed in under {signed_in_under}, checked under {checked_under}"
    );
}

#[rocket::async_test]
async fn a_session_ends_at_the_expiry_it_was_given_even_where_the_limit_is_longer_now() {
    assert_ends_after_six_hours("6h", "12h").await;
}

#[rocket::async_test]
async fn a_session_ends_when_a_shortened_limit_says_so() {
    assert_ends_after_six_hours("12h", "6h").await;
}

#[rocket::async_test]
async fn a_pending_sign_in_expires_at_the_exact_second_of_its_ten_minutes() {
    for (after, signed_in) in [(10 * 60 - 1, true), (10 * 60, false)] {
        let app = TestApp::spawn().await;
        let browser = app.browser();
        let callback = github_redirect(&browser.start_login(None).await).await;

        app.clock.advance(seconds(after));
        let response = browser.get(&callback).await;

        assert_redirect(&response, "/");
        assert_eq!(
            browser.cookie("gitlogin_session").is_some(),
            signed_in,
            "{after} s after /login"
        );
    }
}

#[rocket::async_test]
async fn last_seen_is_written_at_the_exact_minute() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;
    let last_seen = || async {
        sqlx::query_scalar::<_, i64>("SELECT last_seen_at FROM sessions")
            .fetch_one(&app.db)
            .await
            .unwrap()
    };
    let signed_in_at = last_seen().await;

    app.clock.advance(seconds(59));
    browser.get("/about").await;
    assert_eq!(last_seen().await, signed_in_at, "59 s: a read");
    app.clock.advance(seconds(1));
    browser.get("/about").await;

    assert_eq!(last_seen().await, signed_in_at + 60, "60 s: written");
}
