//! What the proxy passes on with its question: who is asking (the session on gitlogin's host,
//! or a protected host's own cookie), what the browser asked for, and its cookies without
//! gitlogin's.

use rocket::request::{FromRequest, Outcome, Request};

use crate::auth::next::SafeNext;
use crate::auth::session::{self, CurrentUser, LiveSession, LookupFailed};

/// Who is asking, as the proxy passes it on: on gitlogin's own host the main session's owner;
/// on a protected host, the owner of that host's cookie (`hosts.rs`). `None` for a stranger,
/// and for a session due for a membership recheck.
pub(super) struct Visitor(pub(super) Option<CurrentUser>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Visitor {
    type Error = LookupFailed;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        match CurrentUser::from_request(req).await {
            Outcome::Success(current) => return Outcome::Success(Visitor(Some(current))),
            Outcome::Error(e) => return Outcome::Error(e),
            Outcome::Forward(_) => {}
        }
        let Some(host) = Asked::host_of(req) else {
            return Outcome::Success(Visitor(None));
        };
        match session::host_session(req, &host).await {
            Ok(Some(LiveSession {
                current,
                recheck_due: false,
            })) => Outcome::Success(Visitor(Some(current))),
            Ok(_) => Outcome::Success(Visitor(None)),
            Err(e) => Outcome::Error((e.status(), e)),
        }
    }
}

/// What the browser asked the proxy for: the address exactly as sent (`X-Original-URI`,
/// which the nginx example in docs/services.md fills from `$request_uri`, or `X-Forwarded-Uri`, which
/// Caddy and Traefik send), if it is a path; the host; and whether it is a page navigation.
pub(super) struct Asked {
    pub(super) next: SafeNext,
    pub(super) host: Option<String>,
    pub(super) navigation: bool,
}

impl Asked {
    /// `X-Forwarded-Host` (Caddy, Traefik), else `Host` (nginx passes the browser's on).
    fn host_of(req: &Request<'_>) -> Option<String> {
        let h = req.headers();
        h.get_one("X-Forwarded-Host")
            .or(h.get_one("Host"))
            .map(str::to_ascii_lowercase)
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Asked {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let h = req.headers();
        let asked_for = h.get_one("X-Original-URI").or(h.get_one("X-Forwarded-Uri"));
        let method = h.get_one("X-Forwarded-Method").unwrap_or("GET");
        // A browser says so (`Sec-Fetch-Mode: navigate`); one too old to, by asking for HTML.
        let navigates = match h.get_one("Sec-Fetch-Mode") {
            Some(mode) => mode == "navigate",
            None => h.get("Accept").any(|accept| accept.contains("text/html")),
        };
        Outcome::Success(Asked {
            next: asked_for.and_then(SafeNext::parse).unwrap_or_default(),
            host: Asked::host_of(req),
            navigation: method.eq_ignore_ascii_case("GET") && navigates,
        })
    }
}

/// The request's cookies without gitlogin's own, for the proxy to send to the protected app
/// in place of the browser's `Cookie` header. The session cookie is a full credential for
/// gitlogin (it reads the CSRF token, mints identity tokens, deletes the account): the app
/// behind the proxy has no use for it and must not hold it. `None` when nothing is left.
pub(super) struct AppCookies(pub(super) Option<String>);

/// gitlogin's cookies, by their names without the `__Host-` prefix. Both spellings are
/// dropped, so that a cookie left over from before `PUBLIC_URL` changed scheme goes too.
const GITLOGIN_COOKIES: [&str; 5] = [
    crate::auth::session::COOKIE,
    crate::auth::session::HOST_COOKIE,
    crate::identity::hosts::NONCE_COOKIE,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_gitlogins_cookies_are_dropped_in_either_spelling() {
        let headers = [
            "theme=dark; gitlogin_session=abc; __Host-gitlogin_session=def",
            "__Host-gitlogin_login=x;gitlogin_flash=y; app_session=z; gitlogin_sessionx=keep",
            "gitlogin_host=h; __Host-gitlogin_host_nonce=n; gitlogin_host_nonce=m",
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

    /// A tab or a byte beyond ASCII (which HTTP lets through in a header) would reach the
    /// app's `Cookie` header verbatim; a space inside a value is what browsers send.
    #[test]
    fn only_what_a_cookie_can_hold_is_passed_on() {
        let headers = ["a=one two; b=tab\there; c=caf\u{e9}; d=plain"];
        assert_eq!(
            without_gitlogin_cookies(headers.into_iter()).as_deref(),
            Some("a=one two; d=plain")
        );
    }
}
