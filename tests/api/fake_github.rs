//! A fake GitHub for tests: a real HTTP server on `127.0.0.1:0`, in the test process,
//! answering the way `shared/GITHUB.md` says GitHub answers (errors with HTTP 200 included).
//!
//! It never talks to the network. Each test starts its own, so nothing is shared.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rocket::form::{Form, FromForm};
use rocket::http::{ContentType, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::Redirect;
use rocket::{get, post, routes, State};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "test-client-id";
pub const CLIENT_SECRET: &str = "test-client-secret";

/// What a fault switch makes an endpoint do instead of answering normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 502 with an HTML body, like GitHub's unicorn page.
    ServerError,
    /// Answer only after this long.
    Slow(Duration),
    /// HTTP 200 with a body that is not JSON.
    Garbage,
    /// (token endpoint only) HTTP 200 with `{"error": "bad_verification_code"}`.
    TokenError,
    /// (token endpoint only) HTTP 200 with an `error` code that tries to forge a log line.
    HostileTokenError,
    /// The normal answer, after this many bytes of JSON whitespace, streamed: a body too
    /// large to read whole that still parses.
    Padded(u64),
}

/// A GitHub account as `/user` shows it.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub login: String,
    pub name: Option<String>,
    /// The public email (`null` for most people).
    pub email: Option<String>,
    /// What `/user/emails` lists.
    pub emails: Vec<Value>,
    /// Organisation logins, for `/user/orgs`.
    pub orgs: Vec<String>,
}

impl Account {
    pub fn octocat() -> Account {
        Account {
            id: 583231,
            login: "octocat".into(),
            name: Some("The Octocat".into()),
            email: Some("octocat@github.example".into()),
            emails: vec![json!({
                "email": "octocat@github.example",
                "primary": true,
                "verified": true,
                "visibility": "public",
            })],
            orgs: vec![],
        }
    }

    pub fn user_json(&self) -> Value {
        json!({
            "login": self.login,
            "id": self.id,
            "node_id": "MDQ6VXNlcjU4MzIzMQ==",
            "avatar_url": format!("https://avatars.githubusercontent.com/u/{}?v=4", self.id),
            "html_url": format!("https://github.com/{}", self.login),
            "type": "User",
            "name": self.name,
            "email": self.email,
            "created_at": "2011-01-25T18:44:36Z",
        })
    }
}

/// Everything the fake remembers, and what tests inspect or switch.
#[derive(Default)]
pub struct State_ {
    /// Who is "signed in at GitHub": the next authorize grants a code for this account.
    pub account: Option<Account>,
    /// The next authorize answers `error=access_denied` (the person clicked Cancel).
    pub deny: bool,
    pub token_fault: Option<Fault>,
    pub user_fault: Option<Fault>,
    /// `/user/emails` answers 404, as GitHub does when the token lacks `user:email`.
    pub emails_not_found: bool,
    codes: HashMap<String, Grant>,
    tokens: HashMap<String, Account>,
    pub token_requests: usize,
    pub user_requests: usize,
    pub emails_requests: usize,
    pub orgs_requests: usize,
    /// Tokens handed out, so tests can look for them where they must not be.
    pub issued_tokens: Vec<String>,
    /// Every code handed out.
    pub issued_codes: Vec<String>,
    /// The `iss` the authorize endpoint adds to its redirect back.
    pub issuer: String,
}

struct Grant {
    account: Account,
    challenge: String,
    redirect_uri: String,
}

/// A handle on a running fake.
#[derive(Clone)]
pub struct FakeGithub {
    pub url: String,
    state: Arc<Mutex<State_>>,
}

impl FakeGithub {
    pub async fn start() -> FakeGithub {
        let state = Arc::new(Mutex::new(State_ {
            account: Some(Account::octocat()),
            ..State_::default()
        }));
        let port = crate::helpers::serve_on_loopback(rocket::build().manage(state.clone()).mount(
            "/",
            routes![authorize, access_token, user, user_emails, user_orgs],
        ))
        .await;
        let url = format!("http://127.0.0.1:{port}");
        // RFC 9207: GitHub names itself in every callback as `{GITHUB_URL}/login/oauth`.
        state.lock().unwrap().issuer = format!("{url}/login/oauth");
        FakeGithub { url, state }
    }

    /// Reads or changes the fake's state.
    pub fn with<R>(&self, f: impl FnOnce(&mut State_) -> R) -> R {
        f(&mut self.state.lock().unwrap())
    }

