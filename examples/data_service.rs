//! The data service: an API that answers only callers gitlogin vouches for, with the scope
//! each route needs. Register it, and the apps that call it, with gitlogin:
//!
//! ```text
//! gitlogin apps add data --api https://data.example --scope read --scope write --accept web
//! ```
//!
//! then run it, on another port, with the audience it was registered with:
//!
//! ```text
//! GITLOGIN_URL=http://localhost:8000 DATA_AUDIENCE=https://data.example ROCKET_PORT=8002 \
//!     cargo run --example data_service
//! ```
//!
//! `GET /records` needs the scope `read`, `POST /records` needs `write`. A request without a
//! valid access token is a 401, one whose token lacks the scope a 403 with
//! `WWW-Authenticate: Bearer error="insufficient_scope"` (RFC 6750 §3.1).
//!
//! By default it verifies each token itself (RFC 9068 §4): `typ`, signature with a key of
//! gitlogin's JWKS, `iss`, `aud`, `exp`. That is fast, but a revoked token passes until it
//! expires (minutes). With `DATA_INTROSPECT=1` and the API's own `DATA_CLIENT_ID` and
//! `DATA_CLIENT_SECRET`, it asks gitlogin's introspection instead (RFC 7662): a call per
//! request, and a revoked or rejected token fails at once.

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use rocket::http::{Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder};
use rocket::serde::json::{json, Json, Value};
use rocket::tokio::sync::Mutex;
use rocket::{get, post, routes, Build, Rocket};
use serde::Deserialize;

/// RFC 9068 §2.1: the `typ` of an access token; `application/at+jwt` is the same type.
const ACCESS_TYPES: [&str; 2] = ["at+jwt", "application/at+jwt"];

/// What the service needs to know about gitlogin, and about itself.
pub struct Settings {
    /// gitlogin's `PUBLIC_URL`, which it writes into every token as `iss`.
    pub issuer: String,
    /// This API's audience, exactly as registered with `--api`: a token for another API is
    /// refused, so one that leaks from there cannot be replayed here.
    pub audience: String,
    /// Ask introspection, as this API, instead of verifying tokens here.
    pub introspect: Option<Credentials>,
}

/// The API's own `client_id` and secret, from `gitlogin apps add`.
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
}

impl Settings {
    /// `GITLOGIN_URL`, `DATA_AUDIENCE` and, with `DATA_INTROSPECT=1`, `DATA_CLIENT_ID` and
    /// `DATA_CLIENT_SECRET`.
    pub fn from_env() -> Result<Settings, String> {
        let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
        let introspect = match std::env::var("DATA_INTROSPECT").as_deref() {
            Ok("1") => Some(Credentials {
                client_id: var("DATA_CLIENT_ID")?,
                client_secret: var("DATA_CLIENT_SECRET")?,
            }),
            _ => None,
        };
        Ok(Settings {
            issuer: var("GITLOGIN_URL")?.trim_end_matches('/').to_owned(),
            audience: var("DATA_AUDIENCE")?,
            introspect,
        })
    }
}

/// The whole service: two routes, and what checks their callers.
pub fn app(settings: Settings) -> Rocket<Build> {
    // No redirects (gitlogin never answers with one here) and a timeout, so that a hung
    // gitlogin cannot hang our requests.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(5))
        .build()
        .expect("the TLS backend is available");
    rocket::build()
        .manage(Checker {
            settings,
            http,
            keys: Mutex::new((JwkSet { keys: vec![] }, None)),
        })
        .mount("/", routes![list_records, add_record])
}

#[get("/records")]
fn list_records(caller: Result<Caller, Refused>) -> Result<Json<Value>, Refused> {
    let caller = caller?.needs("read")?;
    Ok(Json(json!({ "records": [], "for": caller.sub })))
}

#[post("/records")]
fn add_record(caller: Result<Caller, Refused>) -> Result<Json<Value>, Refused> {
    let caller = caller?.needs("write")?;
    Ok(Json(json!({ "added": true, "by": caller.sub })))
}

/// Who calls, as the token says: a person (`sub` is their GitHub id) through an app
/// (`client_id`), or a service as itself (`sub` is its `client_id`).
#[derive(Debug, Deserialize)]
pub struct Caller {
    pub sub: String,
    pub client_id: String,
    /// Space-separated.
    #[serde(default)]
    pub scope: String,
}

impl Caller {
    fn needs(self, scope: &'static str) -> Result<Caller, Refused> {
        if self.scope.split(' ').any(|s| s == scope) {
            Ok(self)
        } else {
            Err(Refused::InsufficientScope(scope))
        }
    }
}

/// Why a request gets no answer, in a sentence the caller's developer can act on.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("send `Authorization: Bearer <access token from gitlogin>`")]
    Missing,
    #[error("the token is not an access token (`typ: at+jwt`) signed RS256")]
    NotAnAccessToken,
    #[error("the token names a key that gitlogin does not publish")]
    UnknownKey,
    #[error("the token is expired, revoked, malformed, or not for this API")]
    Invalid,
    #[error("the token lacks the scope {0}")]
    InsufficientScope(&'static str),
    #[error("gitlogin could not be asked")]
    GitloginUnavailable,
}

