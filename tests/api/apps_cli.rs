//! `gitlogin apps …` against the real binary and a fresh store of the suite's kind: what an
//! operator sees, what is stored (a secret's hash, never the secret), and that every bad
//! input is one line, a non-zero exit and nothing written.

use std::process::Output;

use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::AnyPool;

use crate::real_server::gitlogin;

/// A store, migrated by a first command, and a pool on it for looking at the rows.
struct Registry {
    url: String,
    db: AnyPool,
    _dir: tempfile::TempDir,
}

impl Registry {
    async fn new() -> Registry {
        let (url, dir) = crate::STORE.create().await;
        let list = run(&url, &["apps", "list"]);
        assert!(list.status.success(), "{}", stderr(&list));
        sqlx::any::install_default_drivers();
        let db = AnyPool::connect(&url).await.unwrap();
        Registry { url, db, _dir: dir }
    }

    fn run(&self, args: &[&str]) -> Output {
        run(&self.url, args)
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.db).await.unwrap()
    }

    /// Every row of every registry table, to show that a refused command changed nothing.
    async fn rows(&self) -> [i64; 4] {
        let mut rows = [0; 4];
        for (n, table) in ["apps", "app_redirect_uris", "app_hosts", "app_rules"]
            .iter()
            .enumerate()
        {
            rows[n] = self.count(&format!("SELECT count(*) FROM {table}")).await;
        }
        rows
    }
}

