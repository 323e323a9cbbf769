//! The device authorization grant (RFC 8628) through HTTP: a command-line tool asks for a
//! pair of codes, its person types the user code at `/device` in a signed-in browser and
//! answers, and the tool polls the token endpoint until then. Attacks each have a test: a
//! device code redeemed twice, polling too fast, guessing user codes, an approval posted
//! from another site or without the CSRF token, a person the app's rules refuse.

use std::time::Duration;

use rocket::http::{ContentType, Header, Status};
use serde_json::Value;

use super::unverified_claims;
use super::{app_post, form, form_fields, json_of, signed_in, token, userinfo, Auth, OCTOCAT_ID};
use crate::helpers::{Browser, TestApp, PUBLIC_URL};
use crate::real_server::{gitlogin, run_to_end};

pub(super) const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const ALPHABET: &str = "BCDFGHJKLMNPQRSTVWXZ";

/// `gitlogin apps add NAME --device EXTRA… --json`: its client id and secret, if any.
pub(super) fn register_device(
    app: &TestApp,
    name: &str,
    extra: &[&str],
) -> (String, Option<String>) {
    let mut args = vec!["apps", "add", name, "--device", "--json"];
    args.extend_from_slice(extra);
    let output = run_to_end(gitlogin().args(&args).env("DATABASE_URL", &app.db_url));
    assert!(output.status.success(), "{output:?}");
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let secret = json["client_secret"].as_str().map(str::to_owned);
    (json["client_id"].as_str().unwrap().to_owned(), secret)
}

/// `POST /oauth/device_authorization` for the public app `client_id`, asking for `scope`.
pub(super) async fn ask(app: &TestApp, client_id: &str, scope: &str) -> (Status, Value) {
    let response = app_post(
        app,
        "/oauth/device_authorization",
        Auth::IdOnly(client_id),
        &[("scope", scope)],
    )
    .await;
    (response.status(), json_of(response).await)
}

/// The device's poll.
pub(super) async fn poll(app: &TestApp, client_id: &str, device_code: &str) -> (Status, Value) {
    let fields = [("grant_type", DEVICE_GRANT), ("device_code", device_code)];
    token(app, Auth::IdOnly(client_id), &fields).await
}

pub(super) fn error_of(answer: &(Status, Value)) -> (Status, &str) {
    (answer.0, answer.1["error"].as_str().unwrap_or("(none)"))
}

/// Types `typed` at `/device` in `browser`: the page it answers with.
pub(super) async fn type_code(browser: &Browser<'_>, typed: &str) -> String {
    let entry = browser.page("/device").await;
    let fields = form_fields(&entry, "/device");
    let csrf = &fields
        .iter()
        .find(|(k, _)| k == "csrf_token")
        .expect(&entry)
        .1;
    let body = form(&[("csrf_token", csrf.as_str()), ("user_code", typed)]);
    let response = browser.post_form("/device", &body).await;
    assert_eq!(response.status(), Status::Ok);
    response.into_string().await.unwrap()
}

/// Presses `decision` on the confirmation page `page`.
pub(super) async fn press(browser: &Browser<'_>, page: &str, decision: &str) -> String {
    let mut fields = form_fields(page, "/device/answer");
    assert!(!fields.is_empty(), "no confirmation form: {page}");
    fields.push(("decision".into(), decision.into()));
    let response = browser.post_form("/device/answer", &form(&fields)).await;
    assert_eq!(response.status(), Status::Ok);
    response.into_string().await.unwrap()
}

#[rocket::async_test]
async fn a_device_signs_in_once_its_person_types_the_code_and_allows_it() {
    let app = TestApp::spawn().await;
    let (cli, _) = register_device(&app, "cli", &["--public"]);
    let browser = signed_in(&app).await;

    let (status, codes) = ask(&app, &cli, "openid profile offline_access").await;
    assert_eq!(status, Status::Ok, "{codes}");
    let device_code = codes["device_code"].as_str().unwrap();
    assert_eq!(device_code.len(), 43, "256 random bits, base64url");
    let user_code = codes["user_code"].as_str().unwrap();
    let (left, right) = user_code.split_once('-').expect("XXXX-XXXX");
    assert!(left.len() == 4 && right.len() == 4, "{user_code}");
    assert!(
        (left.to_owned() + right)
            .chars()
            .all(|c| ALPHABET.contains(c)),
        "{user_code}"
    );
    assert_eq!(codes["verification_uri"], format!("{PUBLIC_URL}/device"));
    assert_eq!(
        codes["verification_uri_complete"],
        format!("{PUBLIC_URL}/device?user_code={user_code}")
    );
    assert_eq!(
        (codes["expires_in"].as_i64(), codes["interval"].as_i64()),
        (Some(600), Some(5))
    );
    assert_eq!(
        error_of(&poll(&app, &cli, device_code).await),
        (Status::BadRequest, "authorization_pending")
    );

    // Typed as people type: lower case, a space instead of the dash.
    let typed = user_code.to_lowercase().replace('-', " ");
    let page = type_code(&browser, &typed).await;
    assert!(page.contains("cli"), "names the app: {page}");
    assert!(
        page.contains(user_code),
        "shows the code to compare (§5.4): {page}"
    );
    assert!(
        page.contains("who you are on GitHub"),
        "the scopes in words: {page}"
    );
    assert!(page.contains("access while you are away"), "{page}");
    assert!(
        page.contains("Continue only if you started this yourself"),
        "{page}"
    );
    let done = press(&browser, &page, "allow").await;
    assert!(done.contains("signed in"), "{done}");

    app.clock.advance(Duration::from_secs(5));
    let (status, tokens) = poll(&app, &cli, device_code).await;
    assert_eq!(status, Status::Ok, "{tokens}");
    let claims = unverified_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["sub"], OCTOCAT_ID);
    assert_eq!(claims["aud"], cli.as_str());
    assert!(claims["auth_time"].is_i64(), "{claims}");
    assert!(
        tokens["refresh_token"].is_string(),
        "offline_access: {tokens}"
    );
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&app, access).await.status(), Status::Ok);
}

