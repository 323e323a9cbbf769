//! The `client_credentials` grant (RFC 6749 §4.4): a service account calls an API as itself,
//! with its own credentials, so that each service can be told apart and decommissioned
//! alone. No person, no refresh token (§4.4.3), no ID token.

use rocket_db_pools::sqlx::AnyConnection;

use super::access_token::{self, ForApi, Subject};
use super::api_grants;
use super::oauth_error::OAuthError;
use crate::config::AppConfig;
use crate::keys::KeyRing;
use crate::models::apps::StoredApp;

/// A service's token, as the token endpoint answers it.
pub struct ServiceToken {
    pub access_token: String,
    pub expires_in: i64,
    pub scope: String,
}

/// A token for the API `resource` names, with the scopes it grants this service.
pub async fn grant(
    conn: &mut AnyConnection,
    config: &AppConfig,
    keys: &KeyRing,
    app: &StoredApp,
    scope: Option<&str>,
    resource: Option<&str>,
    now: i64,
) -> Result<ServiceToken, OAuthError> {
    // §4.4: confidential clients only. A public app has proven nothing but its `client_id`,
    // which is no secret; an app not registered with `--service` never acts as itself.
    if app.secret_hash.is_none() || !app.service {
        return Err(OAuthError::UnauthorizedClient);
    }
    let api = access_token::target(conn, app, resource).await?;
    let granted = api_grants::granted_to_service(&api, app);
    let scope = api_grants::narrow(&api, scope, &granted)?;
    let lifetime = config.access_token_lifetime;
    let what = ForApi {
        api: &api,
        client: app,
        subject: Subject::Service,
        scope: scope.clone(),
    };
    let token = access_token::issue(conn, keys, &config.public_url, lifetime, what, now).await?;
    Ok(ServiceToken {
        access_token: token,
        expires_in: lifetime,
        scope,
    })
}
