//! An app as the operator registers it (`gitlogin apps add`), checked whole: a bad value is
//! refused with a reason naming it, and nothing is written.

use url::{Host, Url};

use crate::config::allow_list::{is_github_name, parse_user, AllowedUser};

/// What the operator asked for, as typed.
#[derive(Debug, Default)]
pub struct Requested {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub hosts: Vec<String>,
    pub public: bool,
    pub id_token_alg: Option<String>,
    pub allow_users: Vec<String>,
    pub allow_orgs: Vec<String>,
    pub allow_teams: Vec<String>,
}

/// An app that may be registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// Lowercased, each with its port if it has one.
    pub hosts: Vec<String>,
    /// A public app (a single-page or native app) cannot keep a secret: it gets none, and
    /// must use PKCE.
    pub public: bool,
    pub id_token_alg: IdTokenAlg,
    /// On top of the global allow-lists; none means anyone who may sign in to gitlogin.
    pub rules: Vec<Rule>,
}

/// How the app's ID tokens are signed. RS256 is the default because it is the one algorithm
/// every relying party supports (OpenID Connect Core §15.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdTokenAlg {
    Rs256,
    EdDsa,
}

impl IdTokenAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            IdTokenAlg::Rs256 => "RS256",
            IdTokenAlg::EdDsa => "EdDSA",
        }
    }

    pub fn parse(value: &str) -> Option<IdTokenAlg> {
        match value {
            "RS256" => Some(IdTokenAlg::Rs256),
            "EdDSA" => Some(IdTokenAlg::EdDsa),
            _ => None,
        }
    }
}

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
    #[error("an app needs at least one --redirect-uri (OpenID Connect) or --host (forward auth)")]
    NoWayIn,
    #[error("{0:?} is given twice")]
    Twice(String),
}

impl Registration {
    pub fn check(requested: Requested) -> Result<Registration, RegistrationError> {
        check_name(&requested.name)?;
        let uris = |list: Vec<String>| -> Result<Vec<String>, RegistrationError> {
            list.into_iter().map(check_redirect_uri).collect()
        };
        let redirect_uris: Vec<String> = uris(requested.redirect_uris)?;
        let post_logout_redirect_uris: Vec<String> = uris(requested.post_logout_redirect_uris)?;
        let hosts: Vec<String> = requested
            .hosts
            .iter()
            .map(|h| check_host(h))
            .collect::<Result<_, _>>()?;
        if redirect_uris.is_empty() && hosts.is_empty() {
            return Err(RegistrationError::NoWayIn);
        }
        let id_token_alg = match requested.id_token_alg {
            None => IdTokenAlg::Rs256,
            Some(alg) => IdTokenAlg::parse(&alg).ok_or(RegistrationError::Alg(alg))?,
        };
        let mut rules = Vec::new();
        for user in &requested.allow_users {
            let entry =
                parse_user(user.trim()).ok_or_else(|| RegistrationError::User(user.clone()))?;
            rules.push(Rule::User(entry));
        }
        for org in &requested.allow_orgs {
            if !is_github_name(org) {
                return Err(RegistrationError::Org(org.clone()));
            }
            rules.push(Rule::Org(org.to_ascii_lowercase()));
        }
        for team in &requested.allow_teams {
            rules.push(Rule::Team(check_team(team)?));
        }
        let registration = Registration {
            name: requested.name,
            redirect_uris,
            post_logout_redirect_uris,
            hosts,
            public: requested.public,
            id_token_alg,
            rules,
        };
        registration.check_no_repeats()?;
        Ok(registration)
    }

    /// A value given twice is a typo or a copy-paste slip: refused rather than silently merged.
    fn check_no_repeats(&self) -> Result<(), RegistrationError> {
        let lists = [
            &self.redirect_uris,
            &self.post_logout_redirect_uris,
            &self.hosts,
        ];
        for list in lists {
            for (i, value) in list.iter().enumerate() {
                if list[..i].contains(value) {
                    return Err(RegistrationError::Twice(value.clone()));
                }
            }
        }
        for (i, rule) in self.rules.iter().enumerate() {
            if self.rules[..i].contains(rule) {
                return Err(RegistrationError::Twice(format!("{rule:?}")));
            }
        }
        Ok(())
    }
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
fn check_redirect_uri(uri: String) -> Result<String, RegistrationError> {
    let refuse = |why| Err(RegistrationError::RedirectUri(uri.clone(), why));
    // The URL parser drops tabs and newlines and trims spaces before it looks; the string
    // kept is the one matched, so it must be what was checked.
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return refuse("it has spaces or control characters in it");
    }
    let Ok(url) = Url::parse(&uri) else {
        return refuse("not an absolute URL");
    };
    let https = match url.scheme() {
        "https" => true,
        "http" => false,
        _ => return refuse("use https (or http on a loopback host)"),
    };
    let loopback = match url.host() {
        Some(Host::Domain(domain)) => domain == "localhost",
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => return refuse("it has no host"),
    };
    if !https && !loopback {
        return refuse("http is only for loopback hosts; use https");
    }
    if url.fragment().is_some() || uri.contains('#') {
        return refuse("it has a fragment");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return refuse("it has a user name or password in it");
    }
    Ok(uri)
}

/// A host as browsers send it in `Host`, matched exactly. A wildcard (`*.example.com`, or
/// nginx's `.example.com`) is refused rather than stored: matched literally it would never
/// match, and read as a pattern it would hand tickets and host cookies to every subdomain,
/// whoever runs it.
fn check_host(host: &str) -> Result<String, RegistrationError> {
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
fn check_team(team: &str) -> Result<String, RegistrationError> {
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

#[cfg(test)]
mod tests;
