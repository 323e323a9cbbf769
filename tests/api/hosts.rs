//! One sign-in in front of many hosts, through HTTP: a stranger on a protected host is sent to
//! sign in at gitlogin's host and comes back through a one-time ticket that sets that host's
//! own cookie; the ticket is single use, short-lived and bound to its host and main session;
//! an unregistered host never gets one; signing out at gitlogin ends every host's cookie.
//! And the redirect flavour of `/auth/check` for Caddy and Traefik.

use rocket::http::{Header, Status};
use rocket::local::asynchronous::LocalResponse;

use crate::helpers::{location, query_param, Browser, TestApp, PUBLIC_URL};
use crate::provider::register;

#[path = "hosts/lifecycle.rs"]
mod lifecycle;
#[path = "hosts/planted.rs"]
mod planted;

pub const WIKI: &str = "wiki.example.test";
const GRAFANA: &str = "grafana.example.test";

async fn two_hosts() -> TestApp {
    let app = TestApp::spawn().await;
    register(&app, "wiki", &["--host", WIKI]);
    register(
        &app,
        "grafana",
        &["--host", GRAFANA, "--allow-user", "hubot"],
    );
    app
}

/// What the proxy of `host` asks gitlogin for a request to `path`, with `browser`'s cookies.
pub async fn check<'a>(
    browser: &Browser<'a>,
    host: &str,
    app: &str,
    path: &str,
) -> LocalResponse<'a> {
    let request = browser
        .app
        .client
        .get(format!("/auth/check?app={app}"))
        .header(Header::new("Host", host.to_owned()))
        .header(Header::new("X-Original-URI", path.to_owned()));
    browser.send(request).await
}

pub async fn get_on<'a>(browser: &Browser<'a>, host: &str, uri: &str) -> LocalResponse<'a> {
    let request = browser
        .app
        .client
        .get(uri.to_owned())
        .header(Header::new("Host", host.to_owned()));
    browser.send(request).await
}

/// The nonce cookie `/_gitlogin/start` sets on a protected host.
pub const NONCE: &str = "gitlogin_host_nonce";

/// A ticket a signed-in person got for a host: its path and query on that host, and the
/// nonce cookie of their browser there, which it is bound to.
pub struct Ticket {
    pub path: String,
    pub nonce: String,
}

/// The ticket gitlogin gives a signed-in `browser` for `host`, the way a browser gets it:
/// `/_gitlogin/start` on the host (which sets the nonce cookie there), then `/auth/host`.
pub async fn ticket_for(browser: &Browser<'_>, host: &str) -> Ticket {
    let on_host = browser.app.browser();
    let start = get_on(&on_host, host, "/_gitlogin/start?next=%2Fpage%3Fa%3D1").await;
    assert_eq!(start.status(), Status::SeeOther);
    let to = location(&start).to_owned();
    let nonce = on_host.cookie(NONCE).expect("no nonce cookie");
    let auth_host = to.strip_prefix(PUBLIC_URL).expect(&to);
    Ticket {
        path: ticket_at(browser, auth_host, host).await,
        nonce,
    }
}

/// Follows `auth_host` (`/auth/host?...`) in the signed-in `browser`; the ticket's path on `host`.
pub async fn ticket_at(browser: &Browser<'_>, auth_host: &str, host: &str) -> String {
    let response = browser.get(auth_host).await;
    assert_eq!(response.status(), Status::SeeOther, "{auth_host}");
    let to = location(&response);
    let prefix = format!("http://{host}/_gitlogin/ticket?ticket=");
    assert!(to.starts_with(&prefix), "{to}");
    to.trim_start_matches(&format!("http://{host}")).to_owned()
}

/// A browser of `host` alone (the protected host's own cookie jar), holding the nonce
/// cookie of the browser that asked for `ticket`.
pub fn asker<'a>(app: &'a TestApp, ticket: &Ticket) -> Browser<'a> {
    let on_host = app.browser();
    on_host.set_cookie(NONCE, &ticket.nonce);
    on_host
}

