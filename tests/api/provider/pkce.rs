//! PKCE (RFC 7636): a code issued for a challenge is redeemed only with its verifier, S256 is
//! the only method, and a public app cannot do without it. Each attack is a stolen code (from
//! a log, a referrer, another app on the device): the verifier is what the thief lacks.

use rocket::http::Status;

use super::{assert_error_back, assert_token_error, code, register, s256, signed_in, token};
use super::{Authorize, Rp, VERIFIER};
use crate::helpers::TestApp;

/// `rp` redeems `code` with `verifier` (none: the field left out).
async fn redeem_with(
    app: &TestApp,
    rp: &Rp,
    code: &str,
    verifier: Option<&str>,
) -> (Status, serde_json::Value) {
    let mut fields = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", rp.redirect_uri.as_str()),
    ];
    fields.extend(verifier.map(|v| ("code_verifier", v)));
    token(app, rp.auth(), &fields).await
}

#[rocket::async_test]
async fn a_code_redeemed_without_its_verifier_is_invalid_grant() {
    let app = TestApp::spawn().await;
    let browser = signed_in(&app).await;

    for rp in [
        register(&app, "wiki", &[]),
        register(&app, "spa", &["--public"]),
    ] {
        let code = code(&browser, &rp, &Authorize::new(&rp)).await;

        let answer = redeem_with(&app, &rp, &code, None).await;

        assert_token_error(&answer, Status::BadRequest, "invalid_grant");
    }
}

#[rocket::async_test]
async fn a_code_redeemed_with_a_wrong_verifier_is_invalid_grant() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "spa", &["--public"]);
    let browser = signed_in(&app).await;
    let challenge = s256(VERIFIER);

    for wrong in [
        "another-verifier-of-the-same-length-0123456789-abcdefghi",
        &VERIFIER.to_uppercase(),
        // The challenge itself, as `plain` would take it.
        &challenge,
    ] {
        let code = code(&browser, &rp, &Authorize::new(&rp)).await;

        let answer = redeem_with(&app, &rp, &code, Some(wrong)).await;

        assert_token_error(&answer, Status::BadRequest, "invalid_grant");
    }
}

#[rocket::async_test]
async fn the_plain_method_is_refused_back_at_the_app() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    code(&browser, &rp, &Authorize::new(&rp)).await;

    let plain = Authorize::new(&rp)
        .with("code_challenge", VERIFIER)
        .with("code_challenge_method", "plain");
    // A challenge without a method is `plain` too (RFC 7636 §4.3).
    let unnamed = Authorize::new(&rp)
        .with("code_challenge", VERIFIER)
        .without("code_challenge_method");
    for request in [plain, unnamed] {
        let response = browser.get(&request.uri()).await;

        assert_error_back(&rp, &response, "invalid_request");
    }
}

#[rocket::async_test]
async fn a_public_app_without_a_challenge_is_refused_back_at_the_app() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "spa", &["--public"]);
    let browser = signed_in(&app).await;
    code(&browser, &rp, &Authorize::new(&rp)).await;

    let request = Authorize::new(&rp)
        .without("code_challenge")
        .without("code_challenge_method");
    let response = browser.get(&request.uri()).await;

    assert_error_back(&rp, &response, "invalid_request");
}

/// An S256 challenge is a base64url SHA-256, 43 characters: anything else is refused, so a
/// challenge no verifier can meet (or one padded, or plain text) never issues a code.
#[rocket::async_test]
async fn a_challenge_that_is_no_sha256_is_refused_back_at_the_app() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let s256 = super::s256(super::VERIFIER);

    for challenge in [
        "short",
        &format!("{s256}="),
        &format!("{s256}A"),
        &s256.replace('-', "+"),
    ] {
        let request = Authorize::new(&rp).with("code_challenge", challenge);
        let response = browser.get(&request.uri()).await;
        super::assert_error_back(&rp, &response, "invalid_request");
    }
}

/// PKCE is honoured for a confidential app, not required: its secret proves the redeemer.
#[rocket::async_test]
async fn a_confidential_app_may_leave_pkce_out() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let request = Authorize::new(&rp)
        .without("code_challenge")
        .without("code_challenge_method");

    let code = super::code(&browser, &rp, &request).await;
    let fields = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", rp.redirect_uri.as_str()),
    ];
    let answer = super::token(&app, rp.auth(), &fields).await;

    assert_eq!(answer.0, rocket::http::Status::Ok, "{}", answer.1);
}
