//! `GET /auth/check`: how a reverse proxy asks "who is this?" before letting a request
//! through to another service (nginx `auth_request`, Traefik `ForwardAuth`, Caddy
//! `forward_auth`).
//!
//! It answers with status and headers only. It never redirects and never starts a session:
//! the proxy sends a stranger on, to the sign-in URL this answer builds for it.
//!
//! `/auth/check?app=NAME` names the registered app behind the proxy: its rules apply on top
//! of the allow-lists (someone signed in whom they leave out is a 403), and the answer names
//! the person's groups that the rules or lists name. An app name gitlogin does not know is a
//! 403 and a log line, never an open gate: a typo in the proxy's configuration must not let
//! everyone through; nor may a misspelt or repeated parameter (`query.rs`).

use rocket::http::{Header, Status};
use rocket::request::{Outcome, Request};
use rocket::response::{self, Responder, Response};
use rocket::{get, routes, Route, State};

use crate::access::app_rules;
use crate::access::Standing;
use crate::auth::session::{AppAdmissions, CurrentUser, LookupFailed};
use crate::config::AppConfig;
use crate::identity::hosts;
use crate::models::apps;
use crate::ops::clock::Clock;
use crate::ops::logging::audit;
use crate::store::request_conn::OnDemand;
use rocket_db_pools::sqlx::AnyConnection;

mod proxied;
mod query;

use proxied::{AppCookies, Asked, Visitor};
use query::{BadQuery, CheckQuery};

pub fn routes() -> Vec<Route> {
    routes![check]
}

/// What the proxy learns: who (and the request's cookies that are not gitlogin's, for the
/// protected app; and, for a named app, the groups), or 401 with where to sign in (no live
/// session; the guard also applies the allow-lists, so someone taken off them is no longer
/// signed in; or a membership due for a recheck, which the sign-in does), 403 (the named app's rules leave them out, or there is no such app), or 503
/// (the store did not answer).
pub enum Verdict {
    SignedIn {
        login: String,
        email: Option<String>,
        github_id: i64,
        app_cookies: Option<String>,
        groups: Option<Vec<String>>,
    },
    SignIn(String),
    /// The redirect flavour's answer to a stranger's page navigation.
    Redirect(String),
    /// The redirect flavour's answer to anything else a stranger asks.
    Unauthorized,
    Forbidden,
    /// A query the proxy's configuration should not send.
    BadQuery,
    Unavailable,
}

#[allow(clippy::too_many_arguments)]
#[get("/auth/check")]
async fn check(
    query: Result<CheckQuery, BadQuery>,
    visitor: Outcome<Visitor, LookupFailed>,
    asked: Asked,
    app_cookies: AppCookies,
    config: &State<AppConfig>,
    clock: &State<Clock>,
    mut db: OnDemand<'_>,
    admissions: AppAdmissions<'_>,
) -> Verdict {
    let Ok(query) = query else {
        return Verdict::BadQuery;
    };
    let (app, flavour) = (query.app.as_deref(), Flavour::of(query.redirect.as_deref()));
    let current = match visitor {
        Outcome::Success(Visitor(Some(current))) => current,
        Outcome::Success(Visitor(None)) | Outcome::Forward(_) => {
            return stranger(&mut db, config, app, flavour, &asked).await
        }
        Outcome::Error(_) => return Verdict::Unavailable,
    };
    let groups = match app {
        None => None,
        Some(name) => {
            match for_app(&mut db, &admissions, config, name, &current, clock.now()).await {
                Ok(ForApp::Admitted(groups)) => Some(groups),
                // The app's membership rule is due for a recheck: the sign-in round trip does it.
                Ok(ForApp::Not(Standing::Unverified)) => {
                    return stranger(&mut db, config, app, flavour, &asked).await
                }
                Ok(ForApp::Not(_)) => return Verdict::Forbidden,
                Err(e) => {
                    rocket::error!("the store did not answer: {e}");
                    return Verdict::Unavailable;
                }
            }
        }
    };
    Verdict::SignedIn {
        login: current.user.login,
        email: current.user.email,
        github_id: current.user.github_id.0,
        app_cookies: app_cookies.0,
        groups,
    }
}

/// How the proxy treats an answer other than 2xx.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavour {
    /// nginx's `auth_request` takes 401 and 403 and turns anything else into a 500, so a
    /// stranger is a 401 and the sign-in URL in a header, for its `error_page` to redirect to.
    Header,
    /// Caddy's `forward_auth` and Traefik's ForwardAuth pass the answer to the browser as it
    /// is (`redirect=1`): a stranger's page navigation is the redirect itself.
    Redirect,
}

impl Flavour {
    fn of(redirect: Option<&str>) -> Flavour {
        match redirect {
            Some("1" | "true") => Flavour::Redirect,
            _ => Flavour::Header,
        }
    }
}