/// Follows the ticket on `host` in the browser that asked for it; returns that browser,
/// holding the host cookie, its nonce cookie gone.
pub async fn redeemed<'a>(app: &'a TestApp, host: &str, ticket: &Ticket) -> Browser<'a> {
    let on_host = asker(app, ticket);
    let response = get_on(&on_host, host, &ticket.path).await;
    assert_eq!(response.status(), Status::SeeOther, "{}", ticket.path);
    assert_eq!(location(&response), "/page?a=1");
    let set: Vec<&str> = response.headers().get("Set-Cookie").collect();
    assert!(
        set.iter().any(|c| c.starts_with("gitlogin_host=")
            && c.contains("HttpOnly")
            && !c.contains("Domain")),
        "{set:?}"
    );
    assert_eq!(
        on_host.cookie(NONCE),
        None,
        "each nonce marks one redemption"
    );
    on_host
}

async fn signed_in(app: &TestApp) -> Browser<'_> {
    let browser = app.browser();
    browser.sign_in(None).await;
    browser
}

#[rocket::async_test]
async fn a_stranger_on_a_protected_host_is_sent_through_its_start_to_sign_in_at_gitlogins_host() {
    let app = two_hosts().await;
    let on_host = app.browser();

    let response = check(&on_host, WIKI, "wiki", "/page?a=1").await;

    assert_eq!(response.status(), Status::Unauthorized);
    let start = format!("http://{WIKI}/_gitlogin/start?next=%2Fpage%3Fa%3D1");
    assert_eq!(
        response.headers().get_one("X-Auth-Request-Sign-In"),
        Some(start.as_str())
    );
    let response = get_on(
        &on_host,
        WIKI,
        start.trim_start_matches(&format!("http://{WIKI}")),
    )
    .await;
    assert_eq!(response.status(), Status::SeeOther);
    let to = location(&response);
    let (to, nonce) = to.split_once("&nonce=").unwrap();
    assert_eq!(
        to,
        format!("{PUBLIC_URL}/auth/host?host={WIKI}&next=%2Fpage%3Fa%3D1")
    );
    assert!(nonce.len() == 64 && nonce.chars().all(|c| c.is_ascii_hexdigit()));
}

#[rocket::async_test]
async fn a_stranger_at_the_host_sign_in_signs_in_first_and_comes_back_to_it() {
    let app = two_hosts().await;
    let browser = app.browser();

    let nonce = "0".repeat(64);
    let response = browser
        .get(&format!(
            "/auth/host?host={WIKI}&next=%2Fpage&nonce={nonce}"
        ))
        .await;

    assert_eq!(response.status(), Status::SeeOther);
    let next = format!("/auth/host?host=wiki.example.test&next=%2Fpage&nonce={nonce}");
    let next = next.as_str();
    let to = location(&response);
    assert!(to.starts_with("/login?next="), "{to}");
    assert_eq!(query_param(to, "next").as_deref(), Some(next));
    let back = browser.sign_in(Some(next)).await;
    assert_eq!(location(&back), next);
}

#[rocket::async_test]
async fn signed_in_once_a_person_is_recognised_on_each_host_through_its_ticket() {
    let app = two_hosts().await;
    let browser = signed_in(&app).await;

    let ticket = ticket_for(&browser, WIKI).await;
    let wiki = redeemed(&app, WIKI, &ticket).await;

    let response = check(&wiki, WIKI, "wiki", "/page").await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(
        response.headers().get_one("X-Auth-Request-User"),
        Some("octocat")
    );
    assert_eq!(
        response.headers().get_one("X-Auth-Request-Cookie"),
        Some(""),
        "the host cookie is gitlogin's: never passed to the app"
    );
}

#[rocket::async_test]
async fn a_ticket_works_once() {
    let app = two_hosts().await;
    let browser = signed_in(&app).await;
    let ticket = ticket_for(&browser, WIKI).await;
    redeemed(&app, WIKI, &ticket).await;

    let again = get_on(&asker(&app, &ticket), WIKI, &ticket.path).await;

    assert_eq!(again.status(), Status::BadRequest);
    assert!(again.headers().get_one("Set-Cookie").is_none());
}

