//! The operator's other commands against the real binary: `check-config`, `healthcheck`,
//! `gen-secret` and `users`.

use std::process::{Command, Output};

use base64::Engine;

use crate::real_server::{gitlogin, sign_in, start_server, use_fake, Browser};

fn output(mut cmd: Command) -> Output {
    crate::real_server::run_to_end(&mut cmd)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn check_config_names_every_problem_at_once() {
    let mut cmd = gitlogin();
    cmd.arg("check-config")
        .env("PUBLIC_URL", "nope")
        .env("SESSION_MAX_AGE", "3x")
        .env("ALLOWED_GITHUB_ORG", "acme")
        .env("DATABASE_URL", "mysql://admin:hunter2@db.example/x");

    let out = output(cmd);

    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    for name in [
        "PUBLIC_URL",
        "SESSION_MAX_AGE",
        "ALLOWED_GITHUB_ORG",
        "DATABASE_URL",
    ] {
        assert!(err.lines().any(|l| l.contains(name)), "{name} in {err}");
    }
    assert_eq!(err.lines().count(), 4, "{err}");
    assert!(!err.contains("hunter2") && !text(&out.stdout).contains("hunter2"));
}

#[test]
fn check_config_shows_secrets_only_as_set_and_opens_no_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("never.db");
    let mut cmd = gitlogin();
    cmd.arg("check-config")
        .env("GITHUB_CLIENT_ID", "Iv1.abc")
        .env("GITHUB_CLIENT_SECRET", "client-secret-value")
        .env("ROCKET_SECRET_KEY", crate::helpers::random_secret_key())
        .env("ALLOWED_GITHUB_USERS", "alice, 1001")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", db.display()),
        );

    let out = output(cmd);

    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    for line in [
        "GITHUB_CLIENT_ID: Iv1.abc",
        "GITHUB_CLIENT_SECRET: set",
        "ROCKET_SECRET_KEY: set",
        "SIGNING_KEY: unset",
        "ALLOWED_GITHUB_USERS: alice, 1001",
    ] {
        assert!(shown.lines().any(|l| l == line), "{line:?} in {shown}");
    }
    assert!(!shown.contains("client-secret-value"), "{shown}");
    assert!(!db.exists(), "check-config created the store");
}

#[rocket::async_test]
async fn healthcheck_asks_the_servers_readiness_probe() {
    let dir = tempfile::tempdir().unwrap();
    let (server, base) = start_server(dir.path(), |_| {}).await;
    let port = base.rsplit(':').next().unwrap().to_owned();
    let ask = |port: &str| {
        let mut cmd = gitlogin();
        cmd.arg("healthcheck").env("ROCKET_PORT", port);
        output(cmd)
    };

    assert_eq!(ask(&port).status.code(), Some(0));
    drop(server);
    let down = ask(&port);
    assert_eq!(down.status.code(), Some(1));
    assert!(
        text(&down.stderr).contains("/readyz"),
        "{}",
        text(&down.stderr)
    );
}

#[test]
fn gen_secret_prints_a_fresh_key_each_time() {
    let key = |_| {
        let mut cmd = gitlogin();
        cmd.arg("gen-secret");
        let out = output(cmd);
        assert_eq!(out.status.code(), Some(0));
        text(&out.stdout).trim().to_owned()
    };
    let (first, second) = (key(1), key(2));
    assert_ne!(first, second);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&first)
        .unwrap();
    assert_eq!(bytes.len(), 64);
}

#[rocket::async_test]
async fn users_sign_out_ends_that_persons_sessions_everywhere() {
    let github = crate::helpers::fake_github().await;
    let dir = tempfile::tempdir().unwrap();
    // The test crate's store (PostgreSQL in tests/postgres), for the server and the command.
    let (store, _store_dir) = crate::STORE.create().await;
    let (server, base) = start_server(dir.path(), |cmd| {
        use_fake(cmd, &github);
        cmd.env("DATABASE_URL", &store);
    })
    .await;
    // Signed in on two devices.
    let (browser, phone) = (Browser::new(), Browser::new());
    for device in [&browser, &phone] {
        assert_eq!(sign_in(device, &base, "/login").await.status(), 303);
        assert_eq!(device.get(format!("{base}/about")).await.status(), 200);
    }
    let users = |args: &[&str]| {
        let mut cmd = gitlogin();
        cmd.args(args).env("DATABASE_URL", &store);
        output(cmd)
    };

    let list = users(&["users", "list"]);
    assert_eq!(list.status.code(), Some(0), "{}", text(&list.stderr));
    assert!(
        text(&list.stdout).starts_with("octocat\t583231\t"),
        "{}",
        text(&list.stdout)
    );
    assert!(text(&list.stdout).trim_end().ends_with("2 sessions"));
    let out = users(&["users", "sign-out", "OctoCat"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    // The running server finds both sessions gone at the next request.
    for device in [&browser, &phone] {
        assert_eq!(device.get(format!("{base}/about")).await.status(), 303);
    }
    let nobody = users(&["users", "sign-out", "nobody-here"]);
    assert_eq!(nobody.status.code(), Some(1));
    assert_eq!(text(&nobody.stderr).lines().count(), 1);
    drop(server);
}

#[rocket::async_test]
async fn users_sign_out_ends_the_refresh_tokens_minted_in_that_persons_sessions() {
    use crate::provider::{access_token, assert_token_error, offline_tokens, refresh};
    use crate::provider::{register, signed_in, userinfo};
    use rocket::http::Status;
    let app = crate::helpers::TestApp::spawn().await;
    let rp = register(&app, "wiki", &["--public"]);
    let browser = signed_in(&app).await;
    let tokens = offline_tokens(&app, &browser, &rp).await;
    let mut cmd = gitlogin();
    cmd.args(["users", "sign-out", "octocat"])
        .env("DATABASE_URL", &app.db_url);

    let out = output(cmd);

    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("1 app grants"),
        "{}",
        text(&out.stderr)
    );
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    assert_token_error(
        &refresh(&app, &rp, refresh_token).await,
        Status::BadRequest,
        "invalid_grant",
    );
    let info = userinfo(&app, access_token(&tokens)).await;
    assert_eq!(info.status(), Status::Unauthorized);
    assert_eq!(app.count("grants").await, 0);
    assert_eq!(app.count("sessions").await, 0);
}

#[test]
fn users_sign_out_says_in_its_help_that_it_ends_every_apps_access() {
    let mut cmd = gitlogin();
    cmd.args(["users", "sign-out", "--help"]);

    let out = output(cmd);

    let help = text(&out.stdout);
    assert!(help.contains("refresh tokens"), "{help}");
}
