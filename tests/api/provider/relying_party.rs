//! A stock relying party that nobody here wrote, the `openidconnect` crate, signs a person in
//! through gitlogin on a real socket: discovery, the authorize redirect, gitlogin's GitHub
//! sign-in at the fake, consent, the code exchange with PKCE, the ID token verified in full
//! (signature from the JWKS, `iss`, `aud`, `nonce`, `exp`, `at_hash`), userinfo, a refresh and a
//! revocation. Wherever the provider bent the standard, this crate would refuse it.

use std::collections::HashMap;

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthenticationFlow, CoreClaimName, CoreClaimType, CoreClient,
    CoreClientAuthMethod, CoreGrantType, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm, CoreResponseMode, CoreResponseType,
    CoreRevocableToken, CoreSubjectIdentifierType, CoreTokenResponse, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AdditionalProviderMetadata, AuthorizationCode, ClientId, ClientSecret,
    CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, ProviderMetadata, RedirectUrl, RevocationUrl, Scope,
    TokenResponse,
};
use serde::{Deserialize, Serialize};
use tempfile::TempDir;

use super::{form_fields, register_in, OCTOCAT_ID};
use crate::helpers::{fake_github, random_secret_key, CLIENT_ID, CLIENT_SECRET};
use crate::real_server::{csrf_token, trusting, Browser};
use gitlogin::github::fake::FakeGithub;
use gitlogin::ops::clock::Clock;
use gitlogin::ops::loopback::{self, free_port};

/// Where the relying party is reached; nothing listens there: the test reads the redirect.
pub(super) const RP_CALLBACK: &str = "http://127.0.0.1:4180/oauth2/callback";

/// gitlogin on `https://127.0.0.1:PORT`, also its issuer, on a fresh store of the suite's
/// kind, signing people in at its own fake GitHub. On TLS, as it is deployed: the crate
/// refuses to send a token to an `http` revocation endpoint. Its certificate comes from a CA
/// this test makes, which the relying party and the browser trust.
pub(super) struct Provider {
    pub(super) issuer: String,
    /// The test CA's certificate, PEM.
    pub(super) ca: String,
    pub(super) db_url: String,
    pub(super) github: FakeGithub,
    pub(super) clock: Clock,
    _dir: TempDir,
}

impl Provider {
    /// On the wall clock: the relying party checks `exp` and `iat` against it.
    pub(super) async fn start() -> Provider {
        Provider::start_on(Clock::default()).await
    }

    /// On `clock`, which a test may move (a device's polls, for one).
    pub(super) async fn start_on(clock: Clock) -> Provider {
        let (db_url, dir) = crate::STORE.create().await;
        let github = fake_github().await;
        let (ca, cert, key) = crate::helpers::private_ca();
        // `PUBLIC_URL` names the port, so it is picked first; taken meanwhile, pick again.
        for _ in 0..5 {
            let port = free_port();
            let issuer = format!("https://127.0.0.1:{port}");
            github.with(|w| w.callback = Some(format!("{issuer}/login/callback")));
            let figment = gitlogin::config::figment()
                .merge(loopback::figment(port))
                .merge(("tls.certs", cert.as_bytes()))
                .merge(("tls.key", key.as_bytes()))
                .merge(("github_client_id", CLIENT_ID))
                .merge(("github_client_secret", CLIENT_SECRET))
                .merge(("github_url", &github.url))
                .merge(("github_api_url", &github.url))
                .merge(("public_url", &issuer))
                .merge(("databases.gitlogin.url", &db_url))
                .merge(("secret_key", random_secret_key()))
                .merge(("github_webhook_secret", crate::webhooks::SECRET))
                .merge(("metrics_token", METRICS_TOKEN));
            let rocket = gitlogin::app_with_clock(figment, clock.clone()).unwrap();
            if loopback::launch(rocket).await.is_some() {
                return Provider {
                    issuer,
                    ca,
                    db_url,
                    github,
                    clock,
                    _dir: dir,
                };
            }
        }
        panic!("no free port for gitlogin");
    }
}

