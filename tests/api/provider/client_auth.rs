//! The token endpoint knows which app calls it (RFC 6749 §2.3, §3.2.1): a confidential app's
//! code is exchanged only for its own secret, sent either way it may be (`client_secret_basic`,
//! `client_secret_post`), and a code is exchanged only by the app it was issued to. A failure to
//! authenticate is `invalid_client`, a 401 with `WWW-Authenticate` (§5.2).

use rocket::http::Status;

use super::{app_post, code, json_of, register, signed_in, token, Auth, Authorize, Rp};
use super::{assert_token_error, VERIFIER};
use crate::helpers::{Browser, TestApp};

/// The fields of redeeming `code` as `rp` would, credentials aside.
fn redeeming<'a>(rp: &'a Rp, code: &'a str) -> [(&'a str, &'a str); 4] {
    [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", &rp.redirect_uri),
        ("code_verifier", VERIFIER),
    ]
}

/// Asserts that `auth` is refused as `invalid_client` for a fresh code of `rp`.
async fn refused(app: &TestApp, browser: &Browser<'_>, rp: &Rp, auth: Auth<'_>) {
    let code = code(browser, rp, &Authorize::new(rp)).await;

    let response = app_post(app, "/oauth/token", auth, &redeeming(rp, &code)).await;

    assert_eq!(response.status(), Status::Unauthorized, "{auth:?}");
    let challenge = response.headers().get_one("WWW-Authenticate");
    assert!(challenge.is_some_and(|c| !c.is_empty()), "{auth:?}");
    let body = json_of(response).await;
    assert_eq!(body["error"], "invalid_client", "{auth:?}");
    assert!(body.get("access_token").is_none());
}

#[rocket::async_test]
async fn a_wrong_secret_is_invalid_client_with_www_authenticate() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let other = register(&app, "billing", &[]);
    let browser = signed_in(&app).await;
    let id = rp.client_id.as_str();
    let secret = rp.client_secret.clone().unwrap();
    let almost = format!("{}x", &secret[..secret.len() - 1]);
    let others = other.client_secret.as_deref().unwrap();

    for auth in [
        Auth::Basic(id, "wrong"),
        Auth::Basic(id, &almost),
        Auth::Basic(id, others),
        Auth::Post(id, "wrong"),
        Auth::Post(id, others),
        Auth::Basic("no-such-client", &secret),
    ] {
        refused(&app, &browser, &rp, auth).await;
    }
}

#[rocket::async_test]
async fn a_missing_secret_is_invalid_client_with_www_authenticate() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let id = rp.client_id.as_str();

    for auth in [Auth::IdOnly(id), Auth::Basic(id, ""), Auth::Post(id, "")] {
        refused(&app, &browser, &rp, auth).await;
    }
}

#[rocket::async_test]
async fn the_secret_is_taken_in_basic_auth_or_in_the_form() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    let secret = rp.client_secret.as_deref().unwrap();

    for auth in [
        Auth::Basic(&rp.client_id, secret),
        Auth::Post(&rp.client_id, secret),
    ] {
        let code = code(&browser, &rp, &Authorize::new(&rp)).await;

        let (status, body) = token(&app, auth, &redeeming(&rp, &code)).await;

        assert_eq!(status, Status::Ok, "{auth:?}: {body}");
        assert_eq!(body["token_type"], "Bearer");
        assert!(body["access_token"].is_string() && body["id_token"].is_string());
        let expires_in = body["expires_in"].as_i64().unwrap();
        assert!((1..=600).contains(&expires_in), "{expires_in}");
        assert!(
            body.get("refresh_token").is_none(),
            "no offline_access asked"
        );
    }
}

#[rocket::async_test]
async fn a_code_redeemed_by_another_app_is_invalid_grant_and_left_to_its_own() {
    let app = TestApp::spawn().await;
    let wiki = register(&app, "wiki", &[]);
    let billing = register(&app, "billing", &[]);
    let spa = register(&app, "spa", &["--public"]);
    let browser = signed_in(&app).await;

    for thief in [&billing, &spa] {
        // The other app, with its own valid credentials: at its redirect URI, and at the
        // one the code was issued for.
        for redirect_uri in [&thief.redirect_uri, &wiki.redirect_uri] {
            let code = code(&browser, &wiki, &Authorize::new(&wiki)).await;
            let fields = [
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", redirect_uri.as_str()),
                ("code_verifier", VERIFIER),
            ];

            let answer = token(&app, thief.auth(), &fields).await;

            assert_token_error(&answer, Status::BadRequest, "invalid_grant");
            let own = [
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", wiki.redirect_uri.as_str()),
                ("code_verifier", VERIFIER),
            ];
            let (status, body) = token(&app, wiki.auth(), &own).await;
            assert_eq!(
                status,
                Status::Ok,
                "untouched, the code is still its app's: {body}"
            );
        }
    }
}