#[rocket::async_test]
async fn a_ticket_is_bound_to_its_host() {
    let app = two_hosts().await;
    let browser = signed_in(&app).await;
    let ticket = ticket_for(&browser, WIKI).await;

    let elsewhere = get_on(&asker(&app, &ticket), GRAFANA, &ticket.path).await;

    assert_eq!(elsewhere.status(), Status::BadRequest);
    // And it is gone: a ticket tried on the wrong host is not kept for the right one.
    let right = get_on(&asker(&app, &ticket), WIKI, &ticket.path).await;
    assert_eq!(right.status(), Status::BadRequest);
}

#[rocket::async_test]
async fn a_ticket_expires_after_sixty_seconds() {
    let app = two_hosts().await;
    let browser = signed_in(&app).await;
    // A ticket is single use: one to show it alive at its 59th second, one dead at its 60th.
    let kept = ticket_for(&browser, WIKI).await;
    app.clock.advance(std::time::Duration::from_secs(59));
    redeemed(&app, WIKI, &kept).await;
    let late = ticket_for(&browser, WIKI).await;

    app.clock.advance(std::time::Duration::from_secs(60));

    assert_eq!(
        get_on(&asker(&app, &late), WIKI, &late.path).await.status(),
        Status::BadRequest
    );
}

#[rocket::async_test]
async fn a_ticket_dies_with_the_main_session() {
    let app = two_hosts().await;
    let browser = signed_in(&app).await;
    let ticket = ticket_for(&browser, WIKI).await;
    browser.sign_out().await;

    assert_eq!(
        get_on(&asker(&app, &ticket), WIKI, &ticket.path)
            .await
            .status(),
        Status::BadRequest
    );
}

#[rocket::async_test]
async fn an_unregistered_host_never_gets_a_ticket_nor_a_redirect() {
    let app = two_hosts().await;
    let browser = signed_in(&app).await;

    for host in ["evil.example", "wiki.example.test.evil.example", "app.test"] {
        let response = browser
            .get(&format!(
                "/auth/host?host={host}&next=%2F&nonce={}",
                "0".repeat(64)
            ))
            .await;
        assert_eq!(response.status(), Status::BadRequest, "{host}");
        assert_eq!(response.headers().get_one("Location"), None, "{host}");
    }
    assert_eq!(app.count("host_tickets").await, 0);
}

#[rocket::async_test]
async fn a_host_whose_app_refuses_the_person_gets_no_ticket() {
    let app = two_hosts().await;
    let browser = signed_in(&app).await;

    let response = browser
        .get(&format!(
            "/auth/host?host={GRAFANA}&next=%2F&nonce={}",
            "0".repeat(64)
        ))
        .await;

    assert_eq!(response.status(), Status::Forbidden);
    assert_eq!(app.count("host_tickets").await, 0);
}

#[rocket::async_test]
async fn signing_out_at_gitlogin_ends_every_hosts_cookie() {
    let app = two_hosts().await;
    let browser = signed_in(&app).await;
    let wiki = redeemed(&app, WIKI, &ticket_for(&browser, WIKI).await).await;
    assert_eq!(check(&wiki, WIKI, "wiki", "/").await.status(), Status::Ok);

    browser.sign_out().await;

    assert_eq!(
        check(&wiki, WIKI, "wiki", "/").await.status(),
        Status::Unauthorized
    );
    assert_eq!(app.count("host_sessions").await, 0);
}

#[rocket::async_test]
async fn a_hosts_cookie_is_worth_nothing_on_another_host() {
    let app = TestApp::spawn().await;
    register(&app, "wiki", &["--host", WIKI]);
    register(&app, "docs", &["--host", "docs.example.test"]);
    let browser = signed_in(&app).await;
    let wiki = redeemed(&app, WIKI, &ticket_for(&browser, WIKI).await).await;

    let response = check(&wiki, "docs.example.test", "docs", "/").await;

    assert_eq!(response.status(), Status::Unauthorized);
}

/// The redirect flavour's check, as Caddy's `forward_auth` sends it: `X-Forwarded-*`.
async fn caddy_check<'a>(
    browser: &Browser<'a>,
    app: &str,
    host: &str,
    method: &str,
    mode: &str,
) -> LocalResponse<'a> {
    let request = browser
        .app
        .client
        .get(format!("/auth/check?app={app}&redirect=1"))
        .header(Header::new("X-Forwarded-Host", host.to_owned()))
        .header(Header::new("X-Forwarded-Proto", "http"))
        .header(Header::new("X-Forwarded-Uri", "/page?a=1"))
        .header(Header::new("X-Forwarded-Method", method.to_owned()))
        .header(Header::new("Sec-Fetch-Mode", mode.to_owned()));
    browser.send(request).await
}

