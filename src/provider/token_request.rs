//! The token request, read at the boundary (RFC 6749 4.1.3 and 6): the form, each parameter
//! at most once (`once.rs`), becomes a [`TokenRequest`] naming its grant type with what that
//! grant needs, and how the app says who it is. Nothing here asks the store.

use rocket::form::FromForm;

use super::client::{Basic, ClientAuth};
use super::oauth_error::OAuthError;
use super::once::Once;

/// What the app trades, with the parameters its grant type needs.
#[derive(Debug, Clone)]
pub(crate) enum GrantType {
    /// RFC 6749 4.1.3: a code, with the redirect URI it was issued for and, with PKCE, the
    /// verifier of its challenge (RFC 7636 4.5).
    AuthorizationCode {
        code: String,
        redirect_uri: Option<String>,
        code_verifier: Option<String>,
        resource: Option<String>,
    },
    /// RFC 6749 6: a refresh token, for new tokens of the same grant; with `resource`, for
    /// one of its APIs (RFC 8707 §2.2), perhaps with fewer scopes.
    RefreshToken {
        refresh_token: String,
        scope: Option<String>,
        resource: Option<String>,
    },
    /// RFC 8628 §3.4: a device code, once its person allowed it; with `resource`, for one
    /// of the APIs it asked for.
    DeviceCode {
        device_code: String,
        resource: Option<String>,
    },
    /// RFC 6749 4.4: a service, as itself, for the API `resource` names (RFC 8707).
    ClientCredentials {
        scope: Option<String>,
        resource: Option<String>,
    },
}

/// The grant types the token endpoint serves, by name (RFC 6749 4.1.3 and 6), as
/// `grant_type` sends them and discovery lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GrantKind {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
    DeviceCode,
}

impl GrantKind {
    pub(crate) const ALL: [GrantKind; 4] = [
        GrantKind::AuthorizationCode,
        GrantKind::RefreshToken,
        GrantKind::ClientCredentials,
        GrantKind::DeviceCode,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            GrantKind::AuthorizationCode => "authorization_code",
            GrantKind::RefreshToken => "refresh_token",
            GrantKind::ClientCredentials => "client_credentials",
            GrantKind::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
        }
    }

    fn parse(name: &str) -> Option<GrantKind> {
        GrantKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }
}

/// A token request, typed: the protocol step (`token::exchange`) takes nothing else.
#[derive(Debug, Clone)]
pub(crate) struct TokenRequest {
    pub(crate) client: ClientAuth,
    /// A grant the form got wrong is answered only once the app is authenticated: a caller
    /// who cannot prove to be an app learns `invalid_client` and nothing else (RFC 6749
    /// 3.2.1 authenticates the client before anything of the grant is looked at).
    pub(crate) grant: Result<GrantType, BadGrant>,
}

/// What is wrong with the grant a form asks for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum BadGrant {
    /// No `grant_type`, or its code or refresh token missing.
    Incomplete,
    /// A grant type gitlogin does not issue tokens for (the implicit flow's, passwords…).
    Unsupported,
}

impl From<BadGrant> for OAuthError {
    fn from(bad: BadGrant) -> OAuthError {
        match bad {
            BadGrant::Incomplete => OAuthError::InvalidRequest,
            BadGrant::Unsupported => OAuthError::UnsupportedGrantType,
        }
    }
}

/// The form, as sent: the parameters gitlogin reads.
#[derive(FromForm)]
pub(super) struct TokenForm<'r> {
    grant_type: Once<'r>,
    code: Once<'r>,
    redirect_uri: Once<'r>,
    code_verifier: Once<'r>,
    refresh_token: Once<'r>,
    device_code: Once<'r>,
    scope: Once<'r>,
    resource: Once<'r>,
    client_id: Once<'r>,
    client_secret: Once<'r>,
}

impl TokenForm<'_> {
    /// Refuses the whole request if any parameter came twice, before anything is read, or
    /// if the app's credentials are malformed or given two ways.
    pub(super) fn parse(&self, basic: &Basic) -> Result<TokenRequest, OAuthError> {
        let once = |param: Once<'_>| {
            param
                .get()
                .map(|value| value.map(str::to_owned))
                .map_err(|_| OAuthError::InvalidRequest)
        };
        let grant_type = once(self.grant_type)?;
        let code = once(self.code)?;
        let redirect_uri = once(self.redirect_uri)?;
        let code_verifier = once(self.code_verifier)?;
        let refresh_token = once(self.refresh_token)?;
        let device_code = once(self.device_code)?;
        let scope = once(self.scope)?;
        // RFC 8707 §2: one token is for one API here; asking for several at once is refused
        // as a target this server will not issue for.
        let resource = self
            .resource
            .get()
            .map(|value| value.map(str::to_owned))
            .map_err(|_| OAuthError::InvalidTarget)?;
        let client_id = once(self.client_id)?;
        let client_secret = once(self.client_secret)?;
        let client = ClientAuth::parse(basic, client_id.as_deref(), client_secret.as_deref())?;
        let kind = grant_type.as_deref().map(GrantKind::parse);
        let grant = match kind {
            Some(Some(GrantKind::AuthorizationCode)) => code
                .map(|code| GrantType::AuthorizationCode {
                    code,
                    redirect_uri,
                    code_verifier,
                    resource,
                })
                .ok_or(BadGrant::Incomplete),
            Some(Some(GrantKind::RefreshToken)) => refresh_token
                .map(|refresh_token| GrantType::RefreshToken {
                    refresh_token,
                    scope: scope.clone(),
                    resource: resource.clone(),
                })
                .ok_or(BadGrant::Incomplete),
            Some(Some(GrantKind::DeviceCode)) => device_code
                .map(|device_code| GrantType::DeviceCode {
                    device_code,
                    resource: resource.clone(),
                })
                .ok_or(BadGrant::Incomplete),
            Some(Some(GrantKind::ClientCredentials)) => {
                Ok(GrantType::ClientCredentials { scope, resource })
            }
            Some(None) => Err(BadGrant::Unsupported),
            None => Err(BadGrant::Incomplete),
        };
        Ok(TokenRequest { client, grant })
    }
}