#[rocket::async_test]
async fn a_device_code_redeemed_twice_is_invalid_grant_and_revokes_what_the_first_issued() {
    let app = TestApp::spawn().await;
    let (cli, _) = register_device(&app, "cli", &["--public"]);
    let browser = signed_in(&app).await;
    let (_, codes) = ask(&app, &cli, "openid offline_access").await;
    let device_code = codes["device_code"].as_str().unwrap();
    let page = type_code(&browser, codes["user_code"].as_str().unwrap()).await;
    press(&browser, &page, "allow").await;
    let (status, first) = poll(&app, &cli, device_code).await;
    assert_eq!(status, Status::Ok, "{first}");

    app.clock.advance(Duration::from_secs(5));
    let again = poll(&app, &cli, device_code).await;

    assert_eq!(error_of(&again), (Status::BadRequest, "invalid_grant"));
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&app, access).await.status(), Status::Unauthorized);
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", first["refresh_token"].as_str().unwrap()),
    ];
    let refreshed = token(&app, Auth::IdOnly(&cli), &refresh).await;
    assert_eq!(error_of(&refreshed), (Status::BadRequest, "invalid_grant"));
}

#[rocket::async_test]
async fn polling_sooner_than_the_interval_is_slow_down_and_the_interval_grows_by_five_seconds() {
    let app = TestApp::spawn().await;
    let (cli, _) = register_device(&app, "cli", &["--public"]);
    let (_, codes) = ask(&app, &cli, "openid").await;
    let device_code = codes["device_code"].as_str().unwrap();
    let pending = (Status::BadRequest, "authorization_pending");
    let slow_down = (Status::BadRequest, "slow_down");

    assert_eq!(error_of(&poll(&app, &cli, device_code).await), pending);
    app.clock.advance(Duration::from_secs(4));
    assert_eq!(error_of(&poll(&app, &cli, device_code).await), slow_down);
    // The interval is 10 s now, from that poll on.
    app.clock.advance(Duration::from_secs(9));
    assert_eq!(error_of(&poll(&app, &cli, device_code).await), slow_down);
    // 15 s now.
    app.clock.advance(Duration::from_secs(15));
    assert_eq!(error_of(&poll(&app, &cli, device_code).await), pending);
    app.clock.advance(Duration::from_secs(14));
    assert_eq!(error_of(&poll(&app, &cli, device_code).await), slow_down);
}

#[rocket::async_test]
async fn deny_is_access_denied_on_the_device_and_an_unanswered_code_expires_after_ten_minutes() {
    let app = TestApp::spawn().await;
    let (cli, _) = register_device(&app, "cli", &["--public"]);
    let browser = signed_in(&app).await;
    let (_, denied) = ask(&app, &cli, "openid").await;
    let (_, unanswered) = ask(&app, &cli, "openid").await;

    let page = type_code(&browser, denied["user_code"].as_str().unwrap()).await;
    press(&browser, &page, "deny").await;
    let code = denied["device_code"].as_str().unwrap();
    assert_eq!(
        error_of(&poll(&app, &cli, code).await),
        (Status::BadRequest, "access_denied")
    );

    let code = unanswered["device_code"].as_str().unwrap();
    app.clock.advance(Duration::from_secs(599));
    assert_eq!(
        error_of(&poll(&app, &cli, code).await),
        (Status::BadRequest, "authorization_pending")
    );
    app.clock.advance(Duration::from_secs(1));
    assert_eq!(
        error_of(&poll(&app, &cli, code).await),
        (Status::BadRequest, "expired_token")
    );
    // Nor can its person answer it now.
    let page = type_code(&browser, unanswered["user_code"].as_str().unwrap()).await;
    assert!(page.contains("wrong or has expired"), "{page}");
}

