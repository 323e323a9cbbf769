//! Every test drives the app through HTTP, against a fake GitHub on 127.0.0.1, with a fresh
//! SQLite file. One binary, so they share one build and run in parallel.

mod fake_github;
mod helpers;

mod account;
mod callback_errors;
mod forward_auth;
mod lifetimes;
mod limits;
mod logout;
mod next_redirects;
mod nginx;
mod server_binary;
mod sessions;
mod sign_in;
mod store_faults;
mod tokens;
mod upstream_faults;
