//! The authorization request, checked before anything else happens (OpenID Connect Core
//! 3.1.2.2), in an order that matters: until the app and the redirect URI are known good,
//! nothing may be sent anywhere, so those two problems are an error page of our own; every
//! later one goes back to the app, which is who needs to know.

use rocket::http::Status;
use rocket_db_pools::sqlx::AnyConnection;
use serde::{Deserialize, Serialize};

use super::back::Back;
use super::once::Once;
use super::redirect_uris;
use crate::models::apis;
use crate::models::apps::{self, StoredApp};
use crate::models::grant_apis::GrantApi;
use crate::web::error_pages::ErrorPage;

/// The scopes gitlogin knows, in the order they are granted and shown. Others are ignored,
/// as OpenID Connect asks.
pub const SCOPES: [&str; 5] = ["openid", "profile", "email", "groups", "offline_access"];

/// The query of `GET /oauth/authorize`, as sent: the parameters gitlogin reads, each at most
/// once (`once.rs`).
#[derive(Debug, rocket::FromForm)]
pub struct AuthorizeQuery<'r> {
    response_type: Once<'r>,
    client_id: Once<'r>,
    redirect_uri: Once<'r>,
    scope: Once<'r>,
    state: Once<'r>,
    nonce: Once<'r>,
    code_challenge: Once<'r>,
    code_challenge_method: Once<'r>,
    prompt: Once<'r>,
    max_age: Once<'r>,
    /// RFC 8707 §2: the APIs the app wants tokens for; several may be named.
    resource: Vec<&'r str>,
}

/// The longest `state` and `nonce`, in bytes. A stranger's request rides through the GitHub
/// sign-in in a cookie (`carried.rs`), and a browser keeps at most 4 KiB of one: both at
/// their longest still fit, encrypted, with the rest of a request that names no API. Apps
/// send far less (a random value of 32 bytes or so).
pub const MAX_STATE_OR_NONCE: usize = 1024;

/// A request that passed every check: what the rest of the flow acts on. Kept as JSON in
/// the store while its visitor signs in or answers the consent page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthRequest {
    pub app_id: i64,
    pub client_id: String,
    pub redirect_uri: String,
    /// The known scopes asked for, space-separated, in [`SCOPES`] order.
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// The S256 challenge; `None` only for a confidential app that sent none.
    pub code_challenge: Option<String>,
    /// `prompt=none`: answer at once, never show a page.
    pub no_prompt: bool,
    /// `prompt=login`: sign in with GitHub again, unless the session began after `asked_at`.
    pub fresh_login: bool,
    pub asked_at: i64,
    /// `max_age`: a sign-in older than this many seconds is signed in again.
    pub max_age: Option<i64>,
    /// The APIs named by `resource`, each with the scopes asked of it.
    #[serde(default)]
    pub apis: Vec<AskedApi>,
    /// Once its consent page is drawn: the APIs and scopes it showed, the most Allow gives.
    #[serde(default)]
    pub shown: Vec<GrantApi>,
}

/// An API a request names: one that existed and accepted the app when the request was
/// checked. A request may wait ten minutes for its person, so the token endpoint checks both
/// again.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AskedApi {
    pub api_id: i64,
    /// The scopes asked that this API declares, space-separated, in its order.
    pub scope: String,
}

impl AuthRequest {
    /// Where the answer goes: the registered redirect URI, with this request's `state`.
    pub fn back(&self) -> Back {
        Back::to(&self.redirect_uri, self.state.as_deref())
    }
}

