//! Step 3: the first time a person uses an app, gitlogin asks them, on a page of its own
//! that names the app and says in plain words what it will receive; Allow and Deny are a POST
//! checked like every other one here (the session, the same-origin check, the session's CSRF
//! token), so a page on another site can neither press Allow for someone nor learn a code by
//! trying. A yes is remembered per person and app, and for each API the app asked for, per
//! scope of it, until they revoke the app on the About page. Allow gives no more than the
//! page showed.

use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{post, routes, Route, State};
use rocket_db_pools::sqlx::{AnyConnection, Connection};
use serde::Serialize;

use super::api_grants::{self, Offer, OfferedApi};
use super::authorize;
use super::request::AuthRequest;
use crate::access::app_rules;
use crate::auth::csrf::{CheckedPost, CsrfForm};
use crate::auth::session::CurrentUser;
use crate::config::AppConfig;
use crate::models::apps::{self, StoredApp};
use crate::models::{authorize_requests, consents, Event, Outbox, SessionRow};
use crate::ops::clock::Clock;
use crate::ops::logging::audit;
use crate::ops::random::{sha256_hex, token};
use crate::web::error_pages::ErrorPage;
use crate::web::templates::Page;

pub fn routes() -> Vec<Route> {
    routes![answer]
}

/// What each scope gives the app, as the page says it.
pub(super) fn in_words(scope: &str) -> Option<&'static str> {
    Some(match scope {
        "openid" => "who you are on GitHub: your login and GitHub id",
        "profile" => "your name and picture, as GitHub shows them",
        "email" => "your verified email address",
        "groups" => "which of the organisations and teams its rules, and those of the services it calls for you, name you are in",
        "offline_access" => "access while you are away, until you revoke it on your About page",
        _ => return None,
    })
}

#[derive(Serialize)]
struct ConsentPage<'a> {
    app: &'a str,
    gives: Vec<&'static str>,
    apis: Vec<ApiWords<'a>>,
    request: &'a str,
    csrf_token: &'a str,
    login: &'a str,
}

/// An API the app will call for the person, with the scopes it will hold there.
#[derive(Serialize)]
pub(super) struct ApiWords<'a> {
    name: &'a str,
    scopes: Vec<&'a str>,
}

/// Each of `apis` as a page names it.
pub(super) fn api_words(apis: &[OfferedApi]) -> Vec<ApiWords<'_>> {
    apis.iter()
        .map(|api| ApiWords {
            name: &api.name,
            scopes: api
                .grant
                .scope
                .split(' ')
                .filter(|s| !s.is_empty())
                .collect(),
        })
        .collect()
}

/// The page, for the request kept as `id`, which brings the app tokens for `apis`.
pub(super) fn page(
    app: &StoredApp,
    request: &AuthRequest,
    apis: &[OfferedApi],
    id: &str,
    current: &CurrentUser,
) -> Page {
    let apis = api_words(apis);
    let context = ConsentPage {
        app: &app.name,
        gives: request.scope.split(' ').filter_map(in_words).collect(),
        apis,
        request: id,
        csrf_token: current.csrf_token(),
        login: &current.user.login,
    };
    Page::render("consent.html.tera", context)
}

/// A request waits this long for its person to answer the page.
const REQUEST_LIFETIME_SECS: i64 = 10 * 60;

/// The most requests kept per session; a newer one replaces the oldest. A person has one
/// consent page open at a time, or a few in tabs; the cap keeps a signed-in script that
/// reloads the page from filling the store, as strangers cannot.
const REQUESTS_PER_SESSION: i64 = 5;

/// Keeps `request` for this session while its page is open; the id the page's form names.
pub(crate) async fn keep(
    conn: &mut AnyConnection,
    session: &SessionRow,
    request: &AuthRequest,
    now: i64,
) -> Result<String, rocket_db_pools::sqlx::Error> {
    let id = token();
    let saved = serde_json::to_string(request).unwrap_or_default();
    let kept = authorize_requests::WaitingRequest {
        id_hash: &sha256_hex(&id),
        session_id_hash: &session.id_hash,
        app_id: request.app_id,
        request: &saved,
        expires_at: now + REQUEST_LIFETIME_SECS,
    };
    authorize_requests::save(conn, &kept, REQUESTS_PER_SESSION).await?;
    Ok(id)
}

/// The page for a request that has expired, was answered or replaced, or is another
/// browser's.
pub(super) fn gone() -> ErrorPage {
    ErrorPage::new(
        Status::BadRequest,
        "This sign-in request has expired or was already answered. Go back to the app and sign in again.",
    )
}

/// The app of a request checked earlier, unless it was removed meanwhile.
pub(super) async fn app_of(
    conn: &mut AnyConnection,
    request: &AuthRequest,
) -> Result<StoredApp, ErrorPage> {
    apps::find_app_by_client_id(conn, &request.client_id)
        .await
        .map_err(ErrorPage::store_unavailable)?
        .filter(|app| app.id == request.app_id)
        .ok_or_else(gone)
}

