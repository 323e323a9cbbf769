//! The values an app is registered with, each checked on its own: names, URLs, hosts and the
//! people rules that app rules and API grants share. A refusal names the value and why.

use url::{Host, Url};

use crate::config::allow_list::{is_github_name, parse_user, AllowedUser};

/// One of an app's allow rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// The same three forms as `ALLOWED_GITHUB_USERS`; bare digits are always an id.
    User(AllowedUser),
    /// A lowercased organisation login.
    Org(String),
    /// `org/team-slug`, lowercased: needs the teams from GitHub (`read:org`).
    Team(String),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RegistrationError {
    #[error("{0:?} is not an app name: use 1 to 64 ASCII letters, digits, '-', '_' or '.', starting with a letter or digit")]
    Name(String),
    #[error("{0:?} is not a redirect URI: {1}")]
    RedirectUri(String, &'static str),
    #[error("{0:?} is not a back-channel logout URI: {1}")]
    BackchannelUri(String, &'static str),
    #[error("{0:?} is not a host: use a host name or address, with a port if it has one (wiki.example.com, 127.0.0.1:9000)")]
    Host(String),
    #[error("{0:?} is a wildcard, and gitlogin matches a host exactly: give each host its own --host (--host wiki.example.com --host docs.example.com)")]
    WildcardHost(String),
    #[error("{0:?} is not a GitHub user: use LOGIN, LOGIN:ID or ID")]
    User(String),
    #[error("{0:?} is not a GitHub organisation")]
    Org(String),
    #[error("{0:?} is not a team: use ORG/TEAM, with the team's slug")]
    Team(String),
    #[error("{0:?} is not an ID token algorithm: use RS256 or EdDSA")]
    Alg(String),
    #[error("an app needs at least one --redirect-uri (OpenID Connect), --host (forward auth), --api, --service or --device")]
    NoWayIn,
    #[error("{0:?} is not an API audience: {1}")]
    Audience(String, &'static str),
    #[error("{0:?} is not a scope: use 1 to 64 letters, digits, ':', '.', '_' or '-', and none of openid, profile, email, groups, offline_access")]
    Scope(String),
    #[error("{0:?} is not a grant: use SCOPE=WHO")]
    Grant(String),
    #[error("the scope {0:?} is not declared: add --scope {0}")]
    UndeclaredScope(String),
    #[error("{0} needs a confidential app: drop --public")]
    NotConfidential(&'static str),
    #[error("{0:?} is given twice")]
    Twice(String),
}

/// Names appear in URLs (`/auth/check?app=NAME`) and in logs: a short, plain alphabet.
pub fn check_name(name: &str) -> Result<(), RegistrationError> {
    let ok = (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    ok.then_some(())
        .ok_or_else(|| RegistrationError::Name(name.to_owned()))
}

/// An absolute `https` URL, or `http` on a loopback host (a developer's machine, a native
/// app's loopback redirect: RFC 8252 §7.3); never a fragment (RFC 6749 §3.1.2) or userinfo.
/// Kept exactly as written: the provider matches it as a string, byte for byte.
pub fn check_redirect_uri(uri: String) -> Result<String, RegistrationError> {
    check_absolute_url(&uri).map_err(|why| RegistrationError::RedirectUri(uri, why))
}

/// The rules of a redirect URI, which an API's audience follows too (RFC 9068 §3 and RFC
/// 8707 §2: an absolute URI without a fragment): the reason it is refused, if it is.
pub fn check_absolute_url(uri: &str) -> Result<String, &'static str> {
    // The URL parser drops tabs and newlines and trims spaces before it looks; the string
    // kept is the one matched, so it must be what was checked.
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it has spaces or control characters in it");
    }
    let Ok(url) = Url::parse(uri) else {
        return Err("not an absolute URL");
    };
    let https = match url.scheme() {
        "https" => true,
        "http" => false,
        _ => return Err("use https (or http on a loopback host)"),
    };
    let loopback = match url.host() {
        Some(Host::Domain(domain)) => domain == "localhost",
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err("it has no host"),
    };
    if !https && !loopback {
        return Err("http is only for loopback hosts; use https");
    }
    if url.fragment().is_some() || uri.contains('#') {
        return Err("it has a fragment");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("it has a user name or password in it");
    }
    Ok(uri.to_owned())
}

/// One person rule as typed: `kind` is `user` (LOGIN, LOGIN:ID or ID), `org` or `team`
/// (ORG/TEAM). App rules and an API's grants are written the same way.
pub fn person_rule(kind: &str, value: &str) -> Result<Rule, RegistrationError> {
    match kind {
        "user" => parse_user(value.trim())
            .map(Rule::User)
            .ok_or_else(|| RegistrationError::User(value.to_owned())),
        "org" if is_github_name(value) => Ok(Rule::Org(value.to_ascii_lowercase())),
        "org" => Err(RegistrationError::Org(value.to_owned())),
        _ => check_team(value).map(Rule::Team),
    }
}

/// A host as browsers send it in `Host`, matched exactly. A wildcard (`*.example.com`, or
/// nginx's `.example.com`) is refused rather than stored: matched literally it would never
/// match, and read as a pattern it would hand tickets and host cookies to every subdomain,
/// whoever runs it.
pub fn check_host(host: &str) -> Result<String, RegistrationError> {
    let refuse = || RegistrationError::Host(host.to_owned());
    let lower = host.trim().to_ascii_lowercase();
    if lower.contains('*') || lower.starts_with('.') {
        return Err(RegistrationError::WildcardHost(host.to_owned()));
    }
    let (name, port) = match lower.rsplit_once(':') {
        Some((name, port)) if !name.contains(']') || name.ends_with(']') => (name, Some(port)),
        _ => (lower.as_str(), None),
    };
    if port.is_some_and(|p| p.parse::<u16>().map_or(true, |p| p == 0)) {
        return Err(refuse());
    }
    match Host::parse(name) {
        Ok(Host::Domain(domain)) if domain == name && !name.is_empty() => Ok(lower),
        Ok(Host::Ipv4(_) | Host::Ipv6(_)) => Ok(lower),
        _ => Err(refuse()),
    }
}

/// `org/team-slug`: a team's slug is lowercase letters, digits and `-`, as GitHub makes it.
pub fn check_team(team: &str) -> Result<String, RegistrationError> {
    let lower = team.to_ascii_lowercase();
    let ok = lower.split_once('/').is_some_and(|(org, slug)| {
        is_github_name(org)
            && !slug.is_empty()
            && slug.len() <= 100
            && slug
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    });
    ok.then_some(lower)
        .ok_or_else(|| RegistrationError::Team(team.to_owned()))
}
