//! Configuration, read once at start-up into one typed [`AppConfig`].
//!
//! Values come from `Rocket.toml` and are overridden by the environment. Handlers never read
//! environment variables: they get `&State<AppConfig>` or the clients built from it.

pub(crate) mod allow_list;
mod check;
mod error;
mod key_rotation;
mod parse;
mod secret_files;

use std::time::Duration;

use rocket::figment::providers::{Env, Format, Serialized, Toml};
use rocket::figment::{Figment, Profile};
pub use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use allow_list::AccessRules;
pub use error::ConfigError;
pub use key_rotation::{KeyRotation, SHORTEST_ROTATION_SECS};
pub(crate) use parse::without_password;

/// Demo mode's stand-in for GitHub (`demo.rs`): its credentials (not secrets: demo mode only
/// ever talks to itself) and where its "github.com" and "api.github.com" live on the app's own
/// origin.
pub const DEMO_CLIENT_ID: &str = "gitlogin-demo";
pub const DEMO_CLIENT_SECRET: &str = "gitlogin-demo-secret";
pub const DEMO_WEB_BASE: &str = "/demo/github";
pub const DEMO_API_BASE: &str = "/demo/github/api";

/// Where the app's settings come from, in order of precedence (last wins): built-in defaults,
/// the repository's `Rocket.toml` as compiled in, a `Rocket.toml` in the working directory
/// (or at `ROCKET_CONFIG`), `ROCKET_*` variables, the plain variables listed in docs/running.md,
/// then the secrets given as files (`NAME_FILE`). So the binary runs from any directory, and
/// a `Rocket.toml` next to it still overrides.
pub fn figment() -> Figment {
    let rocket = Figment::from(rocket::Config::default())
        .merge(Toml::string(include_str!("../Rocket.toml")).nested())
        .merge(Toml::file(Env::var_or("ROCKET_CONFIG", "Rocket.toml")).nested())
        .merge(Env::prefixed("ROCKET_").ignore(&["PROFILE"]).global());
    let figment = Figment::from(Serialized::defaults(RawConfig::default()))
        .merge(rocket)
        .select(Profile::from_env_or(
            "ROCKET_PROFILE",
            rocket::Config::DEFAULT_PROFILE,
        ))
        .merge(Env::raw().only(&[
            "GITHUB_CLIENT_ID",
            "GITHUB_CLIENT_SECRET",
            "GITHUB_URL",
            "GITHUB_API_URL",
            "GITHUB_TIMEOUT",
            "GITHUB_CA_FILE",
            "PUBLIC_URL",
            "SESSION_IDLE_TIMEOUT",
            "SESSION_MAX_AGE",
            "ALLOWED_GITHUB_USERS",
            "ALLOWED_GITHUB_ORGS",
            "TOKEN_AUDIENCES",
            "SIGNING_KEY",
            "SIGNING_KEY_ROTATION",
            "SIGNING_KEY_PUBLISH_AHEAD",
            "STATIC_DIR",
            "METRICS_TOKEN",
            "METRICS_ADDRESS",
            "LOG_FORMAT",
            "TRUSTED_PROXIES",
            "EVENTS_URL",
            "EVENTS_SECRET",
            "EVENTS_TIMEOUT",
            "MEMBERSHIP_RECHECK",
            "GITHUB_WEBHOOK_SECRET",
            "ACCESS_TOKEN_LIFETIME",
        ]))
        // rocket_db_pools reads its settings under `databases.<name>`.
        .merge(
            Env::raw()
                .only(&["DATABASE_URL"])
                .map(|_| "databases.gitlogin.url".into()),
        );
    secret_files::merge(figment)
}

/// The settings as written, before they are checked.
#[derive(Debug, Deserialize, serde::Serialize)]
pub(super) struct RawConfig {
    github_client_id: Option<String>,
    github_client_secret: Option<String>,
    github_url: String,
    github_api_url: String,
    /// Seconds before a call to GitHub gives up (10 unless set).
    github_timeout: u64,
    /// A PEM file of CA certificates to trust for GitHub (Enterprise behind a private CA).
    github_ca_file: Option<String>,
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
    /// How often the store's signing keys are replaced (`30d`), or `off`.
    signing_key_rotation: String,
    /// How long a new signing key is published before it signs (`1d`, `0s`).
    signing_key_publish_ahead: String,
    /// A folder of static files served before the built-in ones.
    static_dir: Option<String>,
    /// Rocket's (and rocket_dyn_templates') name for the templates folder.
    template_dir: String,
    metrics_token: Option<String>,
    metrics_address: Option<String>,
    /// `text` or `json`: read by the logger before the rest is checked.
    log_format: String,
    /// Comma-separated IP addresses of the reverse proxies in front of the app.
    trusted_proxies: String,
    /// Where events are POSTed; unset: no events.
    events_url: Option<String>,
    /// The key of the events' HMAC signature.
    events_secret: Option<String>,
    /// Seconds before a delivery of an event gives up (and is tried again later).
    events_timeout: u64,
    /// How long an organisation or team membership is believed before GitHub is asked again.
    membership_recheck: String,
    /// The secret of the organisation webhook that GitHub signs its deliveries with.
    github_webhook_secret: Option<String>,
    /// How long the provider's access tokens live, opaque and JWT.
    access_token_lifetime: String,
}

