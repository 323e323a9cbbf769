//! gitlogin: sign in with GitHub, remember people in SQLite or PostgreSQL, guard a page.
//!
//! Start reading at `auth.rs`: it tells the sign-in story in the order it happens.

pub mod access;
pub mod account;
pub mod allow_list;
pub mod auth;
pub mod clock;
pub mod config;
pub mod cookies;
pub mod csrf;
pub mod db;
pub mod demo;
pub mod error_pages;
pub mod flash;
pub mod forward_auth;
pub mod github;
pub mod headers;
pub mod keys;
pub mod limits;
pub mod logging;
pub mod login_error;
pub mod models;
pub mod next;
pub mod nullable;
pub mod pages;
pub mod pending;
pub mod purge;
pub mod request_conn;
pub mod session;
pub mod tokens;

use rocket::figment::Figment;
use rocket::fs::FileServer;
use rocket::{Build, Rocket};
use rocket_dyn_templates::Template;

use crate::clock::Clock;
use crate::config::{AppConfig, ConfigError};
use crate::cookies::CookiePolicy;
use crate::headers::SecurityHeaders;

/// The whole app, configured from `figment` (see [`config::figment`]).
pub fn app(figment: Figment) -> Result<Rocket<Build>, ConfigError> {
    app_with_clock(figment, Clock::default())
}

/// [`app`], with a clock that tests can move forward.
pub fn app_with_clock(figment: Figment, clock: Clock) -> Result<Rocket<Build>, ConfigError> {
    let config = AppConfig::from_figment(&figment)?;
    let github = auth::Github::new(&config).map_err(ConfigError::Other)?;

    let rocket = rocket::custom(figment)
        .attach(db::stage())
        .attach(Template::fairing())
        .attach(SecurityHeaders { hsts: config.https })
        .attach(purge::stage())
        // After `db::stage()`: the signing keys may live in the store.
        .attach(tokens::stage(&config)?)
        .attach(limits::UriLimit)
        .manage(CookiePolicy::new(&config))
        .manage(clock)
        .manage(github)
        .mount("/", auth::routes())
        .mount("/", pages::routes())
        .mount("/", account::routes())
        .mount("/", forward_auth::routes())
        .mount("/", limits::routes())
        .mount("/static", FileServer::from("static"))
        .register("/", error_pages::catchers());
    let rocket = if config.demo {
        rocket.attach(demo::stage())
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