/// What Prometheus sends for the provider's `/metrics`.
pub(super) const METRICS_TOKEN: &str = "the-scrapers-token";

impl Provider {
    /// The relying party's HTTP client: no redirects followed, the test CA trusted.
    pub(super) fn http(&self) -> reqwest::Client {
        trusting(&self.ca)
    }
}

/// Discovery as the crate reads it, with the one field beyond its core types it needs:
/// `revocation_endpoint` (RFC 8414).
#[derive(Clone, Debug, Deserialize, Serialize)]
struct Revocation {
    revocation_endpoint: String,
}
impl AdditionalProviderMetadata for Revocation {}
type Metadata = ProviderMetadata<
    Revocation,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;
type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The relying party registered as `name` (with `extra` arguments), configured by discovery.
pub(super) async fn relying_party(provider: &Provider, name: &str, extra: &[&str]) -> Client {
    let rp = register_in(&provider.db_url, name, RP_CALLBACK, extra);
    let issuer = IssuerUrl::new(provider.issuer.clone()).unwrap();
    let metadata = Metadata::discover_async(issuer, &provider.http())
        .await
        .unwrap_or_else(|e| panic!("discovery: {}", chain(&e)));
    let revocation = metadata.additional_metadata().revocation_endpoint.clone();
    CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(rp.client_id),
        rp.client_secret.map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(RP_CALLBACK.into()).unwrap())
    .set_revocation_url(RevocationUrl::new(revocation).unwrap())
}