impl Default for RawConfig {
    fn default() -> Self {
        RawConfig {
            github_client_id: None,
            github_client_secret: None,
            github_url: "https://github.com".into(),
            github_api_url: "https://api.github.com".into(),
            github_timeout: 10,
            github_ca_file: None,
            public_url: "http://localhost:8000".into(),
            session_idle_timeout: "7d".into(),
            session_max_age: "30d".into(),
            allowed_github_users: String::new(),
            allowed_github_orgs: String::new(),
            token_audiences: String::new(),
            signing_key: None,
            signing_key_rotation: "30d".into(),
            signing_key_publish_ahead: "1d".into(),
            static_dir: None,
            template_dir: "templates".into(),
            metrics_token: None,
            metrics_address: None,
            log_format: "text".into(),
            trusted_proxies: String::new(),
            events_url: None,
            events_secret: None,
            events_timeout: 10,
            membership_recheck: "15m".into(),
            github_webhook_secret: None,
            access_token_lifetime: "10m".into(),
        }
    }
}

/// The longest `ACCESS_TOKEN_LIFETIME`: a JWT access token must not outlive the place of its
/// signing key in the JWKS (the provider checks this against the keys' own bound).
pub const ACCESS_TOKEN_LIFETIME_MAX: i64 = 10 * 60;

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
    /// `SIGNING_KEY_ROTATION` and `SIGNING_KEY_PUBLISH_AHEAD`: when the store's keys change.
    pub key_rotation: KeyRotation,
    /// Where templates that replace the built-in ones may be (Rocket's `template_dir`,
    /// `templates` by default); the folder need not exist.
    pub template_dir: std::path::PathBuf,
    /// `METRICS_TOKEN`: `/metrics` answers only with it as a Bearer token. Unset (and no
    /// `METRICS_ADDRESS`): no metrics.
    pub metrics_token: Option<SecretString>,
    /// `METRICS_ADDRESS`: a listener of its own that serves `/metrics` alone, without a token
    /// (keep it on a private network).
    pub metrics_address: Option<std::net::SocketAddr>,
    /// `TRUSTED_PROXIES`: the proxies whose `X-Forwarded-For` and `X-Request-Id` are believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Files served under `/static` before the built-in ones: `STATIC_DIR`, else `static/`
    /// in the working directory if there is one.
    pub static_dir: Option<std::path::PathBuf>,
    /// `EVENTS_URL` and `EVENTS_SECRET`: where to send events, when both are set.
    pub events: Option<EventsSettings>,
    /// `MEMBERSHIP_RECHECK`, in seconds: where an organisation or team decides access, a
    /// membership recorded longer ago than this is asked of GitHub again (`access/standing.rs`).
    pub membership_recheck: i64,
    /// `GITHUB_WEBHOOK_SECRET`: `POST /github/webhook` answers only when it is set, and only
    /// to deliveries signed with it (`access/webhook.rs`).
    pub webhook_secret: Option<SecretString>,
    /// `ACCESS_TOKEN_LIFETIME`, in seconds (10 s to 10 min): how long the provider's access
    /// tokens live, for userinfo and for APIs. Short, because a JWT access token an API
    /// verifies on its own stays valid until it expires (RFC 9068 §1).
    pub access_token_lifetime: i64,
}

impl AppConfig {
    /// Whether browsers treat `PUBLIC_URL` as a secure context: https, or a loopback host
    /// (`localhost`, `*.localhost`, `127.0.0.0/8`, `[::1]`), which they trust over plain http.
    pub fn is_secure_context(&self) -> bool {
        if self.https {
            return true;
        }
        match url::Url::parse(&self.public_url)
            .ok()
            .and_then(|u| u.host().map(|h| h.to_owned()))
        {
            Some(url::Host::Domain(name)) => name == "localhost" || name.ends_with(".localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
    }
}

/// The operator's receiver of events (`events.rs` sends them).
#[derive(Debug, Clone)]
pub struct EventsSettings {
    pub url: url::Url,
    /// Signs every body (`X-Gitlogin-Signature-256`); the receiver holds it too.
    pub secret: SecretString,
    /// How long one delivery may take before it counts as failed.
    pub timeout: Duration,
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
#[derive(Debug, Clone)]
pub struct GithubSettings {
    pub client_id: String,
    pub client_secret: SecretString,
    /// Web base, e.g. `https://github.com`: the authorize and token endpoints live below it.
    pub web_url: String,
    /// REST base, e.g. `https://api.github.com`.
    pub api_url: String,
    pub timeout: Duration,
    /// `GITHUB_CA_FILE`'s certificates (PEM), trusted beside the bundled roots: GitHub
    /// Enterprise behind a private CA. Checked at start-up.
    pub extra_roots: Option<Vec<u8>>,
}

impl AppConfig {
    /// The OAuth callback, registered with GitHub as the "Authorization callback URL".
    pub fn callback_url(&self) -> String {
        format!("{}/login/callback", self.public_url)
    }
}

#[cfg(test)]
mod tests;
