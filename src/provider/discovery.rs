//! `GET /.well-known/openid-configuration` (Discovery 1.0): everything the provider does, as a
//! relying-party library reads it, and nothing it does not. The issuer is `PUBLIC_URL`. The
//! same document is also served as RFC 8414's `/.well-known/oauth-authorization-server`, for
//! OAuth 2 clients and APIs that look there.
//!
//! The document depends on the settings alone, so it is written once, at start-up, and each
//! request is served those bytes.

use rocket::http::ContentType;
use rocket::serde::json::json;
use rocket::{get, routes, Route, State};

use super::request::SCOPES;
use super::token_request::GrantKind;
use crate::config::AppConfig;

pub fn routes() -> Vec<Route> {
    routes![configuration, authorization_server]
}

/// The discovery document, serialised. Managed.
pub(crate) struct Document(String);

#[get("/.well-known/oauth-authorization-server")]
fn authorization_server(document: &State<Document>) -> (ContentType, &str) {
    configuration(document)
}

#[get("/.well-known/openid-configuration")]
fn configuration(document: &State<Document>) -> (ContentType, &str) {
    (ContentType::JSON, &document.0)
}

impl Document {
    pub(crate) fn new(config: &AppConfig) -> Document {
        Document(document(config).to_string())
    }
}

fn document(config: &AppConfig) -> rocket::serde::json::Value {
    let issuer = &config.public_url;
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth/authorize"),
        "token_endpoint": format!("{issuer}/oauth/token"),
        "device_authorization_endpoint": format!("{issuer}/oauth/device_authorization"),
        "userinfo_endpoint": format!("{issuer}/oauth/userinfo"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "revocation_endpoint": format!("{issuer}/oauth/revoke"),
        "end_session_endpoint": format!("{issuer}/oauth/logout"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": GrantKind::ALL.map(GrantKind::as_str),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "EdDSA"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint": format!("{issuer}/oauth/introspect"),
        // RFC 7662 §2.1: confidential apps only.
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": SCOPES,
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "auth_time", "sid", "nonce", "at_hash",
            "preferred_username", "name", "picture", "email", "email_verified", "groups",
        ],
        "prompt_values_supported": ["none", "login"],
        // Back-Channel Logout 1.0 §2.1: logout tokens, each naming the session (`sid`).
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "authorization_response_iss_parameter_supported": true,
        // Request objects are not supported: said, since the default is that they are.
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
    })
}
