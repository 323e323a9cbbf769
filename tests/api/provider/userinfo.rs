//! Userinfo (OpenID Connect Core §5.3) and the life of an access token: the claims of the
//! token's scope for a live token, `GET` or `POST`; RFC 6750's answers otherwise (401 with a
//! `Bearer` challenge that says `invalid_token` when one was sent, 403 for a token that may not
//! read it); and nothing for a token of an app the operator removed (a token's ten minutes, to the
//! second, are in `lifetimes.rs`).

use rocket::http::{ContentType, Header, Status};
use serde_json::{json, Value};

use super::{access_token, assert_invalid_token, json_of, offline_tokens, refresh, register};
use super::{remove, signed_in, tokens, userinfo, Authorize, OCTOCAT_ID};
use crate::helpers::TestApp;

#[rocket::async_test]
async fn userinfo_answers_get_and_post_with_the_claims_of_the_scope() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let body = tokens(&app, &browser, &rp, &Authorize::new(&rp)).await;
    let bearer = Header::new("Authorization", format!("Bearer {}", access_token(&body)));

    let get = app.client.get("/oauth/userinfo").header(bearer.clone());
    let post = app.client.post("/oauth/userinfo").header(bearer);
    for request in [get, post] {
        let response = request.dispatch().await;

        assert_eq!(response.status(), Status::Ok);
        let claims = json_of(response).await;
        assert_eq!(claims["sub"], OCTOCAT_ID);
        assert_eq!(claims["preferred_username"], "octocat");
        assert_eq!(claims["name"], "The Octocat");
        assert_eq!(claims["email"], "octocat@github.example");
        assert_eq!(claims["email_verified"], true);
    }
}

#[rocket::async_test]
async fn userinfo_without_a_token_is_401_with_a_bare_bearer_challenge() {
    let app = TestApp::spawn().await;

    let response = app.client.get("/oauth/userinfo").dispatch().await;

    assert_eq!(response.status(), Status::Unauthorized);
    assert_eq!(
        response.headers().get_one("WWW-Authenticate"),
        Some("Bearer")
    );
}

#[rocket::async_test]
async fn a_made_up_access_token_is_401_invalid_token() {
    let app = TestApp::spawn().await;
    register(&app, "wiki", &[]);

    for token in ["made-up", &"A".repeat(43)] {
        assert_invalid_token(&userinfo(&app, token).await);
    }
}

#[rocket::async_test]
async fn a_token_without_the_openid_scope_is_403_at_userinfo() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    // Plain OAuth 2: an access token, no ID token.
    let request = Authorize::new(&rp).with("scope", "profile");
    let body = tokens(&app, &browser, &rp, &request).await;

    let response = userinfo(&app, access_token(&body)).await;

    assert_eq!(response.status(), Status::Forbidden);
}

#[rocket::async_test]
async fn a_removed_apps_tokens_stop_working_at_once() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let body = offline_tokens(&app, &browser, &rp).await;
    assert_eq!(
        userinfo(&app, access_token(&body)).await.status(),
        Status::Ok
    );

    remove(&app, &rp);

    assert_invalid_token(&userinfo(&app, access_token(&body)).await);
    let (status, answer) = refresh(&app, &rp, body["refresh_token"].as_str().unwrap()).await;
    // Its credentials are gone too: `invalid_client`, or `invalid_grant` for the token.
    assert!(
        matches!(status.code, 400 | 401) && answer["error"].is_string(),
        "{status}: {answer}"
    );
    assert!(answer.get("access_token").is_none());
}

/// The `email` and `email_verified` an app learns of octocat, from the ID token and from
/// userinfo (both must agree), after GitHub's `/user/emails` answered as `github` says.
async fn email_claims(github: impl FnOnce(&mut gitlogin::github::fake::World)) -> [Value; 2] {
    let app = TestApp::spawn().await;
    app.github.with(github);
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let body = tokens(&app, &browser, &rp, &Authorize::new(&rp)).await;
    let id_token = super::unverified_claims(body["id_token"].as_str().unwrap());
    let info = json_of(userinfo(&app, access_token(&body)).await).await;
    assert_eq!(info["sub"], OCTOCAT_ID, "signed in all the same: {info}");
    let pick = |claims: &Value| json!([claims["email"], claims["email_verified"]]);
    assert_eq!(pick(&id_token), pick(&info));
    [
        id_token["email"].clone(),
        id_token["email_verified"].clone(),
    ]
}