/// Why a request is not carried out.
pub enum Rejection {
    /// The app or its redirect URI is not known good: shown here, sent nowhere.
    Page(ErrorPage),
    /// Sent back to the app as `error=…`.
    Back(Back, &'static str),
}

impl From<rocket_db_pools::sqlx::Error> for Rejection {
    fn from(e: rocket_db_pools::sqlx::Error) -> Rejection {
        Rejection::Page(ErrorPage::store_unavailable(e))
    }
}

/// Checks `params`; the app they name, and the request to carry out.
pub async fn check<'r>(
    conn: &mut AnyConnection,
    params: &AuthorizeQuery<'r>,
    now: i64,
) -> Result<(StoredApp, AuthRequest), Rejection> {
    let page = |message: &'static str| Rejection::Page(ErrorPage::new(Status::BadRequest, message));
    let unknown_app = "This sign-in request names no app that gitlogin knows. Go back to the app and try again, or ask its operator to register it.";
    let app = match params.client_id.get().map_err(|_| page(unknown_app))? {
        Some(client_id) => apps::find_app_by_client_id(conn, client_id).await?,
        None => None,
    };
    let app = app.ok_or_else(|| page(unknown_app))?;
    let redirect_uri = params
        .redirect_uri
        .get()
        .ok()
        .flatten()
        .filter(|uri| redirect_uris::registered(&app, uri))
        .ok_or_else(|| page("This sign-in request asks to send you somewhere its app did not register, so gitlogin will not send you there. Go back to the app and try again."))?;

    // A doubled `state` goes back without one: which of the two to echo is the question.
    let back = Back::to(redirect_uri, params.state.get().unwrap_or(None));
    let refuse = |error| Rejection::Back(back.clone(), error);
    let once = |param: Once<'r>| param.get().map_err(|_| refuse("invalid_request"));
    let (state, nonce) = (once(params.state)?, once(params.nonce)?);
    let (response_type, scope) = (once(params.response_type)?, once(params.scope)?);
    let code_challenge = once(params.code_challenge)?;
    let code_challenge_method = once(params.code_challenge_method)?;
    let (prompt, max_age) = (once(params.prompt)?, once(params.max_age)?);
    // Kept and echoed as given: text, without control characters (PostgreSQL refuses a NUL),
    // and short enough to carry.
    let fits = |value: Option<&str>| {
        value.is_none_or(|v| v.len() <= MAX_STATE_OR_NONCE && !v.chars().any(char::is_control))
    };
    if !fits(state) || !fits(nonce) {
        return Err(refuse("invalid_request"));
    }
    match response_type {
        Some("code") => {}
        None => return Err(refuse("invalid_request")),
        // Implicit and hybrid flows hand tokens to the browser: not supported, on purpose.
        Some(_) => return Err(refuse("unsupported_response_type")),
    }
    // PKCE (RFC 7636): S256 only. A challenge without a method means `plain`, which protects
    // nothing against whoever can read the request; a public app must send one, since it has
    // no secret to prove that the code's redeemer is the app.
    let code_challenge = match (code_challenge, code_challenge_method) {
        (Some(challenge), Some("S256")) if is_s256_challenge(challenge) => Some(challenge),
        (None, None) if app.secret_hash.is_some() => None,
        _ => return Err(refuse("invalid_request")),
    };
    let prompts: Vec<&str> = prompt.unwrap_or("").split(' ').collect();
    let no_prompt = prompts.contains(&"none");
    if no_prompt && prompts.iter().any(|p| !p.is_empty() && *p != "none") {
        return Err(refuse("invalid_request"));
    }
    let max_age = match max_age {
        None => None,
        Some(age) => Some(
            age.parse::<i64>()
                .ok()
                .filter(|a| *a >= 0)
                .ok_or_else(|| refuse("invalid_request"))?,
        ),
    };
    let asked: Vec<&str> = scope.unwrap_or("").split(' ').collect();
    let scope: Vec<&str> = SCOPES.into_iter().filter(|s| asked.contains(s)).collect();
    let Some(apis) = asked_apis(conn, &app, &params.resource, &asked).await? else {
        return Err(refuse("invalid_target"));
    };
    Ok((
        app.clone(),
        AuthRequest {
            app_id: app.id,
            client_id: app.client_id.clone(),
            redirect_uri: redirect_uri.to_owned(),
            scope: scope.join(" "),
            state: state.map(str::to_owned),
            nonce: nonce.map(str::to_owned),
            code_challenge: code_challenge.map(str::to_owned),
            no_prompt,
            fresh_login: prompts.contains(&"login"),
            asked_at: now,
            max_age,
            apis,
            shown: Vec::new(),
        },
    ))
}

/// The most APIs one request may name. A person's consent page lists them all, and each
/// costs a few store reads here: a link naming hundreds would cost hundreds.
pub const MAX_APIS: usize = 8;

/// The APIs `resources` name, each with the `asked` scopes it declares; `None` if one is
/// not an API that accepts `app`, or more than [`MAX_APIS`] are named (RFC 8707 §2:
/// `invalid_target`, which says no more).
pub(crate) async fn asked_apis(
    conn: &mut AnyConnection,
    app: &StoredApp,
    resources: &[&str],
    asked: &[&str],
) -> rocket_db_pools::sqlx::Result<Option<Vec<AskedApi>>> {
    let mut named: Vec<&str> = Vec::new();
    for resource in resources {
        if !named.contains(resource) {
            named.push(resource);
        }
    }
    if named.len() > MAX_APIS {
        return Ok(None);
    }
    let mut found: Vec<AskedApi> = Vec::new();
    for resource in named {
        let Some(api) = apis::api_by_audience(conn, resource).await? else {
            return Ok(None);
        };
        if !apis::accepts(conn, api.app_id, app.id).await? {
            return Ok(None);
        }
        if found.iter().any(|f| f.api_id == api.app_id) {
            continue;
        }
        let scope: Vec<&str> = api
            .api
            .scopes
            .iter()
            .map(String::as_str)
            .filter(|s| asked.contains(s))
            .collect();
        found.push(AskedApi {
            api_id: api.app_id,
            scope: scope.join(" "),
        });
    }
    Ok(Some(found))
}

/// True when every scope of `asked` is in `granted` (both space-separated).
pub fn covers(granted: &str, asked: &str) -> bool {
    let granted: Vec<&str> = granted.split(' ').collect();
    asked
        .split(' ')
        .filter(|s| !s.is_empty())
        .all(|s| granted.contains(&s))
}

/// Both scopes' union, in [`SCOPES`] order.
pub fn union(granted: &str, asked: &str) -> String {
    let all = format!("{granted} {asked}");
    let all: Vec<&str> = all.split(' ').collect();
    let scope: Vec<&str> = SCOPES.into_iter().filter(|s| all.contains(s)).collect();
    scope.join(" ")
}

/// A base64url SHA-256: 43 characters of the URL-safe alphabet.
fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
