//! The same stock client library, the `openidconnect` crate (on `oauth2` 5), driving what an
//! app and a service do with gitlogin's APIs on a real TLS socket: client credentials, the
//! code flow with `resource` (its ID token still verified in full, `at_hash` over the JWT),
//! a refresh that narrows the scopes, and introspection as the API.

use oauth2::TokenIntrospectionResponse;
use openidconnect::core::CoreAuthenticationFlow;
use openidconnect::{
    AccessToken, CsrfToken, Nonce, OAuth2TokenResponse, PkceCodeChallenge, Scope, TokenResponse,
};

use super::relying_party::{browse_to_the_app, chain, relying_party, Provider};
use crate::real_server::Browser;

const DATA: &str = "https://data.example/v1";

/// The API's side: the `oauth2` crate's own client, as `data`, which only introspects.
type Api = oauth2::basic::BasicClient<
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
>;

fn as_the_api(provider: &Provider, (id, secret): (String, String)) -> Api {
    let url = format!("{}/oauth/introspect", provider.issuer);
    oauth2::basic::BasicClient::new(oauth2::ClientId::new(id))
        .set_client_secret(oauth2::ClientSecret::new(secret))
        .set_introspection_url(oauth2::IntrospectionUrl::new(url).unwrap())
}

/// The scopes introspection gives `token`, if it is live.
async fn active_scope(api: &Api, provider: &Provider, token: &AccessToken) -> Option<String> {
    let answer = api
        .introspect(token)
        .request_async(&provider.http())
        .await
        .unwrap_or_else(|e| panic!("introspection: {}", chain(&e)));
    answer.active().then(|| {
        let scopes = answer.scopes().cloned().unwrap_or_default();
        let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        scopes.join(" ")
    })
}

#[rocket::async_test]
async fn a_stock_client_gets_service_tokens_api_tokens_and_a_narrower_refresh() {
    let provider = Provider::start().await;
    let service = relying_party(&provider, "billing", &["--service"]).await;
    let app = relying_party(&provider, "web", &[]).await;
    let (id, secret) = super::super::apis::add(
        &provider.db_url,
        &[
            "data", "--api", DATA, "--scope", "read", "--scope", "write", "--accept", "billing",
            "--accept", "web",
        ],
    );
    let api = as_the_api(&provider, (id, secret.unwrap()));

    // A service, as itself.
    let issued = service
        .exchange_client_credentials()
        .unwrap()
        .add_scope(Scope::new("read".into()))
        .add_extra_param("resource", DATA)
        .request_async(&provider.http())
        .await
        .unwrap_or_else(|e| panic!("client credentials: {}", chain(&e)));
    assert_eq!(issued.scopes().unwrap(), &vec![Scope::new("read".into())]);
    assert!(issued.refresh_token().is_none() && issued.id_token().is_none());
    let scope = active_scope(&api, &provider, issued.access_token()).await;
    assert_eq!(scope.as_deref(), Some("read"));

    // A person, through the app, with `resource` at authorize and at the code exchange.
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorize, _, nonce) = app
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scopes(["offline_access", "read", "write"].map(|s| Scope::new(s.into())))
        .add_extra_param("resource", DATA)
        .set_pkce_challenge(challenge)
        .url();
    let back = browse_to_the_app(
        &Browser::trusting(&provider.ca),
        &provider.issuer,
        authorize,
    )
    .await;
    let code = back
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let tokens = app
        .exchange_code(openidconnect::AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .add_extra_param("resource", DATA)
        .request_async(&provider.http())
        .await
        .unwrap_or_else(|e| panic!("the code exchange: {}", chain(&e)));
    // The crate checks the ID token whole, `at_hash` over the JWT access token included.
    let id_token = tokens.id_token().expect("an ID token");
    let claims = id_token.claims(&app.id_token_verifier(), &nonce).unwrap();
    let at_hash = claims.access_token_hash().expect("at_hash");
    let signer = id_token.signing_alg().unwrap();
    let verifier = app.id_token_verifier();
    let key = id_token.signing_key(&verifier).unwrap();
    let computed =
        openidconnect::AccessTokenHash::from_token(tokens.access_token(), signer, key).unwrap();
    assert_eq!(&computed, at_hash);
    let scope = active_scope(&api, &provider, tokens.access_token()).await;
    assert_eq!(scope.as_deref(), Some("read write"));

    // A refresh for the same API, narrowed to `read`.
    let narrowed = app
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .unwrap()
        .add_scope(Scope::new("read".into()))
        .add_extra_param("resource", DATA)
        .request_async(&provider.http())
        .await
        .unwrap_or_else(|e| panic!("the refresh: {}", chain(&e)));
    let scope = active_scope(&api, &provider, narrowed.access_token()).await;
    assert_eq!(scope.as_deref(), Some("read"));
    // An ID token is never an access token, for this API or any.
    assert_eq!(
        active_scope(&api, &provider, &AccessToken::new(id_token.to_string())).await,
        None
    );
}
