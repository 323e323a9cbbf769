//! Every test drives the app through HTTP, against a fake GitHub on 127.0.0.1, with a fresh
//! SQLite file. One binary, so they share one build and run in parallel. `tests/postgres`
//! runs the store-touching suites again against PostgreSQL.

use helpers::Store;

/// The store every `TestApp` here gets.
pub const STORE: Store = Store::Sqlite;

mod event_receiver;
mod helpers;
mod private_ca;
mod real_server;

mod account;
mod allow_lists;
mod apis;
mod apps_cli;
mod boundaries;
mod caddy;
mod callback_errors;
mod commands;
mod demo;
mod docs_links;
mod event_log;
mod events;
mod forward_auth;
mod github_limits;
mod github_token;
mod health;
mod hosts;
mod http_versions;
mod key_algorithms;
mod key_rotation;
mod layout;
mod lifetimes;
mod limits;
mod logout;
mod logs;
mod many_hosts;
mod membership_recheck;
mod metrics;
mod next_redirects;
mod nginx;
mod nginx_proxy;
mod past_32_bits;
// Only the PostgreSQL crate stops and restarts a cluster.
#[allow(dead_code)]
mod pg_cluster;
mod postgres_suites;
mod provider;
mod secret_files;
mod seed;
mod self_contained;
mod server_binary;
mod session_memory;
mod sessions;
mod sibling;
mod sign_in;
mod signing_keys;
mod start_up;
mod store_faults;
mod systemd_unit;
mod tokens;
mod traefik_example;
mod upstream_faults;
mod webhooks;
