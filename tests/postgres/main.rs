//! The suites of `tests/api` that sign in or touch the store, run again against a real PostgreSQL (a
//! throwaway cluster from Debian's `postgresql`, one database per test: `pg_cluster.rs`),
//! and what only a shared store can show: several instances behind a load balancer, and a
//! database server that goes away and comes back.
//!
//! The suites are the same files, not copies: this crate root includes them and says which
//! store `TestApp` gets. Without PostgreSQL installed each test returns early after one line
//! on stderr; with `CI` set, that is a failure instead.

// Shared with tests/api, whose other suites use the parts these do not.
#[path = "../api/helpers.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "../api/nginx_proxy.rs"]
mod nginx_proxy;
#[path = "../api/pg_cluster.rs"]
mod pg_cluster;
#[allow(dead_code)]
#[path = "../api/real_server.rs"]
mod real_server;

use helpers::Store;

/// The store every `TestApp` here gets.
pub const STORE: Store = Store::Postgres;

#[path = "../api/account.rs"]
mod account;
#[path = "../api/allow_lists.rs"]
mod allow_lists;
#[path = "../api/boundaries.rs"]
mod boundaries;
#[path = "../api/callback_errors.rs"]
mod callback_errors;
#[path = "../api/forward_auth.rs"]
mod forward_auth;
#[path = "../api/lifetimes.rs"]
mod lifetimes;
#[path = "../api/logout.rs"]
mod logout;
#[path = "../api/next_redirects.rs"]
mod next_redirects;
#[path = "../api/sessions.rs"]
mod sessions;
#[path = "../api/sibling.rs"]
mod sibling;
#[path = "../api/sign_in.rs"]
mod sign_in;
#[path = "../api/tokens.rs"]
mod tokens;
#[path = "../api/upstream_faults.rs"]
mod upstream_faults;

mod instances;
mod shared_store;
