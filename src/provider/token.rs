//! Step 5: `POST /oauth/token`, called by the app's server. The `authorization_code` grant
//! trades a code for tokens (`redeem.rs` checks it); `refresh_token` trades a refresh token
//! for new ones (`refresh_token.rs`); `client_credentials` is a service's own
//! (`client_credentials.rs`). Access and refresh tokens are random and stored only as hashes,
//! each belonging to a grant (one code's family); with `resource`, the access token is a JWT
//! for that API instead (`api_grants.rs`).
//!
//! The handler only reads the form (`token_request.rs`) and answers; [`exchange`] is the
//! step itself, over a connection, the clock's `now` and the typed request.

use rocket::form::Form;
use rocket::http::Header;
use rocket::serde::json::Json;
use rocket::{post, routes, Route, State};
use rocket_db_pools::sqlx::{AnyConnection, Connection as _};
use serde::Serialize;

use super::api_grants::{self, ResourceAsked};
use super::client::{self, Basic};
use super::client_credentials;
use super::device_poll;
use super::id_token::{self, PersonClaims};
use super::oauth_error::OAuthError;
use super::redeem::{redeem_code, Presented, TokenFailure};
use super::refresh_token::{self, Next};
use super::token_request::{GrantType, TokenForm, TokenRequest};
use crate::access::app_rules;
use crate::access::Standing;
use crate::config::AppConfig;
use crate::keys::KeyRing;
use crate::models::apps::StoredApp;
use crate::models::grants::{self, Grant, TokenKind};
use crate::models::live_grants;
use crate::models::logouts;
use crate::models::{self, User};
use crate::ops::clock::Clock;
use crate::ops::random::{sha256_hex, token};
use crate::store::backend::Backend;
use crate::store::pool::Db;

pub fn routes() -> Vec<Route> {
    routes![token_endpoint]
}

/// The tokens issued (RFC 6749 5.1; OpenID Connect Core 3.1.3.3 adds `id_token`).
#[derive(Debug, Serialize)]
pub(crate) struct TokenResponse {
    pub(crate) access_token: String,
    pub(crate) token_type: &'static str,
    pub(crate) expires_in: i64,
    pub(crate) scope: String,
    /// With `offline_access` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) refresh_token: Option<String>,
    /// With `openid` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) id_token: Option<String>,
}

/// The answer, never to be cached (RFC 6749 5.1).
#[derive(rocket::Responder)]
struct Tokens {
    body: Json<TokenResponse>,
    cache: Header<'static>,
}

#[post("/oauth/token", data = "<form>")]
async fn token_endpoint(
    form: Form<TokenForm<'_>>,
    basic: Basic,
    config: &State<AppConfig>,
    keys: &State<KeyRing>,
    clock: &State<Clock>,
    db: &Db,
) -> Result<Tokens, OAuthError> {
    let request = form.parse(&basic)?;
    let _turn = db.write_turn().await;
    let mut conn = db.acquire().await?;
    let tokens = exchange(&mut conn, config, keys, clock.now(), &request).await?;
    Ok(Tokens {
        body: Json(tokens),
        cache: Header::new("Cache-Control", "no-store"),
    })
}

/// The token endpoint's step: the calling app authenticated, its grant checked, new tokens
/// issued. In one transaction: the code or refresh token is spent only if the new tokens are
/// stored and the ID token signed, so an app whose call failed can retry without its retry
/// looking like a replay. A revocation, though, is kept.
pub(crate) async fn exchange(
    conn: &mut AnyConnection,
    config: &AppConfig,
    keys: &KeyRing,
    now: i64,
    request: &TokenRequest,
) -> Result<TokenResponse, OAuthError> {
    let mut tx = conn.begin().await?;
    // The app is authenticated (a read) before its code or refresh token is spent (a write).
    Backend::write_first(&mut tx).await?;
    match attempt(&mut tx, config, keys, now, request).await {
        Ok(tokens) => {
            tx.commit().await?;
            Ok(tokens)
        }
        Err(TokenFailure::Revoke(grant_id)) => {
            grants::delete_grant(&mut tx, grant_id).await?;
            tx.commit().await?;
            Err(OAuthError::InvalidGrant)
        }
        Err(TokenFailure::Recorded(error)) => {
            tx.commit().await?;
            Err(error)
        }
        Err(TokenFailure::Error(error)) => {
            // Rolled back here, inside this request's write turn: a transaction merely
            // dropped is rolled back a moment later, and until then its connection keeps
            // SQLite's write lock, so the next request's write found the store locked (503).
            tx.rollback().await?;
            Err(error)
        }
    }
}

