//! Signing out: a POST with the session's CSRF token from this site, nothing else.

use rocket::http::{ContentType, Header, Status};

use crate::helpers::{assert_redirect, TestApp, PUBLIC_URL};

#[rocket::async_test]
async fn logout_deletes_the_session_and_the_cookie() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;
    // The request `sign_out()` makes elsewhere, spelt out where it is what is tested.
    let csrf = browser.csrf_token().await;

    let response = browser
        .post_form("/logout", &format!("csrf_token={csrf}"))
        .await;

    assert_redirect(&response, "/");
    assert_eq!(
        response.headers().get_one("Cache-Control"),
        Some("no-store")
    );
    assert!(browser.cookie("gitlogin_session").is_none());
    assert_eq!(app.count("sessions").await, 0);
    let home = browser.page("/").await;
    assert!(home.contains("Signed out") && home.contains("href=\"/login\""));
    assert_redirect(&browser.get("/about").await, "/login?next=/about");
}

#[rocket::async_test]
async fn get_logout_does_not_sign_out() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;

    let response = browser.get("/logout").await;

    assert!(matches!(response.status().code, 404 | 405));
    assert!(response
        .into_string()
        .await
        .unwrap()
        .contains("Back to the home page"));
    assert_eq!(browser.get("/about").await.status(), Status::Ok);
    assert_eq!(app.count("sessions").await, 1);
}

#[rocket::async_test]
async fn a_wrong_or_missing_csrf_field_leaves_the_session() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;
    let csrf = browser.csrf_token().await;

    // Wrong in two places whose differences cancel out under an XOR of all the byte
    // differences: a hand-written "constant-time" compare that folds with `^` lets it in.
    let mut twice_wrong = csrf.clone().into_bytes();
    twice_wrong[0] ^= 1;
    twice_wrong[1] ^= 1;
    let twice_wrong = crate::helpers::encode(std::str::from_utf8(&twice_wrong).unwrap());
    for body in [
        "csrf_token=wrong".to_owned(),
        String::new(),
        format!("csrf_token={}x", csrf),
        format!("csrf_token={}", &csrf[..csrf.len() - 1]),
        format!("csrf_token={twice_wrong}"),
        "csrf_token=".into(),
    ] {
        let response = browser.post_form("/logout", &body).await;
        assert_eq!(response.status(), Status::Forbidden, "body {body:?}");
        assert!(response.into_string().await.unwrap().contains("refused"));
    }

    assert_eq!(browser.get("/about").await.status(), Status::Ok);
    assert_eq!(app.count("sessions").await, 1);
}

#[rocket::async_test]
async fn another_sessions_csrf_token_does_not_work() {
    let app = TestApp::spawn().await;
    let mallory = app.browser();
    mallory.sign_in(None).await;
    let victim = app.browser();
    victim.sign_in(None).await;

    let response = victim
        .post_form(
            "/logout",
            &format!("csrf_token={}", mallory.csrf_token().await),
        )
        .await;

    assert_eq!(response.status(), Status::Forbidden);
    assert_eq!(app.count("sessions").await, 2);
}

#[rocket::async_test]
async fn a_cross_site_post_leaves_the_session_even_with_the_right_token() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;
    let body = format!("csrf_token={}", browser.csrf_token().await);

    let cross_site = [
        vec![Header::new("Origin", "https://evil.example")],
        vec![Header::new("Sec-Fetch-Site", "cross-site")],
        vec![
            Header::new("Sec-Fetch-Site", "same-site"),
            Header::new("Origin", PUBLIC_URL),
        ],
    ];
    for headers in cross_site {
        let mut request = app
            .client
            .post("/logout")
            .header(ContentType::Form)
            .body(body.clone());
        for h in headers {
            request = request.header(h);
        }
        let response = browser.send(request).await;
        assert_eq!(response.status(), Status::Forbidden);
    }

    assert_eq!(browser.get("/about").await.status(), Status::Ok);
}

#[rocket::async_test]
async fn the_cookie_replayed_after_logout_is_dead() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;
    let stolen = browser.cookie("gitlogin_session").unwrap();
    browser.sign_out().await;

    let thief = app.browser();
    thief.set_cookie("gitlogin_session", &stolen);

    assert_redirect(&thief.get("/about").await, "/login?next=/about");
    assert!(!thief.page("/").await.contains("octocat"));
}

#[rocket::async_test]
async fn logout_without_a_session_just_goes_home() {
    let app = TestApp::spawn().await;

    let response = app.browser().post_form("/logout", "csrf_token=x").await;

    assert_redirect(&response, "/");
}

/// Signs out at an app whose `PUBLIC_URL` is `public_url`; the `Clear-Site-Data` it sends.
async fn clear_site_data_at(public_url: &str) -> Option<String> {
    let app = TestApp::spawn_with(|f| f.merge(("public_url", public_url))).await;
    let browser = app.browser();
    // The helpers' sign-in expects the default PUBLIC_URL: the fake's redirect, by hand.
    let authorize = browser.start_login(None).await;
    let back = crate::helpers::github_redirect_at(&authorize).await;
    let callback = format!("{}?{}", back.path(), back.query().unwrap());
    assert_eq!(browser.get(&callback).await.status(), Status::SeeOther);
    let csrf = browser.csrf_token().await;
    let request = app
        .client
        .post("/logout")
        .header(ContentType::Form)
        .header(Header::new("Origin", public_url.to_owned()))
        .body(format!("csrf_token={csrf}"));
    let response = browser.send(request).await;
    assert_eq!(response.status(), Status::SeeOther, "{public_url}");
    let header = response.headers().get_one("Clear-Site-Data");
    header.map(str::to_owned)
}

#[rocket::async_test]
async fn sign_out_clears_the_browsers_cache_where_the_browser_allows_it() {
    for secure in ["http://127.0.0.1:8000", "http://login.localhost:8000"] {
        let header = clear_site_data_at(secure).await;
        assert_eq!(header.as_deref(), Some("\"cache\""), "{secure}");
    }
    // Plain http on any other name is not a secure context: Chromium refuses the header
    // there and logs an error for it, so it is not sent.
    assert_eq!(clear_site_data_at(PUBLIC_URL).await, None);
}
