//! `tests/postgres` runs this crate's suites again against PostgreSQL by naming each file, so a
//! new suite is left out unless someone remembers it. This test remembers: every suite here
//! is either in that list or below, with the reason it needs no second store.

use std::collections::BTreeSet;

/// Suites that stay on SQLite, and why.
const SQLITE_ONLY: [(&str, &str); 17] = [
    ("caddy", "the real binary behind Caddy, on a SQLite file of its own: the proxy is what it tests"),
    ("docs_links", "reads the docs; opens no store"),
    ("event_log", "the real binary's log lines"),
    ("http_versions", "the real binary's socket: which HTTP it speaks"),
    ("layout", "reads the source; opens no store"),
    ("logs", "the real binary's log lines"),
    ("many_hosts", "the real binary behind nginx, on a SQLite file of its own: the proxy is what it tests"),
    ("metrics", "the real binary's /metrics and its listener"),
    ("nginx", "the real binary behind nginx; tests/postgres/instances.rs puts nginx in front of PostgreSQL"),
    ("postgres_suites", "reads the two suite lists; opens no store"),
    ("secret_files", "the real binary reading its settings from files"),
    ("self_contained", "the real binary started away from the source tree"),
    ("server_binary", "the real binary as a process: limits, signals, memory"),
    ("start_up", "the real binary's start-up and its refusals"),
    ("store_faults", "locks the SQLite file itself; tests/postgres/shared_store.rs stops a PostgreSQL server instead"),
    ("systemd_unit", "reads the example unit; opens no store"),
    ("traefik_example", "reads the Traefik example; opens no store"),
];

/// Modules of `tests/api/main.rs` that hold helpers, not suites.
const HELPERS: [&str; 5] = [
    "event_receiver",
    "helpers",
    "nginx_proxy",
    "pg_cluster",
    "real_server",
];

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The suites `tests/api/main.rs` declares.
fn api_suites() -> BTreeSet<String> {
    read("tests/api/main.rs")
        .lines()
        .filter_map(|line| line.strip_prefix("mod ")?.strip_suffix(';'))
        .filter(|name| !HELPERS.contains(name))
        .map(str::to_owned)
        .collect()
}

/// The suites `tests/postgres/main.rs` includes from `tests/api`.
fn postgres_suites() -> BTreeSet<String> {
    read("tests/postgres/main.rs")
        .lines()
        .filter_map(|line| {
            line.strip_prefix("#[path = \"../api/")?
                .strip_suffix(".rs\"]")
        })
        .map(|path| path.trim_end_matches("/mod").to_owned())
        .filter(|name| !HELPERS.contains(&name.as_str()))
        .collect()
}

#[test]
fn every_suite_that_touches_the_store_runs_on_postgresql_too() {
    let api = api_suites();
    let postgres = postgres_suites();
    let sqlite_only: BTreeSet<String> = SQLITE_ONLY.iter().map(|(s, _)| s.to_string()).collect();
    assert!(
        api.len() > 40 && postgres.len() > 20,
        "{api:?} {postgres:?}"
    );

    let forgotten: Vec<_> = api
        .difference(&postgres)
        .filter(|s| !sqlite_only.contains(*s))
        .collect();
    assert!(
        forgotten.is_empty(),
        "add these to tests/postgres/main.rs, or to SQLITE_ONLY here with the reason: {forgotten:?}"
    );
    let both: Vec<_> = postgres.intersection(&sqlite_only).collect();
    assert!(
        both.is_empty(),
        "in tests/postgres and in SQLITE_ONLY: {both:?}"
    );
    let stale: Vec<_> = sqlite_only.difference(&api).collect();
    assert!(
        stale.is_empty(),
        "SQLITE_ONLY names suites that are gone: {stale:?}"
    );
}
