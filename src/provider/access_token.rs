//! Access tokens for APIs (RFC 9068): a JWT an API can verify with gitlogin's JWKS, naming
//! the API in `aud`, the caller in `client_id`, whom it is for in `sub` and what it allows in
//! `scope`. Each is also recorded by its `jti` (`models/api_tokens.rs`), so that introspection
//! can say at once when one was revoked, its app rejected or removed, or its grant ended;
//! an API that verifies on its own learns that only when the token expires, which is why
//! tokens live minutes (`ACCESS_TOKEN_LIFETIME`).

use rocket_db_pools::sqlx::AnyConnection;
use serde::{Deserialize, Serialize};

use super::oauth_error::OAuthError;
use crate::config::ACCESS_TOKEN_LIFETIME_MAX;
use crate::keys::verify::{self, Expected};
use crate::keys::{Alg, KeyRing, LONGEST_TOKEN_SECS};
use crate::models::api_tokens::{self, NewApiToken};
use crate::models::apis::{self, StoredApi};
use crate::models::apps::StoredApp;
use crate::ops::random::token;

/// RFC 9068 §2.1: `at+jwt`, which no ID token or identity token carries, so that none is
/// taken for another.
pub const TYP: &str = "at+jwt";

// A retired key leaves the JWKS once the longest-lived token it signed has expired.
const _: () = assert!(ACCESS_TOKEN_LIFETIME_MAX <= LONGEST_TOKEN_SECS);

/// The claims (RFC 9068 §2.2).
#[derive(Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub exp: i64,
    pub aud: String,
    /// The person's GitHub id as a string, or the service's own `client_id`.
    pub sub: String,
    pub client_id: String,
    pub iat: i64,
    pub jti: String,
    /// Space-separated; only scopes the API declares and the subject was granted.
    pub scope: String,
    /// When the person signed in to gitlogin; absent from a service's own token.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub auth_time: Option<i64>,
    /// The person's organisations and teams that the API's rules and grants name, when the
    /// request asked for `groups`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub groups: Option<Vec<String>>,
}

/// Whom a token is for.
pub enum Subject {
    /// A service calling as itself (`client_credentials`).
    Service,
    /// A person, through the grant `grant_id` the app holds.
    Person {
        github_id: i64,
        grant_id: i64,
        auth_time: i64,
        groups: Option<Vec<String>>,
    },
}

/// What one token is issued with.
pub struct ForApi<'a> {
    pub api: &'a StoredApi,
    pub client: &'a StoredApp,
    pub subject: Subject,
    pub scope: String,
}

/// Signs the token (RS256, the one algorithm RFC 9068 §2.1 requires APIs to accept) and
/// records it.
pub async fn issue(
    conn: &mut AnyConnection,
    keys: &KeyRing,
    issuer: &str,
    lifetime: i64,
    what: ForApi<'_>,
    now: i64,
) -> Result<String, OAuthError> {
    let (sub, grant_id, auth_time, groups) = match what.subject {
        Subject::Service => (what.client.client_id.clone(), None, None, None),
        Subject::Person {
            github_id,
            grant_id,
            auth_time,
            groups,
        } => (
            github_id.to_string(),
            Some(grant_id),
            Some(auth_time),
            groups,
        ),
    };
    let claims = AccessClaims {
        iss: issuer.to_owned(),
        exp: now + lifetime,
        aud: what.api.api.audience.clone(),
        sub,
        client_id: what.client.client_id.clone(),
        iat: now,
        jti: token(),
        scope: what.scope,
        auth_time,
        groups,
    };
    let record = NewApiToken {
        jti: &claims.jti,
        api_id: what.api.app_id,
        client_app_id: what.client.id,
        grant_id,
        expires_at: claims.exp,
    };
    if !api_tokens::insert_token(conn, &record).await? {
        return Err(OAuthError::InvalidTarget);
    }
    let key = keys.signing_key(conn, Alg::Rs256, now).await?;
    Ok(key.sign_jwt(TYP, &claims)?)
}

/// The claims of an access token gitlogin signed that has not expired; whether it is still
/// live (recorded, not revoked) is its row's to say (`models::api_tokens::live_token`).
pub async fn read(
    conn: &mut AnyConnection,
    keys: &KeyRing,
    issuer: &str,
    token: &str,
    now: i64,
) -> Option<AccessClaims> {
    let expected = Expected {
        typ: TYP,
        issuer,
        unexpired: true,
    };
    let claims = verify::our_token(keys, conn, token, &expected, now).await?;
    serde_json::from_value(claims).ok()
}

/// The API a client asks for with `resource` (RFC 8707 §2): one registered for exactly this
/// audience that accepts this client; anything else is `invalid_target`, which says no more
/// (an app learns nothing of APIs it may not call).
pub async fn target(
    conn: &mut AnyConnection,
    client: &StoredApp,
    resource: Option<&str>,
) -> Result<StoredApi, OAuthError> {
    let resource = resource.ok_or(OAuthError::InvalidTarget)?;
    let api = apis::api_by_audience(conn, resource)
        .await?
        .ok_or(OAuthError::InvalidTarget)?;
    if !apis::accepts(conn, api.app_id, client.id).await? {
        return Err(OAuthError::InvalidTarget);
    }
    Ok(api)
}