/// This session's kept request `id` and its app.
pub(crate) async fn kept_request(
    conn: &mut AnyConnection,
    id: &str,
    session: &SessionRow,
    now: i64,
) -> Result<(StoredApp, AuthRequest), ErrorPage> {
    let kept = authorize_requests::find(conn, &sha256_hex(id), &session.id_hash, now)
        .await
        .map_err(ErrorPage::store_unavailable)?
        .ok_or_else(gone)?;
    let request: AuthRequest = serde_json::from_str(&kept).map_err(|_| gone())?;
    Ok((app_of(conn, &request).await?, request))
}

#[derive(FromForm)]
struct ConsentForm<'r> {
    csrf_token: Option<&'r str>,
    request: &'r str,
    decision: &'r str,
}

impl CsrfForm for ConsentForm<'_> {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token
    }
}

/// The person's answer on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Choice {
    Allow,
    Deny,
}

/// Allow or Deny. Either answer ends the kept request; only Allow is remembered.
#[post("/oauth/authorize/consent", data = "<post>")]
async fn answer(
    post: CheckedPost<ConsentForm<'_>>,
    config: &State<AppConfig>,
    outbox: &State<Outbox>,
    clock: &State<Clock>,
) -> Result<Redirect, ErrorPage> {
    let CheckedPost {
        session: current,
        form,
        mut db,
    } = post;
    let now = clock.now();
    let (app, request) = kept_request(&mut db, form.request, &current.session, now).await?;
    // Only the Allow button's value allows: anything else the form says is a no.
    let given = match form.decision {
        "allow" => Choice::Allow,
        _ => Choice::Deny,
    };
    let at = Answering {
        config,
        outbox,
        now,
        current: &current,
    };
    let outcome = record(&mut db, &at, form.request, &app, &request, given)
        .await
        .map_err(ErrorPage::store_unavailable)?;
    let issuer = &config.public_url;
    Ok(match outcome {
        ConsentOutcome::Granted { code } => request.back().with_code(&code, issuer),
        ConsentOutcome::Denied => request.back().with_error("access_denied", issuer),
    })
}

/// What the consent step ends in.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ConsentOutcome {
    /// Remembered; the app gets this code.
    Granted { code: String },
    /// Deny, or someone the app's rules no longer admit: `access_denied` (RFC 6749 4.1.2.1).
    Denied,
}

/// Who answers, when, and what records it.
pub(crate) struct Answering<'a> {
    pub(crate) config: &'a AppConfig,
    pub(crate) outbox: &'a Outbox,
    pub(crate) now: i64,
    pub(crate) current: &'a CurrentUser,
}

/// The consent step: the kept request `id` ends; a yes from someone the app's rules still
/// admit is remembered, with its event, and gets a code.
pub(crate) async fn record(
    conn: &mut AnyConnection,
    at: &Answering<'_>,
    id: &str,
    app: &StoredApp,
    request: &AuthRequest,
    given: Choice,
) -> Result<ConsentOutcome, rocket_db_pools::sqlx::Error> {
    authorize_requests::delete(conn, &sha256_hex(id), at.now).await?;
    if given == Choice::Deny {
        return Ok(ConsentOutcome::Denied);
    }
    let Some(apis) = remember_yes(conn, at, app, request).await? else {
        return Ok(ConsentOutcome::Denied);
    };
    let code = authorize::issue_code(conn, at.now, at.current, request, &apis).await?;
    Ok(ConsentOutcome::Granted { code })
}

/// A yes to `request`, from the page or a device's approval: remembered, with its event, if
/// the app's rules still admit the person; the APIs it gives tokens for. `None`: a no after
/// all (the rules changed while the page was open, or an API's membership rule is due for a
/// recheck, which a page cannot do).
pub(crate) async fn remember_yes(
    conn: &mut AnyConnection,
    at: &Answering<'_>,
    app: &StoredApp,
    request: &AuthRequest,
) -> Result<Option<Vec<OfferedApi>>, rocket_db_pools::sqlx::Error> {
    let (now, user) = (at.now, &at.current.user);
    if !app_rules::pin_and_decide(conn, at.config, app, user, now)
        .await?
        .is_admitted()
    {
        return Ok(None);
    }
    let now_granted = match api_grants::for_person(conn, at.config, request, user, now).await? {
        Offer::Apis(apis) => apis,
        Offer::RecheckDue => return Ok(None),
    };
    let apis = api_grants::as_shown(now_granted, &request.shown);
    let granted = consents::consented_scope(conn, app.id, user.id).await?;
    let scope = super::request::union(granted.as_deref().unwrap_or(""), &request.scope);
    // The consent and its event, together or not at all.
    let mut tx = conn.begin().await?;
    consents::consent(&mut tx, app.id, user.id, &scope, now).await?;
    for api in &apis {
        api_grants::remember(&mut tx, (app.id, user.id), &api.grant, now).await?;
    }
    let event = Event::AppConsented;
    at.outbox
        .add(&mut tx, event, user.github_id, &user.login, Some(&app.name))
        .await?;
    tx.commit().await?;
    at.outbox.ring();
    audit!(
        "app consented app={:?} github_id={} login={:?}",
        app.name,
        user.github_id.0,
        user.login
    );
    Ok(Some(apis))
}