async fn attempt(
    conn: &mut AnyConnection,
    config: &AppConfig,
    keys: &KeyRing,
    now: i64,
    request: &TokenRequest,
) -> Result<TokenResponse, TokenFailure> {
    let app = client::authenticate(conn, &request.client).await?;
    let mut next_refresh = None;
    let (grant, api) = match request
        .grant
        .as_ref()
        .map_err(|bad| OAuthError::from(*bad))?
    {
        GrantType::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
            resource,
        } => {
            let presented = Presented {
                code,
                redirect_uri: redirect_uri.as_deref(),
                code_verifier: code_verifier.as_deref(),
            };
            let api = resource.as_deref().map(|resource| ResourceAsked {
                resource,
                scope: None,
            });
            (redeem_code(conn, &app, presented, now).await?, api)
        }
        GrantType::RefreshToken {
            refresh_token,
            scope,
            resource,
        } => {
            let api = resource.as_deref().map(|resource| ResourceAsked {
                resource,
                scope: scope.as_deref(),
            });
            let (grant, next) =
                refresh_token::use_refresh_token(conn, &app, refresh_token, now).await?;
            next_refresh = Some(next);
            // Without `resource`, the opaque token for userinfo, of the whole grant: a
            // `scope` may repeat it or name less, never more (RFC 6749 §6).
            let wider = scope
                .as_deref()
                .is_some_and(|asked| !super::request::covers(&grant.scope, asked));
            if api.is_none() && wider {
                return Err(OAuthError::InvalidScope.into());
            }
            (grant, api)
        }
        GrantType::DeviceCode {
            device_code,
            resource,
        } => {
            let api = resource.as_deref().map(|resource| ResourceAsked {
                resource,
                scope: None,
            });
            (device_poll::poll(conn, &app, device_code, now).await?, api)
        }
        GrantType::ClientCredentials { scope, resource } => {
            let (scope, resource) = (scope.as_deref(), resource.as_deref());
            let issued =
                client_credentials::grant(conn, config, keys, &app, scope, resource, now).await?;
            return Ok(TokenResponse {
                access_token: issued.access_token,
                token_type: "Bearer",
                expires_in: issued.expires_in,
                scope: issued.scope,
                refresh_token: None,
                id_token: None,
            });
        }
    };
    let user = models::user_by_id(conn, grant.user_id)
        .await?
        .ok_or(OAuthError::InvalidGrant)?;
    live_grants::mark_used(conn, grant.id, now).await?;
    // The app's rules again: at every refresh, a person taken off them loses the app. A
    // membership due for a recheck stops the refresh without revoking: the app sends the
    // person to authorize again, and the sign-in that does is the recheck.
    match app_rules::pin_and_decide(conn, config, &app, &user, now).await? {
        Standing::Admitted => {}
        Standing::Unverified => return Err(OAuthError::InvalidGrant.into()),
        Standing::Refused => return Err(TokenFailure::Revoke(grant.id)),
    }
    let who = (&app, &grant, &user);
    Ok(issue(conn, (config, keys), who, (api, next_refresh), now).await?)
}

/// A new access token (and refresh token, with `offline_access`), and the ID token. The
/// access token is a JWT for the API `api` names, or else the opaque one for userinfo; the
/// answer's `scope` is what the access token allows. The refresh token is the family's
/// `next` one, or the first of a new family.
async fn issue(
    conn: &mut AnyConnection,
    (config, keys): (&AppConfig, &KeyRing),
    (app, grant, user): (&StoredApp, &Grant, &User),
    (api, next): (Option<ResourceAsked<'_>>, Option<Next>),
    now: i64,
) -> Result<TokenResponse, OAuthError> {
    // An app that wants access for longer asks for `offline_access`.
    let (access, scope, access_hash) = match api {
        Some(asked) => {
            let who = (app, grant, user);
            let (jwt, scope) = api_grants::token_for(conn, (config, keys), who, asked, now).await?;
            (jwt, scope, String::new())
        }
        None => {
            let access = token();
            let lives = (now, now + config.access_token_lifetime);
            let hash = sha256_hex(&access);
            grants::insert_token(conn, grant.id, TokenKind::Access, &hash, lives).await?;
            (access, grant.scope.clone(), hash)
        }
    };
    let mut body = TokenResponse {
        access_token: access,
        token_type: "Bearer",
        expires_in: config.access_token_lifetime,
        scope,
        refresh_token: None,
        id_token: None,
    };
    if grant.has_scope("offline_access") {
        let refresh = refresh_token::issue(conn, grant.id, next, &access_hash, now).await?;
        body.refresh_token = Some(refresh);
    }
    if grant.has_scope("openid") {
        let groups = id_token::groups(conn, app, user).await?;
        let person = PersonClaims::of(user, grant, groups);
        let issuer = &config.public_url;
        let subject = id_token::Subject {
            app,
            grant,
            person: &person,
            access_token: &body.access_token,
        };
        body.id_token = Some(id_token::sign(keys, conn, issuer, subject, now).await?);
        if app.backchannel_logout_uri.is_some() {
            logouts::record_id_token(conn, &grant.sid, app.id).await?;
        }
    }
    Ok(body)
}
