//! Every setting read and checked at once. Start-up stops on the first problem, in one line;
//! `gitlogin check-config` lists them all, so that one run finds every typo.

use std::time::Duration;

use rocket::figment::Figment;

use super::allow_list::AccessRules;
use super::parse::{
    check_database_url, first_line, parse_allowed_users, parse_duration, parse_github_url,
    parse_list, parse_public_url, unknown_allow_list,
};
use super::{
    key_rotation, AppConfig, ConfigError, EventsSettings, GithubSettings, RawConfig, SecretString,
    SessionSettings, ACCESS_TOKEN_LIFETIME_MAX, DEMO_API_BASE, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
    DEMO_WEB_BASE,
};

impl AppConfig {
    /// Reads and checks every setting; the first problem, if any.
    pub fn from_figment(figment: &Figment) -> Result<AppConfig, ConfigError> {
        AppConfig::check(figment).map_err(|mut problems| problems.remove(0))
    }

    /// Reads and checks every setting; every problem, if any (never an empty list).
    pub fn check(figment: &Figment) -> Result<AppConfig, Vec<ConfigError>> {
        let raw: RawConfig = figment
            .extract()
            .map_err(|e| vec![ConfigError::Other(first_line(&e.to_string()))])?;
        // A release build never falls back to demo mode, whatever its profile is called.
        let release =
            !cfg!(debug_assertions) || figment.profile() == rocket::Config::RELEASE_PROFILE;
        let mut problems = Problems(super::secret_files::problems());

        let unknown = unknown_allow_list(std::env::vars_os().map(|(name, _)| name));
        problems.take(unknown.map_or(Ok(()), |name| Err(ConfigError::UnknownAllowList(name))));
        let public_url = problems.take(parse_public_url(&raw.public_url));
        problems.take(check_database_url(figment));
        let web_base = public_url.as_deref().unwrap_or_default();
        let github = problems.take(github(&raw, web_base, release));
        let idle = parse_duration("SESSION_IDLE_TIMEOUT", &raw.session_idle_timeout);
        let idle_timeout = problems.take(idle);
        let max_age = problems.take(parse_duration("SESSION_MAX_AGE", &raw.session_max_age));
        let recheck = parse_duration("MEMBERSHIP_RECHECK", &raw.membership_recheck);
        let membership_recheck = problems.take(recheck);
        let access_token_lifetime = problems.take(access_token_lifetime(&raw));
        let users = problems.take(parse_allowed_users(&raw.allowed_github_users));
        let orgs = parse_list("ALLOWED_GITHUB_ORGS", &raw.allowed_github_orgs, true);
        let orgs = problems.take(orgs);
        let audiences = parse_list("TOKEN_AUDIENCES", &raw.token_audiences, false);
        let token_audiences = problems.take(audiences);
        let static_dir = problems.take(static_dir(&raw));
        let metrics_address = problems.take(metrics_address(&raw));
        let trusted_proxies = problems.take(trusted_proxies(&raw.trusted_proxies));
        let events = problems.take(events(&raw));
        let rotation = &raw.signing_key_rotation;
        let key_rotation = problems.take(key_rotation::parse(
            rotation,
            &raw.signing_key_publish_ahead,
        ));
        if crate::ops::logging::LogFormat::parse(&raw.log_format).is_none() {
            problems.take::<()>(Err(ConfigError::Other(format!(
                "LOG_FORMAT is {:?}: write text or json",
                raw.log_format
            ))));
        }

        let (
            Some(public_url),
            Some((github, demo)),
            Some(idle_timeout),
            Some(max_age),
            Some(users),
            Some(orgs),
            Some(token_audiences),
            Some(static_dir),
            Some(metrics_address),
            Some(trusted_proxies),
            Some(events),
            Some(membership_recheck),
            Some(access_token_lifetime),
            Some(key_rotation),
        ) = (
            public_url,
            github,
            idle_timeout,
            max_age,
            users,
            orgs,
            token_audiences,
            static_dir,
            metrics_address,
            trusted_proxies,
            events,
            membership_recheck,
            access_token_lifetime,
            key_rotation,
        )
        else {
            return Err(problems.0);
        };
        if !problems.0.is_empty() {
            return Err(problems.0);
        }
        Ok(AppConfig {
            github,
            https: public_url.starts_with("https://"),
            public_url,
            demo,
            sessions: SessionSettings {
                idle_timeout,
                max_age,
            },
            access: AccessRules { users, orgs },
            token_audiences,
            signing_key: raw
                .signing_key
                .filter(|k| !k.trim().is_empty())
                .map(SecretString::from),
            key_rotation,
            template_dir: raw.template_dir.into(),
            static_dir,
            metrics_token: raw
                .metrics_token
                .filter(|t| !t.trim().is_empty())
                .map(SecretString::from),
            metrics_address,
            trusted_proxies,
            events,
            membership_recheck,
            access_token_lifetime,
            webhook_secret: raw
                .github_webhook_secret
                .filter(|s| !s.trim().is_empty())
                .map(SecretString::from),
        })
    }
}

/// The problems found so far; each check's value, when it has one.
struct Problems(Vec<ConfigError>);

impl Problems {
    fn take<T>(&mut self, result: Result<T, ConfigError>) -> Option<T> {
        result.map_err(|problem| self.0.push(problem)).ok()
    }
}

