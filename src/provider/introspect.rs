//! `POST /oauth/introspect` (RFC 7662): an API asks whether a token it was handed is live,
//! and what it allows. Only a registered confidential app may ask (§2.1: the endpoint must
//! be protected, else it answers anyone who found a token), and it learns only of tokens
//! meant for it: a JWT whose `aud` is its own audience, or an opaque token issued to it.
//! Anything else, an ID token included, is `{"active": false}` and nothing more (§2.2), so
//! one app learns nothing of another's tokens, not even that they exist.

use rocket::form::Form;
use rocket::http::Header;
use rocket::serde::json::Json;
use rocket::{post, routes, FromForm, Route, State};
use rocket_db_pools::sqlx::AnyConnection;
use serde::Serialize;

use super::access_token::{self, AccessClaims};
use super::api_grants;
use super::client::{self, Basic, ClientAuth};
use super::oauth_error::OAuthError;
use super::once::Once;
use crate::access::app_rules;
use crate::access::Standing;
use crate::config::AppConfig;
use crate::keys::KeyRing;
use crate::models::api_tokens;
use crate::models::apis::{self, StoredApi};
use crate::models::apps::StoredApp;
use crate::models::grants::{self, TokenKind};
use crate::models::{self, User};
use crate::ops::clock::Clock;
use crate::ops::random::sha256_hex;
use crate::store::pool::Db;

pub fn routes() -> Vec<Route> {
    routes![introspect_endpoint]
}

/// The form (§2.1). `token_type_hint` is not read: both kinds of token are looked for
/// anyway, and a hint is only a hint.
#[derive(FromForm)]
struct IntrospectForm<'r> {
    token: Once<'r>,
    client_id: Once<'r>,
    client_secret: Once<'r>,
}

/// The answer (§2.2): `active`, and the rest only when it is true.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct Introspection {
    pub(crate) active: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub(crate) token: Option<LiveToken>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct LiveToken {
    pub(crate) scope: String,
    pub(crate) client_id: String,
    pub(crate) sub: String,
    pub(crate) aud: String,
    pub(crate) iss: String,
    pub(crate) exp: i64,
    pub(crate) iat: i64,
    pub(crate) token_type: &'static str,
}

const INACTIVE: Introspection = Introspection {
    active: false,
    token: None,
};

/// Never cached: the same token is live now and may not be in a second (§4).
#[derive(rocket::Responder)]
struct Answer {
    body: Json<Introspection>,
    cache: Header<'static>,
}

#[post("/oauth/introspect", data = "<form>")]
async fn introspect_endpoint(
    form: Form<IntrospectForm<'_>>,
    basic: Basic,
    config: &State<AppConfig>,
    keys: &State<KeyRing>,
    clock: &State<Clock>,
    db: &Db,
) -> Result<Answer, OAuthError> {
    let (id, secret) = (once(form.client_id)?, once(form.client_secret)?);
    let caller = ClientAuth::parse(&basic, id, secret)?;
    let token = once(form.token)?;
    let mut conn = db.acquire().await?;
    let caller = client::authenticate(&mut conn, &caller).await?;
    // A public app proves nothing but its `client_id`, which is no secret.
    if caller.secret_hash.is_none() {
        return Err(OAuthError::InvalidClient);
    }
    let token = token.ok_or(OAuthError::InvalidRequest)?;
    let answer = introspect(&mut conn, config, keys, &caller, token, clock.now()).await?;
    Ok(Answer {
        body: Json(answer),
        cache: Header::new("Cache-Control", "no-store"),
    })
}

fn once(param: Once<'_>) -> Result<Option<&str>, OAuthError> {
    param.get().map_err(|_| OAuthError::InvalidRequest)
}

/// What `caller` may learn of `token`: a JWT access token for its API, else an opaque token
/// of its own, else nothing.
pub(crate) async fn introspect(
    conn: &mut AnyConnection,
    config: &AppConfig,
    keys: &KeyRing,
    caller: &StoredApp,
    token: &str,
    now: i64,
) -> Result<Introspection, OAuthError> {
    let issuer = &config.public_url;
    if let Some(claims) = access_token::read(conn, keys, issuer, token, now).await {
        return api_token(conn, config, caller, claims, now).await;
    }
    opaque_token(conn, config, caller, token, now).await
}

