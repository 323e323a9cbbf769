//! One sign-in in front of many hosts: `login.example.com` signs people in for
//! `wiki.example.com`, `grafana.example.com`, … each registered as an app's `--host`.
//!
//! gitlogin's session cookie is host-only (`__Host-` behind https), so it never reaches another
//! host, and no cookie is shared across a parent domain (a sibling subdomain could read or
//! plant one). Each protected host gets a cookie of its own instead, in three steps:
//!
//! 1. The host's proxy asks `/auth/check`; a stranger there is sent to
//!    `GET {PUBLIC_URL}/auth/host?host=H&next=/path` ([`sign_in_url`]).
//! 2. On gitlogin's host, after the sign-in if need be: `H` must be a registered host (never
//!    redirected to otherwise: no open redirect) whose app admits the person; a one-time
//!    ticket (random, single use, 60 s, bound to `H` and to this main session) is issued and
//!    the browser sent to `H/_gitlogin/ticket?ticket=…`.
//! 3. `H`'s proxy routes `/_gitlogin/` to gitlogin, which redeems the ticket (only on `H`),
//!    sets a host-only cookie on `H` for a host session that is a child of the main session,
//!    and sends the browser on to the path. Signing out at gitlogin ends the main session,
//!    and every host session with it.

use rocket::http::{CookieJar, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::Redirect;
use rocket::{get, routes, Route, State};
use time::Duration;

use crate::auth::access::Standing;
use crate::auth::app_access;
use crate::auth::next::SafeNext;
use crate::auth::session::{self, CurrentUser, StoreUnavailable, HOST_COOKIE};
use crate::config::AppConfig;
use crate::models::{self, apps, hosts};
use crate::ops::clock::Clock;
use crate::ops::logging::audit;
use crate::ops::random::sha256_hex;
use crate::store::request_conn::RequestConn;
use crate::web::cookies::CookiePolicy;
use crate::web::error_pages::ErrorPage;

pub fn routes() -> Vec<Route> {
    routes![start, redeem]
}

/// Where a stranger at the proxy signs in. On a host registered for `app` other than
/// gitlogin's own, through `/auth/host`, which brings them back there; anywhere else, the
/// plain sign-in, back to the path on gitlogin's host.
///
/// The proxy cannot build this itself without a hole: nginx's `$uri` is percent-*decoded*,
/// so `return 302 /login?next=$uri` turns a request for `/x%0d%0aSet-Cookie:…` into a
/// response header of the requester's choosing (response splitting), and stock nginx cannot
/// encode it back. Here `next` is a [`SafeNext`] (an off-site, dot-segment or
/// control-character path becomes `/`) percent-encoded whole, so the value is plain ASCII and
/// its query survives (`/page?a=1&b=2` comes back as itself, not cut at `&`).
pub fn sign_in_url(config: &AppConfig, host: Option<&ForeignHost>, next: &SafeNext) -> String {
    let public_url = &config.public_url;
    let next = encode(next.as_str());
    match host {
        Some(ForeignHost(host)) => format!("{public_url}/auth/host?host={host}&next={next}"),
        None => format!("{public_url}/login?next={next}"),
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

/// Step 2, on gitlogin's host.
#[get("/auth/host?<host>&<next>")]
async fn start(
    host: &str,
    next: Option<SafeNext>,
    current: Outcome<CurrentUser, StoreUnavailable>,
    config: &State<AppConfig>,
    clock: &State<Clock>,
    mut db: RequestConn,
) -> Result<Redirect, ErrorPage> {
    let next = next.unwrap_or_default();
    let host = host.to_ascii_lowercase();
    let store = ErrorPage::store_unavailable;
    let Some(app) = apps::host_owner(&mut db, &host).await.map_err(store)? else {
        audit!("host sign-in refused: {host:?} is not a registered host");
        return Err(ErrorPage::new(
            Status::BadRequest,
            "That address is not one this sign-in service signs people in to, so you were not sent there.",
        ));
    };
    let here = format!(
        "/auth/host?host={}&next={}",
        encode(&host),
        encode(next.as_str())
    );
    let sign_in_first = || Redirect::to(format!("/login?next={}", encode(&here)));
    let current = match current {
        Outcome::Success(current) => current,
        Outcome::Forward(_) => return Ok(sign_in_first()),
        Outcome::Error(_) => return Err(ErrorPage::for_status(Status::ServiceUnavailable)),
    };
    let app = apps::find_app(&mut db, &app).await.map_err(store)?;
    let now = clock.now();
    let standing = match &app {
        Some(app) => app_access::admits(&mut db, config, app, &current.user, now)
            .await
            .map_err(store)?,
        None => Standing::Refused,
    };
    match standing {
        Standing::Admitted => {}
        // The app's membership rule is due for a recheck: the sign-in round trip does it.
        Standing::Unverified => return Ok(sign_in_first()),
        Standing::Refused => {
            return Err(ErrorPage::new(
                Status::Forbidden,
                "You are signed in, but this app only lets in the people its administrator has listed, and you are not one of them.",
            ))
        }
    }
    let (ticket, ticket_hash) = session::new_id();
    let main = &current.session.id_hash;
    hosts::issue_ticket(&mut db, &ticket_hash, main, &host, next.as_str(), now)
        .await
        .map_err(store)?;
    let scheme = if config.https { "https" } else { "http" };
    Ok(Redirect::to(format!(
        "{scheme}://{host}/_gitlogin/ticket?ticket={ticket}"
    )))
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

/// Step 3, on the protected host (its proxy routes `/_gitlogin/` here).
#[get("/_gitlogin/ticket?<ticket>")]
async fn redeem(
    ticket: &str,
    host: RequestHost,
    policy: &State<CookiePolicy>,
    config: &State<AppConfig>,
    clock: &State<Clock>,
    jar: &CookieJar<'_>,
    mut db: RequestConn,
) -> Result<Redirect, ErrorPage> {
    let expired = || {
        ErrorPage::new(
            Status::BadRequest,
            "This sign-in link has expired or was used already. Go back to the page you wanted and it will sign you in again.",
        )
    };
    let store = ErrorPage::store_unavailable;
    let now = clock.now();
    let redeemed = hosts::redeem_ticket(&mut db, &sha256_hex(ticket), &host.0, now)
        .await
        .map_err(store)?;
    let Some((main, next)) = redeemed else {
        audit!("host ticket refused host={:?}", host.0);
        return Err(expired());
    };
    let found = models::find_session(&mut db, &main).await.map_err(store)?;
    let Some((session, user)) = found.filter(|(s, _)| session::is_live(s, &config.sessions, now))
    else {
        return Err(expired());
    };
    let (id, id_hash) = session::new_id();
    hosts::insert_host_session(&mut db, &id_hash, &main, &host.0)
        .await
        .map_err(store)?;
    audit!(
        "host sign-in ok github_id={} host={:?}",
        user.github_id.0,
        host.0
    );
    let lives = Duration::seconds((session.expires_at - now).max(0));
    jar.add_private(policy.build(HOST_COOKIE, id, lives));
    let next = SafeNext::parse(&next).unwrap_or_default();
    Ok(Redirect::to(next.as_str().to_owned()))
}
