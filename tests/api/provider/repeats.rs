//! A parameter gitlogin reads, sent twice, is refused at the authorize and token endpoints
//! (RFC 6749 §3.1, §3.2): which of the two would count is exactly what an attacker who can
//! add one to a request wants to choose. Parameters gitlogin does not read stay ignored, and
//! `resource` may repeat at authorize (RFC 8707: one per API).

use rocket::http::Status;

use super::{assert_error_back, assert_error_page, assert_token_error, back_at, code, register};
use super::{redeem, signed_in, token, Auth, Authorize, STATE, VERIFIER};
use crate::helpers::TestApp;

#[rocket::async_test]
async fn an_authorize_request_naming_a_parameter_twice_is_refused() {
    let app = TestApp::spawn().await;
    // Confidential: a doubled PKCE challenge must not turn into "no challenge".
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    code(&browser, &rp, &Authorize::new(&rp)).await;

    // Until the app and its redirect URI are known good, nothing is sent anywhere.
    for key in ["client_id", "redirect_uri"] {
        let value = Authorize::new(&rp).get(key).unwrap().to_owned();
        let twice = Authorize::new(&rp).and(key, &value);
        assert_error_page(browser.get(&twice.uri()).await, key).await;
    }
    for key in [
        "response_type",
        "scope",
        "nonce",
        "code_challenge",
        "code_challenge_method",
        "prompt",
        "max_age",
    ] {
        let value = match key {
            "prompt" => "none".to_owned(),
            "max_age" => "600".to_owned(),
            _ => Authorize::new(&rp).get(key).unwrap().to_owned(),
        };
        let twice = Authorize::new(&rp)
            .without(key)
            .and(key, &value)
            .and(key, &value);
        assert_error_back(&rp, &browser.get(&twice.uri()).await, "invalid_request");
    }
    // Which `state` to echo is the question itself: neither is.
    let twice = Authorize::new(&rp).and("state", STATE);
    let query = back_at(&rp, &browser.get(&twice.uri()).await);
    assert_eq!(query["error"], "invalid_request", "{query:?}");
    assert!(!query.contains_key("state") && !query.contains_key("code"));

    // What gitlogin does not read may repeat; so may `resource`, which names each API the
    // app wants tokens for (RFC 8707 §2), once registered and accepting the app.
    for api in ["api", "other"] {
        let audience = format!("https://{api}.example");
        crate::apis::add(&app.db_url, &[api, "--api", &audience, "--accept", "wiki"]);
    }
    let others = Authorize::new(&rp)
        .and("resource", "https://api.example")
        .and("resource", "https://other.example")
        .and("ui_locales", "en")
        .and("ui_locales", "fr");
    code(&browser, &rp, &others).await;
}

#[rocket::async_test]
async fn a_token_request_naming_a_parameter_twice_is_invalid_request_and_spends_nothing() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let code = code(&browser, &rp, &Authorize::new(&rp)).await;
    let secret = rp.client_secret.clone().unwrap();
    let fields = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", rp.redirect_uri.as_str()),
        ("code_verifier", VERIFIER),
        ("client_id", rp.client_id.as_str()),
        ("client_secret", secret.as_str()),
    ];

    for (key, value) in fields {
        let mut twice = fields.to_vec();
        twice.push((key, value));
        let answer = post_token(&app, &twice).await;
        assert_token_error(&answer, Status::BadRequest, "invalid_request");
        // The credentials in HTTP Basic instead, where a doubled form `client_id` used to
        // count as none at all.
        if key != "client_secret" {
            twice.retain(|(k, _)| *k != "client_secret");
            let basic = Auth::Basic(&rp.client_id, &secret);
            let answer = token(&app, basic, &twice).await;
            assert_token_error(&answer, Status::BadRequest, "invalid_request");
        }
    }
    let refresh_twice = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "one"),
        ("refresh_token", "two"),
    ];
    let answer = token(&app, rp.auth(), &refresh_twice).await;
    assert_token_error(&answer, Status::BadRequest, "invalid_request");

    // None of it spent the code.
    let (status, body) = redeem(&app, &rp, &code).await;
    assert_eq!(status, Status::Ok, "{body}");
}

#[rocket::async_test]
async fn a_token_parameter_sent_as_a_file_upload_is_invalid_request_not_absent() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let code = code(&browser, &rp, &Authorize::new(&rp)).await;
    let secret = rp.client_secret.clone().unwrap();
    let values = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", rp.redirect_uri.as_str()),
        ("client_id", rp.client_id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    // The verifier as a file of a multipart form: no value gitlogin reads, and never taken
    // for a verifier that was not sent (which a code with a challenge answers differently).
    let mut body = String::new();
    for (name, value) in values {
        body +=
            &format!("--X\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n");
    }
    body += &format!(
        "--X\r\nContent-Disposition: form-data; name=\"code_verifier\"; filename=\"v.txt\"\r\n\
         Content-Type: text/plain\r\n\r\n{VERIFIER}\r\n--X--\r\n"
    );

    let response = app
        .client
        .post("/oauth/token")
        .header(
            rocket::http::ContentType::new("multipart", "form-data").with_params(("boundary", "X")),
        )
        .body(body)
        .dispatch()
        .await;
    let answer = (response.status(), super::json_of(response).await);

    assert_token_error(&answer, Status::BadRequest, "invalid_request");
    let (status, body) = redeem(&app, &rp, &code).await;
    assert_eq!(status, Status::Ok, "the code is not spent: {body}");
}

/// `POST /oauth/token` with `fields` as the whole form, credentials included.
async fn post_token(app: &TestApp, fields: &[(&str, &str)]) -> (Status, serde_json::Value) {
    let response = app
        .client
        .post("/oauth/token")
        .header(rocket::http::ContentType::Form)
        .body(super::form(fields))
        .dispatch()
        .await;
    let status = response.status();
    (status, super::json_of(response).await)
}
