//! Everything a callback can get wrong, by accident or by an attacker. None of it signs
//! anyone in, writes a row, or answers 5xx.

use rocket::http::Status;

use crate::helpers::{assert_redirect, github_redirect, query_param, Browser, TestApp};

/// Nobody is signed in and nothing was written.
async fn assert_no_session(app: &TestApp, browser: &Browser<'_>) {
    assert_eq!(app.count("users").await, 0);
    assert_eq!(app.count("sessions").await, 0);
    assert!(browser.cookie("gitlogin_session").is_none());
    assert_redirect(&browser.get("/about").await, "/login?next=/about");
}

#[rocket::async_test]
async fn access_denied_goes_home_saying_sign_in_was_cancelled() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    app.github.with(|s| s.deny = true);

    let callback = browser.sign_in(None).await;

    assert_redirect(&callback, "/");
    let home = browser.page("/").await;
    assert!(home.contains("GitHub sign-in was cancelled"));
    assert_no_session(&app, &browser).await;
    assert_eq!(app.github.calls(), 0);
}

#[rocket::async_test]
async fn another_github_error_is_a_400_page() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.start_login(None).await;

    let response = browser
        .get("/login/callback?error=redirect_uri_mismatch&error_description=The+redirect_uri+MUST+match&state=x")
        .await;

    assert_eq!(response.status(), Status::BadRequest);
    assert!(response
        .into_string()
        .await
        .unwrap()
        .contains("GitHub did not authorize this sign-in"));
    assert_no_session(&app, &browser).await;
}

#[rocket::async_test]
async fn wrong_missing_and_empty_state_are_refused_before_calling_github() {
    for state in ["&state=not-the-state", "", "&state="] {
        let app = TestApp::spawn().await;
        let browser = app.browser();
        let authorize = browser.start_login(None).await;
        let callback = github_redirect(&authorize).await;
        let code = query_param(&callback, "code").unwrap();

        let response = browser
            .get(&format!("/login/callback?code={code}{state}"))
            .await;

        assert_eq!(response.status(), Status::BadRequest, "state {state:?}");
        let page = response.into_string().await.unwrap();
        assert!(page.contains("does not belong to a sign-in started in this browser"));
        assert_eq!(
            app.github.calls(),
            0,
            "GitHub was called despite state {state:?}"
        );
        assert_no_session(&app, &browser).await;
    }
}

#[rocket::async_test]
async fn the_pending_login_cookie_is_removed_whatever_the_outcome() {
    let app = TestApp::spawn().await;

    // A wrong state.
    let browser = app.browser();
    browser.start_login(None).await;
    assert!(browser.cookie("gitlogin_login").is_some());
    let wrong = browser.get("/login/callback?code=x&state=wrong").await;
    assert_eq!(wrong.status(), Status::BadRequest);
    assert!(browser.cookie("gitlogin_login").is_none(), "wrong state");

    // A sign-in that succeeds.
    let browser = app.browser();
    let callback = github_redirect(&browser.start_login(None).await).await;
    assert!(browser.cookie("gitlogin_login").is_some());
    assert_redirect(&browser.get(&callback).await, "/");
    assert!(browser.cookie("gitlogin_session").is_some(), "signed in");
    assert!(browser.cookie("gitlogin_login").is_none(), "success");

    // A sign-in that took longer than its ten minutes.
    let browser = app.browser();
    let callback = github_redirect(&browser.start_login(None).await).await;
    assert!(browser.cookie("gitlogin_login").is_some());
    app.clock.advance(std::time::Duration::from_secs(10 * 60));
    assert_redirect(&browser.get(&callback).await, "/");
    assert!(
        browser.cookie("gitlogin_session").is_none(),
        "not signed in"
    );
    assert!(browser.cookie("gitlogin_login").is_none(), "expiry");
}

#[rocket::async_test]
async fn login_csrf_the_attackers_callback_in_the_victims_browser_signs_nobody_in() {
    let app = TestApp::spawn().await;
    // The attacker starts a sign-in with their own account and stops before the callback.
    let attacker = app.browser();
    let attackers_callback = github_redirect(&attacker.start_login(None).await).await;
    let victim = app.browser();

    // The victim opens it, with no sign-in of their own in progress...
    let response = victim.get(&attackers_callback).await;
    assert_redirect(&response, "/");
    assert!(victim.page("/").await.contains("That sign-in link expired"));
    // ...and with one in progress.
    victim.start_login(None).await;
    let response = victim.get(&attackers_callback).await;
    assert_eq!(response.status(), Status::BadRequest);

    assert_eq!(app.github.calls(), 0);
    assert_no_session(&app, &victim).await;
}

#[rocket::async_test]
async fn a_replayed_callback_after_logout_does_not_sign_in_again() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let authorize = browser.start_login(None).await;
    let callback = github_redirect(&authorize).await;
    // Keep the pending cookie as it was, to replay it too.
    let pending = browser.cookie("gitlogin_login").unwrap();
    assert_redirect(&browser.get(&callback).await, "/");
    browser.sign_out().await;

    // The same callback URL again: the pending-login cookie is gone.
    assert_redirect(&browser.get(&callback).await, "/");
    // Even with the old cookie put back, GitHub refuses the used code.
    browser.set_cookie("gitlogin_login", &pending);
    let replay = browser.get(&callback).await;

    assert_eq!(replay.status(), Status::BadRequest);
    assert!(replay
        .into_string()
        .await
        .unwrap()
        .contains("That sign-in expired, please try again."));
    assert_eq!(app.count("sessions").await, 0);
    assert!(browser.cookie("gitlogin_session").is_none());
}

