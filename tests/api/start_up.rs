//! The real binary's start-up: what it refuses, what it warns about, and what a release
//! build leaves out.

use std::process::Stdio;

use crate::helpers::assert_refuses_to_start;
use crate::real_server::{gitlogin, no_redirects, start_server, Server};

/// The binary with credentials, its normal log level, and `env`; asserts it refuses to
/// start, and returns everything it printed, both streams together.
fn refuses_to_start_with(env: &[(&str, &str)]) -> String {
    let mut cmd = gitlogin();
    cmd.env("GITHUB_CLIENT_ID", "id")
        .env("GITHUB_CLIENT_SECRET", "secret")
        .env("ROCKET_LOG_LEVEL", "normal");
    for (k, v) in env {
        cmd.env(k, v);
    }
    assert_refuses_to_start(&mut cmd).printed()
}

#[test]
fn a_database_password_never_reaches_the_output_in_either_form() {
    for url in [
        // Malformed: refused while the configuration is read.
        "postgres://u:S3cret@127.0.0.1:54x2/g",
        "postgres://127.0.0.1:54x2/g?user=u&password=S3cret",
        // Well-formed, but nothing listens there: refused when the pool opens.
        "postgres://u:S3cret@127.0.0.1:1/g",
        "postgres://127.0.0.1:1/g?user=u&password=S3cret",
    ] {
        let printed = refuses_to_start_with(&[
            ("DATABASE_URL", url),
            ("ROCKET_DATABASES", "{gitlogin={connect_timeout=1}}"),
        ]);

        assert!(!printed.contains("S3cret"), "{url}:\n{printed}");
        assert!(
            printed.to_lowercase().contains("database"),
            "{url} says nothing:\n{printed}"
        );
    }
}

#[test]
fn a_misspelt_allow_list_stops_start_up_naming_it() {
    let printed = refuses_to_start_with(&[("ALLOWED_GITHUB_ORG", "acme")]);

    assert_eq!(printed.trim().lines().count(), 1, "one line: {printed}");
    assert!(printed.contains("ALLOWED_GITHUB_ORG is not"), "{printed}");
}

#[rocket::async_test]
async fn an_open_gate_is_said_once_and_a_closed_one_not_at_all() {
    for (orgs, warnings) in [("", 1), ("acme", 0)] {
        let dir = tempfile::tempdir().unwrap();
        let (server, _) = start_server(dir.path(), |cmd| {
            cmd.env("ALLOWED_GITHUB_ORGS", orgs);
        })
        .await;
        drop(server);

        let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
        let said = crate::real_server::log_lines(&log)
            .into_iter()
            .filter(|l| {
                l.starts_with("warn: ALLOWED_GITHUB_USERS and ALLOWED_GITHUB_ORGS are both empty")
            })
            .count();
        assert_eq!(said, warnings, "ALLOWED_GITHUB_ORGS={orgs:?}:\n{log}");
    }
}

#[rocket::async_test]
async fn a_release_binary_serves_no_demo_routes_whatever_its_client_id() {
    let Some(release) = crate::real_server::release_binary() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = crate::real_server::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
    let mut cmd = std::process::Command::new(release);
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_clear()
        .env("GITHUB_CLIENT_ID", "gitlogin-demo")
        .env("GITHUB_CLIENT_SECRET", "gitlogin-demo-secret")
        .env("ROCKET_SECRET_KEY", crate::helpers::random_secret_key())
        .env("ROCKET_PORT", port.to_string())
        .env("PUBLIC_URL", &base)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/app.db?mode=rwc", dir.path().display()),
        )
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    let _server = Server(cmd.spawn().unwrap());
    crate::real_server::wait_until_answering(&base, &dir.path().join("server.log")).await;
    let http = no_redirects();

    for path in [
        "/demo/github/login/oauth/authorize?client_id=gitlogin-demo&redirect_uri=x&state=s&code_challenge=c&code_challenge_method=S256",
        "/demo/github/api/user",
        "/demo/github/api/user/emails",
    ] {
        let response = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    let token = http
        .post(format!("{base}/demo/github/login/oauth/access_token"))
        .form(&[("code", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 404);
    let home = http.get(format!("{base}/")).send().await.unwrap();
    assert!(!home.text().await.unwrap().contains("Demo mode"));
}

#[test]
fn an_access_token_lifetime_outside_ten_seconds_to_ten_minutes_stops_start_up() {
    for value in ["9s", "11m", "1h", "0s", "soon"] {
        let printed = refuses_to_start_with(&[("ACCESS_TOKEN_LIFETIME", value)]);

        assert!(
            printed.contains("ACCESS_TOKEN_LIFETIME"),
            "{value}: {printed}"
        );
        assert!(
            printed.contains(value),
            "{value}: names the value: {printed}"
        );
    }
}

/// An operator checking a rotation or a `SIGNING_KEY` reads which key signs in the start-up's
/// log, and finds it in the JWKS.
#[rocket::async_test]
async fn the_start_up_log_names_the_key_that_signs() {
    let dir = tempfile::tempdir().unwrap();
    let (server, base) = start_server(dir.path(), |_| {}).await;
    let jwks: serde_json::Value = reqwest::get(format!("{base}/.well-known/jwks.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    drop(server);

    let kid = jwks["keys"][0]["kid"].as_str().unwrap();
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    assert!(
        log.contains(&format!("tokens: signing with kid {kid}\n")),
        "{log}"
    );
}

#[test]
fn a_signing_key_rotation_or_lead_that_is_not_a_good_duration_stops_start_up_naming_it() {
    for (name, value) in [
        ("SIGNING_KEY_ROTATION", "9s"),
        ("SIGNING_KEY_ROTATION", "monthly"),
        ("SIGNING_KEY_PUBLISH_AHEAD", "-1d"),
        // As long as the default rotation: each key would be replaced before it signed.
        ("SIGNING_KEY_PUBLISH_AHEAD", "30d"),
    ] {
        let printed = refuses_to_start_with(&[(name, value)]);

        assert!(printed.contains(name), "{value}: {printed}");
        assert!(
            printed.contains(value),
            "{value}: names the value: {printed}"
        );
    }
}

/// `SIGNING_KEY`'s key is the operator's: the start-up says, once, that it is not rotated.
#[rocket::async_test]
async fn with_signing_key_set_the_start_up_says_once_that_its_key_is_not_rotated() {
    let dir = tempfile::tempdir().unwrap();
    let (der, _) = crate::tokens::test_key();
    let setting = crate::tokens::pem_of(&der);
    let (server, _) = start_server(dir.path(), |cmd| {
        cmd.env("SIGNING_KEY", setting);
    })
    .await;
    drop(server);

    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    let said = "SIGNING_KEY is set, so the EdDSA key is never rotated";
    assert_eq!(log.matches(said).count(), 1, "{log}");
    assert!(log.contains("a new signing key every 30d, published 1d before it signs"));
}
