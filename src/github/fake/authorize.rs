//! `GET /login/oauth/authorize` and the consent page's decision: the person's trip through
//! GitHub, ending in a 302 back to the app's callback with a code or an error.
//!
//! As on GitHub: the query carries `client_id`, `redirect_uri`, `scope` (space-separated;
//! GitHub reports granted scopes comma-separated), `state` and PKCE's `code_challenge` with
//! `code_challenge_method=S256`. A first-time person sees a consent page; a returning one is
//! sent straight back. The way back carries `code` (valid ten minutes, single use), `state`
//! echoed verbatim (GitHub never checks it) and `iss=https://github.com/login/oauth` (RFC
//! 9207); or `error=access_denied` when the person cancels (`redirect_uri_mismatch`,
//! `application_suspended` otherwise), each with `error_description` and `state`. The
//! `redirect_uri` must be on the registered callback's host and port, at its path or below.
//!
//! Stricter than GitHub in one way: it refuses an authorize request without PKCE S256 or the
//! `user:email` scope, which the app must always send.

use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::response::Redirect;
use rocket::{get, post, routes, Either, Route, State};
use rocket_dyn_templates::tera::{Context, Tera};

use super::{Account, FakeGithub, SignedIn, World};

/// How long a code may wait to be exchanged.
const CODE_LIFETIME_SECS: i64 = 600;

pub(super) fn routes() -> Vec<Route> {
    routes![authorize, decide]
}

/// A code handed out and not yet exchanged.
pub(super) struct Grant {
    pub(super) account: Account,
    pub(super) challenge: String,
    pub(super) redirect_uri: String,
    pub(super) expires_at: i64,
}

type Refusal = (Status, &'static str);

#[get("/login/oauth/authorize?<client_id>&<redirect_uri>&<scope>&<state>&<code_challenge>&<code_challenge_method>")]
fn authorize(
    client_id: &str,
    redirect_uri: Option<&str>,
    scope: Option<&str>,
    state: Option<&str>,
    code_challenge: Option<&str>,
    code_challenge_method: Option<&str>,
    fake: &State<FakeGithub>,
) -> Result<Either<RawHtml<String>, Redirect>, Refusal> {
    let mut world = fake.lock();
    check_client(&world, client_id)?;
    let state = state.unwrap_or_default();
    let Some(redirect_uri) = redirect_uri.or(world.callback.as_deref()) else {
        return Err((
            Status::BadRequest,
            "no redirect_uri and no registered callback",
        ));
    };
    let redirect_uri = redirect_uri.to_owned();
    if let Some(callback) = world
        .callback
        .clone()
        .filter(|c| !under_callback(&redirect_uri, c))
    {
        let why = "The redirect_uri MUST match the registered callback URL for this application.";
        let error = ("redirect_uri_mismatch", why);
        return Ok(Either::Right(back_with_error(
            &world, &callback, state, error,
        )));
    }
    let redirect_uri = redirect_uri.as_str();
    let (Some(challenge), Some("S256")) = (code_challenge, code_challenge_method) else {
        return Err((Status::BadRequest, "PKCE S256 expected"));
    };
    if !scope
        .unwrap_or_default()
        .split(' ')
        .any(|s| s == "user:email")
    {
        return Err((Status::BadRequest, "the user:email scope expected"));
    }
    if world.asks_consent {
        return consent_page(&world, client_id, redirect_uri, state, challenge).map(Either::Left);
    }
    let approve = !world.deny;
    decision(&mut world, redirect_uri, state, challenge, approve).map(Either::Right)
}

#[derive(FromForm)]
struct Decision<'r> {
    client_id: &'r str,
    redirect_uri: &'r str,
    state: &'r str,
    code_challenge: &'r str,
    decision: &'r str,
}

/// The person pressed Authorize or Cancel on the consent page.
#[post("/login/oauth/authorize", data = "<form>")]
fn decide(form: Form<Decision<'_>>, fake: &State<FakeGithub>) -> Result<Redirect, Refusal> {
    let mut world = fake.lock();
    check_client(&world, form.client_id)?;
    if world
        .callback
        .as_ref()
        .is_some_and(|c| !under_callback(form.redirect_uri, c))
    {
        return Err((Status::BadRequest, "redirect_uri_mismatch"));
    }
    let approve = form.decision == "approve" && !world.deny;
    decision(
        &mut world,
        form.redirect_uri,
        form.state,
        form.code_challenge,
        approve,
    )
}

