//! `/auth/check` and the allow-lists, through HTTP.

use rocket::http::Status;

use crate::helpers::{assert_redirect, query_param, TestApp};
use gitlogin::github::fake::Account;

#[rocket::async_test]
async fn check_names_the_signed_in_user_in_headers_and_sends_no_body() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;

    let response = browser.get("/auth/check").await;

    assert_eq!(response.status(), Status::Ok);
    let h = response.headers();
    assert_eq!(h.get_one("X-Auth-Request-User"), Some("octocat"));
    assert_eq!(
        h.get_one("X-Auth-Request-Email"),
        Some("octocat@github.example")
    );
    assert_eq!(h.get_one("X-Auth-Request-Github-Id"), Some("583231"));
    assert!(h.get_one("Location").is_none());
    assert_eq!(response.into_string().await.unwrap_or_default(), "");
}

#[rocket::async_test]
async fn check_without_a_session_is_401_and_never_a_redirect_or_a_session() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.set_cookie("gitlogin_session", "forged");

    let response = browser.get("/auth/check").await;

    assert_eq!(response.status(), Status::Unauthorized);
    assert!(response.headers().get_one("Location").is_none());
    assert!(response.headers().get_one("X-Auth-Request-User").is_none());
    assert_eq!(app.count("sessions").await, 0);
    assert_eq!(app.count("users").await, 0);
}

#[rocket::async_test]
async fn check_without_a_session_names_the_sign_in_url_that_leads_back() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    for (asked_for, next) in [
        (
            Some("/internal/page?a=1&b=2"),
            "%2Finternal%2Fpage%3Fa%3D1%26b%3D2",
        ),
        (Some("/internal/x%0d%0aSet-Cookie:%20a=b"), "%2F"),
        (Some("//evil.example/"), "%2F"),
        (None, "%2F"),
    ] {
        let mut request = app.client.get("/auth/check");
        if let Some(uri) = asked_for {
            request = request.header(rocket::http::Header::new("X-Original-URI", uri));
        }

        let response = browser.send(request).await;

        assert_eq!(response.status(), Status::Unauthorized);
        assert_eq!(
            response.headers().get_one("X-Auth-Request-Sign-In"),
            Some(format!("{}/login?next={next}", crate::helpers::PUBLIC_URL).as_str()),
            "{asked_for:?}"
        );
    }
}

#[rocket::async_test]
async fn check_after_sign_out_is_401() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;
    browser.sign_out().await;

    assert_eq!(
        browser.get("/auth/check").await.status(),
        Status::Unauthorized
    );
}

#[rocket::async_test]
async fn a_user_outside_the_allowed_users_gets_403_no_session_and_no_row() {
    let app = TestApp::spawn_with(|f| f.merge(("allowed_github_users", "hubot, OctoCat"))).await;
    app.github.set_account(Account {
        id: 66,
        login: "mallory".into(),
        ..Account::octocat()
    });
    let outsider = app.browser();

    let response = outsider.sign_in(None).await;

    assert_eq!(response.status(), Status::Forbidden);
    let page = response.into_string().await.unwrap();
    assert!(page.contains("mallory is not one of them"), "{page}");
    assert_eq!(app.count("users").await, 0);
    assert_eq!(app.count("sessions").await, 0);
    assert_eq!(
        outsider.get("/auth/check").await.status(),
        Status::Unauthorized
    );

    // Listed logins are compared case-insensitively.
    app.github.set_account(Account::octocat());
    let insider = app.browser();
    assert_redirect(&insider.sign_in(None).await, "/");
    assert_eq!(insider.get("/auth/check").await.status(), Status::Ok);
}

#[rocket::async_test]
async fn an_allowed_org_admits_its_members_and_asks_for_read_org() {
    let app = TestApp::spawn_with(|f| f.merge(("allowed_github_orgs", "Acme"))).await;
    let authorize = app.browser().start_login(None).await;
    let scope = query_param(authorize.as_str(), "scope").unwrap();
    assert!(scope.split(' ').any(|s| s == "read:org"), "{scope}");

    // A member whose org is on the second page of `/user/orgs`.
    let mut orgs: Vec<String> = (0..100).map(|i| format!("other{i}")).collect();
    orgs.push("acme".into());
    app.github.set_account(Account {
        orgs,
        ..Account::octocat()
    });
    let member = app.browser();
    assert_redirect(&member.sign_in(None).await, "/");
    assert_eq!(member.get("/auth/check").await.status(), Status::Ok);
    let stored: Vec<String> = sqlx::query_scalar("SELECT org FROM memberships")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(
        stored,
        ["acme"],
        "only allowed organisations are remembered"
    );

    // Someone in no allowed organisation.
    app.github.set_account(Account {
        id: 5,
        login: "stranger".into(),
        orgs: vec!["elsewhere".into()],
        ..Account::octocat()
    });
    let stranger = app.browser();
    assert_eq!(stranger.sign_in(None).await.status(), Status::Forbidden);
    assert_eq!(app.count("users").await, 1);
}

