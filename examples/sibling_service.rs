//! A sibling service that trusts gitlogin's identity tokens and nothing else.
//!
//! Start gitlogin with `TOKEN_AUDIENCES=sibling`, then this, on another port:
//!
//! ```text
//! GITLOGIN_URL=http://localhost:8000 SIBLING_AUDIENCE=sibling ROCKET_PORT=8001 \
//!     cargo run --example sibling_service
//! ```
//!
//! and call it with a token from gitlogin's `POST /api/token` (audience `sibling`):
//! `curl -H "Authorization: Bearer $TOKEN" http://localhost:8001/` answers `hello, LOGIN`.
//!
//! It never calls gitlogin per request: it fetches the public keys (the JWKS) once and keeps
//! them. A token naming a key it has not seen, as after a rotation, makes it fetch them again,
//! at most once per `refetch_after`, so made-up `kid`s cannot turn it against gitlogin.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use rocket::http::{Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder};
use rocket::tokio::sync::RwLock;
use rocket::{get, routes, Build, Rocket};
use serde::Deserialize;

/// The `typ` in the header of gitlogin's identity tokens (RFC 8725 §3.11).
pub const IDENTITY_TYP: &str = "gitlogin-identity+jwt";

/// What the service needs to know about gitlogin, and about itself.
pub struct Settings {
    /// gitlogin's `PUBLIC_URL`, which it writes into every token as `iss`.
    pub issuer: String,
    /// Where to fetch the keys: `{issuer}/.well-known/jwks.json` unless this service reaches
    /// gitlogin by another (internal) address.
    pub jwks_url: String,
    /// This service's name in gitlogin's `TOKEN_AUDIENCES`. Tokens made for another service
    /// are refused, so one that leaks from there cannot be replayed here.
    pub audience: String,
    /// The least time between two fetches of the keys.
    pub refetch_after: Duration,
}

impl Settings {
    /// `GITLOGIN_URL`, `SIBLING_AUDIENCE` and, if needed, `GITLOGIN_JWKS_URL`.
    pub fn from_env() -> Result<Settings, String> {
        let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
        let issuer = var("GITLOGIN_URL")?.trim_end_matches('/').to_owned();
        let jwks_url =
            var("GITLOGIN_JWKS_URL").unwrap_or_else(|_| format!("{issuer}/.well-known/jwks.json"));
        Ok(Settings {
            issuer,
            jwks_url,
            audience: var("SIBLING_AUDIENCE")?,
            refetch_after: Duration::from_secs(30),
        })
    }
}

/// The whole service: one route, and the verifier it trusts.
pub fn app(settings: Settings) -> Rocket<Build> {
    // No redirects (a JWKS that moves is a misconfiguration, not something to follow) and a
    // timeout, so that a hung gitlogin cannot hang our requests.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(5))
        .build()
        .expect("the TLS backend is available");
    let verifier = Verifier {
        settings,
        http,
        keys: RwLock::new(Keys::default()),
    };
    rocket::build().manage(verifier).mount("/", routes![hello])
}

#[get("/")]
fn hello(caller: Result<Caller, Refused>) -> Result<String, Refused> {
    Ok(format!("hello, {}", caller?.login))
}

/// The claims this service reads. gitlogin also sends `name`, `email` and `jti`.
#[derive(Debug, Deserialize)]
pub struct Caller {
    /// The GitHub id: the stable key for anything this service stores about the caller.
    pub sub: String,
    pub login: String,
}

/// Why a request gets no answer, in a sentence the caller's developer can act on.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("send `Authorization: Bearer <token from gitlogin>`")]
    Missing,
    #[error("the token is not a JWT with an EdDSA header and a kid")]
    NotEdDsa,
    #[error("the token is not an identity token (`typ: gitlogin-identity+jwt`)")]
    NotAnIdentityToken,
    #[error("the token names a key that gitlogin does not publish")]
    UnknownKey,
    #[error("the token's signature is wrong")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
    #[error("the token was made for another service")]
    WrongAudience,
    #[error("the token was not issued by our gitlogin")]
    WrongIssuer,
    #[error("the token is malformed")]
    Malformed,
    #[error("gitlogin's keys could not be fetched")]
    KeysUnavailable,
}

impl From<jsonwebtoken::errors::Error> for Refused {
    fn from(e: jsonwebtoken::errors::Error) -> Refused {
        use jsonwebtoken::errors::ErrorKind as K;
        match e.kind() {
            K::InvalidSignature => Refused::BadSignature,
            K::ExpiredSignature => Refused::Expired,
            K::InvalidAudience => Refused::WrongAudience,
            K::InvalidIssuer => Refused::WrongIssuer,
            _ => Refused::Malformed,
        }
    }
}