    pub fn set_account(&self, account: Account) {
        self.with(|s| s.account = Some(account));
    }

    /// How many requests reached the token endpoint and the API, together.
    pub fn calls(&self) -> usize {
        self.with(|s| s.token_requests + s.user_requests + s.emails_requests)
    }
}

type Shared = Arc<Mutex<State_>>;

/// A returning user: GitHub sends them straight back with a code (or an error).
#[get("/login/oauth/authorize?<client_id>&<redirect_uri>&<state>&<code_challenge>&<code_challenge_method>&<scope>")]
fn authorize(
    client_id: &str,
    redirect_uri: &str,
    state: Option<&str>,
    code_challenge: Option<&str>,
    code_challenge_method: Option<&str>,
    scope: Option<&str>,
    shared: &State<Shared>,
) -> Result<Redirect, (Status, &'static str)> {
    if client_id != CLIENT_ID {
        return Err((Status::NotFound, "unknown client_id"));
    }
    let mut s = shared.lock().unwrap();
    let mut back = url::Url::parse(redirect_uri).map_err(|_| (Status::BadRequest, "bad uri"))?;
    {
        let mut q = back.query_pairs_mut();
        if s.deny {
            q.append_pair("error", "access_denied");
            q.append_pair(
                "error_description",
                "The user has denied your application access.",
            );
            q.append_pair(
                "error_uri",
                "https://docs.github.com/apps/troubleshooting-authorization-request-errors",
            );
        } else {
            let account = s
                .account
                .clone()
                .ok_or((Status::Unauthorized, "no account"))?;
            if code_challenge_method != Some("S256") || !scope.unwrap_or("").contains("user:email")
            {
                return Err((Status::BadRequest, "PKCE S256 and user:email expected"));
            }
            let code = format!("code{}", random_hex());
            s.codes.insert(
                code.clone(),
                Grant {
                    account,
                    challenge: code_challenge.unwrap_or_default().to_owned(),
                    redirect_uri: redirect_uri.to_owned(),
                },
            );
            s.issued_codes.push(code.clone());
            q.append_pair("code", &code);
        }
        if let Some(state) = state {
            q.append_pair("state", state);
        }
        q.append_pair("iss", &s.issuer);
    }
    Ok(Redirect::found(back.to_string()))
}

#[derive(FromForm)]
struct TokenForm<'r> {
    client_id: &'r str,
    client_secret: &'r str,
    code: &'r str,
    redirect_uri: Option<&'r str>,
    code_verifier: Option<&'r str>,
}

/// Single-use codes, PKCE checked; every answer is HTTP 200, errors included.
#[post("/login/oauth/access_token", data = "<form>")]
async fn access_token(form: Form<TokenForm<'_>>, shared: &State<Shared>) -> Answer {
    let fault = {
        let mut s = shared.lock().unwrap();
        s.token_requests += 1;
        s.token_fault
    };
    if let Some(answer) = apply(fault).await {
        return answer;
    }
    let mut s = shared.lock().unwrap();
    let grant = s.codes.remove(form.code);
    let verifier_ok = |g: &Grant| {
        let v = form.code_verifier.unwrap_or_default();
        URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes())) == g.challenge
    };
    let body = if form.client_id != CLIENT_ID || form.client_secret != CLIENT_SECRET {
        github_error(
            "incorrect_client_credentials",
            "The client_id and/or client_secret passed are incorrect.",
        )
    } else {
        match grant {
            Some(g) if verifier_ok(&g) && form.redirect_uri == Some(g.redirect_uri.as_str()) => {
                let token = format!("gho_{}", random_hex());
                s.tokens.insert(token.clone(), g.account);
                s.issued_tokens.push(token.clone());
                json!({ "access_token": token, "token_type": "bearer", "scope": "user:email" })
            }
            _ => github_error(
                "bad_verification_code",
                "The code passed is incorrect or expired.",
            ),
        }
    };
    Answer::json(Status::Ok, body.to_string()).padded(fault)
}

fn github_error(error: &str, description: &str) -> Value {
    json!({
        "error": error,
        "error_description": description,
        "error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors",
    })
}