impl<'r> Responder<'r, 'static> for Refused {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        // RFC 6750 §3: say which scheme, and what is wrong with the token sent.
        let (status, challenge) = match &self {
            Refused::GitloginUnavailable => {
                return (Status::ServiceUnavailable, self.to_string()).respond_to(req)
            }
            Refused::Missing => (Status::Unauthorized, "Bearer".to_owned()),
            Refused::InsufficientScope(scope) => (
                Status::Forbidden,
                format!("Bearer error=\"insufficient_scope\", scope=\"{scope}\""),
            ),
            _ => (
                Status::Unauthorized,
                "Bearer error=\"invalid_token\"".to_owned(),
            ),
        };
        let mut response = (status, self.to_string()).respond_to(req)?;
        response.set_header(Header::new("WWW-Authenticate", challenge));
        Ok(response)
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Caller {
    type Error = Refused;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let Some(checker) = req.rocket().state::<Checker>() else {
            return Outcome::Error((Status::InternalServerError, Refused::GitloginUnavailable));
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
        let checked = match &checker.settings.introspect {
            Some(credentials) => checker.introspect(credentials, token).await,
            None => checker.verify(token).await,
        };
        match checked {
            Ok(caller) => Outcome::Success(caller),
            Err(refused) => Outcome::Error((Status::Unauthorized, refused)),
        }
    }
}

/// Checks tokens: against gitlogin's published keys, or by asking gitlogin.
struct Checker {
    settings: Settings,
    http: reqwest::Client,
    /// gitlogin's keys, and when they were fetched.
    keys: Mutex<(JwkSet, Option<Instant>)>,
}

/// The least time between two fetches of the keys.
const REFETCH_AFTER: Duration = Duration::from_secs(10);

impl Checker {
    /// RFC 9068 §4, in its order: the type, the algorithm gitlogin signs access tokens with
    /// (never one the token picks), the signature, the issuer, the audience, the expiry.
    async fn verify(&self, token: &str) -> Result<Caller, Refused> {
        let header = decode_header(token).map_err(|_| Refused::NotAnAccessToken)?;
        // gitlogin signs ID tokens and identity tokens with the same keys and issuer: only
        // the type tells an access token from them (RFC 8725 §3.11).
        let typed = header.typ.as_deref().is_some_and(|typ| {
            ACCESS_TYPES
                .iter()
                .any(|known| typ.eq_ignore_ascii_case(known))
        });
        if !typed || header.alg != Algorithm::RS256 {
            return Err(Refused::NotAnAccessToken);
        }
        let key = self
            .key(header.kid.as_deref().ok_or(Refused::UnknownKey)?)
            .await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_audience(&[&self.settings.audience]);
        // jsonwebtoken checks `iss` and `aud` only when they are present: required, all of
        // them, as RFC 9068 §2.2 requires gitlogin to send them.
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let token = decode::<Caller>(token, &key, &validation).map_err(|_| Refused::Invalid)?;
        Ok(token.claims)
    }

    /// The key for `kid` from gitlogin's JWKS, kept; fetched again only for a `kid` not seen
    /// yet (after a rotation), and at most once per `REFETCH_AFTER`, so that made-up `kid`s
    /// cannot turn this service against gitlogin.
    async fn key(&self, kid: &str) -> Result<DecodingKey, Refused> {
        let mut keys = self.keys.lock().await;
        let stale = keys.1.is_none_or(|at| at.elapsed() >= REFETCH_AFTER);
        if keys.0.find(kid).is_none() && stale {
            let url = format!("{}/.well-known/jwks.json", self.settings.issuer);
            let fetched: JwkSet = async {
                self.http
                    .get(&url)
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await
            }
            .await
            .map_err(|_: reqwest::Error| Refused::GitloginUnavailable)?;
            *keys = (fetched, Some(Instant::now()));
        }
        let jwk = keys.0.find(kid).ok_or(Refused::UnknownKey)?;
        if !matches!(jwk.algorithm, AlgorithmParameters::RSA(_)) {
            return Err(Refused::NotAnAccessToken);
        }
        DecodingKey::from_jwk(jwk).map_err(|_| Refused::UnknownKey)
    }

    /// RFC 7662: gitlogin says whether the token is live now and meant for this API; an
    /// answer of `active: false` says nothing more, whatever the reason.
    async fn introspect(&self, credentials: &Credentials, token: &str) -> Result<Caller, Refused> {
        let url = format!("{}/oauth/introspect", self.settings.issuer);
        let answer: Value = async {
            let request = self
                .http
                .post(&url)
                .basic_auth(&credentials.client_id, Some(&credentials.client_secret))
                .form(&[("token", token), ("token_type_hint", "access_token")]);
            request.send().await?.error_for_status()?.json().await
        }
        .await
        .map_err(|_: reqwest::Error| Refused::GitloginUnavailable)?;
        // The audience too: gitlogin also describes an API's own userinfo tokens (when the
        // API signs people in as an app), and those are not for it as an API.
        let ours = answer["active"] == true && answer["aud"] == self.settings.audience.as_str();
        if !ours {
            return Err(Refused::Invalid);
        }
        serde_json::from_value(answer).map_err(|_| Refused::Invalid)
    }
}

#[rocket::main]
async fn main() -> std::process::ExitCode {
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("data_service: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match app(settings).launch().await {
        Ok(_) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("data_service: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
