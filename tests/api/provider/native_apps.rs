//! Native apps (RFC 8252): a command-line tool or desktop app registers a loopback redirect
//! URI and receives its code on whatever port it could listen on this time (§7.3), as a
//! public app. Any other program on the machine can listen on a port too, so such an app
//! gets no code without the person's say-so (§8.6).

use rocket::http::Status;

use super::{assert_error_back, assert_error_page, back_at, code, consent_fields, form, redeem};
use super::{register_in, signed_in, Authorize, Rp};
use crate::helpers::TestApp;

/// A public command-line tool registered with `http://127.0.0.1/callback`, no port.
fn cli_tool(app: &TestApp) -> Rp {
    register_in(
        &app.db_url,
        "cli",
        "http://127.0.0.1/callback",
        &["--public"],
    )
}

/// `rp` as it runs on `port` today.
fn on_port(rp: &Rp, port: u16) -> Rp {
    let redirect_uri = rp
        .redirect_uri
        .replace("127.0.0.1/", &format!("127.0.0.1:{port}/"));
    Rp {
        redirect_uri,
        ..rp.clone()
    }
}

#[rocket::async_test]
async fn a_public_apps_loopback_redirect_uri_takes_any_port_and_its_code_is_bound_to_that_one() {
    let app = TestApp::spawn().await;
    let cli = cli_tool(&app);
    let browser = signed_in(&app).await;

    for port in [51004, 8400] {
        let today = on_port(&cli, port);
        let code = code(&browser, &today, &Authorize::new(&today)).await;

        // The code is redeemed with the URI it was sent to, port and all (RFC 6749 §4.1.3).
        let (status, body) = redeem(&app, &on_port(&cli, port + 1), &code).await;
        assert_eq!(
            (status, &body["error"]),
            (Status::BadRequest, &"invalid_grant".into())
        );
        let code = super::code(&browser, &today, &Authorize::new(&today)).await;
        let (status, body) = redeem(&app, &today, &code).await;
        assert_eq!(status, Status::Ok, "{body}");
        assert!(body["id_token"].is_string(), "{body}");
    }
}

#[rocket::async_test]
async fn a_loopback_look_alike_redirect_uri_is_never_redirected_to() {
    let app = TestApp::spawn().await;
    let cli = cli_tool(&app);
    let browser = signed_in(&app).await;

    for variant in [
        "http://127.0.0.1.evil.example/callback",
        "http://127.0.0.1.evil.example:8400/callback",
        "http://127.0.0.1:8400@evil.example/callback",
        "http://127.0.0.1:8400/other",
        "http://127.0.0.1:8400/callback/",
        "https://127.0.0.1:8400/callback",
        "http://localhost:8400/callback",
        "http://[::1]:8400/callback",
        "http://127.0.0.1:08400/callback",
        "http://127.0.0.1:65536/callback",
    ] {
        let request = Authorize::new(&cli).with("redirect_uri", variant);
        let response = browser.get(&request.uri()).await;
        assert_error_page(response, variant).await;
    }
}

#[rocket::async_test]
async fn a_confidential_apps_loopback_redirect_uri_on_another_port_is_refused() {
    let app = TestApp::spawn().await;
    let tool = register_in(&app.db_url, "tool", "http://127.0.0.1:8400/callback", &[]);
    let browser = signed_in(&app).await;

    for port in [8401, 51004] {
        let request = Authorize::new(&tool)
            .with("redirect_uri", &format!("http://127.0.0.1:{port}/callback"));
        let response = browser.get(&request.uri()).await;
        assert_error_page(response, &format!("port {port}")).await;
    }
    // Its own port still brings a code, and a remembered consent skips the page.
    code(&browser, &tool, &Authorize::new(&tool)).await;
    let again = browser.get(&Authorize::new(&tool).uri()).await;
    assert!(back_at(&tool, &again).contains_key("code"));
}

#[rocket::async_test]
async fn a_public_loopback_app_gets_no_code_without_the_consent_page_even_after_consent() {
    let app = TestApp::spawn().await;
    let cli = on_port(&cli_tool(&app), 51004);
    let browser = signed_in(&app).await;
    code(&browser, &cli, &Authorize::new(&cli)).await;

    // Asked again, remembered consent or not; the page itself gives the code.
    let response = browser.get(&Authorize::new(&cli).uri()).await;
    assert_eq!(response.status(), Status::Ok);
    let page = response.into_string().await.unwrap();
    let fields = consent_fields(&browser, &page, "allow").await;
    let allowed = browser
        .post_form("/oauth/authorize/consent", &form(&fields))
        .await;
    assert!(back_at(&cli, &allowed).contains_key("code"));

    // `prompt=none` may show no page, so it gets no code either (OpenID Connect Core §3.1.2.6).
    let silent = Authorize::new(&cli).with("prompt", "none");
    let response = browser.get(&silent.uri()).await;
    assert_error_back(&cli, &response, "consent_required");
}
