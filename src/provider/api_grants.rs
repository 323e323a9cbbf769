//! Who gets which scope of an API. A person's sign-in to an app brings the APIs the request
//! names (`resource`) whose own rules admit the person, each with the asked scopes its grants
//! give them; an API whose rules refuse the person is left out of the grant, as a scope not
//! granted is, and a token for it is then `invalid_target`. A service gets, as itself, the
//! scopes granted to it (`client_credentials.rs`). A person's JWT for an API is bought here,
//! from a code or a refresh token (`token_for`).

use rocket_db_pools::sqlx::{self, AnyConnection};

use super::access_token::{self, ForApi, Subject};
use super::oauth_error::OAuthError;
use super::request::AuthRequest;
use crate::access::{app_rules, Standing};
use crate::config::AppConfig;
use crate::keys::KeyRing;
use crate::models::apis::{self, StoredApi};
use crate::models::apps;
use crate::models::apps::StoredApp;
use crate::models::grant_apis::{self, GrantApi};
use crate::models::grants::Grant;
use crate::models::{self, consents, User};
use crate::registry::api::RESERVED_SCOPES;
use crate::registry::Grantee;

/// One API of a request, as granted to the person: for the consent page and the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OfferedApi {
    pub(crate) name: String,
    pub(crate) grant: GrantApi,
}

/// What a request's APIs offer a person now.
pub(crate) enum Offer {
    /// These APIs, each with its scopes (none when the request named no API).
    Apis(Vec<OfferedApi>),
    /// An API's membership rule is due for a recheck: the sign-in round trip does it, as
    /// for the app's own rules.
    RecheckDue,
}

/// The APIs of `request` that `user` gets now.
pub(crate) async fn for_person(
    conn: &mut AnyConnection,
    config: &AppConfig,
    request: &AuthRequest,
    user: &User,
    now: i64,
) -> sqlx::Result<Offer> {
    let mut granted = Vec::new();
    for asked in &request.apis {
        let (Some(api), Some(api_app)) = (
            apis::api_of(conn, asked.api_id).await?,
            apps::find_app_by_id(conn, asked.api_id).await?,
        ) else {
            continue;
        };
        match app_rules::pin_and_decide(conn, config, &api_app, user, now).await? {
            Standing::Admitted => {}
            Standing::Unverified => return Ok(Offer::RecheckDue),
            Standing::Refused => continue,
        }
        let theirs = granted_to_person(conn, config, &api, user, now).await?;
        let scope: Vec<&str> = asked
            .scope
            .split(' ')
            .filter(|s| theirs.iter().any(|t| t == s))
            .collect();
        let grant = GrantApi {
            api_id: api.app_id,
            scope: scope.join(" "),
        };
        granted.push(OfferedApi {
            name: api_app.name,
            grant,
        });
    }
    Ok(Offer::Apis(granted))
}

/// Of what `granted` gives now, what the consent page `shown` showed: an API it did not show
/// is left out, and of each API the scopes both have. So a membership gained while the page
/// was open brings nothing the person did not see, and one lost takes away what it gave.
pub(crate) fn as_shown(granted: Vec<OfferedApi>, shown: &[GrantApi]) -> Vec<OfferedApi> {
    granted
        .into_iter()
        .filter_map(|mut api| {
            let seen = shown.iter().find(|s| s.api_id == api.grant.api_id)?;
            let both: Vec<&str> = api
                .grant
                .scope
                .split(' ')
                .filter(|scope| seen.scope.split(' ').any(|s| s == *scope))
                .collect();
            api.grant.scope = both.join(" ");
            Some(api)
        })
        .collect()
}

