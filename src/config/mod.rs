//! Configuration, read once at start-up into one typed [`AppConfig`].
//!
//! Values come from `Rocket.toml` and are overridden by the environment. Handlers never read
//! environment variables: they get `&State<AppConfig>` or the clients built from it.

pub(crate) mod allow_list;

use std::time::Duration;

use rocket::figment::providers::{Env, Serialized};
use rocket::figment::Figment;
use serde::Deserialize;
use url::Url;

use crate::store::pool::Backend;
use allow_list::AccessRules;

/// Demo mode's stand-in for GitHub (`demo.rs`): its credentials (not secrets: demo mode only
/// ever talks to itself) and where its "github.com" and "api.github.com" live on the app's own
/// origin.
pub const DEMO_CLIENT_ID: &str = "gitlogin-demo";
pub const DEMO_CLIENT_SECRET: &str = "gitlogin-demo-secret";
pub const DEMO_WEB_BASE: &str = "/demo/github";
pub const DEMO_API_BASE: &str = "/demo/github/api";

/// Where the app's settings come from, in order of precedence (last wins): built-in defaults,
/// `Rocket.toml`, `ROCKET_*` variables, then the plain variables listed in the README.
pub fn figment() -> Figment {
    Figment::from(Serialized::defaults(RawConfig::default()))
        .merge(rocket::Config::figment())
        .merge(Env::raw().only(&[
            "GITHUB_CLIENT_ID",
            "GITHUB_CLIENT_SECRET",
            "GITHUB_URL",
            "GITHUB_API_URL",
            "GITHUB_TIMEOUT",
            "PUBLIC_URL",
            "SESSION_IDLE_TIMEOUT",
            "SESSION_MAX_AGE",
            "ALLOWED_GITHUB_USERS",
            "ALLOWED_GITHUB_ORGS",
            "TOKEN_AUDIENCES",
            "SIGNING_KEY",
        ]))
        // rocket_db_pools reads its settings under `databases.<name>`.
        .merge(
            Env::raw()
                .only(&["DATABASE_URL"])
                .map(|_| "databases.gitlogin.url".into()),
        )
}

/// The settings as written, before they are checked.
#[derive(Debug, Deserialize, serde::Serialize)]
struct RawConfig {
    github_client_id: Option<String>,
    github_client_secret: Option<String>,
    github_url: String,
    github_api_url: String,
    /// Seconds before a call to GitHub gives up (the contract is 10).
    github_timeout: u64,
    public_url: String,
    /// A session unused this long is over (`30m`, `12h`, `7d`).
    session_idle_timeout: String,
    /// A session this old is over, however busy (`30d`).
    session_max_age: String,
    /// Comma-separated GitHub logins allowed to sign in; empty: anyone.
    allowed_github_users: String,
    /// Comma-separated GitHub organisations whose members may sign in; empty: anyone.
    allowed_github_orgs: String,
    /// Comma-separated audiences that `POST /api/token` may issue tokens for.
    token_audiences: String,
    /// The Ed25519 key that signs identity tokens (PEM or base64 PKCS#8); unset: one is
    /// generated and kept in the store.
    signing_key: Option<String>,
}

impl Default for RawConfig {
    fn default() -> Self {
        RawConfig {
            github_client_id: None,
            github_client_secret: None,
            github_url: "https://github.com".into(),
            github_api_url: "https://api.github.com".into(),
            github_timeout: 10,
            public_url: "http://localhost:8000".into(),
            session_idle_timeout: "7d".into(),
            session_max_age: "30d".into(),
            allowed_github_users: String::new(),
            allowed_github_orgs: String::new(),
            token_audiences: String::new(),
            signing_key: None,
        }
    }
}

/// The checked settings every other module reads.
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub github: GithubSettings,
    /// Where people reach the app, without a trailing slash, e.g. `https://login.example.com`.
    pub public_url: String,
    /// True when `PUBLIC_URL` is https: cookies get `Secure` and a `__Host-` name, and pages
    /// send HSTS, even though the app itself speaks plain HTTP behind a TLS proxy.
    pub https: bool,
    /// True when no OAuth App is configured and the app signs people in against its own
    /// stand-in for GitHub (debug builds only).
    pub demo: bool,
    pub sessions: SessionSettings,
    pub access: AccessRules,
    /// Audiences `POST /api/token` may name (exact match).
    pub token_audiences: Vec<String>,
    /// `SIGNING_KEY` as given, if set (a secret: never logged).
    pub signing_key: Option<SecretString>,
}