#[rocket::async_test]
async fn without_an_org_list_no_org_scope_is_asked_and_no_orgs_call_made() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let authorize = browser.start_login(None).await;
    let scope = query_param(authorize.as_str(), "scope").unwrap();
    assert_eq!(scope, "user:email");

    browser.sign_in(None).await;

    assert_eq!(app.github.with(|s| s.orgs_requests), 0);
}

#[rocket::async_test]
async fn narrowing_the_list_signs_existing_sessions_out_everywhere() {
    // Two app instances on one store and one secret key: the first with an open list, the
    // second restarted with a list that leaves octocat out.
    let key = crate::helpers::random_secret_key();
    let k = key.clone();
    let open = TestApp::spawn_with(move |f| f.merge(("secret_key", k))).await;
    let store = open.db_url.clone();
    let closed = TestApp::spawn_with(move |f| {
        f.merge(("secret_key", key))
            .merge(("databases.gitlogin.url", store))
            .merge(("allowed_github_users", "someone-else"))
            .merge(("token_audiences", "sibling"))
    })
    .await;
    // Three of octocat's sessions, one for each guarded route to refuse, each used there first:
    // a route that skipped the allow-list would let its session through and keep its row.
    let mut sessions = Vec::new();
    for _ in 0..3 {
        let browser = open.browser();
        browser.sign_in(None).await;
        assert_eq!(browser.get("/auth/check").await.status(), Status::Ok);
        sessions.push(browser.cookie("gitlogin_session").unwrap());
    }
    let on_closed = |session: &str| {
        let browser = closed.browser();
        browser.set_cookie("gitlogin_session", session);
        browser
    };

    let check = on_closed(&sessions[0]).get("/auth/check").await;
    assert_eq!(check.status(), Status::Unauthorized);
    assert_eq!(open.count("sessions").await, 2, "its session row is gone");
    let about = on_closed(&sessions[1]).get("/about").await;
    assert_redirect(&about, "/login?next=/about");
    assert_eq!(open.count("sessions").await, 1, "its session row is gone");
    let token = on_closed(&sessions[2])
        .post_form("/api/token", "audience=sibling&csrf_token=x")
        .await;
    assert_eq!(
        token.status(),
        Status::Unauthorized,
        "no identity tokens either"
    );
    assert_eq!(open.count("sessions").await, 0, "its session row is gone");

    // Back on the instance whose list is open, the same cookie is dead too.
    let browser = open.browser();
    browser.set_cookie("gitlogin_session", &sessions[0]);
    assert_eq!(
        browser.get("/auth/check").await.status(),
        Status::Unauthorized
    );
}

/// The real binary, a person signed in, and an app `locked` whose rules leave them out: the
/// check for it is a 403. A misspelt or repeated `app` must not turn it into a check with no
/// app named, which the allow-lists alone would answer with 200.
#[rocket::async_test]
async fn a_misspelt_or_repeated_app_parameter_is_refused_and_logged_never_let_through() {
    use crate::real_server::{log_lines, run_to_end, sign_in, start_server, use_fake, Browser};
    let github = crate::helpers::fake_github().await;
    let dir = tempfile::tempdir().unwrap();
    let (server, base) = start_server(dir.path(), |cmd| use_fake(cmd, &github)).await;
    let registered = run_to_end(
        crate::real_server::gitlogin()
            .args(["apps", "add", "locked", "--host", "locked.example"])
            .args(["--allow-user", "someone-else"])
            .env(
                "DATABASE_URL",
                format!("sqlite://{}/app.db?mode=rwc", dir.path().display()),
            ),
    );
    assert!(registered.status.success(), "{registered:?}");
    let browser = Browser::new();
    assert_eq!(sign_in(&browser, &base, "/login").await.status(), 303);
    let status = |query: &'static str| {
        let browser = browser.clone();
        let base = base.clone();
        async move {
            browser
                .get(format!("{base}/auth/check{query}"))
                .await
                .status()
        }
    };
    assert_eq!(status("?app=locked").await, 403);
    assert_eq!(status("").await, 200, "the allow-lists alone let them in");

    let attempts = [
        "?App=locked",
        "?ap=locked",
        "?app=locked&app=locked",
        "?app=locked&app=",
        "?app=locked&redirect=1&redirect=1",
        "?app=locked&extra=1",
    ];
    for query in attempts {
        assert_eq!(status(query).await, 400, "{query}");
    }
    drop(server);

    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    let refused = log_lines(&log)
        .into_iter()
        .filter(|line| line.contains("forward auth refused") && line.contains("query"))
        .count();
    assert_eq!(refused, attempts.len(), "one log line each:\n{log}");
}