#[rocket::async_test]
async fn a_github_server_error_at_user_emails_claims_no_public_email_as_verified() {
    use gitlogin::github::fake::Fault;

    let claims = email_claims(|w| w.emails_fault = Some(Fault::ServerError)).await;

    assert_eq!(
        claims,
        [Value::Null, Value::Null],
        "no email, no email_verified"
    );
}

#[rocket::async_test]
async fn the_public_email_stands_in_when_user_emails_is_not_found() {
    let claims = email_claims(|w| w.emails_not_found = true).await;

    assert_eq!(claims, [json!("octocat@github.example"), json!(true)]);
}

#[rocket::async_test]
async fn an_email_with_control_characters_is_never_claimed() {
    use gitlogin::github::fake::{email, Account, SignedIn};
    let forged = "octocat@github.example\r\nX-Forwarded-User: admin";
    let account = Account {
        emails: vec![email(forged, true, "private")],
        ..Account::octocat()
    };

    let claims = email_claims(|w| w.signed_in = SignedIn::As(account)).await;

    assert_eq!(claims, [Value::Null, Value::Null]);
}

/// Userinfo's own check of the app's rules: the person drops out of them in the store, with
/// no sign-in here to end the grant first.
#[rocket::async_test]
async fn userinfo_for_someone_who_left_the_apps_org_is_invalid_token_without_a_new_sign_in() {
    use gitlogin::github::fake::Account;
    let app = TestApp::spawn().await;
    app.github.set_account(Account {
        orgs: vec!["acme".into()],
        ..Account::octocat()
    });
    let rp = register(&app, "wiki", &["--allow-org", "acme"]);
    let browser = signed_in(&app).await;
    let body = tokens(&app, &browser, &rp, &Authorize::new(&rp)).await;
    assert_eq!(
        userinfo(&app, access_token(&body)).await.status(),
        Status::Ok
    );

    super::memberships_forgotten(&app).await;
    let answer = userinfo(&app, access_token(&body)).await;

    assert_invalid_token(&answer);
}

/// RFC 6750 §2.2: some relying-party libraries send the token as a form field by default.
#[rocket::async_test]
async fn userinfo_takes_the_access_token_from_a_form_body_too() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let body = tokens(&app, &browser, &rp, &Authorize::new(&rp)).await;
    let post = |body: String, content_type: ContentType| {
        app.client
            .post("/oauth/userinfo")
            .header(content_type)
            .body(body)
            .dispatch()
    };

    let response = post(
        format!("access_token={}", access_token(&body)),
        ContentType::Form,
    )
    .await;
    assert_eq!(response.status(), Status::Ok);
    let claims = json_of(response).await;
    assert_eq!(claims["sub"], OCTOCAT_ID);
    assert_eq!(claims["preferred_username"], "octocat");

    assert_invalid_token(&post("access_token=made-up".into(), ContentType::Form).await);
    // Only a form body carries it (§2.2: "application/x-www-form-urlencoded").
    let json = format!(r#"{{"access_token": "{}"}}"#, access_token(&body));
    let response = post(json, ContentType::JSON).await;
    assert_eq!(response.status(), Status::Unauthorized);
    assert_eq!(
        response.headers().get_one("WWW-Authenticate"),
        Some("Bearer")
    );
}

/// RFC 6750 §2: one way per request. A token in the header and another in the body could
/// otherwise be read differently by a proxy that logs or checks one of them.
#[rocket::async_test]
async fn an_access_token_sent_two_ways_or_twice_is_400_invalid_request() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let body = tokens(&app, &browser, &rp, &Authorize::new(&rp)).await;
    let token = access_token(&body);
    let bearer = Header::new("Authorization", format!("Bearer {token}"));

    let both = app
        .client
        .post("/oauth/userinfo")
        .header(bearer)
        .header(ContentType::Form)
        .body(format!("access_token={token}"));
    let twice = app
        .client
        .post("/oauth/userinfo")
        .header(ContentType::Form)
        .body(format!("access_token={token}&access_token={token}"));
    for request in [both, twice] {
        let response = request.dispatch().await;

        assert_eq!(response.status(), Status::BadRequest);
        assert_eq!(
            response.headers().get_one("WWW-Authenticate"),
            Some("Bearer error=\"invalid_request\"")
        );
        let answer = json_of(response).await;
        assert_eq!(answer, json!({ "error": "invalid_request" }));
    }
}
