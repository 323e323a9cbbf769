//! The real programs that gitlogin's tests and its benchmark start on loopback, written once:
//! a throwaway PostgreSQL cluster, nginx, Caddy and Apache, each stopped when dropped, and by
//! a watchdog when the process that started them is killed first.
//!
//! What the app itself needs for demo mode (the fake GitHub, the loopback launcher, fresh
//! secret keys) lives in the app, under `gitlogin::github::fake` and `gitlogin::ops::loopback`.
//! Errors are one-line strings: a test panics with them, the benchmark prints them.

pub mod apache;
pub mod caddy;
pub mod nginx;
pub mod postgres;
pub mod process;
