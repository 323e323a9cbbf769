//! Signing in with GitHub, in the order it happens:
//!
//! 1. `GET /login?next=/about`: remember a fresh `state`, a PKCE verifier and where to go
//!    next in a private cookie, then send the browser to GitHub's authorize page.
//! 2. GitHub asks the person, then sends the browser to `GET /login/callback?code&state`.
//! 3. The callback checks `iss` and `state`, trades the code (with the verifier) for an
//!    access token, asks GitHub's `/user` who it belongs to, revokes the token at GitHub
//!    (`oauth.rs`: no live GitHub credential outlives the sign-in), lets access decide,
//!    stores the user by GitHub id with a new server-side session (ending the one this
//!    browser had), and sends the browser on.
//! 4. `POST /logout` deletes that session.
//!
//! Each sign-in and sign-out also leaves an event in the outbox, in the same transaction,
//! when `EVENTS_URL` is set (`models/events.rs`). Who may get in is decided beside all this,
//! in `src/access.rs`: the sign-in calls it by name (`access::…`), and reads the same with
//! those calls skipped.
//!
//! The guard that protects pages (`CurrentUser`) is in `session.rs`.

pub(crate) mod csrf;
pub(crate) mod login_error;
pub(crate) mod next;
mod oauth;
pub(crate) mod pending;
pub mod purge;
pub(crate) mod session;
pub(crate) mod signed_out;

use std::future::Future;

use oauth2::{
    AccessToken, AuthorizationCode, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, Scope,
    TokenResponse,
};
use rocket::fairing::AdHoc;
use rocket::form::FromForm;
use rocket::http::CookieJar;
use rocket::response::Redirect;
use rocket::tokio::time::Instant;
use rocket::{get, post, routes, uri, State};

use crate::access;
use crate::config::{AppConfig, ConfigError};
use crate::github::{GithubError, GithubUser};
use crate::models::{self, Outbox};
use crate::ops::clock::Clock;
use crate::ops::logging::audit;
use crate::ops::metrics;
use crate::store::pool::Db;
use crate::web::cookies::CookiePolicy;
use crate::web::error_pages::ErrorPage;
use crate::web::flash::Flash;
use csrf::{CheckedPost, CsrfField};
use login_error::LoginError;
use next::SafeNext;
pub use oauth::{oauth_client, Github, GithubOAuth};
use pending::PendingLogin;
use session::{LiveSession, NewSession, UserAgent};
use signed_out::SignedOut;

/// What the sign-in's two steps share, built once at start-up and managed.
pub(crate) struct SignIn {
    github: Github,
    config: AppConfig,
    clock: Clock,
    policy: CookiePolicy,
    outbox: Outbox,
}

/// The sign-in's routes and what they share, and the purge of dead sessions.
pub(crate) fn stage(
    config: &AppConfig,
    clock: &Clock,
    outbox: &Outbox,
) -> Result<AdHoc, ConfigError> {
    let sign_in = SignIn {
        github: Github::new(config).map_err(ConfigError::Other)?,
        config: config.clone(),
        clock: clock.clone(),
        policy: CookiePolicy::new(config),
        outbox: outbox.clone(),
    };
    Ok(AdHoc::on_ignite("Sign-in", |rocket| async {
        rocket
            .manage(sign_in)
            .manage(session::Sessions::default())
            .attach(purge::stage())
            .mount("/", routes![login, callback, logout, logout_signed_out])
    }))
}

/// Step 1: start a sign-in. `next` is kept only if it is a path on this site; anything else
/// (`https://evil.example`, `//evil.example`, ...) fails to parse and becomes `/`.
#[get("/login?<next>")]
pub(crate) async fn login(
    next: Option<SafeNext>,
    sign_in: &State<SignIn>,
    jar: &CookieJar<'_>,
    db: &Db,
) -> Result<Redirect, LoginError> {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = sign_in
        .github
        .oauth
        .authorize_url(|| CsrfToken::new(crate::ops::random::token()))
        // `user:email`: enough to read the primary verified address, nothing else. (GitHub
        // reports granted scopes comma-separated; the oauth2 crate sends them space-separated.)
        .add_scope(Scope::new("user:email".into()))
        .set_pkce_challenge(challenge);
    if access::asks_read_org(db, &sign_in.config.access).await? {
        request = request.add_scope(Scope::new("read:org".into()));
    }
    let (authorize_url, state) = request.url();
    PendingLogin {
        state: state.into_secret(),
        verifier: verifier.into_secret(),
        next: next.unwrap_or_default(),
        expires_at: sign_in.clock.now() + pending::LIFETIME_SECS,
    }
    // In a `SameSite=Lax` cookie: a `Strict` one would not come back from GitHub (cookies.rs).
    .store(jar, &sign_in.policy);
    Ok(Redirect::to(authorize_url.to_string()))
}

/// The query of GitHub's redirect back (`error_description` and the like are ignored).
#[derive(FromForm)]
struct Callback<'r> {
    code: Option<&'r str>,
    state: Option<&'r str>,
    error: Option<&'r str>,
    iss: Option<&'r str>,
}

