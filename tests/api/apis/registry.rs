//! `gitlogin apps add --api`, `--service`, `apps accept`/`reject` and `apps list --json`
//! against the real binary: what an operator sees, and that every bad input is one line, a
//! failure and nothing written.

use serde_json::{json, Value};
use sqlx::AnyPool;

use super::{add, gitlogin_on, stderr, stdout};

/// A fresh store, migrated by a first command, and a pool for looking at its rows.
pub(super) struct Store {
    pub(super) url: String,
    db: AnyPool,
    _dir: tempfile::TempDir,
}

impl Store {
    pub(super) async fn new() -> Store {
        let (url, dir) = crate::STORE.create().await;
        assert!(gitlogin_on(&url, &["apps", "list"], &[]).status.success());
        sqlx::any::install_default_drivers();
        let db = AnyPool::connect(&url).await.unwrap();
        Store { url, db, _dir: dir }
    }

    /// Every row of every registry table.
    pub(super) async fn rows(&self) -> Vec<i64> {
        let mut rows = Vec::new();
        for table in [
            "apps",
            "apis",
            "api_scopes",
            "api_scope_grants",
            "api_accepts",
        ] {
            let sql = format!("SELECT count(*) FROM {table}");
            rows.push(sqlx::query_scalar(&sql).fetch_one(&self.db).await.unwrap());
        }
        rows
    }

    fn list_json(&self) -> Value {
        let output = gitlogin_on(&self.url, &["apps", "list", "--json"], &[]);
        assert!(output.status.success(), "{}", stderr(&output));
        serde_json::from_slice(&output.stdout).unwrap()
    }
}

/// The API of the examples: `data`, read by `web` on a person's behalf and by the `billing`
/// service as itself.
fn register_data(store: &Store) {
    add(
        &store.url,
        &["web", "--redirect-uri", "https://web.example/cb"],
    );
    add(&store.url, &["billing", "--service"]);
    add(
        &store.url,
        &[
            "data",
            "--api",
            "https://data.example/v1",
            "--scope",
            "read",
            "--scope",
            "write",
            "--grant-team",
            "write=Acme/Ops",
            "--grant-user",
            "write=octocat",
            "--grant-service",
            "read=billing",
            "--accept",
            "web",
            "--accept",
            "billing",
        ],
    );
}

#[rocket::async_test]
async fn an_api_is_listed_as_json_with_its_audience_scopes_grants_and_accepted_apps() {
    let store = Store::new().await;
    register_data(&store);

    let list = store.list_json();

    let apps = list.as_array().unwrap();
    let names: Vec<&str> = apps.iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["billing", "data", "web"]);
    let data = &apps[1];
    assert_eq!(data["audience"], "https://data.example/v1");
    assert_eq!(data["scopes"], json!(["read", "write"]));
    assert_eq!(
        data["grants"],
        json!({
            "read": [{ "service": "billing" }],
            "write": [{ "team": "acme/ops" }, { "user": "octocat" }],
        })
    );
    assert_eq!(data["accepts"], json!(["billing", "web"]));
    assert_eq!(data["public"], false);
    assert_eq!(data["service"], false);
    assert_eq!(data["redirect_uris"], json!([]));
    assert_eq!(data["hosts"], json!([]));
    assert!(data["client_id"].as_str().is_some_and(|id| id.len() >= 43));
    assert_eq!(apps[0]["service"], true);
    let web = apps[2].as_object().unwrap();
    assert_eq!(web["redirect_uris"], json!(["https://web.example/cb"]));
    for absent in ["audience", "scopes", "grants", "accepts"] {
        assert!(
            !web.contains_key(absent),
            "{absent} on an app that is no API"
        );
    }
    let shown = stdout(&gitlogin_on(&store.url, &["apps", "show", "data"], &[]));
    for line in [
        "audience: https://data.example/v1",
        "scope: read (only service billing)",
        "scope: write (only team acme/ops, user octocat)",
        "accepts: billing",
        "accepts: web",
    ] {
        assert!(shown.lines().any(|l| l == line), "{line:?} in:\n{shown}");
    }
}

#[rocket::async_test]
async fn accept_and_reject_change_which_apps_an_api_takes() {
    let store = Store::new().await;
    register_data(&store);
    add(&store.url, &["wiki", "--host", "wiki.example"]);

    let rejected = gitlogin_on(&store.url, &["apps", "reject", "data", "web"], &[]);
    let accepted = gitlogin_on(&store.url, &["apps", "accept", "data", "wiki"], &[]);

    assert!(rejected.status.success(), "{}", stderr(&rejected));
    assert!(accepted.status.success(), "{}", stderr(&accepted));
    assert_eq!(store.list_json()[1]["accepts"], json!(["billing", "wiki"]));
    let again = gitlogin_on(&store.url, &["apps", "reject", "data", "web"], &[]);
    assert!(again.status.success());
    assert!(
        stderr(&again).contains("did not accept"),
        "{}",
        stderr(&again)
    );
}

