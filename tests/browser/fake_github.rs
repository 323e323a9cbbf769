//! A fake GitHub for a real browser: an authorize *page* with an "Authorize" button, the
//! token endpoint and `/user`, served on `localhost` while the app is on `127.0.0.1`.
//!
//! Different hosts are different sites, as github.com and the app are, so the browser
//! applies its SameSite rules to the trip back to the app's callback. Like GitHub, the page
//! posts the person's decision to itself and answers with a 302 to the app's callback.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rocket::form::{Form, FromForm};
use rocket::http::{ContentType, Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::content::RawHtml;
use rocket::response::Redirect;
use rocket::{get, post, routes, State};
use serde_json::json;
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "browser-test-client";
pub const CLIENT_SECRET: &str = "browser-test-secret";

/// Someone with an account at the fake GitHub.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub login: &'static str,
    pub name: &'static str,
    pub email: &'static str,
}

pub const OCTOCAT: Account = Account {
    id: 583231,
    login: "octocat",
    name: "The Octocat",
    email: "octocat@example.com",
};

/// The attacker of the login CSRF test.
pub const MALLORY: Account = Account {
    id: 666,
    login: "mallory",
    name: "Mallory Attacker",
    email: "mallory@example.com",
};

struct Fake {
    /// The app's origin, once it listens: its callback is the only registered one, and
    /// avatars are served from it (the app's CSP allows images from itself and GitHub's
    /// avatar host only, and the avatar host is not on loopback).
    app_url: Option<String>,
    /// Who is signed in at the fake GitHub; the Authorize button grants a code for them.
    account: Account,
    codes: HashMap<String, Grant>,
    tokens: HashMap<String, Account>,
    tokens_issued: usize,
}

struct Grant {
    account: Account,
    challenge: String,
    redirect_uri: String,
}

type Shared = Arc<Mutex<Fake>>;

/// A handle on a running fake.
#[derive(Clone)]
pub struct FakeGithub {
    /// `http://localhost:PORT`: what the browser sees.
    pub url: String,
    /// `http://127.0.0.1:PORT`: the same server, for the app's server-side calls.
    pub api_url: String,
    shared: Shared,
}

impl FakeGithub {
    pub async fn start() -> FakeGithub {
        let shared = Shared::new(Mutex::new(Fake {
            app_url: None,
            account: OCTOCAT,
            codes: HashMap::new(),
            tokens: HashMap::new(),
            tokens_issued: 0,
        }));
        let server = rocket::custom(crate::apps::quiet_figment(0))
            .manage(shared.clone())
            .mount(
                "/",
                routes![
                    authorize_page,
                    authorize,
                    access_token,
                    user,
                    user_emails,
                    elsewhere,
                    csp_canary
                ],
            );
        let port = crate::apps::launch(server)
            .await
            .expect("the fake GitHub did not start");
        FakeGithub {
            url: format!("http://localhost:{port}"),
            api_url: format!("http://127.0.0.1:{port}"),
            shared,
        }
    }

    /// Registers the app's callback and avatar origin.
    pub fn set_app(&self, app_url: &str) {
        self.shared.lock().unwrap().app_url = Some(app_url.to_owned());
    }

    /// Who the next Authorize click signs in.
    pub fn sign_in_as(&self, account: Account) {
        self.shared.lock().unwrap().account = account;
    }

    /// How many codes were traded for tokens.
    pub fn tokens_issued(&self) -> usize {
        self.shared.lock().unwrap().tokens_issued
    }

    /// A page on this other site, where no sign-in should ever end.
    pub fn elsewhere(&self) -> String {
        format!("{}/elsewhere", self.url)
    }
}

/// GitHub's consent page: who you are at GitHub, and Authorize or Cancel.
#[get("/login/oauth/authorize?<client_id>&<redirect_uri>&<scope>&<state>&<code_challenge>&<code_challenge_method>")]
fn authorize_page(
    client_id: &str,
    redirect_uri: &str,
    scope: Option<&str>,
    state: &str,
    code_challenge: &str,
    code_challenge_method: &str,
    shared: &State<Shared>,
) -> Result<RawHtml<String>, (Status, &'static str)> {
    let fake = shared.lock().unwrap();
    check_client(&fake, client_id, redirect_uri)?;
    if code_challenge_method != "S256" || !scope.unwrap_or_default().contains("user:email") {
        return Err((
            Status::BadRequest,
            "PKCE S256 and the user:email scope expected",
        ));
    }
    let hidden = [
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("state", state),
        ("code_challenge", code_challenge),
    ]
    .iter()
    .map(|(name, value)| {
        format!(
            r#"<input type="hidden" name="{name}" value="{}">"#,
            escape(value)
        )
    })
    .collect::<String>();
    Ok(page(
        "Authorize gitlogin · fake GitHub",
        &format!(
            r#"<h1>Authorize gitlogin</h1>
<p>Signed in at the fake GitHub as <strong>{login}</strong>.</p>
<form method="post" action="/login/oauth/authorize">{hidden}
<button type="submit" name="decision" value="approve">Authorize</button>
<button type="submit" name="decision" value="cancel">Cancel</button>
</form>"#,
            login = escape(fake.account.login),
        ),
    ))
}

#[derive(FromForm)]
struct Decision<'r> {
    client_id: &'r str,
    redirect_uri: &'r str,
    state: &'r str,
    code_challenge: &'r str,
    decision: &'r str,
}

