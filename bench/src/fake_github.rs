//! The fake GitHub the benchmarked apps sign in against: authorize, token and API endpoints
//! answering as `shared/GITHUB.md` says github.com does, in this process, on loopback.

// The other modules' items, through the crate root (main.rs re-exports them).
#[allow(unused_imports)]
use crate::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::{Rng, RngCore};
use rocket::form::{Form, FromForm};
use rocket::http::{ContentType, Status};
use rocket::response::Redirect;
use rocket::{get, post, routes, State};
use serde_json::json;
use sha2::{Digest, Sha256};

pub(crate) const FAKE_CLIENT_ID: &str = "bench-client-id";
/// Not a secret: it only ever reaches the fake, on loopback.
pub(crate) const FAKE_CLIENT_SECRET: &str = "bench-client-secret";
/// The bench user's GitHub id: above any seeded one.
pub(crate) const BENCH_USER_ID: i64 = 4_000_000_000;
pub(crate) const BENCH_USER_LOGIN: &str = "bench-user";

pub(crate) struct FakeState {
    /// People GitHub knows: ids `1..=population`, the same ones seeded in the store, so
    /// each sign-in under load is a returning user, picked at random.
    pub(crate) population: u64,
    /// The account the next authorize signs in, instead of a random one.
    pub(crate) next_account: Mutex<Option<i64>>,
    /// code -> (account id, PKCE challenge, redirect_uri); single use.
    pub(crate) codes: Mutex<HashMap<String, (i64, String, String)>>,
    /// token -> account id.
    pub(crate) tokens: Mutex<HashMap<String, i64>>,
}

pub(crate) struct FakeGithub {
    pub(crate) url: String,
    pub(crate) state: Arc<FakeState>,
    pub(crate) shutdown: rocket::Shutdown,
}

impl FakeGithub {
    pub(crate) async fn start(population: u64) -> Result<FakeGithub, String> {
        let state = Arc::new(FakeState {
            population: population.max(1),
            next_account: Mutex::new(None),
            codes: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
        });
        let figment = rocket::Config::figment()
            .merge(("address", "127.0.0.1"))
            .merge(("port", 0))
            .merge(("log_level", "off"))
            .merge(("cli_colors", false))
            .merge(("shutdown.ctrlc", false))
            // Rocket refuses to launch a release build without one; the fake uses no cookies.
            .merge(("secret_key", random_key()));
        let (tx, rx) = rocket::tokio::sync::oneshot::channel();
        let tx = Mutex::new(Some(tx));
        let server = rocket::custom(figment)
            .manage(state.clone())
            .mount("/", routes![authorize, access_token, user, user_emails])
            .attach(rocket::fairing::AdHoc::on_liftoff("port", move |r| {
                let ready = (r.config().port, r.shutdown());
                Box::pin(async move {
                    if let Some(tx) = lock(&tx).take() {
                        let _ = tx.send(ready);
                    }
                })
            }));
        rocket::tokio::spawn(async move {
            if let Err(e) = server.launch().await {
                eprintln!("bench: the fake GitHub stopped: {e}");
            }
        });
        let (port, shutdown) = rx.await.map_err(|_| "the fake GitHub did not start")?;
        Ok(FakeGithub {
            url: format!("http://127.0.0.1:{port}"),
            state,
            shutdown,
        })
    }

    pub(crate) fn stop(&self) {
        self.shutdown.clone().notify();
    }
}

pub(crate) type Fake = Arc<FakeState>;

pub(crate) fn account_json(id: i64) -> String {
    let login = if id == BENCH_USER_ID {
        BENCH_USER_LOGIN.to_owned()
    } else {
        format!("user{id}")
    };
    json!({
        "login": login,
        "id": id,
        "node_id": "MDQ6VXNlcjU4MzIzMQ==",
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"),
        "html_url": format!("https://github.com/{login}"),
        "type": "User",
        "name": format!("User {id}"),
        // Like most people's: no public email, so the app also asks `/user/emails`.
        "email": null,
        "created_at": "2011-01-25T18:44:36Z",
    })
    .to_string()
}

