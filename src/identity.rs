//! What the team's other services learn about who signed in: forward auth for a reverse proxy
//! (`forward_auth.rs`) on gitlogin's host or on many (`hosts.rs`), and signed identity tokens
//! (`tokens.rs`), signed with the keys of `src/keys.rs`.

pub(crate) mod forward_auth;
pub(crate) mod hosts;
pub(crate) mod tokens;

use rocket::fairing::AdHoc;

use crate::config::{AppConfig, ConfigError};

/// Needs the store attached first: the signing keys may live in it.
pub(crate) fn stage(config: &AppConfig) -> Result<AdHoc, ConfigError> {
    let tokens = tokens::stage(config)?;
    Ok(AdHoc::on_ignite("Identity", |rocket| async move {
        rocket
            .attach(tokens)
            .mount("/", forward_auth::routes())
            .mount("/", hosts::routes())
    }))
}
