//! Steps 3 and 4: the one-time ticket, issued on gitlogin's host to a signed-in person the
//! host's app admits, and redeemed on the protected host for that host's own cookie.

use rocket::http::{CookieJar, Status};
use rocket::request::Outcome;
use rocket::response::Redirect;
use rocket::{get, routes, uri, Route, State};
use time::Duration;

use super::nonce::{self, NonceHash};
use super::{encode, sign_in_url, ForeignHost, OnHost, RequestHost};
use crate::access::app_rules;
use crate::access::Standing;
use crate::auth::next::SafeNext;
use crate::auth::session::{self, CurrentUser, LookupFailed, HOST_COOKIE};
use crate::config::AppConfig;
use crate::models::{self, apps, hosts};
use crate::ops::clock::Clock;
use crate::ops::logging::audit;
use crate::ops::random::sha256_hex;
use crate::store::request_conn::RequestConn;
use crate::web::cookies::CookiePolicy;
use crate::web::error_pages::ErrorPage;

pub(super) fn routes() -> Vec<Route> {
    routes![issue, redeem]
}

/// Step 3, on gitlogin's host. Never for gitlogin's own host: its session cookie is already
/// there, and a ticket for it would only let someone else's session in.
#[get("/auth/host?<host>&<next>&<nonce>")]
async fn issue(
    host: &str,
    next: Option<SafeNext>,
    nonce: Option<NonceHash>,
    current: Outcome<CurrentUser, LookupFailed>,
    config: &State<AppConfig>,
    clock: &State<Clock>,
    mut db: RequestConn,
) -> Result<Redirect, ErrorPage> {
    let next = next.unwrap_or_default();
    let store = ErrorPage::store_unavailable;
    let owner = apps::host_owner(&mut db, &host.to_ascii_lowercase())
        .await
        .map_err(store)?;
    let Some(foreign) = ForeignHost::of(config, host, owner.as_deref(), None) else {
        audit!("host sign-in refused: {host:?} is not a registered host of an app");
        return Err(ErrorPage::new(
            Status::BadRequest,
            "That address is not one this sign-in service signs people in to, so you were not sent there.",
        ));
    };
    // No nonce (or not one `/_gitlogin/start` made): the browser is not marked, so it starts
    // there. The host is registered: no open redirect.
    let Some(NonceHash(nonce)) = nonce else {
        return Ok(Redirect::to(sign_in_url(config, Some(&foreign), &next)));
    };
    let host = foreign.as_str();
    let here = format!(
        "/auth/host?host={}&next={}&nonce={nonce}",
        encode(host),
        encode(next.as_str())
    );
    let sign_in_first = || Redirect::to(uri!(crate::auth::login(next = SafeNext::parse(&here))));
    let current = match current {
        Outcome::Success(current) => current,
        Outcome::Forward(_) => return Ok(sign_in_first()),
        Outcome::Error(_) => return Err(ErrorPage::for_status(Status::ServiceUnavailable)),
    };
    let app = match owner {
        Some(name) => apps::find_app(&mut db, &name).await.map_err(store)?,
        None => None,
    };
    let now = clock.now();
    let standing = match &app {
        Some(app) => app_rules::pin_and_decide(&mut db, config, app, &current.user, now)
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
    let issued = hosts::Ticket {
        session_id_hash: &current.session.id_hash,
        host,
        next: next.as_str(),
        nonce_hash: &nonce,
    };
    hosts::issue_ticket(&mut db, &ticket_hash, &issued, now)
        .await
        .map_err(store)?;
    Ok(Redirect::to(format!(
        "{}/_gitlogin/ticket?ticket={ticket}",
        foreign.origin(config)
    )))
}

/// Step 4, on the protected host (its proxy routes `/_gitlogin/` here). A refused ticket
/// leaves whatever host cookie the browser has alone.
#[get("/_gitlogin/ticket?<ticket>")]
async fn redeem(
    ticket: &str,
    host: RequestHost,
    policy: &State<CookiePolicy>,
    config: &State<AppConfig>,
    clock: &State<Clock>,
    jar: &CookieJar<'_>,
    mut db: RequestConn,
) -> Result<Redirect, OnHost> {
    let expired = || {
        ErrorPage::new(
            Status::BadRequest,
            "This sign-in link has expired, was used already, or was made for another browser. Go back to the page you wanted and it will sign you in again.",
        )
    };
    let store = ErrorPage::store_unavailable;
    let now = clock.now();
    let nonce_hash = nonce::hash_of(jar, policy);
    let redeemed = hosts::redeem_ticket(
        &mut db,
        &sha256_hex(ticket),
        &host.0,
        nonce_hash.as_deref(),
        now,
    )
    .await
    .map_err(store)?;
    let Some(redeemed) = redeemed else {
        audit!(
            "host ticket refused host={:?} nonce_cookie={}",
            host.0,
            nonce_hash.is_some()
        );
        return Err(expired().into());
    };
    let main = redeemed.session_id_hash;
    let found = models::find_session(&mut db, &main).await.map_err(store)?;
    let Some((session, user)) = found.filter(|(s, _)| session::is_live(s, &config.sessions, now))
    else {
        return Err(expired().into());
    };
    let (id, id_hash) = session::new_id();
    hosts::replace_host_session(&mut db, &id_hash, &main, &host.0)
        .await
        .map_err(store)?;
    audit!(
        "host sign-in ok github_id={} host={:?}",
        user.github_id.0,
        host.0
    );
    nonce::forget(jar, policy);
    let lives = Duration::seconds((session.expires_at - now).max(0));
    jar.add_private(policy.build(HOST_COOKIE, id, lives));
    let next = SafeNext::parse(&redeemed.next).unwrap_or_default();
    Ok(Redirect::to(next.as_str().to_owned()))
}
