//! gitlogin as an OpenID Connect provider (Core 1.0, the authorization code flow), so
//! that the team's other apps, on any host, sign people in through it. In the order a
//! sign-in to another app happens:
//!
//! 1. The app sends the browser to `GET /oauth/authorize` (`request.rs` checks the request:
//!    a bad app or redirect URI is our own error page, anything else goes back to the app).
//!    A visitor who signs in with GitHub first carries the request through it in a cookie
//!    (`carried.rs`) back to `GET /oauth/authorize/continue`; the store keeps nothing of it.
//! 2. The app's own rules and the global allow-lists decide (`access/app_rules.rs`).
//!    `authorize.rs` decides steps 2 to 4 for a checked request; the handlers here adapt it.
//! 3. The first time, the person is asked (`consent.rs`): only now, for a signed-in person,
//!    is the request kept in the store, until they answer; the answer is remembered.
//! 4. A code goes back to the app (`back.rs`): random, single use, 60 seconds, bound to the
//!    app, the redirect URI and the PKCE challenge.
//! 5. The app's server trades it at `POST /oauth/token` (`token_request.rs` reads the form,
//!    `token.rs` authenticates the app as `client.rs` checks) for an access token, an ID
//!    token (`id_token.rs`) and, with `offline_access`, a refresh token.
//! 6. `userinfo.rs`, `revoke.rs` and `end_session.rs` serve the app afterwards;
//!    `discovery.rs` describes all of it to relying-party libraries. The errors the app's
//!    server is answered are `oauth_error.rs`'s.
//! 7. When the session ends, or the person's access to the app, an app registered with a
//!    back-channel logout URI is told: `backchannel.rs` POSTs it a logout token
//!    (`logout_token.rs`) for what the outbox holds (`models/logouts.rs`).
//!
//! For the team's APIs: a request naming an API (`resource`, RFC 8707) gets the scopes its
//! grants give the person (`api_grants.rs`), and the code or refresh token then buys a JWT
//! access token for it (`access_token.rs`, RFC 9068); a service gets one as itself
//! (`client_credentials.rs`); an API asks `introspect.rs` (RFC 7662) whether one is live.
//!
//! For command-line tools (the device grant, RFC 8628): the tool asks `device.rs` for a
//! device code and a user code; its person types the user code at `/device`
//! (`device_page.rs`) and answers (`device_answer.rs`); the tool polls the token endpoint
//! until then (`device_poll.rs`). A public app's loopback redirect URIs are the other way
//! in for native apps (`redirect_uris.rs`, RFC 8252).
//!
//! Each step is a function over the store, the clock's `now` and a typed request that
//! returns a typed outcome (`authorize::decide`, `consent::record`, `token::exchange`,
//! `userinfo::claims`, `revoke::revoke`); the Rocket handlers only read the request and
//! answer, so `tests.rs` drives the whole flow in-process as well.

mod access_token;
mod api_grants;
mod authorize;
mod back;
mod backchannel;
mod carried;
mod client;
mod client_credentials;
mod consent;
mod device;
mod device_answer;
mod device_page;
mod device_poll;
mod discovery;
mod end_session;
mod id_token;
mod introspect;
mod logout_token;
mod oauth_error;
mod once;
mod redeem;
mod redirect_uris;
mod refresh_token;
mod request;
mod revoke;
mod token;
mod token_request;
mod userinfo;

#[cfg(test)]
mod tests;

use rocket::fairing::AdHoc;
use rocket::http::CookieJar;
use rocket::response::Redirect;
use rocket::{get, routes, uri, State};

use crate::auth::next::SafeNext;
use crate::auth::session::CurrentUser;
use crate::config::AppConfig;
use crate::models::apps::StoredApp;
use crate::ops::clock::Clock;
use crate::store::request_conn::RequestConn;
use crate::web::cookies::CookiePolicy;
use crate::web::error_pages::ErrorPage;
use crate::web::headers::FormTargets;
use api_grants::Offer;
use authorize::AuthorizeOutcome;
use request::{AuthRequest, AuthorizeQuery, Rejection};

pub(crate) fn stage(config: &AppConfig) -> AdHoc {
    let discovery = discovery::Document::new(config);
    AdHoc::on_ignite("OpenID Connect provider", |rocket| async {
        rocket
            .manage(discovery)
            .manage(userinfo::AccessTokens::default())
            .mount("/", routes![authorize_endpoint, continue_request])
            .mount("/", consent::routes())
            .mount("/", token::routes())
            .mount("/", routes![device::device_authorization])
            .mount("/", device_page::routes())
            .mount("/", routes![device_answer::answer])
            .mount("/", userinfo::routes())
            .mount("/", revoke::routes())
            .mount("/", introspect::routes())
            .mount("/", end_session::routes())
            .mount("/", discovery::routes())
            .attach(backchannel::stage())
    })
}

/// What the authorize steps answer: a redirect (to the app, to the sign-in), the consent
/// page, or our own error page.
#[derive(rocket::Responder)]
enum AuthorizeAnswer {
    Redirect(Box<Redirect>),
    Consent(crate::web::templates::Page),
    Page(ErrorPage),
}

impl AuthorizeAnswer {
    fn redirect(redirect: Redirect) -> AuthorizeAnswer {
        AuthorizeAnswer::Redirect(Box::new(redirect))
    }
}