/// A returning person: GitHub redirects (302) straight back with a code and the state.
#[get("/login/oauth/authorize?<client_id>&<redirect_uri>&<state>&<code_challenge>&<code_challenge_method>")]
pub(crate) fn authorize(
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    code_challenge: &str,
    code_challenge_method: &str,
    host: &rocket::http::uri::Host<'_>,
    fake: &State<Fake>,
) -> Result<Redirect, Status> {
    if client_id != FAKE_CLIENT_ID || code_challenge_method != "S256" {
        return Err(Status::BadRequest);
    }
    let mut back = url::Url::parse(redirect_uri).map_err(|_| Status::BadRequest)?;
    let account = lock(&fake.next_account)
        .take()
        .unwrap_or_else(|| rand::thread_rng().gen_range(1..=fake.population) as i64);
    let code = random_hex();
    let grant = (account, code_challenge.to_owned(), redirect_uri.to_owned());
    lock(&fake.codes).insert(code.clone(), grant);
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", state)
        // RFC 9207: GitHub names itself, `{GITHUB_URL}/login/oauth`, in every callback.
        .append_pair("iss", &format!("http://{host}/login/oauth"));
    Ok(Redirect::found(back.to_string()))
}

#[derive(FromForm)]
pub(crate) struct TokenForm<'r> {
    pub(crate) client_id: &'r str,
    pub(crate) client_secret: &'r str,
    pub(crate) code: &'r str,
    pub(crate) redirect_uri: &'r str,
    pub(crate) code_verifier: &'r str,
}

/// Single-use codes, PKCE and client credentials checked; HTTP 200 even for errors.
#[post("/login/oauth/access_token", data = "<form>")]
pub(crate) fn access_token(form: Form<TokenForm<'_>>, fake: &State<Fake>) -> (ContentType, String) {
    let grant = lock(&fake.codes).remove(form.code);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(form.code_verifier.as_bytes()));
    let account = grant.and_then(|(account, expected, redirect_uri)| {
        let valid = expected == challenge
            && redirect_uri == form.redirect_uri
            && form.client_id == FAKE_CLIENT_ID
            && form.client_secret == FAKE_CLIENT_SECRET;
        valid.then_some(account)
    });
    let body = match account {
        Some(account) => {
            let token = format!("gho_{}", random_hex());
            lock(&fake.tokens).insert(token.clone(), account);
            json!({ "access_token": token, "token_type": "bearer", "scope": "user:email" })
        }
        None => json!({
            "error": "bad_verification_code",
            "error_description": "The code passed is incorrect or expired.",
        }),
    };
    (ContentType::JSON, body.to_string())
}

/// The account behind a request's bearer token, if it also carries the headers GitHub
/// insists on.
pub(crate) struct Caller(i64);

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for Caller {
    type Error = ();

    async fn from_request(req: &'r rocket::Request<'_>) -> rocket::request::Outcome<Self, ()> {
        use rocket::request::Outcome;
        let headers = req.headers();
        if headers.get_one("User-Agent").is_none_or(str::is_empty) {
            return Outcome::Error((Status::Forbidden, ()));
        }
        let token = headers
            .get_one("Authorization")
            .and_then(|a| a.strip_prefix("Bearer "));
        let fake = req.rocket().state::<Fake>();
        match (token, fake) {
            (Some(token), Some(fake)) => match lock(&fake.tokens).get(token) {
                Some(&account) => Outcome::Success(Caller(account)),
                None => Outcome::Error((Status::Unauthorized, ())),
            },
            _ => Outcome::Error((Status::Unauthorized, ())),
        }
    }
}

#[get("/user")]
pub(crate) fn user(caller: Caller) -> (ContentType, String) {
    (ContentType::JSON, account_json(caller.0))
}

#[get("/user/emails")]
pub(crate) fn user_emails(caller: Caller) -> (ContentType, String) {
    let body = json!([
        { "email": format!("old{}@example.com", caller.0), "primary": false,
          "verified": true, "visibility": null },
        { "email": format!("user{}@example.com", caller.0), "primary": true,
          "verified": true, "visibility": "private" },
    ]);
    (ContentType::JSON, body.to_string())
}

pub(crate) fn random_hex() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
