//! The guard: anything but a live session's cookie means "signed out", never a 500.

use std::time::Duration;

use rocket::http::{ContentType, Status};
use rocket::local::asynchronous::LocalResponse;

use crate::helpers::{assert_redirect, location, Store, TestApp};

#[rocket::async_test]
async fn tampered_truncated_and_random_cookies_are_signed_out() {
    let app = TestApp::spawn().await;
    let owner = app.browser();
    owner.sign_in(None).await;
    let real = owner.cookie("gitlogin_session").unwrap();
    let mut flipped = real.clone().into_bytes();
    let mid = flipped.len() / 2;
    flipped[mid] = if flipped[mid] == b'A' { b'B' } else { b'A' };

    let forgeries = [
        String::from_utf8(flipped).unwrap(),
        real[..real.len() / 2].to_owned(),
        real[..real.len() - 1].to_owned(),
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned(),
        "%FF%FE".to_owned(),
        String::new(),
        "x".repeat(3000),
    ];
    for forged in forgeries {
        let browser = app.browser();
        browser.set_cookie("gitlogin_session", &forged);
        assert_redirect(&browser.get("/about").await, "/login?next=/about");
        let home = browser.get("/").await;
        assert_eq!(home.status(), Status::Ok);
        assert!(!home.into_string().await.unwrap().contains("octocat"));
    }
    assert_eq!(owner.get("/about").await.status(), Status::Ok);
}

#[rocket::async_test]
async fn a_cookie_from_another_installation_is_signed_out() {
    // Same cookie name, sealed with a different secret key.
    let other = TestApp::spawn().await;
    let foreign = other.browser();
    foreign.sign_in(None).await;
    let app = TestApp::spawn().await;
    let browser = app.browser();

    browser.set_cookie(
        "gitlogin_session",
        &foreign.cookie("gitlogin_session").unwrap(),
    );

    assert_redirect(&browser.get("/about").await, "/login?next=/about");
}

const DAY: u64 = 24 * 60 * 60;

/// The app with a week's idle timeout and a thirty-day absolute limit, said outright.
async fn app_with_week_and_month() -> TestApp {
    TestApp::spawn_with(|f| {
        f.merge(("session_idle_timeout", "7d"))
            .merge(("session_max_age", "30d"))
    })
    .await
}

#[rocket::async_test]
async fn a_session_idle_for_its_idle_timeout_is_signed_out_and_its_cookie_removed() {
    let app = app_with_week_and_month().await;
    let browser = app.browser();
    browser.sign_in(None).await;

    app.clock.advance(Duration::from_secs(7 * DAY - 1));
    assert_eq!(
        browser.get("/about").await.status(),
        Status::Ok,
        "a second short of a week idle"
    );
    // That visit was activity: the week starts again from it, far inside the thirty days.
    app.clock.advance(Duration::from_secs(7 * DAY));

    assert_redirect(&browser.get("/about").await, "/login?next=/about");
    assert!(
        browser.cookie("gitlogin_session").is_none(),
        "the dead cookie is removed"
    );
}

#[rocket::async_test]
async fn a_session_at_its_absolute_age_is_signed_out_and_its_cookie_removed_however_busy() {
    let app = app_with_week_and_month().await;
    let browser = app.browser();
    browser.sign_in(None).await;

    // A visit every six days keeps it from ever being idle for a week.
    for _ in 0..4 {
        app.clock.advance(Duration::from_secs(6 * DAY));
        assert_eq!(browser.get("/about").await.status(), Status::Ok);
    }
    app.clock.advance(Duration::from_secs(6 * DAY - 1));
    assert_eq!(
        browser.get("/about").await.status(),
        Status::Ok,
        "a second short of thirty days"
    );
    app.clock.advance(Duration::from_secs(1));

    assert_redirect(&browser.get("/about").await, "/login?next=/about");
    assert!(
        browser.cookie("gitlogin_session").is_none(),
        "the dead cookie is removed"
    );
}

#[rocket::async_test]
async fn a_revoked_session_is_signed_out_at_once() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;

    sqlx::query("DELETE FROM sessions")
        .execute(&app.db)
        .await
        .unwrap();

    assert_redirect(&browser.get("/about").await, "/login?next=/about");
}

#[rocket::async_test]
async fn every_html_answer_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    for uri in [
        "/",
        "/about",
        "/no-such-page",
        "/login/callback?state=x&code=y",
    ] {
        let response = browser.get(uri).await;
        let h = response.headers();
        let csp = h.get_one("Content-Security-Policy").unwrap_or_default();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{uri}"
        );
        assert!(
            csp.contains("img-src 'self' https://avatars.githubusercontent.com"),
            "{uri}"
        );
        assert_eq!(h.get_one("X-Frame-Options"), Some("DENY"), "{uri}");
        assert_eq!(
            h.get_one("X-Content-Type-Options"),
            Some("nosniff"),
            "{uri}"
        );
        assert_eq!(h.get_one("Referrer-Policy"), Some("no-referrer"), "{uri}");
        assert_eq!(h.get_one("Cache-Control"), Some("no-store"), "{uri}");
        assert!(
            h.get_one("Strict-Transport-Security").is_none(),
            "http PUBLIC_URL: no HSTS"
        );
    }
}