/// A JWT access token, live if its row is (not revoked, its app not rejected or removed,
/// its grant not ended) and its person still passes the API's rules. Its `scope` is what
/// the grants still give them: a scope lost since it was issued is left out.
async fn api_token(
    conn: &mut AnyConnection,
    config: &AppConfig,
    caller: &StoredApp,
    claims: AccessClaims,
    now: i64,
) -> Result<Introspection, OAuthError> {
    let Some(row) = api_tokens::live_token(conn, &claims.jti, now).await? else {
        return Ok(INACTIVE);
    };
    let Some(api) = apis::api_of(conn, caller.id).await? else {
        return Ok(INACTIVE);
    };
    let ours = row.api_id == caller.id && claims.aud == api.api.audience;
    if !ours || !apis::accepts(conn, row.api_id, row.client_app_id).await? {
        return Ok(INACTIVE);
    }
    let scope = match row.grant_id {
        None => claims.scope.clone(),
        Some(grant_id) => match person_scope(conn, config, &api, grant_id, &claims, now).await? {
            Some(scope) => scope,
            None => return Ok(INACTIVE),
        },
    };
    Ok(Introspection {
        active: true,
        token: Some(LiveToken {
            scope,
            client_id: claims.client_id,
            sub: claims.sub,
            aud: claims.aud,
            iss: claims.iss,
            exp: claims.exp,
            iat: claims.iat,
            token_type: "Bearer",
        }),
    })
}

/// The scopes of a person's token that the API still gives them, or `None` when the API's
/// rules no longer admit them (or their grant is gone).
async fn person_scope(
    conn: &mut AnyConnection,
    config: &AppConfig,
    api: &StoredApi,
    grant_id: i64,
    claims: &AccessClaims,
    now: i64,
) -> Result<Option<String>, OAuthError> {
    let Some(user) = user_of_grant(conn, grant_id).await? else {
        return Ok(None);
    };
    let api_app = models::apps::find_app_by_id(conn, api.app_id).await?;
    let Some(api_app) = api_app else {
        return Ok(None);
    };
    if app_rules::pin_and_decide(conn, config, &api_app, &user, now).await? != Standing::Admitted {
        return Ok(None);
    }
    let granted = api_grants::granted_to_person(conn, config, api, &user, now).await?;
    let kept: Vec<&str> = claims
        .scope
        .split(' ')
        .filter(|scope| granted.iter().any(|g| g == scope))
        .collect();
    Ok(Some(kept.join(" ")))
}

async fn user_of_grant(
    conn: &mut AnyConnection,
    grant_id: i64,
) -> Result<Option<User>, OAuthError> {
    let user_id: Option<i64> = grants::user_of_grant(conn, grant_id).await?;
    match user_id {
        Some(id) => Ok(models::user_by_id(conn, id).await?),
        None => Ok(None),
    }
}

/// An opaque access token issued to `caller` itself, for userinfo: live while userinfo
/// would take it (unexpired, its grant standing, its person admitted by the app's rules).
async fn opaque_token(
    conn: &mut AnyConnection,
    config: &AppConfig,
    caller: &StoredApp,
    token: &str,
    now: i64,
) -> Result<Introspection, OAuthError> {
    let hash = sha256_hex(token);
    let Some(row) = grants::find_token(conn, &hash).await? else {
        return Ok(INACTIVE);
    };
    let mine = row.kind == TokenKind::Access && row.grant.app_id == caller.id;
    if !mine || row.expires_at <= now {
        return Ok(INACTIVE);
    }
    let Some(user) = models::user_by_id(conn, row.grant.user_id).await? else {
        return Ok(INACTIVE);
    };
    if app_rules::pin_and_decide(conn, config, caller, &user, now).await? != Standing::Admitted {
        return Ok(INACTIVE);
    }
    super::refresh_token::access_used(conn, &row.grant, &hash, now).await?;
    Ok(Introspection {
        active: true,
        token: Some(LiveToken {
            scope: row.grant.scope,
            client_id: caller.client_id.clone(),
            sub: user.github_id.0.to_string(),
            aud: caller.client_id.clone(),
            iss: config.public_url.clone(),
            exp: row.expires_at,
            iat: row.issued_at,
            token_type: "Bearer",
        }),
    })
}