/// A secret string whose `Debug` never shows it.
#[derive(Clone)]
pub struct SecretString(pub String);

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How long sessions live, enforced on the server (the cookie's age is only a hint).
#[derive(Debug, Clone, Copy)]
pub struct SessionSettings {
    /// Seconds without a request after which a session ends.
    pub idle_timeout: i64,
    /// Seconds after sign-in at which a session ends; also the cookie's `Max-Age`.
    pub max_age: i64,
}

/// How to reach GitHub (or GitHub Enterprise, or the demo stand-in, or a test's fake).
#[derive(Clone)]
pub struct GithubSettings {
    pub client_id: String,
    pub client_secret: String,
    /// Web base, e.g. `https://github.com`: the authorize and token endpoints live below it.
    pub web_url: String,
    /// REST base, e.g. `https://api.github.com`.
    pub api_url: String,
    pub timeout: Duration,
}

impl std::fmt::Debug for GithubSettings {
    // Written by hand so that the client secret can never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubSettings")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("web_url", &self.web_url)
            .field("api_url", &self.api_url)
            .field("timeout", &self.timeout)
            .finish()
    }
}

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

impl AppConfig {
    /// Reads and checks every setting. `release` says whether the release profile is in use,
    /// where a missing OAuth App is an error instead of demo mode.
    pub fn from_figment(figment: &Figment) -> Result<AppConfig, ConfigError> {
        let raw: RawConfig = figment
            .extract()
            .map_err(|e| ConfigError::Other(first_line(&e.to_string())))?;
        // A release build never falls back to demo mode, whatever its profile is called.
        let release =
            !cfg!(debug_assertions) || figment.profile() == rocket::Config::RELEASE_PROFILE;

        if let Some(name) = unknown_allow_list(std::env::vars_os().map(|(name, _)| name)) {
            return Err(ConfigError::UnknownAllowList(name));
        }
        let public_url = parse_public_url(&raw.public_url)?;
        check_database_url(figment)?;
        let https = public_url.starts_with("https://");
        let timeout = Duration::from_secs(raw.github_timeout.max(1));

        let id = raw.github_client_id.filter(|s| !s.trim().is_empty());
        let secret = raw.github_client_secret.filter(|s| !s.trim().is_empty());
        let (github, demo) = match (id, secret) {
            (Some(client_id), Some(client_secret)) => {
                let github = GithubSettings {
                    client_id,
                    client_secret,
                    web_url: parse_github_url("GITHUB_URL", &raw.github_url)?,
                    api_url: parse_github_url("GITHUB_API_URL", &raw.github_api_url)?,
                    timeout,
                };
                (github, false)
            }
            (None, _) if release => return Err(ConfigError::MissingCredential("GITHUB_CLIENT_ID")),
            (_, None) if release => {
                return Err(ConfigError::MissingCredential("GITHUB_CLIENT_SECRET"))
            }
            (Some(_), None) => {
                return Err(ConfigError::HalfCredentials(
                    "GITHUB_CLIENT_ID",
                    "GITHUB_CLIENT_SECRET",
                ))
            }
            (None, Some(_)) => {
                return Err(ConfigError::HalfCredentials(
                    "GITHUB_CLIENT_SECRET",
                    "GITHUB_CLIENT_ID",
                ))
            }
            // Demo mode, decided here and only here: no credentials at all, in a debug build
            // (a release build returned above). The same OAuth code runs, against the
            // stand-in in `demo.rs`.
            (None, None) => {
                let github = GithubSettings {
                    client_id: DEMO_CLIENT_ID.into(),
                    client_secret: DEMO_CLIENT_SECRET.into(),
                    web_url: format!("{public_url}{}", DEMO_WEB_BASE),
                    api_url: format!("{public_url}{}", DEMO_API_BASE),
                    timeout,
                };
                (github, true)
            }
        };
        let sessions = SessionSettings {
            idle_timeout: parse_duration("SESSION_IDLE_TIMEOUT", &raw.session_idle_timeout)?,
            max_age: parse_duration("SESSION_MAX_AGE", &raw.session_max_age)?,
        };

        Ok(AppConfig {
            github,
            public_url,
            https,
            demo,
            sessions,
            access: AccessRules {
                users: parse_allowed_users(&raw.allowed_github_users)?,
                orgs: parse_list("ALLOWED_GITHUB_ORGS", &raw.allowed_github_orgs, true)?,
            },
            token_audiences: parse_list("TOKEN_AUDIENCES", &raw.token_audiences, false)?,
            signing_key: raw
                .signing_key
                .filter(|k| !k.trim().is_empty())
                .map(SecretString),
        })
    }