/// Step 1: an app sends the browser here.
#[get("/oauth/authorize?<query..>")]
#[allow(clippy::too_many_arguments)]
async fn authorize_endpoint(
    query: AuthorizeQuery<'_>,
    current: Option<CurrentUser>,
    config: &State<AppConfig>,
    clock: &State<Clock>,
    targets: &FormTargets,
    jar: &CookieJar<'_>,
    policy: &State<CookiePolicy>,
    mut db: RequestConn,
) -> AuthorizeAnswer {
    let at = Step {
        config,
        now: clock.now(),
        targets,
        jar,
        policy,
    };
    let (app, request) = match request::check(&mut db, &query, at.now).await {
        Ok(checked) => checked,
        Err(Rejection::Page(page)) => return AuthorizeAnswer::Page(page),
        Err(Rejection::Back(back, error)) => {
            return AuthorizeAnswer::redirect(back.with_error(error, &at.config.public_url))
        }
    };
    proceed(&mut db, &at, current, &app, &request).await
}

/// Back from the GitHub sign-in with the request this browser carries.
#[get("/oauth/authorize/continue?<request>")]
#[allow(clippy::too_many_arguments)]
async fn continue_request(
    request: &str,
    current: Option<CurrentUser>,
    config: &State<AppConfig>,
    clock: &State<Clock>,
    targets: &FormTargets,
    jar: &CookieJar<'_>,
    policy: &State<CookiePolicy>,
    mut db: RequestConn,
) -> AuthorizeAnswer {
    let at = Step {
        config,
        now: clock.now(),
        targets,
        jar,
        policy,
    };
    let Some(carried) = carried::take(at.jar, at.policy, request, at.now) else {
        return AuthorizeAnswer::Page(consent::gone());
    };
    match consent::app_of(&mut db, &carried).await {
        Ok(app) => proceed(&mut db, &at, current, &app, &carried).await,
        Err(page) => AuthorizeAnswer::Page(page),
    }
}

/// What every step of a request shares.
struct Step<'a> {
    config: &'a AppConfig,
    now: i64,
    targets: &'a FormTargets,
    jar: &'a CookieJar<'a>,
    policy: &'a CookiePolicy,
}

/// Steps 2 to 4 (`authorize.rs`), answered.
async fn proceed(
    conn: &mut rocket_db_pools::sqlx::AnyConnection,
    at: &Step<'_>,
    current: Option<CurrentUser>,
    app: &StoredApp,
    request: &AuthRequest,
) -> AuthorizeAnswer {
    let issuer = &at.config.public_url;
    let decided = authorize::decide(conn, at.config, at.now, current.as_ref(), app, request).await;
    match decided {
        Ok(AuthorizeOutcome::SignIn) => sign_in_then(at, request),
        Ok(AuthorizeOutcome::Refuse(error)) => {
            AuthorizeAnswer::redirect(request.back().with_error(error, issuer))
        }
        Ok(AuthorizeOutcome::Code(code)) => {
            AuthorizeAnswer::redirect(request.back().with_code(&code, issuer))
        }
        // Only someone signed in is asked: without a session, `decide` says sign in first.
        Ok(AuthorizeOutcome::AskConsent) => match current {
            Some(current) => ask_consent(conn, at, current, app, request).await,
            None => sign_in_then(at, request),
        },
        Err(e) => AuthorizeAnswer::Page(ErrorPage::store_unavailable(e)),
    }
}

/// Step 3: the request kept for this session, and its consent page.
async fn ask_consent(
    conn: &mut rocket_db_pools::sqlx::AnyConnection,
    at: &Step<'_>,
    current: CurrentUser,
    app: &StoredApp,
    request: &AuthRequest,
) -> AuthorizeAnswer {
    // Allow's answer redirects to the app: the page's `form-action` must let it.
    at.targets.allow(&request.redirect_uri);
    let user = &current.user;
    let apis = match api_grants::for_person(conn, at.config, request, user, at.now).await {
        Ok(Offer::Apis(apis)) => apis,
        // An API's membership rule came due meanwhile: the sign-in round trip rechecks it.
        Ok(Offer::RecheckDue) => return sign_in_then(at, request),
        Err(e) => return AuthorizeAnswer::Page(ErrorPage::store_unavailable(e)),
    };
    // Allow gives at most what the page shows, whatever changes while it is open.
    let mut kept = request.clone();
    kept.shown = apis.iter().map(|api| api.grant.clone()).collect();
    match consent::keep(conn, &current.session, &kept, at.now).await {
        Ok(id) => AuthorizeAnswer::Consent(consent::page(app, request, &apis, &id, &current)),
        Err(e) => AuthorizeAnswer::Page(ErrorPage::store_unavailable(e)),
    }
}

/// Through the GitHub sign-in and back to `request`, which this browser carries meanwhile. A
/// `prompt=login` or `max_age` that the session does not meet signs in again: the sign-in
/// replaces the session, so the request, continued, finds it fresh and does not loop.
fn sign_in_then(at: &Step<'_>, request: &AuthRequest) -> AuthorizeAnswer {
    let Some(id) = carried::carry(at.jar, at.policy, request, at.now) else {
        let back = request.back();
        return AuthorizeAnswer::redirect(
            back.with_error("invalid_request", &at.config.public_url),
        );
    };
    let next = SafeNext::parse(&uri!(continue_request(request = &id)).to_string());
    AuthorizeAnswer::redirect(Redirect::to(uri!(crate::auth::login(next = next))))
}
