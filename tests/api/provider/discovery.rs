//! Discovery (OpenID Connect Discovery 1.0 §3) and the JWKS, what a relying party reads
//! before anything else: the issuer is `PUBLIC_URL`, every endpoint is on it, only what the
//! provider does is advertised (the code flow, S256, RS256 and EdDSA), and every published
//! key says what it is for.

use rocket::http::Status;
use serde_json::Value;

use super::{json_of, jwks, register, signed_in, tokens, Authorize};
use crate::helpers::{TestApp, PUBLIC_URL};

fn sorted(values: &Value) -> Vec<String> {
    let mut values: Vec<String> = values
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {values}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    values.sort();
    values
}

#[rocket::async_test]
async fn discovery_names_the_issuer_its_endpoints_and_only_what_it_supports() {
    let app = TestApp::spawn().await;

    let response = app.browser().get("/.well-known/openid-configuration").await;

    assert_eq!(response.status(), Status::Ok);
    let doc = json_of(response).await;
    assert_eq!(doc["issuer"], PUBLIC_URL);
    for (field, path) in [
        ("authorization_endpoint", "/oauth/authorize"),
        ("token_endpoint", "/oauth/token"),
        (
            "device_authorization_endpoint",
            "/oauth/device_authorization",
        ),
        ("userinfo_endpoint", "/oauth/userinfo"),
        ("jwks_uri", "/.well-known/jwks.json"),
        ("revocation_endpoint", "/oauth/revoke"),
        ("end_session_endpoint", "/oauth/logout"),
        ("introspection_endpoint", "/oauth/introspect"),
    ] {
        assert_eq!(doc[field], format!("{PUBLIC_URL}{path}"), "{field}");
    }
    for (field, values) in [
        ("response_types_supported", &["code"][..]),
        ("subject_types_supported", &["public"]),
        ("id_token_signing_alg_values_supported", &["EdDSA", "RS256"]),
        ("code_challenge_methods_supported", &["S256"]),
        (
            "token_endpoint_auth_methods_supported",
            &["client_secret_basic", "client_secret_post", "none"],
        ),
        (
            "scopes_supported",
            &["email", "groups", "offline_access", "openid", "profile"],
        ),
        (
            "grant_types_supported",
            &[
                "authorization_code",
                "client_credentials",
                "refresh_token",
                "urn:ietf:params:oauth:grant-type:device_code",
            ],
        ),
        (
            "introspection_endpoint_auth_methods_supported",
            &["client_secret_basic", "client_secret_post"],
        ),
    ] {
        assert_eq!(sorted(&doc[field]), values, "{field}");
    }
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    // RFC 8414 §3: the same metadata where OAuth 2 clients and APIs look for it.
    let oauth = app
        .browser()
        .get("/.well-known/oauth-authorization-server")
        .await;
    assert_eq!(oauth.status(), Status::Ok);
    assert_eq!(json_of(oauth).await, doc);
}

#[rocket::async_test]
async fn every_key_in_the_jwks_names_its_algorithm_and_use_and_none_is_private() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    // An ID token signed: the key that signed it is published.
    let body = tokens(&app, &browser, &rp, &Authorize::new(&rp)).await;
    let id_token = body["id_token"].as_str().unwrap();
    let kid = jsonwebtoken::decode_header(id_token).unwrap().kid.unwrap();

    let keys = jwks(&app).await;

    for key in &keys {
        let alg = key["alg"]
            .as_str()
            .unwrap_or_else(|| panic!("no alg: {key}"));
        let kty = key["kty"].as_str().unwrap();
        assert!(
            matches!((alg, kty), ("RS256", "RSA") | ("EdDSA", "OKP")),
            "{key}"
        );
        assert_eq!(key["use"], "sig", "{key}");
        assert!(key["kid"].as_str().is_some_and(|k| !k.is_empty()), "{key}");
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(key.get(private).is_none(), "{private} published: {key}");
        }
    }
    let signer = keys.iter().find(|k| k["kid"] == kid.as_str()).unwrap();
    assert_eq!(
        signer["alg"], "RS256",
        "RS256 unless the app asked for EdDSA"
    );
}
