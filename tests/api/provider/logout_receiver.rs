//! An app's back-channel logout endpoint, as a test runs it on 127.0.0.1: it keeps every
//! logout token POSTed to it and answers with the status the test sets. [`verified`] checks a
//! token as Back-Channel Logout 1.0 §2.6 (with its errata) says a relying party must.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rocket::form::Form;
use rocket::http::{ContentType, Status};
use rocket::{post, routes, FromForm, State};
use serde_json::Value;

use super::{jwks, Rp};
use crate::helpers::{TestApp, PUBLIC_URL};
use gitlogin::ops::loopback;

/// One POST, as received.
#[derive(Debug, Clone)]
pub struct Posted {
    pub content_type: String,
    /// `logout_token`; empty when the form had none.
    pub token: String,
}

#[derive(Default)]
struct Received {
    posts: Mutex<Vec<Posted>>,
    status: AtomicU16,
}

/// A running receiver, answering 200 until told otherwise.
pub struct LogoutReceiver {
    /// The URI to register, with a query as mod_auth_openidc's has, which must be kept.
    pub uri: String,
    received: Arc<Received>,
}

impl LogoutReceiver {
    pub async fn start() -> LogoutReceiver {
        let received = Arc::new(Received {
            status: AtomicU16::new(200),
            ..Received::default()
        });
        let rocket = rocket::custom(loopback::figment(0))
            .manage(received.clone())
            .mount("/", routes![take]);
        let listening = loopback::launch(rocket).await.expect("the receiver starts");
        LogoutReceiver {
            uri: format!(
                "http://127.0.0.1:{}/oidc/callback?logout=backchannel",
                listening.port
            ),
            received,
        }
    }

    /// From now on, answers every POST with `status`.
    pub fn answer(&self, status: u16) {
        self.received.status.store(status, Ordering::Relaxed);
    }

    /// Every POST so far, in the order they came.
    pub fn posts(&self) -> Vec<Posted> {
        self.received.posts.lock().unwrap().clone()
    }

    /// The tokens POSTed so far.
    pub fn tokens(&self) -> Vec<String> {
        self.posts().into_iter().map(|p| p.token).collect()
    }
}

#[derive(FromForm)]
struct LogoutForm {
    logout_token: Option<String>,
}

/// Only the registered URI, query and all, takes a POST: a token sent anywhere else is lost.
#[post("/oidc/callback?logout=backchannel", data = "<form>")]
fn take(
    form: Form<LogoutForm>,
    content_type: Option<&ContentType>,
    received: &State<Arc<Received>>,
) -> Status {
    received.posts.lock().unwrap().push(Posted {
        content_type: content_type.map(ToString::to_string).unwrap_or_default(),
        token: form.into_inner().logout_token.unwrap_or_default(),
    });
    Status::new(received.status.load(Ordering::Relaxed))
}

/// The claims of `token` for `rp`, checked as §2.6 says a relying party must, at the app's
/// `now`: the header's `typ` is `logout+jwt` and its `alg` the app's (`alg`); the signature is
/// right with the JWKS's key of its `kid`; `iss` is gitlogin, `aud` the app's client id; `iat`
/// is there and not in the future, `exp` is there, not past, and at most two minutes after
/// `iat`; `jti` is there; `events` has the back-channel logout member, an object; `sub` and
/// `sid` are both there; and there is no `nonce`.
pub async fn verified(app: &TestApp, rp: &Rp, alg: Algorithm, token: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).expect("a JWT");
    assert_eq!(header.typ.as_deref(), Some("logout+jwt"), "{header:?}");
    assert_eq!(header.alg, alg, "{header:?}");
    let jwks: JwkSet =
        serde_json::from_value(serde_json::json!({ "keys": jwks(app).await })).unwrap();
    let kid = header.kid.expect("a kid");
    let key = DecodingKey::from_jwk(jwks.find(&kid).expect("its key is published")).unwrap();
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[PUBLIC_URL]);
    validation.set_audience(&[&rp.client_id]);
    // Checked below against the app's clock, which the tests move.
    validation.validate_exp = false;
    validation.set_required_spec_claims(&["iss", "aud", "exp", "iat", "jti", "sub"]);
    let claims = jsonwebtoken::decode::<Value>(token, &key, &validation)
        .expect("the signature and claims verify")
        .claims;
    let now = app.clock.now();
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert!(iat <= now && now < exp && exp - iat <= 120, "{claims}");
    assert!(
        claims["jti"].as_str().is_some_and(|j| j.len() >= 16),
        "{claims}"
    );
    let events = claims["events"].as_object().expect("events");
    assert_eq!(events.len(), 1, "{claims}");
    assert!(
        events["http://schemas.openid.net/event/backchannel-logout"]
            .as_object()
            .is_some_and(|e| e.is_empty()),
        "{claims}"
    );
    assert!(
        claims["sub"].is_string() && claims["sid"].is_string(),
        "{claims}"
    );
    assert!(claims.get("nonce").is_none(), "{claims}");
    claims
}
