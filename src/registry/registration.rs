//! An app as the operator registers it (`gitlogin apps add`), checked whole: a bad value is
//! refused with a reason naming it, and nothing is written.

use super::api::{Api, RequestedApi};
use super::values::{check_absolute_url, check_host, check_name, check_redirect_uri, person_rule};
pub use super::values::{RegistrationError, Rule};

/// What the operator asked for, as typed.
#[derive(Debug, Default)]
pub struct Requested {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    pub hosts: Vec<String>,
    pub public: bool,
    pub id_token_alg: Option<String>,
    pub allow_users: Vec<String>,
    pub allow_orgs: Vec<String>,
    pub allow_teams: Vec<String>,
    /// `--api AUDIENCE` and what goes with it: the app is also an API.
    pub api: Option<RequestedApi>,
    pub service: bool,
    pub device: bool,
}

/// An app that may be registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// Where gitlogin POSTs a logout token when a session the app signed someone in from
    /// ends (Back-Channel Logout 1.0 §2.2): kept as given, query and all (mod_auth_openidc's
    /// is its redirect URI with `?logout=backchannel`).
    pub backchannel_logout_uri: Option<String>,
    /// Lowercased, each with its port if it has one.
    pub hosts: Vec<String>,
    /// A public app (a single-page or native app) cannot keep a secret: it gets none, and
    /// must use PKCE.
    pub public: bool,
    pub id_token_alg: IdTokenAlg,
    /// On top of the global allow-lists; none means anyone who may sign in to gitlogin.
    pub rules: Vec<Rule>,
    /// An API (a resource server) that apps may get access tokens for.
    pub api: Option<Api>,
    /// A service account: it may get tokens as itself (the `client_credentials` grant).
    pub service: bool,
    /// A command-line tool or other device without a browser of its own: it may use the
    /// device authorization grant (RFC 8628), and needs no redirect URI.
    pub device: bool,
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

impl Registration {
    pub fn check(requested: Requested) -> Result<Registration, RegistrationError> {
        check_name(&requested.name)?;
        let uris = |list: Vec<String>| -> Result<Vec<String>, RegistrationError> {
            list.into_iter().map(check_redirect_uri).collect()
        };
        let redirect_uris: Vec<String> = uris(requested.redirect_uris)?;
        let post_logout_redirect_uris: Vec<String> = uris(requested.post_logout_redirect_uris)?;
        // The rules of a redirect URI (§2.2: absolute, no fragment, a query allowed).
        let backchannel_logout_uri = requested
            .backchannel_logout_uri
            .map(|uri| {
                check_absolute_url(&uri).map_err(|why| RegistrationError::BackchannelUri(uri, why))
            })
            .transpose()?;
        let hosts: Vec<String> = requested
            .hosts
            .iter()
            .map(|h| check_host(h))
            .collect::<Result<_, _>>()?;
        let api = requested.api.map(Api::check).transpose()?;
        let way_in = !redirect_uris.is_empty() || !hosts.is_empty() || api.is_some();
        if !way_in && !requested.service && !requested.device {
            return Err(RegistrationError::NoWayIn);
        }
        // An API authenticates at introspection, a service at the token endpoint, each with
        // its secret: neither can be an app that keeps none.
        if requested.public && api.is_some() {
            return Err(RegistrationError::NotConfidential("--api"));
        }
        if requested.public && requested.service {
            return Err(RegistrationError::NotConfidential("--service"));
        }
        let id_token_alg = match requested.id_token_alg {
            None => IdTokenAlg::Rs256,
            Some(alg) => IdTokenAlg::parse(&alg).ok_or(RegistrationError::Alg(alg))?,
        };
        let mut rules = Vec::new();
        let flags = [
            ("user", &requested.allow_users),
            ("org", &requested.allow_orgs),
            ("team", &requested.allow_teams),
        ];
        for (kind, list) in flags {
            for value in list {
                rules.push(person_rule(kind, value)?);
            }
        }
        let registration = Registration {
            name: requested.name,
            redirect_uris,
            post_logout_redirect_uris,
            backchannel_logout_uri,
            hosts,
            public: requested.public,
            id_token_alg,
            rules,
            api,
            service: requested.service,
            device: requested.device,
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

#[cfg(test)]
mod tests;
