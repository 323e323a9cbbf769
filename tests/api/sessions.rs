//! The guard: anything but a live session's cookie means "signed out", never a 500.

use rocket::http::Status;

use crate::helpers::{assert_redirect, Store, TestApp};

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

#[rocket::async_test]
async fn an_expired_session_is_signed_out() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;

    app.clock
        .advance(std::time::Duration::from_secs(31 * 24 * 60 * 60));

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

#[rocket::async_test]
async fn unknown_paths_methods_and_odd_queries_get_the_sites_own_4xx_page() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let long = format!("/login?next=/{}", "a".repeat(20_000));
    for uri in [
        "/no-such-page",
        "/login?next=%FF%FE",
        "/login/callback?code=%FF&state=%FE",
        long.as_str(),
        "/about?%00=%00",
    ] {
        let response = browser.get(uri).await;
        assert!(response.status().code < 500, "{uri}: {}", response.status());
    }
    let response = browser.get("/no-such-page").await;
    assert_eq!(response.status(), Status::NotFound);
    assert_eq!(
        response.content_type(),
        Some(rocket::http::ContentType::HTML)
    );
    let page = response.into_string().await.unwrap();
    assert!(page.contains("There is no page at this address") && page.contains("href=\"/\""));
    assert!(!page.contains("Rocket"), "not Rocket's default page");

    let put = browser.send(app.client.put("/about")).await;
    assert!(put.status().code < 500);
}

#[rocket::async_test]
async fn health_answers_ok_while_the_store_answers() {
    let app = TestApp::spawn().await;

    let response = app.browser().get("/health").await;

    assert_eq!(response.status(), Status::Ok);
    assert_eq!(
        response.content_type(),
        Some(rocket::http::ContentType::JSON)
    );
    assert_eq!(response.into_string().await.unwrap(), r#"{"status":"ok"}"#);
}

#[rocket::async_test]
async fn health_is_503_when_the_store_is_gone() {
    let app = TestApp::spawn().await;
    // Everything that references `users` first: PostgreSQL refuses to drop it otherwise.
    let tables = [
        "host_tickets",
        "host_sessions",
        "authorize_requests",
        "sessions",
        "memberships",
        "signing_keys",
        "consents",
        "tokens",
        "codes",
        "grants",
        "users",
    ];
    for table in tables {
        sqlx::query(&format!("DROP TABLE {table}"))
            .execute(&app.db)
            .await
            .unwrap();
    }

    let response = app.browser().get("/health").await;

    assert_eq!(response.status(), Status::ServiceUnavailable);
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
    let csrf = browser.csrf_token().await;
    let response = browser
        .post_form("/logout", &format!("csrf_token={csrf}"))
        .await;
    assert_redirect(&response, "/");
    assert_eq!(browser.get("/about").await.status(), Status::SeeOther);
    assert_eq!(app.count("sessions").await, 0);
}