/// Not signed in here (or due for a recheck): where to sign in. The redirect flavour
/// redirects only a page navigation, and only back to one of the named app's hosts (the way
/// back is built from headers anyone can send); anything else is a bare 401.
async fn stranger(
    db: &mut OnDemand<'_>,
    config: &AppConfig,
    app: Option<&str>,
    flavour: Flavour,
    asked: &Asked,
) -> Verdict {
    let answer = match db.get().await {
        Ok(conn) => sign_in_answer(conn, config, app, flavour, asked).await,
        Err(e) => Err(e),
    };
    answer.unwrap_or_else(|e| {
        rocket::error!("the store did not answer: {e}");
        Verdict::Unavailable
    })
}

/// [`stranger`]'s answer, once the host's owner is known.
async fn sign_in_answer(
    conn: &mut AnyConnection,
    config: &AppConfig,
    app: Option<&str>,
    flavour: Flavour,
    asked: &Asked,
) -> Result<Verdict, rocket_db_pools::sqlx::Error> {
    let host = asked.host.as_deref().unwrap_or_default();
    let owner = apps::host_owner(conn, &host.to_ascii_lowercase()).await?;
    let foreign = hosts::ForeignHost::of(config, host, owner.as_deref(), app);
    let url = hosts::sign_in_url(config, foreign.as_ref(), &asked.next);
    if flavour == Flavour::Header {
        return Ok(Verdict::SignIn(url));
    }
    let apps_host = owner.is_some_and(|owner| app == Some(owner.as_str()));
    Ok(if asked.navigation && apps_host {
        Verdict::Redirect(url)
    } else {
        Verdict::Unauthorized
    })
}

/// Where this person stands with the app a check names.
enum ForApp {
    /// They may use it: the groups to tell it about.
    Admitted(Vec<String>),
    /// They may not now (refused also when there is no such app).
    Not(Standing),
}

/// Answered from memory when this session was let into the app since the store last changed
/// (`auth/session/memory.rs`), else from the store, and remembered.
async fn for_app(
    db: &mut OnDemand<'_>,
    admissions: &AppAdmissions<'_>,
    config: &AppConfig,
    name: &str,
    current: &CurrentUser,
    now: i64,
) -> Result<ForApp, rocket_db_pools::sqlx::Error> {
    let recheck = config.membership_recheck;
    if let Some(groups) = admissions.recall(current, name, recheck, now) {
        return Ok(ForApp::Admitted(groups));
    }
    let conn = db.get().await?;
    let Some(app) = apps::find_app(conn, name).await? else {
        audit!("forward auth refused: no app named {name:?} is registered");
        return Ok(ForApp::Not(Standing::Refused));
    };
    let standing = app_rules::pin_and_decide(conn, config, &app, &current.user, now).await?;
    if !standing.is_admitted() {
        return Ok(ForApp::Not(standing));
    }
    let groups = app_rules::groups(conn, config, &app, &current.user).await?;
    admissions.remember(current, name, &groups);
    Ok(ForApp::Admitted(groups))
}

impl<'r> Responder<'r, 'static> for Verdict {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let mut response = Response::build();
        match self {
            Verdict::SignedIn {
                login,
                email,
                github_id,
                app_cookies,
                groups,
            } => {
                response.status(Status::Ok);
                // Every header is sent, empty when there is nothing to say: Caddy 2.6's
                // `copy_headers` turns a missing one into its placeholder's literal text.
                response.header(Header::new("X-Auth-Request-User", header_safe(login)));
                let email = email.map(header_safe).unwrap_or_default();
                response.header(Header::new("X-Auth-Request-Email", email));
                response.header(Header::new(
                    "X-Auth-Request-Github-Id",
                    github_id.to_string(),
                ));
                let cookies = app_cookies.unwrap_or_default();
                response.header(Header::new("X-Auth-Request-Cookie", cookies));
                if let Some(groups) = groups {
                    let groups = header_safe(groups.join(","));
                    response.header(Header::new("X-Auth-Request-Groups", groups));
                }
            }
            Verdict::Forbidden => {
                response.status(Status::Forbidden);
            }
            Verdict::BadQuery => {
                response.status(Status::BadRequest);
            }
            Verdict::SignIn(url) => {
                response.status(Status::Unauthorized);
                response.header(Header::new("X-Auth-Request-Sign-In", url));
            }
            Verdict::Redirect(url) => {
                response.status(Status::Found);
                response.header(Header::new("Location", url));
            }
            Verdict::Unauthorized => {
                response.status(Status::Unauthorized);
            }
            Verdict::Unavailable => {
                response.status(Status::ServiceUnavailable);
            }
        }
        let answer = response.finalize();
        crate::ops::metrics::forward_auth(answer.status().code);
        Ok(answer)
    }
}

/// Header values come from GitHub; keep them to printable ASCII so nothing can be smuggled
/// into the proxy's request to the protected service.
fn header_safe(value: String) -> String {
    value.chars().filter(|c| c.is_ascii_graphic()).collect()
}