#[rocket::async_test]
async fn the_redirect_flavour_sends_a_strangers_navigation_to_sign_in() {
    let app = two_hosts().await;

    let response = caddy_check(&app.browser(), "wiki", WIKI, "GET", "navigate").await;

    assert_eq!(response.status(), Status::Found);
    assert_eq!(
        location(&response),
        format!("http://{WIKI}/_gitlogin/start?next=%2Fpage%3Fa%3D1")
    );
}

#[rocket::async_test]
async fn the_redirect_flavour_answers_anything_but_a_navigation_with_401() {
    let app = two_hosts().await;
    let browser = app.browser();

    for (method, mode) in [("GET", "cors"), ("POST", "navigate"), ("GET", "no-cors")] {
        let response = caddy_check(&browser, "wiki", WIKI, method, mode).await;
        assert_eq!(response.status(), Status::Unauthorized, "{method} {mode}");
        assert_eq!(response.headers().get_one("Location"), None);
    }
}

#[rocket::async_test]
async fn the_redirect_flavour_never_redirects_back_to_a_host_that_is_not_the_apps() {
    let app = two_hosts().await;
    let browser = app.browser();

    // Unregistered, and registered to another app.
    for host in ["evil.example", GRAFANA] {
        let response = caddy_check(&browser, "wiki", host, "GET", "navigate").await;
        assert_eq!(response.status(), Status::Unauthorized, "{host}");
        assert_eq!(response.headers().get_one("Location"), None, "{host}");
    }
}

#[rocket::async_test]
async fn the_redirect_flavour_lets_a_signed_in_person_through() {
    let app = two_hosts().await;
    let browser = signed_in(&app).await;
    let wiki = redeemed(&app, WIKI, &ticket_for(&browser, WIKI).await).await;

    let response = caddy_check(&wiki, "wiki", WIKI, "GET", "navigate").await;

    assert_eq!(response.status(), Status::Ok);
}

#[rocket::async_test]
async fn the_host_cookie_lives_as_long_as_what_is_left_of_the_main_session() {
    let app = two_hosts().await;
    let browser = signed_in(&app).await;
    app.clock
        .advance(std::time::Duration::from_secs(24 * 60 * 60));
    let ticket = ticket_for(&browser, WIKI).await;

    let response = get_on(&asker(&app, &ticket), WIKI, &ticket.path).await;

    let mut set = response.headers().get("Set-Cookie");
    let set = set.find(|c| c.starts_with("gitlogin_host=")).unwrap();
    assert!(set.contains("Max-Age=2505600"), "29 days of 30: {set}");
}

#[rocket::async_test]
async fn the_purge_forgets_tickets_nobody_followed() {
    let app = two_hosts().await;
    let browser = signed_in(&app).await;
    ticket_for(&browser, WIKI).await;
    let purge = gitlogin::auth::purge::Purge::from_rocket(app.client.rocket()).unwrap();

    app.clock.advance(std::time::Duration::from_secs(59));
    purge.run().await.unwrap();
    assert_eq!(app.count("host_tickets").await, 1);
    app.clock.advance(std::time::Duration::from_secs(1));
    purge.run().await.unwrap();
    assert_eq!(app.count("host_tickets").await, 0);
}

#[rocket::async_test]
async fn gitlogins_own_host_signs_in_directly_even_when_an_app_names_it() {
    // docs/services.md's single-host nginx example registers gitlogin's own host for its app: a
    // stranger there needs no ticket, only the plain sign-in back to the path.
    let app = TestApp::spawn().await;
    register(&app, "internal", &["--host", "app.test"]);

    let response = check(&app.browser(), "app.test", "internal", "/internal/").await;

    assert_eq!(
        response.headers().get_one("X-Auth-Request-Sign-In"),
        Some(format!("{PUBLIC_URL}/login?next=%2Finternal%2F").as_str())
    );
}