#[rocket::async_test]
async fn a_scope_granted_only_to_a_removed_service_stays_withheld() {
    let store = Store::new().await;
    register_data(&store);

    let removed = gitlogin_on(&store.url, &["apps", "remove", "billing"], &[]);

    assert!(removed.status.success());
    let data = &store.list_json()[0];
    assert_eq!(data["grants"]["read"], json!([{ "service": null }]));
    assert_eq!(data["accepts"], json!(["web"]));
    // A new app of the same name is not the service the grant named.
    add(&store.url, &["billing", "--service"]);
    assert_eq!(
        store.list_json()[1]["grants"]["read"],
        json!([{ "service": null }])
    );
}

#[rocket::async_test]
async fn every_bad_api_input_is_one_line_a_failure_and_nothing_written() {
    let store = Store::new().await;
    register_data(&store);
    let before = store.rows().await;
    let api = |extra: &[&'static str]| {
        let mut args = vec!["apps", "add", "other", "--api", "https://other.example"];
        args.extend_from_slice(extra);
        args
    };
    // Each refusal, and a word of the reason it gives.
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (api(&["--accept", "nope"]), "no app named \"nope\""),
        (
            api(&["--scope", "read", "--grant-service", "read=nope"]),
            "no app named",
        ),
        (api(&["--grant-user", "read=octocat"]), "not declared"),
        (
            api(&["--scope", "read", "--grant-team", "write=acme/ops"]),
            "not declared",
        ),
        (
            api(&["--scope", "read", "--grant-user", "read"]),
            "not a grant",
        ),
        (
            api(&["--scope", "read", "--grant-team", "read=acme"]),
            "not a team",
        ),
        (api(&["--scope", "openid"]), "not a scope"),
        (api(&["--scope", "offline_access"]), "not a scope"),
        (api(&["--scope", "a b"]), "not a scope"),
        (api(&["--scope", "read\"x"]), "not a scope"),
        (api(&["--scope", ""]), "not a scope"),
        (api(&["--scope", &*"s".repeat(65).leak()]), "not a scope"),
        (api(&["--scope", "read", "--scope", "read"]), "given twice"),
        (api(&["--accept", "web", "--accept", "web"]), "given twice"),
        (
            api(&[
                "--scope",
                "r",
                "--grant-user",
                "r=octocat",
                "--grant-user",
                "r=octocat",
            ]),
            "given twice",
        ),
        (api(&["--public"]), "needs a confidential app"),
        (
            vec!["apps", "add", "other", "--api", "https://data.example/v1"],
            "already belongs",
        ),
        (
            vec!["apps", "add", "other", "--api", "https://DATA.example/v1"],
            "already belongs",
        ),
        (
            api(&["--scope", "read", "--grant-service", "read=web"]),
            "not a service account",
        ),
        (
            vec!["apps", "add", "other", "--api", "http://other.example"],
            "loopback",
        ),
        (
            vec!["apps", "add", "other", "--api", "https://other.example#x"],
            "fragment",
        ),
        (
            vec!["apps", "add", "other", "--api", "https://me@other.example"],
            "user name",
        ),
        (
            vec!["apps", "add", "other", "--api", "other"],
            "not an absolute URL",
        ),
        (
            vec!["apps", "add", "other", "--service", "--public"],
            "needs a confidential app",
        ),
        (vec!["apps", "add", "other", "--scope", "read"], "add --api"),
        (
            vec![
                "apps",
                "add",
                "other",
                "--accept",
                "web",
                "--host",
                "o.example",
            ],
            "add --api",
        ),
        (vec!["apps", "accept", "data", "nope"], "no app named"),
        (vec!["apps", "accept", "web", "billing"], "is not an API"),
        (vec!["apps", "reject", "nope", "web"], "no app named"),
    ];
    for (args, why) in &cases {
        let output = gitlogin_on(&store.url, args, &[]);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
        assert!(err.starts_with("gitlogin apps "), "{args:?}: {err}");
        assert!(err.contains(why), "{args:?}: says {why:?}: {err}");
        assert_eq!(stdout(&output), "", "{args:?}");
        assert_eq!(store.rows().await, before, "{args:?} wrote something");
    }
    let usage = gitlogin_on(&store.url, &["apps", "accept", "data"], &[]);
    assert_eq!(usage.status.code(), Some(2), "the parser's own usage error");
}