/// A person's whole sign-in to `client` in a new browser: the authorize URL, gitlogin's
/// redirects (its sign-in, the fake GitHub, back), Allow on the consent page, and the code
/// exchanged. Returns the tokens and the nonce the request carried.
async fn sign_in(provider: &Provider, client: &Client) -> (CoreTokenResponse, Nonce) {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorize, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scopes(["profile", "email", "offline_access"].map(|s| Scope::new(s.into())))
        .set_pkce_challenge(challenge)
        .url();
    let back = browse_to_the_app(
        &Browser::trusting(&provider.ca),
        &provider.issuer,
        authorize,
    )
    .await;
    let query: HashMap<String, String> = back.query_pairs().into_owned().collect();
    assert_eq!(query.get("state"), Some(state.secret()), "{back}");
    assert_eq!(query.get("iss"), Some(&provider.issuer), "{back}");
    let tokens = client
        .exchange_code(AuthorizationCode::new(query["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&provider.http())
        .await
        .unwrap_or_else(|e| panic!("the code exchange: {}", chain(&e)));
    (tokens, nonce)
}

/// What a browser does from `at`: follows every redirect, presses Allow on the consent page,
/// and stops at the redirect to the relying party, which it returns.
pub(super) async fn browse_to_the_app(browser: &Browser, base: &str, mut at: url::Url) -> url::Url {
    for _ in 0..10 {
        let response = browser.get(at.clone()).await;
        if response.status().is_redirection() {
            at = at
                .join(response.headers()["location"].to_str().unwrap())
                .unwrap();
            if at.as_str().starts_with(RP_CALLBACK) {
                return at;
            }
            continue;
        }
        assert_eq!(response.status(), 200, "{at}");
        let page = response.text().await.unwrap();
        let mut fields = form_fields(&page, "/oauth/authorize/consent");
        assert!(!fields.is_empty(), "not the consent page: {page}");
        if !fields.iter().any(|(k, _)| k == "csrf_token") {
            fields.push(("csrf_token".into(), csrf_token(browser, base).await));
        }
        fields.push(("decision".into(), "allow".into()));
        let allowed = browser
            .http
            .post(format!("{base}/oauth/authorize/consent"))
            .header("origin", base)
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(allowed.status(), 303);
        at = at
            .join(allowed.headers()["location"].to_str().unwrap())
            .unwrap();
        assert!(at.as_str().starts_with(RP_CALLBACK), "{at}");
        return at;
    }
    panic!("the browser never got back to the app");
}

/// Verifies the ID token of `tokens` as the crate does (signature from the JWKS, `iss`, `aud`,
/// `exp`, `nonce`), and its `at_hash` against the access token; returns its algorithm.
fn verify_id_token(client: &Client, tokens: &CoreTokenResponse, nonce: &Nonce) -> String {
    let id_token = tokens.id_token().expect("no ID token");
    let verifier = client.id_token_verifier();
    let claims = id_token.claims(&verifier, nonce);
    let claims = claims.unwrap_or_else(|e| panic!("the ID token: {}", chain(&e)));
    assert_eq!(claims.subject().as_str(), OCTOCAT_ID);
    let lifetime = claims.expiration() - claims.issue_time();
    assert!((1..=600).contains(&lifetime.num_seconds()), "{lifetime}");
    assert!(claims.auth_time().is_some(), "no auth_time");
    let alg = id_token.signing_alg().unwrap();
    let key = id_token.signing_key(&verifier).unwrap();
    let at_hash = AccessTokenHash::from_token(tokens.access_token(), alg, key).unwrap();
    assert_eq!(claims.access_token_hash(), Some(&at_hash), "at_hash");
    let username = claims.preferred_username().map(|u| u.as_str());
    assert_eq!(username, Some("octocat"));
    assert_eq!(
        claims.email().map(|e| e.as_str()),
        Some("octocat@github.example")
    );
    assert_eq!(claims.email_verified(), Some(true));
    serde_json::to_value(alg)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

#[rocket::async_test]
async fn a_stock_relying_party_signs_in_verifies_refreshes_and_revokes() {
    let provider = Provider::start().await;
    let client = relying_party(&provider, "grafana", &[]).await;

    let (tokens, nonce) = sign_in(&provider, &client).await;

    assert_eq!(verify_id_token(&client, &tokens, &nonce), "RS256");
    let http = provider.http();
    let subject = tokens
        .id_token()
        .unwrap()
        .claims(&client.id_token_verifier(), &nonce);
    let subject = subject.unwrap().subject().clone();
    let info: CoreUserInfoClaims = client
        .user_info(tokens.access_token().clone(), Some(subject.clone()))
        .unwrap()
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("userinfo: {}", chain(&e)));
    assert_eq!(info.preferred_username().unwrap().as_str(), "octocat");
    let refresh_token = tokens
        .refresh_token()
        .expect("offline_access: a refresh token");
    let refreshed = client
        .exchange_refresh_token(refresh_token)
        .unwrap()
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("the refresh: {}", chain(&e)));
    let rotated = refreshed.refresh_token().expect("a new refresh token");
    assert_ne!(rotated.secret(), refresh_token.secret());

    client
        .revoke_token(CoreRevocableToken::from(refreshed.access_token()))
        .unwrap()
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("the revocation: {}", chain(&e)));

    let after: Result<CoreUserInfoClaims, _> = client
        .user_info(refreshed.access_token().clone(), Some(subject))
        .unwrap()
        .request_async(&http)
        .await;
    assert!(after.is_err(), "a revoked token still reads userinfo");
}

#[rocket::async_test]
async fn an_app_registered_for_eddsa_gets_id_tokens_the_stock_relying_party_verifies() {
    let provider = Provider::start().await;
    let client = relying_party(&provider, "gitea", &["--id-token-alg", "EdDSA"]).await;

    let (tokens, nonce) = sign_in(&provider, &client).await;

    assert_eq!(verify_id_token(&client, &tokens, &nonce), "EdDSA");
    let alg = tokens.id_token().unwrap().signing_alg().unwrap();
    assert_eq!(*alg, CoreJwsSigningAlgorithm::EdDsa);
}

/// An error and its causes, one line: the crate's errors keep the server's answer in a source.
pub(super) fn chain(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        line.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    line
}