    /// The OAuth callback, registered with GitHub as the "Authorization callback URL".
    pub fn callback_url(&self) -> String {
        format!("{}/login/callback", self.public_url)
    }
}

/// The store's URL is read by rocket_db_pools; checked here too, so that a typo stops
/// start-up with a message that names `DATABASE_URL`.
fn check_database_url(figment: &Figment) -> Result<(), ConfigError> {
    let Ok(url) = figment.extract_inner::<String>("databases.gitlogin.url") else {
        return Ok(());
    };
    use rocket_db_pools::sqlx::{postgres::PgConnectOptions, sqlite::SqliteConnectOptions};
    let shown = without_password(&url);
    let parsed = match Backend::of_url(&url) {
        Some(Backend::Sqlite) => url.parse::<SqliteConnectOptions>().map(drop),
        Some(Backend::Postgres) => url.parse::<PgConnectOptions>().map(drop),
        None => {
            return Err(bad(
                "DATABASE_URL",
                &shown,
                "it must start with sqlite: or postgres:",
            ))
        }
    };
    parsed.map_err(|why| {
        let why = first_line(&why.to_string());
        // The parser's reason may quote the part it choked on, which may be the password.
        let why = match password_in(&url) {
            Some(password) if why.contains(&password) => "it could not be read".to_owned(),
            _ => why,
        };
        bad("DATABASE_URL", &shown, &why)
    })
}

/// The password a database URL carries, in its userinfo or its `password=` parameter.
fn password_in(url: &str) -> Option<String> {
    let parsed = Url::parse(url).ok();
    let from_query = parsed.as_ref().and_then(|u| {
        u.query_pairs()
            .find(|(k, _)| k == "password")
            .map(|(_, v)| v.into_owned())
    });
    let from_userinfo = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split(['/', '?']).next())
        .and_then(|authority| authority.rsplit_once('@'))
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .map(|(_, password)| password.to_owned());
    from_userinfo.or(from_query).filter(|p| !p.is_empty())
}

/// The URL as it may be shown in an error: its scheme and host, nothing else. A password can
/// sit in the userinfo (`user:pass@`) or in the query (`?password=`), and a URL that fails to
/// parse may hide one anywhere, so the rest is never shown. Done on the text, since the URL
/// being reported may not parse.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "(not a URL)".to_owned();
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    format!("{scheme}://{host}/…")
}

