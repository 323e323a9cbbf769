//! Secrets handed over as files (`NAME_FILE`), as systemd credentials and container secrets
//! are, against the real binary.

use crate::helpers::assert_refuses_to_start;
use crate::real_server::{gitlogin, sign_in, start_server, use_fake, Browser};

#[rocket::async_test]
async fn the_client_secret_the_store_and_the_cookie_key_can_come_from_files() {
    let github = crate::helpers::fake_github().await;
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, content: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path
    };
    // As `echo secret > file` writes them: one trailing newline, which is not part of it.
    let secret = file(
        "client_secret",
        format!("{}\n", crate::helpers::CLIENT_SECRET),
    );
    let db = dir.path().join("from-file.db");
    let store = file(
        "database_url",
        format!("sqlite://{}?mode=rwc\n", db.display()),
    );
    let key = file("secret_key", crate::helpers::random_secret_key());

    let (server, base) = start_server(dir.path(), |cmd| {
        use_fake(cmd, &github);
        cmd.env_remove("GITHUB_CLIENT_SECRET")
            .env_remove("DATABASE_URL")
            .env("GITHUB_CLIENT_SECRET_FILE", &secret)
            .env("DATABASE_URL_FILE", &store)
            .env("ROCKET_SECRET_KEY_FILE", &key);
    })
    .await;

    // The fake GitHub checks the client secret at the token exchange.
    assert_eq!(
        sign_in(&Browser::new(), &base, "/login").await.status(),
        303
    );
    assert!(db.exists(), "the store is where the file says");
    drop(server);
    // A debug build would make up a cookie key of its own: the file's is the one in use.
    let shown = gitlogin()
        .arg("check-config")
        .env("ROCKET_SECRET_KEY_FILE", &key)
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&shown.stdout).into_owned();
    assert!(
        shown.lines().any(|l| l == "ROCKET_SECRET_KEY: set"),
        "{shown}"
    );
}

#[test]
fn a_secret_given_both_ways_or_an_unreadable_file_stops_start_up_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "s3cret").unwrap();
    let missing = dir.path().join("no-such-file");
    let cases = [
        (
            "GITHUB_CLIENT_SECRET_FILE",
            secret.clone(),
            vec!["GITHUB_CLIENT_SECRET and GITHUB_CLIENT_SECRET_FILE"],
        ),
        (
            "SIGNING_KEY_FILE",
            missing.clone(),
            vec!["SIGNING_KEY_FILE", "no-such-file"],
        ),
    ];
    for (var, path, expected) in cases {
        let stderr = assert_refuses_to_start(
            gitlogin()
                .env("GITHUB_CLIENT_ID", "id")
                .env("GITHUB_CLIENT_SECRET", "secret")
                .env(var, &path),
        )
        .stderr;
        assert_eq!(
            stderr.trim().lines().count(),
            1,
            "{var}: one line: {stderr}"
        );
        for part in expected {
            assert!(stderr.contains(part), "{var}: {part:?} in {stderr}");
        }
        assert!(!stderr.contains("s3cret"), "{stderr}");
    }
}