/// The OAuth App, and whether this is demo mode.
fn github(
    raw: &RawConfig,
    public_url: &str,
    release: bool,
) -> Result<(GithubSettings, bool), ConfigError> {
    let timeout = Duration::from_secs(raw.github_timeout.max(1));
    let id = raw
        .github_client_id
        .clone()
        .filter(|s| !s.trim().is_empty());
    let secret = raw
        .github_client_secret
        .clone()
        .filter(|s| !s.trim().is_empty());
    match (id, secret) {
        (Some(client_id), Some(client_secret)) => {
            let github = GithubSettings {
                client_id,
                client_secret: SecretString::from(client_secret),
                web_url: parse_github_url("GITHUB_URL", &raw.github_url)?,
                api_url: parse_github_url("GITHUB_API_URL", &raw.github_api_url)?,
                timeout,
                extra_roots: raw.github_ca_file.as_deref().map(read_roots).transpose()?,
            };
            Ok((github, false))
        }
        (None, _) if release => Err(ConfigError::MissingCredential("GITHUB_CLIENT_ID")),
        (_, None) if release => Err(ConfigError::MissingCredential("GITHUB_CLIENT_SECRET")),
        (Some(_), None) => Err(ConfigError::HalfCredentials(
            "GITHUB_CLIENT_ID",
            "GITHUB_CLIENT_SECRET",
        )),
        (None, Some(_)) => Err(ConfigError::HalfCredentials(
            "GITHUB_CLIENT_SECRET",
            "GITHUB_CLIENT_ID",
        )),
        // Demo mode, decided here and only here: no credentials at all, in a debug build
        // (a release build returned above). The same OAuth code runs, against the fake
        // GitHub that `demo.rs` mounts.
        (None, None) => {
            let github = GithubSettings {
                client_id: DEMO_CLIENT_ID.into(),
                client_secret: SecretString::from(DEMO_CLIENT_SECRET),
                web_url: format!("{public_url}{DEMO_WEB_BASE}"),
                api_url: format!("{public_url}{DEMO_API_BASE}"),
                timeout,
                extra_roots: None,
            };
            Ok((github, true))
        }
    }
}

/// `GITHUB_CA_FILE`: at least one PEM certificate, read and checked now, so that a wrong
/// file stops start-up instead of failing every sign-in.
fn read_roots(path: &str) -> Result<Vec<u8>, ConfigError> {
    let problem = |why: String| ConfigError::Other(format!("GITHUB_CA_FILE ({path:?}) {why}"));
    let pem = std::fs::read(path).map_err(|e| problem(format!("cannot be read: {e}")))?;
    match reqwest::Certificate::from_pem_bundle(&pem) {
        Ok(certs) if !certs.is_empty() => Ok(pem),
        _ => Err(problem("holds no PEM certificate".into())),
    }
}

/// `STATIC_DIR` must be a folder; without it, `static/` is used when the working directory
/// has one (a checkout), and the built-in files alone otherwise.
fn static_dir(raw: &RawConfig) -> Result<Option<std::path::PathBuf>, ConfigError> {
    match raw.static_dir.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(dir) if std::path::Path::new(dir).is_dir() => Ok(Some(dir.into())),
        Some(dir) => Err(ConfigError::Other(format!(
            "STATIC_DIR ({dir:?}) is not a folder"
        ))),
        None => Ok(std::path::Path::new("static")
            .is_dir()
            .then(|| "static".into())),
    }
}

/// `METRICS_ADDRESS`: an IP address and a port, `127.0.0.1:9464`.
fn metrics_address(raw: &RawConfig) -> Result<Option<std::net::SocketAddr>, ConfigError> {
    match raw.metrics_address.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => Ok(None),
        Some(address) => address.parse().map(Some).map_err(|_| {
            ConfigError::Other(format!(
                "METRICS_ADDRESS is not an address and port ({address:?}): write it like 127.0.0.1:9464"
            ))
        }),
    }
}

/// `TRUSTED_PROXIES`: IP addresses, each written out (no ranges: a range is easy to make too
/// wide, and whoever is in it can claim any client address).
fn trusted_proxies(value: &str) -> Result<Vec<std::net::IpAddr>, ConfigError> {
    value
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry.parse().map_err(|_| {
                ConfigError::Other(format!(
                    "TRUSTED_PROXIES has {entry:?}, which is not an IP address (write each proxy's address, separated by commas)"
                ))
            })
        })
        .collect()
}

/// `EVENTS_URL` and `EVENTS_SECRET` go together: an unsigned event could come from anyone,
/// and a secret without a receiver is a setting that was meant to do something.
fn events(raw: &RawConfig) -> Result<Option<EventsSettings>, ConfigError> {
    let set = |value: &Option<String>| value.clone().filter(|v| !v.trim().is_empty());
    match (set(&raw.events_url), set(&raw.events_secret)) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(unpaired("EVENTS_URL", "EVENTS_SECRET")),
        (None, Some(_)) => Err(unpaired("EVENTS_SECRET", "EVENTS_URL")),
        (Some(url), Some(secret)) => Ok(Some(EventsSettings {
            url: super::parse::parse_url("EVENTS_URL", &url)?,
            secret: SecretString::from(secret),
            timeout: Duration::from_secs(raw.events_timeout.max(1)),
        })),
    }
}

fn unpaired(set: &str, unset: &str) -> ConfigError {
    ConfigError::Other(format!(
        "{set} is set but {unset} is not: set both to send events, or neither"
    ))
}

/// `ACCESS_TOKEN_LIFETIME`: at least 10 s, so that a token survives its trip to an API; at
/// most [`ACCESS_TOKEN_LIFETIME_MAX`].
fn access_token_lifetime(raw: &RawConfig) -> Result<i64, ConfigError> {
    let name = "ACCESS_TOKEN_LIFETIME";
    let secs = parse_duration(name, &raw.access_token_lifetime)?;
    if (10..=ACCESS_TOKEN_LIFETIME_MAX).contains(&secs) {
        Ok(secs)
    } else {
        Err(ConfigError::Other(format!(
            "{name} is {:?}: give a duration from 10s to 10m",
            raw.access_token_lifetime
        )))
    }
}