/// The token and the headers GitHub insists on.
struct ApiCaller(Account);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ApiCaller {
    type Error = &'static str;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let h = req.headers();
        if h.get_one("User-Agent").is_none_or(str::is_empty) {
            return Outcome::Error((Status::Forbidden, "no User-Agent"));
        }
        if h.get_one("Accept") != Some("application/vnd.github+json") {
            return Outcome::Error((Status::UnsupportedMediaType, "Accept"));
        }
        let token = h
            .get_one("Authorization")
            .and_then(|a| a.strip_prefix("Bearer ").or(a.strip_prefix("token ")));
        let shared = req.rocket().state::<Shared>().unwrap();
        match token.and_then(|t| shared.lock().unwrap().tokens.get(t).cloned()) {
            Some(account) => Outcome::Success(ApiCaller(account)),
            None => Outcome::Error((Status::Unauthorized, "Bad credentials")),
        }
    }
}

#[get("/user")]
async fn user(caller: ApiCaller, shared: &State<Shared>) -> Answer {
    let fault = {
        let mut s = shared.lock().unwrap();
        s.user_requests += 1;
        s.user_fault
    };
    if let Some(answer) = apply(fault).await {
        return answer;
    }
    Answer::json(Status::Ok, caller.0.user_json().to_string()).padded(fault)
}

#[get("/user/emails")]
fn user_emails(caller: ApiCaller, shared: &State<Shared>) -> (Status, (ContentType, String)) {
    let mut s = shared.lock().unwrap();
    s.emails_requests += 1;
    if s.emails_not_found {
        let body = json!({ "message": "Not Found", "status": "404" });
        return (Status::NotFound, (ContentType::JSON, body.to_string()));
    }
    let emails = Value::Array(caller.0.emails).to_string();
    (Status::Ok, (ContentType::JSON, emails))
}

/// Paginated like GitHub's: `per_page` (default 30, at most 100) and `page` (from 1).
#[get("/user/orgs?<per_page>&<page>")]
fn user_orgs(
    caller: ApiCaller,
    per_page: Option<usize>,
    page: Option<usize>,
    shared: &State<Shared>,
) -> (ContentType, String) {
    shared.lock().unwrap().orgs_requests += 1;
    let per_page = per_page.unwrap_or(30).clamp(1, 100);
    let page = page.unwrap_or(1).max(1);
    let orgs: Vec<Value> = caller
        .0
        .orgs
        .iter()
        .enumerate()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|(i, login)| json!({ "login": login, "id": 1000 + i }))
        .collect();
    (ContentType::JSON, Value::Array(orgs).to_string())
}

/// What a fault switch answers in place of the endpoint, if it does not let it answer.
async fn apply(fault: Option<Fault>) -> Option<Answer> {
    let error = |code: &str| {
        let body = github_error(code, "The code passed is incorrect or expired.");
        Some(Answer::json(Status::Ok, body.to_string()))
    };
    match fault? {
        Fault::ServerError => Some(Answer {
            status: Status::BadGateway,
            content_type: ContentType::HTML,
            body: "<html><body>Unicorn! This page is taking too long to load.</body></html>".into(),
            padding: 0,
        }),
        Fault::Slow(delay) => {
            rocket::tokio::time::sleep(delay).await;
            None
        }
        Fault::Garbage => Some(Answer::json(Status::Ok, "{\"login\": tru".into())),
        Fault::TokenError => error("bad_verification_code"),
        Fault::HostileTokenError => {
            error("bad_verification_code\nevent: sign-in ok github_id=1 login=\"admin\"")
        }
        Fault::Padded(_) => None,
    }
}

/// One answer of the fake, its body streamed (after the padding of [`Fault::Padded`]).
pub struct Answer {
    status: Status,
    content_type: ContentType,
    body: String,
    padding: u64,
}

impl Answer {
    fn json(status: Status, body: String) -> Answer {
        Answer {
            status,
            content_type: ContentType::JSON,
            body,
            padding: 0,
        }
    }

    fn padded(self, fault: Option<Fault>) -> Answer {
        match fault {
            Some(Fault::Padded(padding)) => Answer { padding, ..self },
            _ => self,
        }
    }
}

impl<'r> rocket::response::Responder<'r, 'static> for Answer {
    fn respond_to(self, _: &'r Request<'_>) -> rocket::response::Result<'static> {
        use rocket::tokio::io::AsyncReadExt;
        let body = rocket::tokio::io::repeat(b' ')
            .take(self.padding)
            .chain(std::io::Cursor::new(self.body.into_bytes()));
        rocket::Response::build()
            .status(self.status)
            .header(self.content_type)
            .streamed_body(body)
            .ok()
    }
}

fn random_hex() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