/// The person decided: back to the app's callback with a code (or `access_denied`) and
/// the state echoed, by a 302 as GitHub does.
#[post("/login/oauth/authorize", data = "<form>")]
fn authorize(
    form: Form<Decision<'_>>,
    host: &rocket::http::uri::Host<'_>,
    shared: &State<Shared>,
) -> Result<Redirect, (Status, &'static str)> {
    let mut fake = shared.lock().unwrap();
    check_client(&fake, form.client_id, form.redirect_uri)?;
    let mut back =
        url::Url::parse(form.redirect_uri).map_err(|_| (Status::BadRequest, "bad uri"))?;
    if form.decision == "approve" {
        let account = fake.account.clone();
        let code = format!("code{}", random_hex());
        fake.codes.insert(
            code.clone(),
            Grant {
                account,
                challenge: form.code_challenge.to_owned(),
                redirect_uri: form.redirect_uri.to_owned(),
            },
        );
        back.query_pairs_mut().append_pair("code", &code);
    } else {
        back.query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair(
                "error_description",
                "The user has denied your application access.",
            );
    }
    back.query_pairs_mut()
        .append_pair("state", form.state)
        // RFC 9207: GitHub names itself, `{GITHUB_URL}/login/oauth`, in every callback.
        .append_pair("iss", &format!("http://{host}/login/oauth"));
    Ok(Redirect::found(back.to_string()))
}

fn check_client(
    fake: &Fake,
    client_id: &str,
    redirect_uri: &str,
) -> Result<(), (Status, &'static str)> {
    if client_id != CLIENT_ID {
        return Err((Status::NotFound, "unknown client_id"));
    }
    let registered = fake
        .app_url
        .as_ref()
        .map(|app| format!("{app}/login/callback"));
    if registered.as_deref() != Some(redirect_uri) {
        return Err((Status::BadRequest, "redirect_uri_mismatch"));
    }
    Ok(())
}

#[derive(FromForm)]
struct TokenForm<'r> {
    client_id: &'r str,
    client_secret: &'r str,
    code: &'r str,
    redirect_uri: &'r str,
    code_verifier: &'r str,
}

/// Single-use codes, PKCE checked; errors come with HTTP 200, as GitHub sends them.
#[post("/login/oauth/access_token", data = "<form>")]
fn access_token(form: Form<TokenForm<'_>>, shared: &State<Shared>) -> (ContentType, String) {
    let mut fake = shared.lock().unwrap();
    let grant = fake.codes.remove(form.code);
    let verifier = URL_SAFE_NO_PAD.encode(Sha256::digest(form.code_verifier.as_bytes()));
    let account = grant.filter(|g| {
        form.client_id == CLIENT_ID
            && form.client_secret == CLIENT_SECRET
            && g.challenge == verifier
            && g.redirect_uri == form.redirect_uri
    });
    let body = match account {
        Some(grant) => {
            let token = format!("gho_{}", random_hex());
            fake.tokens.insert(token.clone(), grant.account);
            fake.tokens_issued += 1;
            json!({ "access_token": token, "token_type": "bearer", "scope": "user:email" })
        }
        None => json!({
            "error": "bad_verification_code",
            "error_description": "The code passed is incorrect or expired.",
        }),
    };
    (ContentType::JSON, body.to_string())
}

/// The account behind a bearer token, with GitHub's 401 for anything else.
struct Caller(Account, Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Caller {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let token = req
            .headers()
            .get_one("Authorization")
            .and_then(|h| h.strip_prefix("Bearer "));
        let fake = req.rocket().state::<Shared>().unwrap().lock().unwrap();
        match token.and_then(|t| fake.tokens.get(t)) {
            Some(account) => Outcome::Success(Caller(account.clone(), fake.app_url.clone())),
            None => Outcome::Error((Status::Unauthorized, ())),
        }
    }
}

#[get("/user")]
fn user(caller: Caller) -> (ContentType, String) {
    let Caller(account, app_url) = caller;
    let body = json!({
        "login": account.login,
        "id": account.id,
        "name": account.name,
        "email": account.email,
        "avatar_url": format!("{}/static/demo-avatar.svg", app_url.unwrap_or_default()),
        "type": "User",
    });
    (ContentType::JSON, body.to_string())
}

#[get("/user/emails")]
fn user_emails(caller: Caller) -> (ContentType, String) {
    let body = json!([{ "email": caller.0.email, "primary": true, "verified": true }]);
    (ContentType::JSON, body.to_string())
}

/// Where an open redirect would land a person: a page on another site.
#[get("/elsewhere")]
fn elsewhere() -> RawHtml<String> {
    page("Elsewhere", "<h1>You left the app</h1>")
}

/// A page that breaks its own CSP, so that a test can prove the console check sees it.
#[get("/csp-canary")]
fn csp_canary() -> WithCsp {
    WithCsp {
        page: page(
            "CSP canary",
            r#"<h1>CSP canary</h1><p style="color: red">An inline style the CSP refuses.</p>"#,
        ),
        csp: Header::new("Content-Security-Policy", "default-src 'none'"),
    }
}

#[derive(rocket::Responder)]
struct WithCsp {
    page: RawHtml<String>,
    csp: Header<'static>,
}

/// A whole page. The empty icon keeps the browser from asking for `/favicon.ico`.
fn page(title: &str, body: &str) -> RawHtml<String> {
    RawHtml(format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title><link rel="icon" href="data:,"></head>
<body>{body}</body></html>"#
    ))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn random_hex() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
