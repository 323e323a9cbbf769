//! The suites of `tests/api` that sign in or touch the store, run again against a real PostgreSQL (a
//! throwaway cluster from Debian's `postgresql`, one database per test: `pg_cluster.rs`),
//! and what only a shared store can show: several instances behind a load balancer, and a
//! database server that goes away and comes back.
//!
//! The suites are the same files, not copies: this crate root includes them and says which
//! store `TestApp` gets. They are compiled only where PostgreSQL is installed (`build.rs`
//! says so with `cfg(postgres_installed)`); elsewhere one test says how to install it, and
//! under `CI` fails instead.

#[cfg(not(postgres_installed))]
#[test]
fn postgresql_is_installed() {
    let install = gitlogin_testkit::postgres::INSTALL;
    assert!(
        std::env::var_os("CI").is_none(),
        "PostgreSQL is required under CI: {install}"
    );
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "PostgreSQL tests skipped: PostgreSQL is not installed (install it with `{install}`, then run `cargo test` again)"
    );
}

// Shared with tests/api, whose other suites use the parts these do not.
#[cfg(postgres_installed)]
#[path = "../api/event_receiver.rs"]
mod event_receiver;
#[cfg(postgres_installed)]
#[path = "../api/helpers.rs"]
mod helpers;
#[cfg(postgres_installed)]
#[allow(dead_code)]
#[path = "../api/nginx_proxy.rs"]
mod nginx_proxy;
#[cfg(postgres_installed)]
#[path = "../api/pg_cluster.rs"]
mod pg_cluster;
#[cfg(postgres_installed)]
#[allow(dead_code)]
#[path = "../api/real_server.rs"]
mod real_server;

#[cfg(postgres_installed)]
use helpers::Store;

/// The store every `TestApp` here gets.
#[cfg(postgres_installed)]
pub const STORE: Store = Store::Postgres;

#[cfg(postgres_installed)]
#[path = "../api/account.rs"]
mod account;
#[cfg(postgres_installed)]
#[path = "../api/allow_lists.rs"]
mod allow_lists;
#[cfg(postgres_installed)]
#[path = "../api/apis/mod.rs"]
mod apis;
#[cfg(postgres_installed)]
#[path = "../api/apps_cli.rs"]
mod apps_cli;
#[cfg(postgres_installed)]
#[path = "../api/boundaries.rs"]
mod boundaries;
#[cfg(postgres_installed)]
#[path = "../api/callback_errors.rs"]
mod callback_errors;
#[cfg(postgres_installed)]
#[path = "../api/commands.rs"]
mod commands;
#[cfg(postgres_installed)]
#[path = "../api/demo.rs"]
mod demo;
#[cfg(postgres_installed)]
#[path = "../api/events.rs"]
mod events;
#[cfg(postgres_installed)]
#[path = "../api/forward_auth.rs"]
mod forward_auth;
#[cfg(postgres_installed)]
#[path = "../api/github_limits.rs"]
mod github_limits;
#[cfg(postgres_installed)]
#[path = "../api/github_token.rs"]
mod github_token;
#[cfg(postgres_installed)]
#[path = "../api/health.rs"]
mod health;
#[cfg(postgres_installed)]
#[path = "../api/hosts.rs"]
mod hosts;
#[cfg(postgres_installed)]
#[path = "../api/key_algorithms.rs"]
mod key_algorithms;
#[cfg(postgres_installed)]
#[path = "../api/key_rotation.rs"]
mod key_rotation;
#[cfg(postgres_installed)]
#[path = "../api/lifetimes.rs"]
mod lifetimes;
#[cfg(postgres_installed)]
#[path = "../api/limits.rs"]
mod limits;
#[cfg(postgres_installed)]
#[path = "../api/logout.rs"]
mod logout;
#[cfg(postgres_installed)]
#[path = "../api/membership_recheck.rs"]
mod membership_recheck;
#[cfg(postgres_installed)]
#[path = "../api/next_redirects.rs"]
mod next_redirects;
#[cfg(postgres_installed)]
#[path = "../api/past_32_bits.rs"]
mod past_32_bits;
#[cfg(postgres_installed)]
#[path = "../api/private_ca.rs"]
mod private_ca;
#[cfg(postgres_installed)]
#[path = "../api/provider/mod.rs"]
mod provider;
#[cfg(postgres_installed)]
#[path = "../api/seed.rs"]
mod seed;
#[cfg(postgres_installed)]
#[path = "../api/session_memory.rs"]
mod session_memory;
#[cfg(postgres_installed)]
#[path = "../api/sessions.rs"]
mod sessions;
#[cfg(postgres_installed)]
#[path = "../api/sibling.rs"]
mod sibling;
#[cfg(postgres_installed)]
#[path = "../api/sign_in.rs"]
mod sign_in;
#[cfg(postgres_installed)]
#[path = "../api/signing_keys.rs"]
mod signing_keys;
#[cfg(postgres_installed)]
#[path = "../api/tokens.rs"]
mod tokens;
#[cfg(postgres_installed)]
#[path = "../api/upstream_faults.rs"]
mod upstream_faults;
#[cfg(postgres_installed)]
#[path = "../api/webhooks.rs"]
mod webhooks;

#[cfg(postgres_installed)]
mod instances;
#[cfg(postgres_installed)]
mod shared_store;