#[rocket::async_test]
async fn only_static_files_and_the_public_keys_may_be_cached() {
    let app = TestApp::spawn().await;
    let browser = app.browser();

    let jwks = browser.get("/.well-known/jwks.json").await;
    let css = browser.get("/static/style.css").await;

    assert_eq!(
        jwks.headers().get_one("Cache-Control"),
        Some("public, max-age=300")
    );
    assert_eq!(css.status(), Status::Ok);
    assert_eq!(css.headers().get_one("Cache-Control"), None);
    assert_eq!(
        browser
            .get("/health")
            .await
            .headers()
            .get_one("Cache-Control"),
        Some("no-store")
    );
}

/// Asserts that `response` is one of the site's own error pages (HTML, with a way home), not
/// Rocket's default one.
async fn assert_sites_own_page(response: LocalResponse<'_>, what: &str) -> String {
    assert_eq!(response.content_type(), Some(ContentType::HTML), "{what}");
    let page = response.into_string().await.unwrap();
    assert!(page.contains("href=\"/\""), "{what}: no way home: {page}");
    assert!(!page.contains("Rocket"), "{what}: Rocket's default page");
    page
}

#[rocket::async_test]
async fn unknown_paths_and_methods_get_the_sites_own_404_page() {
    let app = TestApp::spawn().await;
    let browser = app.browser();

    let path = browser.get("/no-such-page").await;
    let method = browser.send(app.client.put("/about")).await;

    for (what, response) in [("GET /no-such-page", path), ("PUT /about", method)] {
        assert_eq!(response.status(), Status::NotFound, "{what}");
        let page = assert_sites_own_page(response, what).await;
        assert!(page.contains("There is no page at this address"), "{what}");
    }
}

#[rocket::async_test]
async fn odd_queries_get_the_answer_each_means_never_a_500() {
    let app = TestApp::spawn().await;
    let browser = app.browser();

    // A `next` that is not UTF-8 is no place to go back to: the sign-in starts, going home.
    let response = browser.get("/login?next=%FF%FE").await;
    assert_eq!(response.status(), Status::SeeOther);
    assert!(
        location(&response).starts_with(&app.github.url),
        "to GitHub"
    );
    // A callback whose code and state are not UTF-8: the site's own 400.
    let response = browser.get("/login/callback?code=%FF&state=%FE").await;
    assert_eq!(response.status(), Status::BadRequest);
    assert_sites_own_page(response, "callback").await;
    // An address longer than the site reads: the site's own 414.
    let long = format!("/login?next=/{}", "a".repeat(20_000));
    let response = browser.get(&long).await;
    assert_eq!(response.status(), Status::UriTooLong);
    assert_sites_own_page(response, "long address").await;
    // NUL bytes in a query a page does not read: the page as without it (to sign in first).
    assert_redirect(&browser.get("/about?%00=%00").await, "/login?next=/about");
}

#[rocket::async_test]
async fn sessions_go_with_their_user_and_sqlite_uses_wal() {
    let app = TestApp::spawn().await;

    if crate::STORE == Store::Sqlite {
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&app.db)
            .await
            .unwrap();
        assert_eq!(mode.to_lowercase(), "wal");
    }
    app.browser().sign_in(None).await;
    sqlx::query("DELETE FROM users")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(app.count("sessions").await, 0);
}

/// The session guard hands its store connection on to the handler (one checkout per
/// request); a page whose handler does not take it must still give it back. With a pool of
/// one, a connection kept past its request would make the next request wait
/// `connect_timeout` and answer 503.
#[rocket::async_test]
async fn every_signed_in_request_gives_its_store_connection_back() {
    let app = TestApp::spawn_with(crate::helpers::pool_of_one).await;
    let browser = app.browser();
    assert_redirect(&browser.sign_in(Some("/about")).await, "/about");

    for round in 0..3 {
        for path in ["/", "/about", "/auth/check", "/health"] {
            let status = browser.get(path).await.status();
            assert_eq!(status, Status::Ok, "{path}, round {round}");
        }
    }
    let response = browser.sign_out().await;
    assert_redirect(&response, "/");
    assert_eq!(browser.get("/about").await.status(), Status::SeeOther);
    assert_eq!(app.count("sessions").await, 0);
}
