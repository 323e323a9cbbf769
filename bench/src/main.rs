//! The benchmark: how fast gitlogin answers, how small it stays, and whether its cost grows
//! with the number of people it knows. Run it with `bench/run.sh` (docs/contributing.md, "Benchmark").
//!
//! It runs the release binary `target/release/gitlogin` twice, side by side, on two SQLite
//! files seeded (by SQL, straight into the file) with 1,000 and with 1,000,000 users and as
//! many sessions, each app pointed at its own fake GitHub served from this process on
//! loopback. The second store also holds 10,000 live refresh families of the provider's app
//! (`family_seed.rs`: each with its grant, consent and live access token, as after a
//! refresh), so that its rows compare a few people and families with many of both. Then,
//! for each scenario in turn and each store in turn:
//!
//! - `wrk` (64 connections) on `GET /health`, `GET /` signed out, `GET /about` with a real
//!   session (signed in through the whole OAuth flow) and `GET /about` with that cookie
//!   tampered with;
//! - 8 clients in this process signing in from start to finish, as fast as they can:
//!   `/login` -> the fake's authorize -> `/login/callback` (token exchange, `/user`,
//!   `/user/emails`) -> `/about`;
//! - wrk on forward auth, `GET /auth/check` with the session, without and with an app that
//!   has an organisation rule (`forward_auth.rs`); on the provider's `GET /oauth/userinfo`
//!   with a Bearer token, `/.well-known/jwks.json` and `/.well-known/openid-configuration`;
//!   and on a service's `client_credentials` grant and an API's introspection (`apis.rs`);
//! - 8 clients in this process each rotating a refresh-token family of its own, then 8
//!   each running authorize -> `/oauth/token` (`provider_flows.rs`), as apps' servers do;
//!   after the refreshes, the store's rows per family (`family_rows.rs`).
//!
//! Each of those is read beside `GET /` of the same run ("vs GET /").
//!
//! Beside them, in the same rounds, the PostgreSQL rows (`postgres.rs`): every scenario but
//! `/health`, `GET /` and the tampered cookie (`GET /about` with a session, whole sign-ins,
//! the client-credentials grant and introspection, forward auth without and with an app,
//! userinfo, the JWKS, discovery, refreshes and code exchanges) on one instance, on one
//! instance behind nginx, and on two instances sharing one database behind nginx, on a
//! throwaway PostgreSQL cluster seeded like the first SQLite store (no families), with the
//! same apps registered. They need PostgreSQL and nginx
//! installed; without them the bench stops and says how to install them, unless
//! `--no-postgres` is given.
//!
//! Alternating the stores scenario by scenario keeps the 1k-vs-1M comparison fair when the
//! machine gets busier or quieter during the run: `/about`, sign-ins, userinfo, refreshes
//! and code exchanges must cost the same within 10% on both (`targets.rs`). It also
//! records each app's peak RSS and its start-up time (process start to the first 200 from
//! `/health`, on a migrated store).
//! The figures are printed as one table and written to `bench/results.md`, above any
//! `## Findings` section there, which is kept as written.
//!
//! Absolute figures move from run to run and machine to machine; the ratios to `/health` in
//! the same run, and between the two stores, are what to compare.

mod apis;
mod app;
mod family_rows;
mod family_seed;
#[cfg(test)]
mod family_seed_tests;
mod figures;
mod forward_auth;
mod github;
mod measure;
mod nginx;
mod postgres;
mod procfs;
mod provider_flows;
mod relying_party;
mod report;
mod requests;
mod seed;
mod settings;
mod sign_ins;
#[cfg(test)]
mod target_tests;
mod targets;
#[cfg(test)]
mod tests;
mod util;
mod wrk;

pub(crate) use apis::*;
pub(crate) use app::*;
pub(crate) use family_rows::*;
pub(crate) use family_seed::*;
pub(crate) use figures::*;
pub(crate) use forward_auth::*;
pub(crate) use github::*;
pub(crate) use measure::*;
pub(crate) use procfs::*;
pub(crate) use provider_flows::*;
pub(crate) use relying_party::*;
pub(crate) use report::*;
pub(crate) use requests::*;
pub(crate) use seed::*;
pub(crate) use settings::*;
pub(crate) use sign_ins::*;
pub(crate) use targets::*;
pub(crate) use util::*;
pub(crate) use wrk::*;

use std::process::ExitCode;

#[rocket::main]
pub(crate) async fn main() -> ExitCode {
    let settings = match Settings::from_args() {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    match run(&settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) async fn run(settings: &Settings) -> Result<(), String> {
    check_wrk()?;
    let tools = if settings.measures_postgres() {
        Some(postgres::Tools::find()?)
    } else {
        None
    };
    let binary = settings.root.join("target/release/gitlogin");
    if !binary.exists() {
        return Err(format!(
            "{} is missing: build it first with `cargo build --release --workspace --bins` (bench/run.sh does)",
            binary.display()
        ));
    }
    let work = std::env::temp_dir().join(format!("gitlogin-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    // Should the bench be killed, the apps it started (listed in `apps`, see `App::launch`)
    // must not keep running; the PID must still be gitlogin's, not a reused one.
    let exe = binary.canonicalize().unwrap_or_else(|_| binary.clone());
    after_exit(
        "for pid in $(cat \"$DIR/apps\" 2>/dev/null); do \
           [ \"$(readlink /proc/$pid/exe)\" = \"$BIN\" ] && kill -KILL \"$pid\"; \
         done; rm -rf \"$DIR\"",
        &[("DIR", work.as_os_str()), ("BIN", exe.as_os_str())],
    )?;
    let outcome = measure(settings, tools.as_ref(), &binary, &work).await;
    let _ = std::fs::remove_dir_all(&work);
    let report = outcome?;
    print!("{}", report.table);
    write_results(&settings.results, &report.markdown)?;
    println!("\nwritten to {}", settings.results.display());
    Ok(())
}
