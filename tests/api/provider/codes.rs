//! Authorization codes: single use, younger than 60 seconds (`lifetimes.rs` shows one alive at
//! its 59th second and refused at its 60th), bound to the redirect URI they
//! were issued for, and a second use taken for the theft it is (RFC 6749 §4.1.2, §10.5): the
//! tokens the code already bought are revoked, so a thief who wins the race loses them too.

use rocket::http::Status;

use super::{access_token, assert_invalid_token, assert_token_error, code, redeem, refresh};
use super::{register, register_in, signed_in, token, userinfo, Authorize, VERIFIER};
use crate::helpers::TestApp;

#[rocket::async_test]
async fn a_replayed_code_is_refused_and_revokes_the_tokens_it_issued() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let request = Authorize::new(&rp).with("scope", "openid profile offline_access");
    let code = code(&browser, &rp, &request).await;
    let (status, first) = redeem(&app, &rp, &code).await;
    assert_eq!(status, Status::Ok, "{first}");
    assert_eq!(
        userinfo(&app, access_token(&first)).await.status(),
        Status::Ok
    );

    let replay = redeem(&app, &rp, &code).await;

    assert_token_error(&replay, Status::BadRequest, "invalid_grant");
    assert_invalid_token(&userinfo(&app, access_token(&first)).await);
    let refresh_token = first["refresh_token"].as_str().unwrap();
    assert_token_error(
        &refresh(&app, &rp, refresh_token).await,
        Status::BadRequest,
        "invalid_grant",
    );
}

#[rocket::async_test]
async fn a_code_redeemed_at_another_redirect_uri_is_refused() {
    let app = TestApp::spawn().await;
    // Both URIs are the app's own: the code is bound to the one it was sent to.
    let rp = register_in(
        &app.db_url,
        "wiki",
        "https://wiki.example/callback",
        &["--redirect-uri", "https://wiki.example/other"],
    );
    let browser = signed_in(&app).await;

    for redirect_uri in [Some("https://wiki.example/other"), None] {
        let code = code(&browser, &rp, &Authorize::new(&rp)).await;
        let mut fields = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("code_verifier", VERIFIER),
        ];
        fields.extend(redirect_uri.map(|uri| ("redirect_uri", uri)));

        let (status, body) = token(&app, rp.auth(), &fields).await;

        assert_eq!(status, Status::BadRequest, "{redirect_uri:?}: {body}");
        // A wrong one is `invalid_grant`; a missing one may also be `invalid_request`.
        let error = body["error"].as_str().unwrap_or_default();
        let allowed: &[&str] = match redirect_uri {
            Some(_) => &["invalid_grant"],
            None => &["invalid_grant", "invalid_request"],
        };
        assert!(allowed.contains(&error), "{redirect_uri:?}: {body}");
        assert!(body.get("access_token").is_none());
    }
}

#[rocket::async_test]
async fn a_made_up_code_is_refused() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);

    for code in ["made-up", &"A".repeat(43)] {
        let answer = redeem(&app, &rp, code).await;

        assert_token_error(&answer, Status::BadRequest, "invalid_grant");
    }
}
