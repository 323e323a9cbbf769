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
//! everyone through.

use rocket::http::{Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder, Response};
use rocket::{get, routes, Route, State};

use crate::auth::access::Standing;
use crate::auth::app_access;
use crate::auth::next::SafeNext;
use crate::auth::session::{CurrentUser, StoreUnavailable};
use crate::config::AppConfig;
use crate::models::apps;
use crate::ops::clock::Clock;
use crate::ops::logging::audit;
use crate::store::request_conn::RequestConn;
use rocket_db_pools::sqlx::AnyConnection;

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
    Forbidden,
    Unavailable,
}

#[get("/auth/check?<app>")]
async fn check(
    app: Option<&str>,
    current: Outcome<CurrentUser, StoreUnavailable>,
    asked_for: OriginalUri,
    app_cookies: AppCookies,
    config: &State<AppConfig>,
    clock: &State<Clock>,
    mut db: RequestConn,
) -> Verdict {
    let current = match current {
        Outcome::Success(current) => current,
        Outcome::Forward(_) => {
            return Verdict::SignIn(sign_in_url(&config.public_url, asked_for.0))
        }
        Outcome::Error(_) => return Verdict::Unavailable,
    };
    let groups = match app {
        None => None,
        Some(name) => match for_app(&mut db, config, name, &current, clock.now()).await {
            Ok(Ok(groups)) => Some(groups),
            // The app's membership rule is due for a recheck: the sign-in round trip does it.
            Ok(Err(Standing::Unverified)) => {
                return Verdict::SignIn(sign_in_url(&config.public_url, asked_for.0))
            }
            Ok(Err(_)) => return Verdict::Forbidden,
            Err(e) => {
                rocket::error!("the store did not answer: {e}");
                return Verdict::Unavailable;
            }
        },
    };
    Verdict::SignedIn {
        login: current.user.login,
        email: current.user.email,
        github_id: current.user.github_id.0,
        app_cookies: app_cookies.0,
        groups,
    }
}

/// The groups to tell the app `name` about this person, or where they stand if they may not
/// use it now (refused also when there is no such app).
async fn for_app(
    conn: &mut AnyConnection,
    config: &AppConfig,
    name: &str,
    current: &CurrentUser,
    now: i64,
) -> Result<Result<Vec<String>, Standing>, rocket_db_pools::sqlx::Error> {
    let Some(app) = apps::find_app(conn, name).await? else {
        audit!("forward auth refused: no app named {name:?} is registered");
        return Ok(Err(Standing::Refused));
    };
    let standing = app_access::admits(conn, config, &app, &current.user, now).await?;
    if !standing.is_admitted() {
        return Ok(Err(standing));
    }
    app_access::groups(conn, config, &app, &current.user)
        .await
        .map(Ok)
}

/// The absolute URL that signs a stranger in and brings them back to what they asked for.
///
/// The proxy cannot build this itself without a hole: nginx's `$uri` is percent-*decoded*,
/// so `return 302 /login?next=$uri` turns a request for `/x%0d%0aSet-Cookie:…` into a
/// response header of the requester's choosing (response splitting), and stock nginx cannot
/// encode it back. Here `next` is parsed as a [`SafeNext`] (an off-site, dot-segment or
/// control-character path becomes `/`) and percent-encoded whole, so the value is plain
/// ASCII and its query survives (`/page?a=1&b=2` comes back as itself, not cut at `&`).
fn sign_in_url(public_url: &str, next: SafeNext) -> String {
    let next: String = url::form_urlencoded::byte_serialize(next.as_str().as_bytes()).collect();
    format!("{public_url}/login?next={next}")
}

/// The address the browser asked the proxy for, exactly as sent (`X-Original-URI`, which the
/// README's nginx config fills from `$request_uri`), if it is a path on this site.
struct OriginalUri(SafeNext);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for OriginalUri {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let asked_for = req.headers().get_one("X-Original-URI");
        Outcome::Success(OriginalUri(
            asked_for.and_then(SafeNext::parse).unwrap_or_default(),
        ))
    }
}

/// The request's cookies without gitlogin's own, for the proxy to send to the protected app
/// in place of the browser's `Cookie` header. The session cookie is a full credential for
/// gitlogin (it reads the CSRF token, mints identity tokens, deletes the account): the app
/// behind the proxy has no use for it and must not hold it. `None` when nothing is left.
struct AppCookies(Option<String>);

/// gitlogin's cookies, by their names without the `__Host-` prefix. Both spellings are
/// dropped, so that a cookie left over from before `PUBLIC_URL` changed scheme goes too.
const GITLOGIN_COOKIES: [&str; 3] = [
    crate::auth::session::COOKIE,
    crate::auth::pending::COOKIE,
    crate::web::flash::COOKIE,
];

#[rocket::async_trait]
impl<'r> FromRequest<'r> for AppCookies {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(AppCookies(without_gitlogin_cookies(
            req.headers().get("Cookie"),
        )))
    }
}

fn without_gitlogin_cookies<'a>(headers: impl Iterator<Item = &'a str>) -> Option<String> {
    let kept: Vec<&str> = headers
        .flat_map(|header| header.split(';'))
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        // Header values come from the browser: pass on only what a cookie can hold.
        .filter(|pair| pair.chars().all(|c| c.is_ascii_graphic() || c == ' '))
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or_default().trim();
            let name = name.strip_prefix("__Host-").unwrap_or(name);
            !GITLOGIN_COOKIES.contains(&name)
        })
        .collect();
    (!kept.is_empty()).then(|| kept.join("; "))
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
                response.header(Header::new("X-Auth-Request-User", header_safe(login)));
                if let Some(email) = email {
                    response.header(Header::new("X-Auth-Request-Email", header_safe(email)));
                }
                response.header(Header::new(
                    "X-Auth-Request-Github-Id",
                    github_id.to_string(),
                ));
                if let Some(cookies) = app_cookies {
                    response.header(Header::new("X-Auth-Request-Cookie", cookies));
                }
                if let Some(groups) = groups {
                    let groups = header_safe(groups.join(","));
                    response.header(Header::new("X-Auth-Request-Groups", groups));
                }
            }
            Verdict::Forbidden => {
                response.status(Status::Forbidden);
            }
            Verdict::SignIn(url) => {
                response.status(Status::Unauthorized);
                response.header(Header::new("X-Auth-Request-Sign-In", url));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_gitlogins_cookies_are_dropped_in_either_spelling() {
        let headers = [
            "theme=dark; gitlogin_session=abc; __Host-gitlogin_session=def",
            "__Host-gitlogin_login=x;gitlogin_flash=y; app_session=z; gitlogin_sessionx=keep",
        ];
        assert_eq!(
            without_gitlogin_cookies(headers.into_iter()).as_deref(),
            Some("theme=dark; app_session=z; gitlogin_sessionx=keep")
        );
        assert_eq!(
            without_gitlogin_cookies(["gitlogin_session=abc"].into_iter()),
            None
        );
        assert_eq!(without_gitlogin_cookies(std::iter::empty()), None);
    }

    #[test]
    fn the_sign_in_url_carries_next_encoded_whole() {
        let next = SafeNext::parse("/internal/page?a=1&b=2").unwrap();
        assert_eq!(
            sign_in_url("https://login.example", next),
            "https://login.example/login?next=%2Finternal%2Fpage%3Fa%3D1%26b%3D2"
        );
    }
}
