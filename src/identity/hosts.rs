//! One sign-in in front of many hosts: `login.example.com` signs people in for
//! `wiki.example.com`, `grafana.example.com`, … each registered as an app's `--host`.
//!
//! gitlogin's session cookie is host-only (`__Host-` behind https), so it never reaches another
//! host, and no cookie is shared across a parent domain (a sibling subdomain could read or
//! plant one). Each protected host gets a cookie of its own instead, in four steps:
//!
//! 1. The host's proxy asks `/auth/check`; a stranger there is sent to the host's own
//!    `/_gitlogin/start?next=/path` ([`sign_in_url`]).
//! 2. On the protected host (its proxy routes `/_gitlogin/` here): a nonce cookie marks this
//!    browser, and it goes on to `{PUBLIC_URL}/auth/host?host=H&next=/path&nonce=…`
//!    (`nonce.rs`).
//! 3. On gitlogin's host, after the sign-in if need be: `H` must be a registered host that is
//!    not gitlogin's own (never redirected to otherwise: no open redirect) whose app admits
//!    the person; a one-time ticket (random, single use, 60 s, bound to `H`, to this main
//!    session and to the nonce) is issued and the browser sent to
//!    `H/_gitlogin/ticket?ticket=…` (`ticket.rs`).
//! 4. On `H` again: the ticket is redeemed only beside its nonce cookie, and sets a host-only
//!    cookie on `H` for a host session that is a child of the main session; the browser goes
//!    on to the path. Signing out at gitlogin ends the main session, and every host session
//!    with it.

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder};
use rocket::Route;

use crate::auth::next::SafeNext;
use crate::config::AppConfig;
use crate::web::error_pages::ErrorPage;

mod nonce;
mod ticket;

pub(crate) use nonce::COOKIE as NONCE_COOKIE;

pub fn routes() -> Vec<Route> {
    let mut routes = nonce::routes();
    routes.extend(ticket::routes());
    routes
}

/// Where a stranger at the proxy signs in. On a host registered for `app` other than
/// gitlogin's own, that host's `/_gitlogin/start`, which marks the browser and brings it
/// through gitlogin's host back there; anywhere else, the plain sign-in, back to the path on
/// gitlogin's host.
///
/// The proxy cannot build this itself without a hole: nginx's `$uri` is percent-*decoded*,
/// so `return 302 /login?next=$uri` turns a request for `/x%0d%0aSet-Cookie:…` into a
/// response header of the requester's choosing (response splitting), and stock nginx cannot
/// encode it back. Here `next` is a [`SafeNext`] (an off-site, dot-segment or
/// control-character path becomes `/`) percent-encoded whole, so the value is plain ASCII and
/// its query survives (`/page?a=1&b=2` comes back as itself, not cut at `&`).
pub fn sign_in_url(config: &AppConfig, host: Option<&ForeignHost>, next: &SafeNext) -> String {
    let next = encode(next.as_str());
    match host {
        Some(host) => format!("{}/_gitlogin/start?next={next}", host.origin(config)),
        None => format!("{}/login?next={next}", config.public_url),
    }
}

/// A host registered for an app that is not gitlogin's own: a cookie there takes a ticket.
pub struct ForeignHost(String);

impl ForeignHost {
    /// `host` (lowercased), when it is registered (`owner`: its app, from
    /// `apps::host_owner`) for `app` (for any app, without one) and is not gitlogin's own host.
    pub fn of(
        config: &AppConfig,
        host: &str,
        owner: Option<&str>,
        app: Option<&str>,
    ) -> Option<ForeignHost> {
        let host = host.to_ascii_lowercase();
        if public_host(config).is_some_and(|own| own == host) {
            return None;
        }
        let registered = owner.is_some_and(|owner| app.is_none_or(|app| app == owner));
        registered.then_some(ForeignHost(host))
    }

    fn as_str(&self) -> &str {
        &self.0
    }

    /// `scheme://host`, the scheme `PUBLIC_URL`'s: the protected hosts are served as gitlogin is.
    fn origin(&self, config: &AppConfig) -> String {
        let scheme = if config.https { "https" } else { "http" };
        format!("{scheme}://{}", self.0)
    }
}

/// `host[:port]` of `PUBLIC_URL`, as browsers send it in `Host`.
pub fn public_host(config: &AppConfig) -> Option<String> {
    let url = url::Url::parse(&config.public_url).ok()?;
    let host = url.host_str()?.to_ascii_lowercase();
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The `Host` the browser asked for, lowercased.
pub struct RequestHost(pub String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for RequestHost {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match req.headers().get_one("Host") {
            Some(host) => Outcome::Success(RequestHost(host.to_ascii_lowercase())),
            None => Outcome::Error((Status::BadRequest, ())),
        }
    }
}

/// An error answered on a protected host, as plain text: its proxy routes only `/_gitlogin/`
/// to gitlogin, so the error page's stylesheet would be asked of the app behind it.
pub struct OnHost(ErrorPage);

impl From<ErrorPage> for OnHost {
    fn from(page: ErrorPage) -> OnHost {
        OnHost(page)
    }
}

impl<'r> Responder<'r, 'static> for OnHost {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        (self.0.status, self.0.message.into_owned()).respond_to(req)
    }
}