/// `PUBLIC_URL` must be an origin: `http` or `https`, a host, no path, query or fragment.
/// The app is mounted at `/`, and `__Host-` cookies require `Path=/`.
fn parse_public_url(value: &str) -> Result<String, ConfigError> {
    let url = parse_url("PUBLIC_URL", value)?;
    if url.path() != "/" {
        return Err(bad("PUBLIC_URL", value, "it must not have a path"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// GitHub's URLs must be `https`, except on loopback so that tests can run a local fake.
fn parse_github_url(name: &'static str, value: &str) -> Result<String, ConfigError> {
    let url = parse_url(name, value)?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if url.scheme() != "https" && !loopback {
        return Err(bad(name, value, "it must use https"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn parse_url(name: &'static str, value: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(value.trim()).map_err(|e| bad(name, value, &e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(name, value, "it must start with http:// or https://"));
    }
    if url.host().is_none() || url.cannot_be_a_base() {
        return Err(bad(name, value, "it has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(name, value, "it must not have a query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(name, value, "it must not contain credentials"));
    }
    Ok(url)
}

/// A variable that looks like an allow-list but is not one (`ALLOWED_GITHUB_ORG`): ignoring
/// it would leave the gate open, silently.
fn unknown_allow_list(names: impl Iterator<Item = std::ffi::OsString>) -> Option<String> {
    names
        .map(|name| name.to_string_lossy().into_owned())
        .find(|name| {
            name.starts_with("ALLOWED_GITHUB_")
                && !["ALLOWED_GITHUB_USERS", "ALLOWED_GITHUB_ORGS"].contains(&name.as_str())
        })
}

/// `alice, 1001, bob:2002`: see `allow_list` for what each form means.
fn parse_allowed_users(value: &str) -> Result<Vec<allow_list::AllowedUser>, ConfigError> {
    value
        .split(',')
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .map(|item| {
            allow_list::parse_user(item).ok_or_else(|| ConfigError::BadList {
                name: "ALLOWED_GITHUB_USERS",
                item: item.to_owned(),
            })
        })
        .collect()
}

/// `a, b,c` into `["a", "b", "c"]`. GitHub names (`logins`) may hold only letters, digits,
/// `-` and `_`; audiences anything printable but commas and spaces.
fn parse_list(name: &'static str, value: &str, logins: bool) -> Result<Vec<String>, ConfigError> {
    let mut items = Vec::new();
    for item in value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let ok = if logins {
            allow_list::is_github_name(item)
        } else {
            item.len() <= 200 && item.chars().all(|c| c.is_ascii_graphic())
        };
        if !ok {
            return Err(ConfigError::BadList {
                name,
                item: item.to_owned(),
            });
        }
        items.push(if logins {
            item.to_ascii_lowercase()
        } else {
            item.to_owned()
        });
    }
    Ok(items)
}

/// `90s`, `30m`, `12h`, `7d` into seconds; at least one second, at most ten years.
fn parse_duration(name: &'static str, value: &str) -> Result<i64, ConfigError> {
    let error = || ConfigError::BadDuration {
        name,
        value: value.to_owned(),
    };
    let value = value.trim();
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(error)?;
    let (number, unit) = value.split_at(split);
    let number: i64 = number.parse().map_err(|_| error())?;
    let unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 60 * 60,
        "d" => 24 * 60 * 60,
        _ => return Err(error()),
    };
    match number.checked_mul(unit) {
        Some(secs) if (1..=10 * 365 * 24 * 60 * 60).contains(&secs) => Ok(secs),
        _ => Err(error()),
    }
}

fn bad(name: &'static str, value: &str, why: &str) -> ConfigError {
    ConfigError::BadUrl {
        name,
        value: value.to_owned(),
        why: why.to_owned(),
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<AppConfig, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(RawConfig::default()));
        for (k, v) in pairs {
            figment = figment.merge((*k, *v));
        }
        AppConfig::from_figment(&figment)
    }

    #[test]
    fn no_credentials_in_debug_is_demo_mode() {
        let c = config(&[]).unwrap();
        assert!(c.demo);
        assert_eq!(c.github.web_url, "http://localhost:8000/demo/github");
    }

    #[test]
    fn credentials_that_happen_to_be_the_demos_are_not_demo_mode() {
        let c = config(&[
            ("github_client_id", DEMO_CLIENT_ID),
            ("github_client_secret", DEMO_CLIENT_SECRET),
        ])
        .unwrap();
        assert!(!c.demo);
    }

    #[test]
    fn no_credentials_in_release_names_the_variable() {
        let figment = Figment::from(Serialized::defaults(RawConfig::default()))
            .select(rocket::Config::RELEASE_PROFILE);
        let err = AppConfig::from_figment(&figment).unwrap_err().to_string();
        assert!(err.contains("GITHUB_CLIENT_ID"), "{err}");
    }

    #[test]
    fn half_credentials_are_refused() {
        let err = config(&[("github_client_id", "x")]).unwrap_err();
        assert!(err.to_string().contains("GITHUB_CLIENT_SECRET"));
    }

    #[test]
    fn github_urls_must_be_https_unless_loopback() {
        let creds = [("github_client_id", "id"), ("github_client_secret", "s")];
        let with = |k, v| config(&[creds[0], creds[1], (k, v)]);
        assert!(with("github_url", "http://github.example").is_err());
        assert!(with("github_url", "http://127.0.0.1:9999").is_ok());
        assert!(with("github_api_url", "http://localhost:1/api/v3").is_ok());
        assert!(with("github_api_url", "not a url").is_err());
        assert!(with("github_api_url", "ftp://example.com").is_err());
    }

    #[test]
    fn session_lifetimes_are_human_durations() {
        let c = config(&[("session_idle_timeout", "30m"), ("session_max_age", "12h")]).unwrap();
        assert_eq!((c.sessions.idle_timeout, c.sessions.max_age), (1800, 43200));
        assert_eq!(config(&[]).unwrap().sessions.max_age, 30 * 86400);
        for bad in [
            "",
            "7",
            "d",
            "7 days",
            "-1d",
            "0s",
            "99999999999999d",
            "1.5h",
        ] {
            let err = config(&[("session_max_age", bad)]).unwrap_err().to_string();
            assert!(err.starts_with("SESSION_MAX_AGE"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn allow_lists_and_audiences_are_comma_separated() {
        let c = config(&[
            ("allowed_github_users", " Octocat, hubot ,"),
            ("allowed_github_orgs", "acme"),
            ("token_audiences", "https://api.example,billing"),
        ])
        .unwrap();
        assert!(
            c.access.login_entry("OCTOCAT").is_some() && c.access.login_entry("hubot").is_some()
        );
        assert!(c.access.login_entry("mallory").is_none() && c.access.allows_org("Acme"));
        assert_eq!(c.token_audiences, ["https://api.example", "billing"]);
        assert!(config(&[]).unwrap().access.is_open());
        let err = config(&[("allowed_github_users", "a b")])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("ALLOWED_GITHUB_USERS"), "{err}");
    }

    #[test]
    fn a_malformed_database_url_names_the_variable() {
        for bad in [
            "mysql://h/x",
            "postgres://h:port/x",
            "sqlite://x.db?mode=sometimes",
        ] {
            let err = config(&[("databases.gitlogin.url", bad)]).unwrap_err();
            assert!(err.to_string().starts_with("DATABASE_URL"), "{err}");
        }
        assert!(config(&[("databases.gitlogin.url", "sqlite://x.db?mode=rwc")]).is_ok());
        assert!(config(&[(
            "databases.gitlogin.url",
            "postgres://u@db.internal/gitlogin"
        )])
        .is_ok());
    }

    #[test]
    fn a_database_password_never_reaches_the_error() {
        for (url, shown) in [
            ("postgres://u:S3cret@db:54x2/g", "postgres://db:54x2/…"),
            (
                "postgres://db:54x2/g?user=u&password=S3cret",
                "postgres://db:54x2/…",
            ),
            (
                "postgres://u@db/g?password=S3cret&sslmode=sometimes",
                "postgres://db/…",
            ),
            (
                "sqlite://x.db?password=S3cret&mode=S3cret",
                "sqlite://x.db/…",
            ),
            // Nor when the scheme is one we do not speak.
            ("mysql://u:S3cret@db/g", "mysql://db/…"),
            ("mysql://db/g?password=S3cret", "mysql://db/…"),
        ] {
            let err = config(&[("databases.gitlogin.url", url)]).unwrap_err();
            let err = err.to_string();
            assert!(!err.contains("S3cret"), "{err}");
            assert!(err.contains(shown), "{url}: {err}");
            assert!(err.starts_with("DATABASE_URL"), "{err}");
        }
    }

    #[test]
    fn a_misspelt_allow_list_is_named_and_the_right_ones_pass() {
        let names = |list: &[&str]| {
            list.iter()
                .map(std::ffi::OsString::from)
                .collect::<Vec<_>>()
        };
        let found = unknown_allow_list(
            names(&["PATH", "ALLOWED_GITHUB_USERS", "ALLOWED_GITHUB_ORG"]).into_iter(),
        );
        assert_eq!(found.as_deref(), Some("ALLOWED_GITHUB_ORG"));
        let known = names(&[
            "ALLOWED_GITHUB_USERS",
            "ALLOWED_GITHUB_ORGS",
            "ALLOWED_ORGS",
        ]);
        assert_eq!(unknown_allow_list(known.into_iter()), None);
        let err = ConfigError::UnknownAllowList("ALLOWED_GITHUB_ORG".into()).to_string();
        assert!(err.starts_with("ALLOWED_GITHUB_ORG is not"), "{err}");
    }

    #[test]
    fn user_entries_are_logins_or_ids() {
        let c = config(&[("allowed_github_users", "alice, 1001 ,bob:2002")]).unwrap();
        assert_eq!(c.access.login_entry("Alice"), Some("alice"));
        assert!(c.access.allows_id(1001) && c.access.allows_id(2002));
        let err = config(&[("allowed_github_users", "alice:bob")]).unwrap_err();
        assert!(err.to_string().contains("\"alice:bob\""), "{err}");
    }

    #[test]
    fn public_url_must_be_an_origin() {
        assert!(config(&[("public_url", "https://a.example/app")]).is_err());
        assert!(config(&[("public_url", "https://a.example?x=1")]).is_err());
        let c = config(&[("public_url", "https://a.example/")]).unwrap();
        assert_eq!(c.public_url, "https://a.example");
        assert!(c.https);
        let err = config(&[("public_url", "localhost:8000")]).unwrap_err();
        assert!(err.to_string().starts_with("PUBLIC_URL"), "{err}");
    }
}