/// Whether this person has already said yes to every scope of every API in `granted`.
pub(crate) async fn consented(
    conn: &mut AnyConnection,
    app_id: i64,
    user_id: i64,
    granted: &[OfferedApi],
) -> sqlx::Result<bool> {
    for api in granted {
        let api_id = api.grant.api_id;
        let said = consents::consented_api_scope(conn, app_id, user_id, api_id).await?;
        if !said.is_some_and(|said| super::request::covers(&said, &api.grant.scope)) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Remembers a yes to `grant`'s scopes of its API, on top of those said yes to before.
pub(crate) async fn remember(
    conn: &mut AnyConnection,
    (app_id, user_id): (i64, i64),
    grant: &GrantApi,
    now: i64,
) -> sqlx::Result<()> {
    let said = consents::consented_api_scope(conn, app_id, user_id, grant.api_id).await?;
    let mut all: Vec<&str> = said.as_deref().unwrap_or("").split(' ').collect();
    for scope in grant.scope.split(' ') {
        if !all.contains(&scope) {
            all.push(scope);
        }
    }
    all.retain(|s| !s.is_empty());
    let scope = all.join(" ");
    consents::consent_api(conn, (app_id, user_id, grant.api_id), &scope, now).await
}

/// The scopes of `api` a person gets now: each one no grant names, and each one a grant
/// gives to them, as an app rule would admit them (a membership due for a recheck counts
/// as none, until the recheck).
pub async fn granted_to_person(
    conn: &mut AnyConnection,
    config: &AppConfig,
    api: &StoredApi,
    user: &User,
    now: i64,
) -> sqlx::Result<Vec<String>> {
    let orgs = models::memberships(conn, user.id).await?;
    let mut theirs = Vec::new();
    for grant in &api.api.grants {
        if let Grantee::People(rule) = &grant.to {
            let recheck = config.membership_recheck;
            let standing = app_rules::rule_standing(conn, rule, user, &orgs, recheck, now).await?;
            if standing == Standing::Admitted {
                theirs.push(grant.to.clone());
            }
        }
    }
    let granted = api.api.scopes_for(|to| theirs.contains(to));
    Ok(granted.into_iter().map(str::to_owned).collect())
}

/// What the token endpoint is asked for an API: its audience and, at a refresh, perhaps
/// fewer scopes than the grant has.
pub(crate) struct ResourceAsked<'a> {
    pub(crate) resource: &'a str,
    pub(crate) scope: Option<&'a str>,
}

/// A JWT access token for the API `asked` names, bought with `grant` (a code or a refresh
/// token, RFC 8707 §2.2): the API must be one the grant was issued for (else
/// `invalid_target`), a narrower `scope` must not widen it (RFC 6749 §6: `invalid_scope`),
/// and the person must still pass the API's rules (else `invalid_grant`). Its scopes are
/// those the grants still give them. Returns the token and its scope.
pub(crate) async fn token_for(
    conn: &mut AnyConnection,
    (config, keys): (&AppConfig, &KeyRing),
    (app, grant, user): (&StoredApp, &Grant, &User),
    asked: ResourceAsked<'_>,
    now: i64,
) -> Result<(String, String), OAuthError> {
    let api = access_token::target(conn, app, Some(asked.resource)).await?;
    let bought = grant_apis::grant_api(conn, grant.id, api.app_id)
        .await?
        .ok_or(OAuthError::InvalidTarget)?;
    // A refresh often repeats the whole original `scope`, OpenID Connect's scopes with the
    // API's: those are the ID token's, not this token's, and say nothing here.
    let wanted: String = match asked.scope {
        Some(scope) => scope
            .split(' ')
            .filter(|s| !RESERVED_SCOPES.contains(s))
            .collect::<Vec<_>>()
            .join(" "),
        None => bought.scope.clone(),
    };
    let wanted = wanted.as_str();
    if !super::request::covers(&bought.scope, wanted) {
        return Err(OAuthError::InvalidScope);
    }
    let api_app = apps::find_app_by_id(conn, api.app_id)
        .await?
        .ok_or(OAuthError::InvalidTarget)?;
    if app_rules::pin_and_decide(conn, config, &api_app, user, now).await? != Standing::Admitted {
        return Err(OAuthError::InvalidGrant);
    }
    let theirs = granted_to_person(conn, config, &api, user, now).await?;
    let scope: Vec<&str> = wanted
        .split(' ')
        .filter(|s| theirs.iter().any(|t| t == s))
        .collect();
    let groups = match grant.has_scope("groups") {
        true => Some(groups_for_api(conn, &api, &api_app, user).await?),
        false => None,
    };
    let what = ForApi {
        api: &api,
        client: app,
        subject: Subject::Person {
            github_id: user.github_id.0,
            grant_id: grant.id,
            auth_time: grant.auth_time,
            groups,
        },
        scope: scope.join(" "),
    };
    let (issuer, lifetime) = (&config.public_url, config.access_token_lifetime);
    let token = access_token::issue(conn, keys, issuer, lifetime, what, now).await?;
    Ok((token, scope.join(" ")))
}

/// The person's organisations and teams that the API's rules or grants name: what its
/// tokens' `groups` may say, and nothing else of their memberships.
async fn groups_for_api(
    conn: &mut AnyConnection,
    api: &StoredApi,
    api_app: &StoredApp,
    user: &User,
) -> sqlx::Result<Vec<String>> {
    let from_grants = api.api.grants.iter().filter_map(|g| match &g.to {
        Grantee::People(rule) => Some(rule),
        Grantee::Service(_) => None,
    });
    let named: Vec<&String> = api_app
        .rules
        .iter()
        .chain(from_grants)
        .filter_map(|rule| match rule {
            crate::registry::Rule::Org(group) | crate::registry::Rule::Team(group) => Some(group),
            crate::registry::Rule::User(_) => None,
        })
        .collect();
    let theirs = models::memberships(conn, user.id).await?;
    Ok(theirs.into_iter().filter(|g| named.contains(&g)).collect())
}

/// The scope to issue: of `requested` (all of `granted` when absent, RFC 6749 §3.3), what is
/// `granted`, in the API's order. A scope the API does not declare is `invalid_scope`; one
/// it declares but did not grant is left out, and the response's `scope` says so.
pub fn narrow(
    api: &StoredApi,
    requested: Option<&str>,
    granted: &[&str],
) -> Result<String, OAuthError> {
    let declared = &api.api.scopes;
    let asked: Vec<&str> = match requested {
        Some(requested) => requested.split(' ').filter(|s| !s.is_empty()).collect(),
        None => granted.to_vec(),
    };
    if asked
        .iter()
        .any(|scope| !declared.iter().any(|d| d == scope))
    {
        return Err(OAuthError::InvalidScope);
    }
    let issued: Vec<&str> = declared
        .iter()
        .map(String::as_str)
        .filter(|scope| asked.contains(scope) && granted.contains(scope))
        .collect();
    Ok(issued.join(" "))
}

/// The scopes of `api` a service gets as itself.
pub fn granted_to_service<'a>(api: &'a StoredApi, service: &StoredApp) -> Vec<&'a str> {
    api.api
        .scopes_for(|to| matches!(to, Grantee::Service(name) if *name == service.name))
}