impl<'r> Responder<'r, 'static> for Refused {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        if let Refused::KeysUnavailable = self {
            return (Status::ServiceUnavailable, self.to_string()).respond_to(req);
        }
        // RFC 6750: say which scheme, and whether a token was sent and refused.
        let challenge = match self {
            Refused::Missing => "Bearer".to_owned(),
            _ => format!("Bearer error=\"invalid_token\", error_description=\"{self}\""),
        };
        let mut response = (Status::Unauthorized, self.to_string()).respond_to(req)?;
        response.set_header(Header::new("WWW-Authenticate", challenge));
        Ok(response)
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Caller {
    type Error = Refused;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let Some(verifier) = req.rocket().state::<Verifier>() else {
            return Outcome::Error((Status::InternalServerError, Refused::KeysUnavailable));
        };
        let token = req
            .headers()
            .get_one("Authorization")
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        let Some(token) = token else {
            return Outcome::Error((Status::Unauthorized, Refused::Missing));
        };
        match verifier.verify(token).await {
            Ok(caller) => Outcome::Success(caller),
            Err(refused) => Outcome::Error((Status::Unauthorized, refused)),
        }
    }
}

/// Checks tokens against gitlogin's published keys.
struct Verifier {
    settings: Settings,
    http: reqwest::Client,
    keys: RwLock<Keys>,
}

#[derive(Default)]
struct Keys {
    by_kid: HashMap<String, DecodingKey>,
    fetched_at: Option<Instant>,
}

impl Verifier {
    async fn verify(&self, token: &str) -> Result<Caller, Refused> {
        // jsonwebtoken has no `none` algorithm: such a header does not even parse. And only
        // EdDSA is accepted below, so a token cannot pick a weaker algorithm either.
        let header = decode_header(token).map_err(|_| Refused::NotEdDsa)?;
        // gitlogin signs its ID tokens with the same keys and issuer: only the type tells an
        // identity token from one (RFC 8725 §3.11). Media types compare case-insensitively.
        let typed = header.typ.as_deref();
        if !typed.is_some_and(|typ| typ.eq_ignore_ascii_case(IDENTITY_TYP)) {
            return Err(Refused::NotAnIdentityToken);
        }
        let kid = header.kid.filter(|_| header.alg == Algorithm::EdDSA);
        let key = self.key(&kid.ok_or(Refused::NotEdDsa)?).await?;

        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_audience(&[&self.settings.audience]);
        // All four are required. jsonwebtoken checks `iss` and `aud` only when they are
        // present, so a token without them would pass; and before 10.3 it skipped an
        // `exp` of the wrong type (`"exp": "9999999999"`, a token that never expires) unless
        // `exp` was required (GHSA-h395-gr6q-cpjc).
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // `exp` is checked with jsonwebtoken's default 60 seconds of leeway for clock skew.
        Ok(decode::<Caller>(token, &key, &validation)?.claims)
    }

    /// The key for `kid`, from the cache, or from a fresh copy of the JWKS if it is not
    /// cached and the last fetch is old enough.
    async fn key(&self, kid: &str) -> Result<DecodingKey, Refused> {
        if let Some(key) = self.keys.read().await.by_kid.get(kid) {
            return Ok(key.clone());
        }
        let mut keys = self.keys.write().await;
        // Another request may have fetched while this one waited for the lock.
        if let Some(key) = keys.by_kid.get(kid) {
            return Ok(key.clone());
        }
        let recent = keys
            .fetched_at
            .is_some_and(|at| at.elapsed() < self.settings.refetch_after);
        if recent {
            return Err(Refused::UnknownKey);
        }
        // Replaced whole: a key gitlogin no longer publishes is no longer trusted.
        *keys = self.fetch().await?;
        keys.by_kid.get(kid).cloned().ok_or(Refused::UnknownKey)
    }

    async fn fetch(&self) -> Result<Keys, Refused> {
        let set: JwkSet = async {
            let response = self.http.get(&self.settings.jwks_url).send().await?;
            response.error_for_status()?.json().await
        }
        .await
        .map_err(|e: reqwest::Error| {
            eprintln!("sibling_service: fetching {}: {e}", self.settings.jwks_url);
            Refused::KeysUnavailable
        })?;
        let by_kid = set
            .keys
            .iter()
            .filter(|jwk| matches!(jwk.algorithm, AlgorithmParameters::OctetKeyPair(_)))
            .filter_map(|jwk| Some((jwk.common.key_id.clone()?, DecodingKey::from_jwk(jwk).ok()?)))
            // An Ed25519 public key is 32 bytes. jsonwebtoken's pure-Rust verifier does not
            // check: it panics on a shorter `x` and reads only the start of a longer one.
            .filter(|(_, key)| key.as_bytes().len() == 32)
            .collect();
        Ok(Keys {
            by_kid,
            fetched_at: Some(Instant::now()),
        })
    }
}

#[rocket::main]
async fn main() -> std::process::ExitCode {
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("sibling_service: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match app(settings).launch().await {
        Ok(_) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sibling_service: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
