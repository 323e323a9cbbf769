//! The sign-in's OAuth client for GitHub, and what it talks to GitHub with, built once at
//! start-up from the configuration.

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, ClientId, ClientSecret, EndpointNotSet, EndpointSet, RedirectUrl, TokenUrl,
};

use crate::config::{AppConfig, ExposeSecret, GithubSettings, SecretString};
use crate::github::{self, GithubApi};

/// The OAuth client once its authorize and token endpoints are set: oauth2's typestate
/// makes the code flow compile only in this state.
pub type GithubOAuth =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// Built once at start-up from the configuration.
pub fn oauth_client(github: &GithubSettings, callback: &str) -> Result<GithubOAuth, String> {
    Ok(BasicClient::new(ClientId::new(github.client_id.clone()))
        .set_client_secret(ClientSecret::new(
            github.client_secret.expose_secret().to_owned(),
        ))
        .set_auth_uri(
            AuthUrl::new(format!("{}/login/oauth/authorize", github.web_url))
                .map_err(|e| e.to_string())?,
        )
        .set_token_uri(
            TokenUrl::new(format!("{}/login/oauth/access_token", github.web_url))
                .map_err(|e| e.to_string())?,
        )
        // GitHub documents the client id and secret as form fields of the token request.
        .set_auth_type(AuthType::RequestBody)
        .set_redirect_uri(RedirectUrl::new(callback.to_owned()).map_err(|e| e.to_string())?))
}

/// Everything the app needs to talk to GitHub, built once at start-up and managed.
pub struct Github {
    pub oauth: GithubOAuth,
    /// Shared by the token exchange and the API calls: one pool of connections, one set of
    /// timeouts, no redirects, no answer read past its cap.
    pub http: github::CappedHttp,
    pub api: GithubApi,
    /// What GitHub calls itself in the callback's `iss` (RFC 9207): `{GITHUB_URL}/login/oauth`.
    pub issuer: String,
    /// The OAuth App's own credentials, which revoking a token needs.
    client_id: String,
    client_secret: SecretString,
}

impl Github {
    pub fn new(config: &AppConfig) -> Result<Github, String> {
        let oauth = oauth_client(&config.github, &config.callback_url())?;
        let http = github::http_client(&config.github).map_err(|e| e.to_string())?;
        let api = GithubApi::new(http.clone(), &config.github.api_url);
        let http = github::CappedHttp(http);
        let issuer = format!("{}/login/oauth", config.github.web_url);
        Ok(Github {
            oauth,
            http,
            api,
            issuer,
            client_id: config.github.client_id.clone(),
            client_secret: config.github.client_secret.clone(),
        })
    }

    /// Ends an access token at GitHub once a sign-in has made its last call with it. An OAuth
    /// App's tokens do not expire (GitHub drops one only after a year unused, or beyond ten
    /// per person): a copy of one, from a proxy's log or a crash dump, would otherwise keep
    /// reading the person's profile, emails and memberships. The person's authorization of the
    /// app stays, so their next sign-in is still silent.
    ///
    /// A failure here is logged and never fails the sign-in: the person was already asked
    /// about, and refusing them because GitHub did not take back a token would help nobody.
    pub async fn forget_token(&self, token: &str) {
        let secret = self.client_secret.expose_secret();
        if let Err(e) = self.api.revoke_token(&self.client_id, secret, token).await {
            rocket::warn!("the GitHub token of this sign-in could not be revoked: {e}");
        }
    }
}
