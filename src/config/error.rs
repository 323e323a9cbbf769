//! The settings' one error type, apart from the settings it reports on: start-up prints it as
//! its one line, `check-config` prints every one found.

/// Why the app refuses to start. Each message names the variable to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set: register a GitHub OAuth App (README, \"Register a GitHub OAuth App\") and set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET in the environment; release builds have no demo mode")]
    MissingCredential(&'static str),
    #[error("{0} is set but {1} is not: set both, or neither for demo mode")]
    HalfCredentials(&'static str, &'static str),
    #[error("{name} is not a valid URL ({value:?}): {why}")]
    BadUrl {
        name: &'static str,
        value: String,
        why: String,
    },
    #[error("{name} is not a duration ({value:?}): write a whole number and a unit, like 30m, 12h or 7d")]
    BadDuration { name: &'static str, value: String },
    #[error(
        "{name} has an entry that is not a valid name: {item:?} (separate entries with commas)"
    )]
    BadList { name: &'static str, item: String },
    #[error("{0} is not a setting gitlogin knows (the allow-lists are ALLOWED_GITHUB_USERS and ALLOWED_GITHUB_ORGS): start-up stops so that a misspelt allow-list cannot leave the gate open")]
    UnknownAllowList(String),
    #[error("invalid configuration: {0}")]
    Other(String),
}