#[rocket::async_test]
async fn githubs_200_with_error_json_is_a_400_expired_page() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    app.github
        .with(|s| s.token_fault = Some(gitlogin::github::fake::Fault::TokenError));

    let response = browser.sign_in(None).await;

    assert_eq!(response.status(), Status::BadRequest);
    assert!(response
        .into_string()
        .await
        .unwrap()
        .contains("That sign-in expired, please try again."));
    assert_eq!(app.count("users").await, 0);
}

#[rocket::async_test]
async fn a_pending_login_older_than_ten_minutes_has_expired() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let callback = github_redirect(&browser.start_login(None).await).await;

    app.clock.advance(std::time::Duration::from_secs(11 * 60));
    let response = browser.get(&callback).await;

    assert_redirect(&response, "/");
    assert!(browser
        .page("/")
        .await
        .contains("That sign-in link expired"));
    assert_eq!(app.github.calls(), 0);
    assert_eq!(app.count("sessions").await, 0);
}

#[rocket::async_test]
async fn a_callback_without_code_is_a_400() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let authorize = browser.start_login(None).await;
    let state = query_param(authorize.as_str(), "state").unwrap();

    let response = browser.get(&format!("/login/callback?state={state}")).await;

    assert_eq!(response.status(), Status::BadRequest);
    assert_eq!(app.count("sessions").await, 0);
}

#[rocket::async_test]
async fn a_planted_pending_login_cookie_is_ignored() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let callback = github_redirect(&app.browser().start_login(None).await).await;
    // Unencrypted JSON, as a naive implementation would store it.
    browser.set_cookie(
        "gitlogin_login",
        r#"{"state":"x","verifier":"y","next":"/","expires_at":99999999999}"#,
    );

    let response = browser.get(&callback).await;

    assert_redirect(&response, "/");
    assert_eq!(app.github.calls(), 0);
}

/// The callback GitHub sent back for a fresh sign-in in `browser`, with its `iss` replaced
/// (or removed, for `None`).
async fn callback_with_issuer(browser: &Browser<'_>, iss: Option<&str>) -> String {
    let authorize = browser.start_login(None).await;
    let callback = url::Url::parse(&format!("http://x{}", github_redirect(&authorize).await));
    let mut callback = callback.unwrap();
    let pairs: Vec<(String, String)> = callback
        .query_pairs()
        .into_owned()
        .filter(|(k, _)| k != "iss")
        .collect();
    let mut query = callback.query_pairs_mut();
    query.clear().extend_pairs(&pairs);
    if let Some(iss) = iss {
        query.append_pair("iss", iss);
    }
    drop(query);
    format!("{}?{}", callback.path(), callback.query().unwrap())
}

#[rocket::async_test]
async fn a_mix_up_callback_naming_another_issuer_is_refused_before_calling_github() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    for iss in [
        "https://evil.example/login/oauth",
        "https://github.com/login/oauth",
        "",
    ] {
        let callback = callback_with_issuer(&browser, Some(iss)).await;

        let response = browser.get(&callback).await;

        assert_eq!(response.status(), Status::BadRequest, "iss {iss:?}");
        assert_eq!(
            app.github.calls(),
            0,
            "GitHub was called despite iss {iss:?}"
        );
        assert_no_session(&app, &browser).await;
    }
}

#[rocket::async_test]
async fn a_callback_without_iss_is_accepted_as_github_enterprise_sends_none() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let callback = callback_with_issuer(&browser, None).await;

    assert_redirect(&browser.get(&callback).await, "/");
    assert_eq!(browser.get("/auth/check").await.status(), Status::Ok);
}

#[rocket::async_test]
async fn an_implausible_login_or_id_from_github_is_a_502_and_stores_nothing() {
    for (id, login) in [
        (583231, "octo cat"),
        (583231, "octo\r\nX-Planted: 1"),
        (583231, "<script>"),
        (583231, "é"),
        (583231, ""),
        (583231, &*"a".repeat(101)),
        (0, "octocat"),
        (-7, "octocat"),
    ] {
        let app = TestApp::spawn().await;
        app.github.set_account(gitlogin::github::fake::Account {
            id,
            login: login.to_owned(),
            ..gitlogin::github::fake::Account::octocat()
        });
        let browser = app.browser();

        let response = browser.sign_in(None).await;

        assert_eq!(response.status(), Status::BadGateway, "{id} {login:?}");
        assert_no_session(&app, &browser).await;
    }
}

#[rocket::async_test]
async fn an_enterprise_managed_users_login_with_an_underscore_signs_in() {
    let app = TestApp::spawn().await;
    app.github.set_account(gitlogin::github::fake::Account {
        login: "mona_acme".into(),
        ..gitlogin::github::fake::Account::octocat()
    });
    let browser = app.browser();

    assert_redirect(&browser.sign_in(None).await, "/");
    let check = browser.get("/auth/check").await;
    assert_eq!(
        check.headers().get_one("X-Auth-Request-User"),
        Some("mona_acme")
    );
}
