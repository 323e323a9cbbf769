//! Keys of two algorithms in one JWKS: `rotate-key --alg RS256` adds an RSA key, published
//! beside the Ed25519 one when the instance next reads its keys (within 10 seconds), each
//! naming its `alg` and `use`, neither its private part.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::TestApp;
use crate::real_server::{gitlogin, run_to_end};

async fn jwks(app: &TestApp) -> Vec<Value> {
    let set: Value =
        serde_json::from_str(&app.browser().page("/.well-known/jwks.json").await).unwrap();
    set["keys"].as_array().unwrap().clone()
}

#[rocket::async_test]
async fn an_rsa_key_from_rotate_key_is_published_beside_the_ed25519_one() {
    let app = TestApp::spawn().await;
    assert_eq!(jwks(&app).await.len(), 1);

    let rotated = run_to_end(
        gitlogin()
            .args(["rotate-key", "--alg", "RS256"])
            .env("DATABASE_URL", &app.db_url),
    );
    assert!(rotated.status.success(), "{rotated:?}");
    let kid = String::from_utf8(rotated.stdout).unwrap().trim().to_owned();
    // The instance reads its keys from the store again once its copy is 10 seconds old.
    app.clock.advance(Duration::from_secs(10));

    let keys = jwks(&app).await;
    assert_eq!(keys.len(), 2, "{keys:?}");
    let rsa = keys
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .expect("the new kid");
    assert_eq!(rsa["kty"], "RSA");
    assert_eq!(rsa["alg"], "RS256");
    assert_eq!(rsa["use"], "sig");
    assert_eq!(rsa["e"], "AQAB");
    // 2048 bits: 256 bytes, 342 base64url characters.
    assert_eq!(rsa["n"].as_str().unwrap().len(), 342);
    let ed = keys.iter().find(|k| k["kid"] != kid.as_str()).unwrap();
    assert_eq!(
        (&ed["kty"], &ed["alg"], &ed["use"]),
        (&"OKP".into(), &"EdDSA".into(), &"sig".into())
    );
    for key in &keys {
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(key.get(private).is_none(), "{private} published: {key}");
        }
    }
}

#[rocket::async_test]
async fn rotate_key_for_an_unknown_algorithm_is_a_usage_error_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let before = app.count("signing_keys").await;
    for alg in ["HS256", "none", "rs256"] {
        let refused = run_to_end(
            gitlogin()
                .args(["rotate-key", "--alg", alg])
                .env("DATABASE_URL", &app.db_url),
        );
        assert_eq!(refused.status.code(), Some(2), "{alg}: {refused:?}");
    }
    assert_eq!(app.count("signing_keys").await, before);
}