/// Step 3: GitHub sent the browser back. Nothing here trusts the query string until the
/// `state` in it matches the one in this browser's pending-sign-in cookie.
#[get("/login/callback?<query..>")]
async fn callback(
    query: Callback<'_>,
    sign_in: &State<SignIn>,
    user_agent: UserAgent<'_>,
    jar: &CookieJar<'_>,
    db: &Db,
) -> Result<Redirect, LoginError> {
    let SignIn {
        github,
        config,
        clock,
        policy,
        outbox,
    } = sign_in.inner();
    // Taken (and its cookie removed) before anything else: a pending sign-in is single use.
    let pending = PendingLogin::take(jar, policy, clock.now());

    // RFC 9207: a callback that names another issuer was meant for another authorization
    // server (a mix-up attack); its code must not be sent to GitHub. GitHub Enterprise
    // Server sends no `iss`, so an absent one is accepted.
    if query.iss.is_some_and(|iss| iss != github.issuer) {
        return Err(LoginError::BadIssuer);
    }
    match query.error {
        Some("access_denied") => return Err(LoginError::Denied),
        Some(other) => return Err(LoginError::GithubRefused(login_error::error_code(other))),
        None => {}
    }
    let pending = pending.ok_or(LoginError::Expired)?;
    if !query
        .state
        .is_some_and(|s| !s.is_empty() && s == pending.state)
    {
        return Err(LoginError::BadState);
    }
    let code = query
        .code
        .filter(|c| !c.is_empty())
        .ok_or(LoginError::MissingCode)?;

    // Everything asked of GitHub, within one overall deadline: a sign-in makes several calls,
    // and each one's own timeout alone would let a slow GitHub hold this request for much
    // longer. (The HTTP client follows no redirects and reads no answer past 1 MiB: github.rs.)
    let deadline = Instant::now() + config.github.timeout;
    let token = within(deadline, exchange(github, code, pending.verifier)).await?;
    let answered = ask_github(github, config, db, token.secret(), deadline).await;
    // The token's work is done, whatever GitHub answered: it dies at GitHub before this
    // request returns, and is dropped here.
    github.forget_token(token.secret()).await;
    let (github_user, asked) = answered?;

    let now = clock.now();
    let admitted = access::decide_at_sign_in(db, config, outbox, &github_user, asked, now)
        .await
        .map_err(|stopped| login_error::stopped(stopped, config, &github_user))?;
    let new_session = NewSession::generate(now, &config.sessions, user_agent.0);
    let replaced = session::replaced_by_sign_in(jar, policy);
    let user = models::record_sign_in(
        db,
        outbox,
        &github_user,
        &admitted.memberships,
        replaced.as_deref(),
        &new_session.row,
        now,
    )
    .await?;
    access::end_what_github_no_longer_allows(db, config, &admitted, &user, now).await?;
    audit!(
        "sign-in ok github_id={} login={:?}",
        user.github_id.0,
        user.login
    );
    metrics::sign_in("ok");
    new_session.set_cookie(jar, policy);
    Flash::SignedIn { login: user.login }.set(jar, policy);
    Ok(Redirect::to(pending.next.as_str().to_owned()))
}

/// Code + PKCE verifier (+ client secret) for a token, used by [`ask_github`] only, never stored.
async fn exchange(
    github: &Github,
    code: &str,
    verifier: String,
) -> Result<AccessToken, LoginError> {
    let token = github
        .oauth
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier))
        .request_async(&github.http)
        .await
        .map_err(login_error::classify_token_error)?;
    Ok(token.access_token().clone())
}

/// Who the token belongs to, and the memberships that decide what they may use.
async fn ask_github(
    github: &Github,
    config: &AppConfig,
    db: &Db,
    token: &str,
    deadline: Instant,
) -> Result<(GithubUser, access::Asked), LoginError> {
    let user = within(deadline, github.api.signed_in_user(token)).await?;
    let asked = access::ask_memberships(db, &config.access, (&github.api, token), deadline)
        .await
        .map_err(|stopped| login_error::stopped(stopped, config, &user))?;
    Ok((user, asked))
}

/// `step`, or a timeout once the sign-in's deadline for GitHub has passed.
async fn within<T, E>(
    deadline: Instant,
    step: impl Future<Output = Result<T, E>>,
) -> Result<T, LoginError>
where
    LoginError: From<E>,
{
    match rocket::tokio::time::timeout_at(deadline, step).await {
        Ok(answer) => Ok(answer?),
        Err(_) => Err(LoginError::Github(GithubError::Timeout)),
    }
}

/// Step 4: sign out. A POST with the session's CSRF token from this site's own pages; a
/// `GET /logout` (a link, an `<img>` on another site) matches no route and changes nothing.
/// A session due for a membership recheck may sign out too: that needs no membership.
#[post("/logout", data = "<post>")]
async fn logout(
    post: CheckedPost<CsrfField<'_>, LiveSession>,
    policy: &State<CookiePolicy>,
    outbox: &State<Outbox>,
    jar: &CookieJar<'_>,
) -> Result<SignedOut, ErrorPage> {
    let (current, mut db) = (post.session.current, post.db);
    let ended = &current.session.id_hash;
    models::sign_out(&mut db, outbox, &current.user, ended)
        .await
        .map_err(ErrorPage::store_unavailable)?;
    Ok(SignedOut::finish(&current, jar, policy))
}

/// Signing out without a session has nothing to do.
#[post("/logout", rank = 2)]
fn logout_signed_out() -> Redirect {
    Redirect::to(uri!("/"))
}
