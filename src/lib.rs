//! gitlogin: sign in with GitHub, remember people in SQLite or PostgreSQL, guard a page.
//!
//! Start reading at `auth.rs`: it tells the sign-in story in the order it happens.

// The layers, from the bottom up: each uses only those before it (a test checks that no
// import goes the other way).
//
// The log, the clock, metrics, random tokens, signals.
pub mod ops;
// The pool, its migrations, one connection per request.
pub mod store;
// What the store said, remembered while its access epoch stands still.
pub(crate) mod cache;
// Every setting, read once.
pub mod config;
// The team's other apps, as the operator registers them.
pub mod registry;
// The keys that sign identity tokens and ID tokens, their rows, the JWKS.
pub(crate) mod keys;
// GitHub's REST API, the capped HTTP client, and the fake GitHub.
pub mod github;
// Cookies, messages, error pages, headers, limits, static files.
pub(crate) mod web;
// Every query: users, sessions, memberships, pins, apps, the events' outbox.
pub(crate) mod models;
// Sending the outbox's events to the operator's receiver.
pub(crate) mod events;
// Who may get in: the allow-lists, the membership recheck, the apps' rules, GitHub's webhook.
pub(crate) mod access;
// The sign-in itself, sessions, CSRF.
pub mod auth;
// Home, About, health, the account controls.
pub(crate) mod pages;
// For the other services: forward auth, identity tokens.
pub mod identity;
// For the other apps: gitlogin as their OpenID Connect provider.
pub(crate) mod provider;
// Demo mode: the fake GitHub on the app's own origin.
#[cfg(any(debug_assertions, feature = "fake-github"))]
pub(crate) mod demo;
// The command line: the server and the operator's commands.
pub mod cli;

// For the benchmark: a store filled with many people by the app's own queries.
pub use models::seed;

use rocket::figment::Figment;
use rocket::{Build, Rocket};

use crate::config::{AppConfig, ConfigError};
use crate::ops::clock::Clock;

/// The whole app, configured from `figment` (see [`config::figment`]).
pub fn app(figment: Figment) -> Result<Rocket<Build>, ConfigError> {
    app_with_clock(figment, Clock::default())
}

/// [`app`], with a clock that tests can move forward.
pub fn app_with_clock(figment: Figment, clock: Clock) -> Result<Rocket<Build>, ConfigError> {
    let config = AppConfig::from_figment(&figment)?;

    // One per process: the sign-in fills it, the sender empties it.
    let outbox = models::Outbox::new(config.events.is_some(), &clock);
    let sign_in = auth::stage(&config, &clock, &outbox)?;
    let templates =
        web::templates::Templates::load(&config.template_dir).map_err(ConfigError::Other)?;
    let rocket = rocket::custom(figment)
        .manage(clock.clone())
        .manage(outbox)
        .manage(cache::Epoch::default())
        .attach(store::stage())
        .attach(web::stage(&config, templates))
        .attach(sign_in)
        .attach(access::webhook::stage(&config))
        .attach(pages::stage())
        .attach(events::stage())
        // After the store: the signing keys may live in it.
        .attach(identity::stage(&config)?)
        .attach(provider::stage(&config));
    // `config.demo` is never true in a release build, even one that compiled the fake in.
    #[cfg(any(debug_assertions, feature = "fake-github"))]
    let rocket = if config.demo {
        rocket.attach(demo::stage(&config, &clock))
    } else {
        rocket
    };
    // Said once the configuration is known to be good, so that a refusal to start stays the
    // one line it is.
    if config.demo {
        rocket::warn!("demo mode: no GITHUB_CLIENT_ID/GITHUB_CLIENT_SECRET, signing in against the built-in stand-in for GitHub");
    }
    if config.access.is_open() {
        rocket::warn!("ALLOWED_GITHUB_USERS and ALLOWED_GITHUB_ORGS are both empty: anyone with a GitHub account can sign in");
    }
    Ok(rocket.manage(config))
}
