//! The About page's controls: list, revoke one, sign out everywhere else, delete the account.
//! Each is a POST checked like logout; none can touch another person's sessions.

use rocket::http::{ContentType, Header, Status};

use crate::helpers::{assert_redirect, Browser, TestApp};
use gitlogin::github::fake::Account;

/// The `session` ids in the About page's revoke forms, in page order.
async fn listed_sessions(browser: &Browser<'_>) -> Vec<String> {
    let page = browser.page("/about").await;
    page.split("name=\"session\" value=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

/// The id of the session this browser is using, as its About page marks it.
async fn own_session(browser: &Browser<'_>) -> String {
    let page = browser.page("/about").await;
    let current = page
        .split("class=\"session current\"")
        .nth(1)
        .expect("no current session");
    let rest = current.split("name=\"session\" value=\"").nth(1).unwrap();
    rest.split('"').next().unwrap().to_owned()
}

async fn sign_in_with_agent(browser: &Browser<'_>, user_agent: &str) {
    let authorize = browser.start_login(None).await;
    let callback = crate::helpers::github_redirect(&authorize).await;
    let request = browser
        .app
        .client
        .get(callback)
        .header(Header::new("User-Agent", user_agent.to_owned()));
    assert_redirect(&browser.send(request).await, "/");
}

#[rocket::async_test]
async fn about_lists_my_sessions_with_devices_and_marks_this_one() {
    let app = TestApp::spawn().await;
    let laptop = app.browser();
    let phone = app.browser();
    sign_in_with_agent(
        &laptop,
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    )
    .await;
    sign_in_with_agent(&phone, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1").await;

    let page = laptop.page("/about").await;

    assert!(page.contains("Firefox on Linux") && page.contains("Safari on iOS"));
    assert_eq!(page.matches("this browser").count(), 1);
    let marked = page.split("this browser").next().unwrap();
    assert!(
        marked.rfind("Firefox on Linux") > marked.rfind("Safari on iOS"),
        "the laptop's entry is the marked one"
    );
    assert_eq!(listed_sessions(&laptop).await.len(), 2);
    assert!(page.contains("Sign out everywhere else"));
}

#[rocket::async_test]
async fn revoking_another_session_really_signs_that_browser_out() {
    let app = TestApp::spawn().await;
    let laptop = app.browser();
    let phone = app.browser();
    laptop.sign_in(None).await;
    phone.sign_in(None).await;
    let phones_id = own_session(&phone).await;
    assert_eq!(listed_sessions(&laptop).await.len(), 2);

    let csrf = laptop.csrf_token().await;
    let response = laptop
        .post_form(
            "/sessions/revoke",
            &format!("csrf_token={csrf}&session={phones_id}"),
        )
        .await;

    assert_redirect(&response, "/about");
    assert!(laptop
        .page("/about")
        .await
        .contains("That session is signed out"));
    assert_redirect(&phone.get("/about").await, "/login?next=/about");
    assert_eq!(app.count("sessions").await, 1);
}

#[rocket::async_test]
async fn sign_out_everywhere_else_keeps_only_this_browser() {
    let app = TestApp::spawn().await;
    let browsers: Vec<_> = (0..3).map(|_| app.browser()).collect();
    for b in &browsers {
        b.sign_in(None).await;
    }
    let csrf = browsers[0].csrf_token().await;

    let response = browsers[0]
        .post_form("/sessions/revoke-others", &format!("csrf_token={csrf}"))
        .await;

    assert_redirect(&response, "/about");
    assert_eq!(browsers[0].get("/about").await.status(), Status::Ok);
    for other in &browsers[1..] {
        assert_redirect(&other.get("/about").await, "/login?next=/about");
    }
    assert_eq!(app.count("sessions").await, 1);
}

#[rocket::async_test]
async fn another_persons_session_cannot_be_revoked() {
    let app = TestApp::spawn().await;
    let mallory = app.browser();
    mallory.sign_in(None).await;
    app.github.set_account(Account {
        id: 7,
        login: "victim".into(),
        ..Account::octocat()
    });
    let victim = app.browser();
    victim.sign_in(None).await;
    let victims_id = own_session(&victim).await;
    let csrf = mallory.csrf_token().await;

    let response = mallory
        .post_form(
            "/sessions/revoke",
            &format!("csrf_token={csrf}&session={victims_id}"),
        )
        .await;

    assert_eq!(response.status(), Status::NotFound);
    assert_eq!(victim.get("/about").await.status(), Status::Ok);
    assert_eq!(app.count("sessions").await, 2);
    // Nor does anything that is not an id: a 404 too, on either store, never a 5xx.
    for junk in ["%00", "x", "%27%20OR%201%3D1%20--", &"f".repeat(65)] {
        let response = mallory
            .post_form(
                "/sessions/revoke",
                &format!("csrf_token={csrf}&session={junk}"),
            )
            .await;
        assert_eq!(response.status(), Status::NotFound, "{junk}");
    }
    assert_eq!(app.count("sessions").await, 2);
}

#[rocket::async_test]
async fn every_account_post_refuses_a_missing_wrong_or_foreign_csrf_token_and_cross_site_requests()
{
    let app = TestApp::spawn().await;
    let other = app.browser();
    other.sign_in(None).await;
    let browser = app.browser();
    browser.sign_in(None).await;
    let mine = listed_sessions(&browser).await;
    let csrf = browser.csrf_token().await;
    let foreign = other.csrf_token().await;

    for (path, rest) in [
        ("/sessions/revoke", format!("&session={}", mine[0])),
        ("/sessions/revoke-others", String::new()),
        ("/account/delete", "&confirm=octocat".to_owned()),
    ] {
        for token in [
            "".to_owned(),
            "csrf_token=nope".into(),
            format!("csrf_token={foreign}"),
        ] {
            let response = browser.post_form(path, &format!("{token}{rest}")).await;
            assert_eq!(
                response.status(),
                Status::Forbidden,
                "{path} with {token:?}"
            );
        }
        let cross_site = app
            .client
            .post(path)
            .header(ContentType::Form)
            .header(Header::new("Origin", "https://evil.example"))
            .header(Header::new("Sec-Fetch-Site", "cross-site"))
            .body(format!("csrf_token={csrf}{rest}"));
        assert_eq!(
            browser.send(cross_site).await.status(),
            Status::Forbidden,
            "{path} cross-site"
        );
    }

    assert_eq!(app.count("sessions").await, 2);
    assert_eq!(app.count("users").await, 1);
    assert_eq!(browser.get("/about").await.status(), Status::Ok);
}

#[rocket::async_test]
async fn deleting_the_account_removes_every_row_and_kills_every_cookie() {
    let app = TestApp::spawn().await;
    let laptop = app.browser();
    let phone = app.browser();
    laptop.sign_in(None).await;
    phone.sign_in(None).await;
    // An app signed in to as well: a consent, a grant and its tokens.
    let rp = crate::provider::register(&app, "wiki", &[]);
    crate::provider::offline_tokens(&app, &laptop, &rp).await;
    let theirs = ["users", "sessions", "consents", "grants", "tokens"];
    for table in theirs {
        assert!(app.count(table).await > 0, "{table} has a row to delete");
    }
    let stolen = laptop.cookie("gitlogin_session").unwrap();
    let csrf = laptop.csrf_token().await;
    let first_id: i64 = sqlx::query_scalar("SELECT id FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap();

    // Without the typed confirmation nothing happens.
    let unconfirmed = laptop
        .post_form("/account/delete", &format!("csrf_token={csrf}&confirm="))
        .await;
    assert_eq!(unconfirmed.status(), Status::BadRequest);
    assert_eq!(app.count("users").await, 1);

    let response = laptop
        .post_form(
            "/account/delete",
            &format!("csrf_token={csrf}&confirm=octocat"),
        )
        .await;

    assert_redirect(&response, "/");
    assert!(laptop
        .page("/")
        .await
        .contains("Your account and all its sessions were deleted"));
    for table in theirs
        .into_iter()
        .chain(["codes", "memberships", "host_sessions"])
    {
        assert_eq!(app.count(table).await, 0, "{table}");
    }
    assert_redirect(&phone.get("/about").await, "/login?next=/about");
    let thief = app.browser();
    thief.set_cookie("gitlogin_session", &stolen);
    assert_redirect(&thief.get("/about").await, "/login?next=/about");

    // Signing in again later starts a fresh row.
    laptop.sign_in(None).await;
    let second_id: i64 = sqlx::query_scalar("SELECT id FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_ne!(first_id, second_id);
    assert_eq!(listed_sessions(&laptop).await.len(), 1);
}

#[rocket::async_test]
async fn revoking_this_browsers_own_session_is_signing_out() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;
    let mine = own_session(&browser).await;
    let csrf = browser.csrf_token().await;

    let response = browser
        .post_form(
            "/sessions/revoke",
            &format!("csrf_token={csrf}&session={mine}"),
        )
        .await;

    assert_redirect(&response, "/");
    assert!(browser.cookie("gitlogin_session").is_none());
    assert_eq!(app.count("sessions").await, 0);
}

#[rocket::async_test]
async fn sign_out_everywhere_else_with_every_apps_access_ends_the_refresh_tokens_a_stolen_session_minted(
) {
    use crate::provider::{access_token, assert_token_error, offline_tokens, refresh};
    use crate::provider::{register, userinfo};
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &["--public"]);
    let owner = app.browser();
    owner.sign_in(None).await;
    // A copy of the session (or the browser it was stolen from) mints a grant of its own.
    let thief = app.browser();
    thief.sign_in(None).await;
    let stolen = offline_tokens(&app, &thief, &rp).await;
    let csrf = owner.csrf_token().await;
    assert!(
        owner.page("/about").await.contains("name=\"apps\""),
        "the About page offers it"
    );

    let response = owner
        .post_form(
            "/sessions/revoke-others",
            &format!("csrf_token={csrf}&apps=on"),
        )
        .await;

    assert_redirect(&response, "/about");
    assert_redirect(&thief.get("/about").await, "/login?next=/about");
    let refresh_token = stolen["refresh_token"].as_str().unwrap();
    assert_token_error(
        &refresh(&app, &rp, refresh_token).await,
        Status::BadRequest,
        "invalid_grant",
    );
    let info = userinfo(&app, access_token(&stolen)).await;
    assert_eq!(info.status(), Status::Unauthorized);
    assert_eq!(app.count("grants").await, 0);
    assert_eq!(owner.get("/about").await.status(), Status::Ok);
}

#[rocket::async_test]
async fn sign_out_everywhere_else_alone_leaves_the_apps_access() {
    use crate::provider::{offline_tokens, refresh, register};
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &["--public"]);
    let owner = app.browser();
    owner.sign_in(None).await;
    let other = app.browser();
    other.sign_in(None).await;
    let tokens = offline_tokens(&app, &other, &rp).await;
    let csrf = owner.csrf_token().await;

    let response = owner
        .post_form("/sessions/revoke-others", &format!("csrf_token={csrf}"))
        .await;

    assert_redirect(&response, "/about");
    let (status, body) = refresh(&app, &rp, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, Status::Ok, "{body}");
}