/// GitHub answers an unknown `client_id` with a 404 page.
fn check_client(world: &World, client_id: &str) -> Result<(), Refusal> {
    if client_id == world.client_id {
        Ok(())
    } else {
        Err((Status::NotFound, "unknown client_id"))
    }
}

/// GitHub's rule: the same scheme, host and port as the callback, and its path or below.
fn under_callback(redirect_uri: &str, callback: &str) -> bool {
    let (Ok(asked), Ok(registered)) = (url::Url::parse(redirect_uri), url::Url::parse(callback))
    else {
        return false;
    };
    let base = registered.path().trim_end_matches('/');
    asked.origin() == registered.origin()
        && (asked.path() == registered.path() || asked.path().starts_with(&format!("{base}/")))
}

/// Back to the app: a fresh code for whoever is signed in, or `access_denied`.
fn decision(
    world: &mut World,
    redirect_uri: &str,
    state: &str,
    challenge: &str,
    approve: bool,
) -> Result<Redirect, Refusal> {
    if !approve {
        let error = (
            "access_denied",
            "The user has denied your application access.",
        );
        return Ok(back_with_error(world, redirect_uri, state, error));
    }
    let account = match &world.signed_in {
        SignedIn::Nobody => return Err((Status::Unauthorized, "nobody is signed in")),
        SignedIn::As(account) => account.clone(),
        SignedIn::OneOf(n) => {
            let id = rand::Rng::gen_range(&mut rand::thread_rng(), 1..=*n.max(&1));
            Account::numbered(id as i64)
        }
    };
    let code = format!("code{}", super::random_hex());
    let now = world.clock.now();
    // Unused codes expire; forgetting them keeps a long-running demo's memory bounded.
    world.codes.retain(|_, grant| grant.expires_at > now);
    let grant = Grant {
        account,
        challenge: challenge.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        expires_at: now + CODE_LIFETIME_SECS,
    };
    world.codes.insert(code.clone(), grant);
    world.issued_codes.push(code.clone());
    Ok(back(
        world,
        redirect_uri,
        &[("code", &code), ("state", state)],
    ))
}

fn back_with_error(world: &World, to: &str, state: &str, (error, why): (&str, &str)) -> Redirect {
    let uri = "https://docs.github.com/apps/troubleshooting-authorization-request-errors";
    let pairs = [
        ("error", error),
        ("error_description", why),
        ("error_uri", uri),
        ("state", state),
    ];
    back(world, to, &pairs)
}

/// A 302 to `to` with `pairs` added to its query, and `iss` as GitHub adds it (RFC 9207).
fn back(world: &World, to: &str, pairs: &[(&str, &str)]) -> Redirect {
    let mut url = url::Url::parse(to).expect("checked against the registered callback");
    url.query_pairs_mut()
        .extend_pairs(pairs)
        .append_pair("iss", &world.issuer);
    Redirect::found(url.to_string())
}

/// GitHub's consent page: who you are at GitHub, and Authorize or Cancel.
fn consent_page(
    world: &World,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    challenge: &str,
) -> Result<RawHtml<String>, Refusal> {
    let login = match &world.signed_in {
        SignedIn::As(account) => account.login.clone(),
        SignedIn::OneOf(_) => "one of many".to_owned(),
        SignedIn::Nobody => return Err((Status::Unauthorized, "nobody is signed in")),
    };
    let mut context = Context::new();
    context.insert("login", &login);
    context.insert(
        "action",
        &format!("{}/login/oauth/authorize", world.web_base),
    );
    context.insert("assets", &world.page_assets);
    context.insert("avatar", &world.avatar_url);
    context.insert("client_id", client_id);
    context.insert("redirect_uri", redirect_uri);
    context.insert("state", state);
    context.insert("code_challenge", challenge);
    // Autoescaping on: every value here came from the query string.
    Tera::one_off(include_str!("consent.html.tera"), &context, true)
        .map(RawHtml)
        .map_err(|_| {
            (
                Status::InternalServerError,
                "the consent page did not render",
            )
        })
}