/// A usage error must never start a server: each command ends on its own, quickly.
fn run(url: &str, args: &[&str]) -> Output {
    crate::real_server::run_to_end(gitlogin().args(args).env("DATABASE_URL", url))
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn sha256_hex(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[rocket::async_test]
async fn apps_add_prints_the_credentials_once_and_stores_only_the_secrets_hash() {
    let registry = Registry::new().await;

    let added = registry.run(&[
        "apps",
        "add",
        "grafana",
        "--redirect-uri",
        "https://grafana.example/login/generic_oauth",
        "--allow-org",
        "Acme",
        "--json",
    ]);

    assert!(added.status.success(), "{}", stderr(&added));
    let out = stdout(&added);
    assert_eq!(
        out.lines().count(),
        1,
        "one JSON object and nothing else: {out}"
    );
    let json: Value = serde_json::from_str(&out).unwrap();
    let object = json.as_object().unwrap();
    assert_eq!(object.len(), 2, "{json}");
    let client_id = json["client_id"].as_str().unwrap();
    let secret = json["client_secret"].as_str().unwrap();
    assert!(secret.len() >= 43, "256 bits: {secret}");
    let stored: String = sqlx::query_scalar("SELECT secret_hash FROM apps WHERE client_id = $1")
        .bind(client_id)
        .fetch_one(&registry.db)
        .await
        .unwrap();
    assert_eq!(stored, sha256_hex(secret));
    let anywhere = format!(
        "SELECT count(*) FROM apps WHERE secret_hash = '{secret}' OR client_id = '{secret}' OR name = '{secret}'"
    );
    assert_eq!(registry.count(&anywhere).await, 0);
    let shown = stdout(&registry.run(&["apps", "show", "grafana"]));
    assert!(
        !shown.contains(secret) && !shown.contains(&stored),
        "{shown}"
    );
}

#[rocket::async_test]
async fn a_public_app_gets_no_secret() {
    let registry = Registry::new().await;

    let added = registry.run(&[
        "apps",
        "add",
        "spa",
        "--public",
        "--redirect-uri",
        "http://127.0.0.1:3000/cb",
        "--json",
    ]);

    assert!(added.status.success(), "{}", stderr(&added));
    let json: Value = serde_json::from_str(&stdout(&added)).unwrap();
    assert!(json["client_secret"].is_null(), "{json}");
    assert_eq!(
        registry
            .count("SELECT count(*) FROM apps WHERE secret_hash IS NULL")
            .await,
        1
    );
    let rotate = registry.run(&["apps", "rotate-secret", "spa"]);
    assert_eq!(rotate.status.code(), Some(1));
    assert!(
        stderr(&rotate).contains("public app"),
        "{}",
        stderr(&rotate)
    );
}

#[rocket::async_test]
async fn list_show_rotate_secret_and_remove() {
    let registry = Registry::new().await;
    let wiki = registry.run(&[
        "apps",
        "add",
        "wiki",
        "--host",
        "Wiki.Example.com",
        "--allow-user",
        "1001",
        "--allow-team",
        "acme/ops",
        "--id-token-alg",
        "EdDSA",
    ]);
    assert!(wiki.status.success(), "{}", stderr(&wiki));
    let first: Value = serde_json::from_str(&stdout(&registry.run(&[
        "apps",
        "add",
        "billing",
        "--redirect-uri",
        "https://billing.example/cb",
        "--json",
    ])))
    .unwrap();

    let list = stdout(&registry.run(&["apps", "list"]));
    let names: Vec<&str> = list
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(names, ["billing", "wiki"]);
    let shown = stdout(&registry.run(&["apps", "show", "wiki"]));
    for line in [
        "name: wiki",
        "type: confidential",
        "id_token_alg: EdDSA",
        "host: wiki.example.com",
        "allow: user id 1001",
        "allow: team acme/ops",
    ] {
        assert!(shown.lines().any(|l| l == line), "{line:?} in {shown}");
    }

    let rotated = registry.run(&["apps", "rotate-secret", "billing", "--json"]);
    assert!(rotated.status.success(), "{}", stderr(&rotated));
    let second: Value = serde_json::from_str(&stdout(&rotated)).unwrap();
    assert_eq!(second["client_id"], first["client_id"]);
    assert_ne!(second["client_secret"], first["client_secret"]);
    let stored: String = sqlx::query_scalar("SELECT secret_hash FROM apps WHERE name = 'billing'")
        .fetch_one(&registry.db)
        .await
        .unwrap();
    assert_eq!(
        stored,
        sha256_hex(second["client_secret"].as_str().unwrap())
    );

    let removed = registry.run(&["apps", "remove", "wiki"]);
    assert!(removed.status.success(), "{}", stderr(&removed));
    // Everything the app owned went with it.
    assert_eq!(registry.rows().await, [1, 1, 0, 0]);
}

#[rocket::async_test]
async fn every_bad_input_is_one_line_a_failure_and_nothing_written() {
    let registry = Registry::new().await;
    let taken = registry.run(&[
        "apps",
        "add",
        "wiki",
        "--host",
        "wiki.example.com",
        "--redirect-uri",
        "https://wiki.example.com/cb",
    ]);
    assert!(taken.status.success(), "{}", stderr(&taken));
    let before = registry.rows().await;

    let cases: &[&[&str]] = &[
        &[
            "apps",
            "add",
            "wiki",
            "--redirect-uri",
            "https://other.example/cb",
        ],
        &["apps", "add", "other", "--host", "WIKI.example.com"],
        &[
            "apps",
            "add",
            "other",
            "--redirect-uri",
            "http://other.example/cb",
        ],
        &[
            "apps",
            "add",
            "other",
            "--redirect-uri",
            "https://other.example/cb#x",
        ],
        &[
            "apps",
            "add",
            "other",
            "--redirect-uri",
            "https://me:pw@other.example/cb",
        ],
        &["apps", "add", "other", "--redirect-uri", "/cb"],
        &["apps", "add", "other"],
        &[
            "apps",
            "add",
            "other",
            "--host",
            "a.example",
            "--id-token-alg",
            "none",
        ],
        &[
            "apps",
            "add",
            "other",
            "--host",
            "a.example",
            "--allow-team",
            "acme",
        ],
        &[
            "apps",
            "add",
            "other",
            "--host",
            "a.example",
            "--allow-user",
            "not a login",
        ],
        &["apps", "add", "bad name", "--host", "a.example"],
        &["apps", "show", "nope"],
        &["apps", "rotate-secret", "nope"],
        &["apps", "remove", "nope"],
    ];
    for args in cases {
        let output = registry.run(args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
        assert!(err.starts_with("gitlogin apps "), "{args:?}: {err}");
        assert_eq!(stdout(&output), "", "{args:?}");
        assert_eq!(registry.rows().await, before, "{args:?} wrote something");
    }
}

#[rocket::async_test]
async fn usage_errors_exit_2_and_start_no_server() {
    let registry = Registry::new().await;
    for args in [
        &["frobnicate"][..],
        &["--bogus"],
        &["apps"],
        &["apps", "add"],
        &["apps", "add", "x", "--nope"],
    ] {
        let output = registry.run(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(stderr(&output).contains("Usage:"), "{args:?}");
    }
    for args in [&["--help"][..], &["--version"], &["apps", "--help"]] {
        let output = registry.run(args);
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        assert!(stdout(&output).contains("gitlogin"), "{args:?}");
    }
}

#[rocket::async_test]
async fn a_wildcard_host_is_refused_with_a_message_not_stored_to_match_literally() {
    let registry = Registry::new().await;

    for host in ["*.example.com", "wiki.*.example.com", "*", ".example.com"] {
        let output = registry.run(&["apps", "add", "wiki", "--host", host]);

        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{host}: {err}");
        assert!(err.contains("is a wildcard"), "{host}: {err}");
        assert!(err.contains("each host its own --host"), "{host}: {err}");
        assert_eq!(registry.rows().await, [0; 4], "{host} wrote something");
    }
}
