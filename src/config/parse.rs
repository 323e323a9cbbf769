//! Reading each setting's text into its typed value, with an error that names the variable.

use rocket::figment::Figment;
use url::Url;

use super::allow_list;
use super::ConfigError;
use crate::store::backend::Backend;

/// The store's URL is read by rocket_db_pools; checked here too, so that a typo stops
/// start-up with a message that names `DATABASE_URL`.
pub(super) fn check_database_url(figment: &Figment) -> Result<(), ConfigError> {
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
pub(super) fn password_in(url: &str) -> Option<String> {
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
pub(crate) fn without_password(url: &str) -> String {
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
pub(super) fn parse_public_url(value: &str) -> Result<String, ConfigError> {
    let url = parse_url("PUBLIC_URL", value)?;
    if url.path() != "/" {
        return Err(bad("PUBLIC_URL", value, "it must not have a path"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// GitHub's URLs must be `https`, except on loopback so that tests can run a local fake.
pub(super) fn parse_github_url(name: &'static str, value: &str) -> Result<String, ConfigError> {
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

pub(super) fn parse_url(name: &'static str, value: &str) -> Result<Url, ConfigError> {
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
pub(super) fn unknown_allow_list(
    names: impl Iterator<Item = std::ffi::OsString>,
) -> Option<String> {
    names
        .map(|name| name.to_string_lossy().into_owned())
        .find(|name| {
            name.starts_with("ALLOWED_GITHUB_")
                && !["ALLOWED_GITHUB_USERS", "ALLOWED_GITHUB_ORGS"].contains(&name.as_str())
        })
}

/// `alice, 1001, bob:2002`: see `allow_list` for what each form means.
pub(super) fn parse_allowed_users(
    value: &str,
) -> Result<Vec<allow_list::AllowedUser>, ConfigError> {
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
pub(super) fn parse_list(
    name: &'static str,
    value: &str,
    logins: bool,
) -> Result<Vec<String>, ConfigError> {
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
pub(super) fn parse_duration(name: &'static str, value: &str) -> Result<i64, ConfigError> {
    match parse_duration_or_zero(name, value)? {
        0 => Err(ConfigError::BadDuration {
            name,
            value: value.to_owned(),
        }),
        secs => Ok(secs),
    }
}

/// [`parse_duration`], where `0s` (or `0m`, …) means "not at all".
pub(super) fn parse_duration_or_zero(name: &'static str, value: &str) -> Result<i64, ConfigError> {
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
        Some(secs) if (0..=10 * 365 * 24 * 60 * 60).contains(&secs) => Ok(secs),
        _ => Err(error()),
    }
}

pub(super) fn bad(name: &'static str, value: &str, why: &str) -> ConfigError {
    ConfigError::BadUrl {
        name,
        value: value.to_owned(),
        why: why.to_owned(),
    }
}

pub(super) fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_owned()
}