#[rocket::async_test]
async fn only_an_app_registered_with_device_may_ask_and_a_confidential_one_proves_itself() {
    let app = TestApp::spawn().await;
    let wiki = super::register(&app, "wiki", &[]);
    let (tool, secret) = register_device(&app, "tool", &[]);
    let secret = secret.expect("confidential");

    let asked = |auth| {
        app_post(
            &app,
            "/oauth/device_authorization",
            auth,
            &[("scope", "openid")],
        )
    };
    let refused = asked(Auth::Basic(
        &wiki.client_id,
        wiki.client_secret.as_deref().unwrap(),
    ))
    .await;
    assert_eq!(refused.status(), Status::BadRequest);
    assert_eq!(json_of(refused).await["error"], "unauthorized_client");
    for auth in [
        Auth::IdOnly(&tool),
        Auth::Basic(&tool, "wrong"),
        Auth::IdOnly("nobody"),
    ] {
        let response = asked(auth).await;
        assert_eq!(response.status(), Status::Unauthorized);
        assert_eq!(json_of(response).await["error"], "invalid_client");
    }
    let allowed = asked(Auth::Basic(&tool, &secret)).await;
    assert_eq!(allowed.status(), Status::Ok);
    assert_eq!(allowed.headers().get_one("Cache-Control"), Some("no-store"));
}

#[rocket::async_test]
async fn ten_wrong_user_codes_refuse_the_person_any_code_for_ten_minutes_even_after_signing_in_again(
) {
    let app = TestApp::spawn().await;
    let (cli, _) = register_device(&app, "cli", &["--public"]);
    let (_, codes) = ask(&app, &cli, "openid").await;
    let right = codes["user_code"].as_str().unwrap();
    let browser = signed_in(&app).await;

    for wrong in 0..10 {
        let page = type_code(&browser, "BBBB-BBBB").await;
        let said = if wrong < 9 {
            "wrong or has expired"
        } else {
            "Too many wrong codes"
        };
        assert!(page.contains(said), "try {wrong}: {page}");
    }
    let page = type_code(&browser, right).await;
    assert!(
        page.contains("Too many wrong codes"),
        "even the right one: {page}"
    );
    // A new session is the same person.
    let again = signed_in(&app).await;
    let page = type_code(&again, right).await;
    assert!(page.contains("Too many wrong codes"), "{page}");

    app.clock.advance(Duration::from_secs(9 * 60 + 59));
    assert!(type_code(&again, right)
        .await
        .contains("Too many wrong codes"));
    app.clock.advance(Duration::from_secs(1));
    // The first code expired meanwhile (ten minutes too); the device asks again.
    let (_, codes) = ask(&app, &cli, "openid").await;
    let page = type_code(&again, codes["user_code"].as_str().unwrap()).await;
    assert!(
        page.contains("Continue only if you started this yourself"),
        "{page}"
    );
}

#[rocket::async_test]
async fn a_device_approval_posted_from_another_site_or_without_the_csrf_token_is_refused() {
    let app = TestApp::spawn().await;
    let (cli, _) = register_device(&app, "cli", &["--public"]);
    let browser = signed_in(&app).await;
    let (_, codes) = ask(&app, &cli, "openid").await;
    let page = type_code(&browser, codes["user_code"].as_str().unwrap()).await;
    let mut fields = form_fields(&page, "/device/answer");
    fields.push(("decision".into(), "allow".into()));

    let cross_site = app
        .client
        .post("/device/answer")
        .header(ContentType::Form)
        .header(Header::new("Origin", "https://evil.example"))
        .body(form(&fields));
    assert_eq!(browser.send(cross_site).await.status(), Status::Forbidden);
    let without: Vec<_> = fields
        .iter()
        .filter(|(k, _)| k != "csrf_token")
        .cloned()
        .collect();
    let response = browser.post_form("/device/answer", &form(&without)).await;
    assert_eq!(response.status(), Status::Forbidden);

    let code = codes["device_code"].as_str().unwrap();
    assert_eq!(
        error_of(&poll(&app, &cli, code).await),
        (Status::BadRequest, "authorization_pending")
    );
}

#[rocket::async_test]
async fn a_person_the_apps_rules_refuse_is_access_denied_on_the_device() {
    let app = TestApp::spawn().await;
    let (cli, _) = register_device(&app, "cli", &["--public", "--allow-user", "hubot"]);
    let browser = signed_in(&app).await;
    let (_, codes) = ask(&app, &cli, "openid").await;

    let page = type_code(&browser, codes["user_code"].as_str().unwrap()).await;
    press(&browser, &page, "allow").await;

    let code = codes["device_code"].as_str().unwrap();
    assert_eq!(
        error_of(&poll(&app, &cli, code).await),
        (Status::BadRequest, "access_denied")
    );
}

#[rocket::async_test]
async fn a_signed_out_visitor_signs_in_with_github_first_and_comes_back_with_the_code_filled_in() {
    let app = TestApp::spawn().await;
    let visitor = app.browser();

    let response = visitor.get("/device?user_code=BCDF-GHJK").await;

    assert_eq!(response.status(), Status::SeeOther);
    let location = crate::helpers::location(&response);
    assert!(location.starts_with("/login?next="), "{location}");
    let callback = visitor.sign_in(Some("/device?user_code=BCDF-GHJK")).await;
    crate::helpers::assert_redirect(&callback, "/device?user_code=BCDF-GHJK");
    let page = visitor.page("/device?user_code=BCDF-GHJK").await;
    assert!(page.contains("value=\"BCDF-GHJK\""), "{page}");
}
