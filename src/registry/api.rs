//! An API (an OAuth 2 resource server) as the operator registers it (`gitlogin apps add NAME
//! --api AUDIENCE …`): the audience its access tokens carry, the scopes it understands, who
//! gets each scope, and which apps may ask for tokens for it. Checked whole here; the apps
//! that `--accept` and `--grant-service` name are looked up when it is written, in the same
//! transaction (`models/apis.rs`).

use super::values::{check_absolute_url, check_name, person_rule, RegistrationError, Rule};

/// The scopes OpenID Connect gives a meaning of its own: an API cannot declare them, so
/// that a token's `scope` never mixes what an ID token may carry with what an API allows.
pub const RESERVED_SCOPES: [&str; 5] = ["openid", "profile", "email", "groups", "offline_access"];

/// What the operator typed for an API.
#[derive(Debug, Default)]
pub struct RequestedApi {
    pub audience: String,
    pub scopes: Vec<String>,
    /// `SCOPE=LOGIN|LOGIN:ID|ID`, `SCOPE=ORG`, `SCOPE=ORG/TEAM`, `SCOPE=APP`.
    pub grant_users: Vec<String>,
    pub grant_orgs: Vec<String>,
    pub grant_teams: Vec<String>,
    pub grant_services: Vec<String>,
    pub accepts: Vec<String>,
}

/// An API that may be registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Api {
    /// Exactly as typed: RFC 8707 §2 compares resource indicators as strings, and so does
    /// every API that checks its tokens' `aud`.
    pub audience: String,
    pub scopes: Vec<String>,
    pub grants: Vec<ScopeGrant>,
    /// The apps, by name, that may get tokens for this API. None: no app may.
    pub accepts: Vec<String>,
}

/// One scope given to the people or the service a `--grant-*` names. A scope no grant
/// names goes to everyone the API's rules admit and to every service it accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeGrant {
    pub scope: String,
    pub to: Grantee,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grantee {
    /// A person, an organisation's members or a team's, written as the app rules are.
    People(Rule),
    /// A service account, by its app name.
    Service(String),
}

impl Api {
    pub fn check(requested: RequestedApi) -> Result<Api, RegistrationError> {
        let audience = check_absolute_url(&requested.audience)
            .map_err(|why| RegistrationError::Audience(requested.audience.clone(), why))?;
        for scope in &requested.scopes {
            check_scope(scope)?;
        }
        let mut grants = Vec::new();
        let flags = [
            ("user", &requested.grant_users),
            ("org", &requested.grant_orgs),
            ("team", &requested.grant_teams),
        ];
        for (kind, list) in flags {
            for typed in list {
                let (scope, value) = split_grant(typed, &requested.scopes)?;
                let to = Grantee::People(person_rule(kind, value)?);
                grants.push(ScopeGrant { scope, to });
            }
        }
        for typed in &requested.grant_services {
            let (scope, app) = split_grant(typed, &requested.scopes)?;
            check_name(app)?;
            let to = Grantee::Service(app.to_owned());
            grants.push(ScopeGrant { scope, to });
        }
        let api = Api {
            audience,
            scopes: requested.scopes,
            grants,
            accepts: requested.accepts,
        };
        api.check_no_repeats()?;
        Ok(api)
    }

    /// The scopes `grantee` may be given: each declared scope that no grant names, and each
    /// one a grant gives to it.
    pub fn scopes_for(&self, granted: impl Fn(&Grantee) -> bool) -> Vec<&str> {
        self.scopes
            .iter()
            .filter(|scope| {
                let mut grants = self.grants.iter().filter(|g| &g.scope == *scope).peekable();
                grants.peek().is_none() || grants.any(|g| granted(&g.to))
            })
            .map(String::as_str)
            .collect()
    }

    fn check_no_repeats(&self) -> Result<(), RegistrationError> {
        let twice =
            |found: Option<String>| found.map_or(Ok(()), |v| Err(RegistrationError::Twice(v)));
        twice(first_repeat(&self.scopes).cloned())?;
        twice(first_repeat(&self.accepts).cloned())?;
        twice(first_repeat(&self.grants).map(|g| format!("{} for {:?}", g.scope, g.to)))
    }
}

fn first_repeat<T: PartialEq>(list: &[T]) -> Option<&T> {
    list.iter()
        .enumerate()
        .find(|(i, value)| list[..*i].contains(value))
        .map(|(_, value)| value)
}

/// A scope an API declares: a short token of letters, digits and `:._-` (a subset of RFC
/// 6749 §3.3's scope-token, so that it never needs quoting in a `WWW-Authenticate` header).
pub fn check_scope(scope: &str) -> Result<(), RegistrationError> {
    let well_formed = (1..=64).contains(&scope.len())
        && scope
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '_' | '-'));
    if !well_formed || RESERVED_SCOPES.contains(&scope) {
        return Err(RegistrationError::Scope(scope.to_owned()));
    }
    Ok(())
}

/// `SCOPE=VALUE`, for a scope the API declares.
fn split_grant<'t>(
    typed: &'t str,
    declared: &[String],
) -> Result<(String, &'t str), RegistrationError> {
    let (scope, value) = typed
        .split_once('=')
        .ok_or_else(|| RegistrationError::Grant(typed.to_owned()))?;
    if !declared.iter().any(|d| d == scope) {
        return Err(RegistrationError::UndeclaredScope(scope.to_owned()));
    }
    Ok((scope.to_owned(), value))
}
