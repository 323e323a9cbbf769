//! The device grant beside the registry: `--device` alone registers an app (and `apps show`
//! and `apps list --json` say so), and a device may ask for an API that accepts its app
//! (RFC 8707), as a browser's request may, but for no other.

use rocket::http::Status;
use serde_json::Value;

use super::device::{error_of, press, register_device, type_code, DEVICE_GRANT};
use super::{app_post, json_of, signed_in, token, unverified_claims, Auth};
use crate::helpers::TestApp;
use crate::real_server::{gitlogin, run_to_end};

#[rocket::async_test]
async fn device_alone_registers_an_app_and_apps_show_and_list_say_so() {
    let app = TestApp::spawn().await;
    register_device(&app, "cli", &["--public"]);

    let show = run_to_end(
        gitlogin()
            .args(["apps", "show", "cli"])
            .env("DATABASE_URL", &app.db_url),
    );
    let shown = String::from_utf8(show.stdout).unwrap();
    assert!(
        shown.contains("device: may sign people in with a code typed at /device"),
        "{shown}"
    );
    let list = run_to_end(
        gitlogin()
            .args(["apps", "list", "--json"])
            .env("DATABASE_URL", &app.db_url),
    );
    let apps: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(apps[0]["device"], true, "{apps}");
    assert_eq!(apps[0]["redirect_uris"], serde_json::json!([]));
    // Without --device (or another way in), an app is still refused.
    let refused = run_to_end(
        gitlogin()
            .args(["apps", "add", "nothing", "--public"])
            .env("DATABASE_URL", &app.db_url),
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--device"));
}

#[rocket::async_test]
async fn a_device_may_ask_for_an_api_it_is_accepted_by_and_not_for_another() {
    let app = TestApp::spawn().await;
    let (cli, _) = register_device(&app, "cli", &["--public"]);
    let api = [
        "apps",
        "add",
        "data",
        "--api",
        "https://data.example",
        "--scope",
        "read",
        "--accept",
        "cli",
    ];
    let added = run_to_end(gitlogin().args(api).env("DATABASE_URL", &app.db_url));
    assert!(added.status.success(), "{added:?}");
    let asked = |resource: &'static str| {
        let fields = [("scope", "openid read"), ("resource", resource)];
        let app = &app;
        let cli = cli.clone();
        async move {
            let auth = Auth::IdOnly(&cli);
            let response = app_post(app, "/oauth/device_authorization", auth, &fields).await;
            (response.status(), json_of(response).await)
        }
    };

    let refused = asked("https://elsewhere.example").await;
    assert_eq!(error_of(&refused), (Status::BadRequest, "invalid_target"));

    let (status, codes) = asked("https://data.example").await;
    assert_eq!(status, Status::Ok, "{codes}");
    let browser = signed_in(&app).await;
    let page = type_code(&browser, codes["user_code"].as_str().unwrap()).await;
    assert!(
        page.contains("<strong>data</strong>: read"),
        "the API and its scope: {page}"
    );
    press(&browser, &page, "allow").await;
    let fields = [
        ("grant_type", DEVICE_GRANT),
        ("device_code", codes["device_code"].as_str().unwrap()),
        ("resource", "https://data.example"),
    ];
    let (status, tokens) = token(&app, Auth::IdOnly(&cli), &fields).await;
    assert_eq!(status, Status::Ok, "{tokens}");
    let claims = unverified_claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], "https://data.example");
    assert_eq!(claims["scope"], "read");
}
