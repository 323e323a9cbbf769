//! gitlogin as an OpenID Connect provider (Core 1.0, the authorization code flow only), so
//! that the team's other apps, on any host, sign people in through it. In the order a
//! sign-in to another app happens:
//!
//! 1. The app sends the browser to `GET /oauth/authorize` (`request.rs` checks the request:
//!    a bad app or redirect URI is our own error page, anything else goes back to the app).
//!    A visitor who signs in with GitHub first carries the request through it in a cookie
//!    (`carried.rs`) back to `GET /oauth/authorize/continue`; the store keeps nothing of it.
//! 2. The app's own rules and the global allow-lists decide (`access/app_rules.rs`).
//! 3. The first time, the person is asked (`consent.rs`): only now, for a signed-in person,
//!    is the request kept in the store, until they answer; the answer is remembered.
//! 4. A code goes back to the app (`back.rs`): random, single use, 60 seconds, bound to the
//!    app, the redirect URI and the PKCE challenge.
//! 5. The app's server trades it at `POST /oauth/token` (`token.rs`, authenticated as
//!    `client.rs` checks) for an access token, an ID token (`id_token.rs`) and, with
//!    `offline_access`, a refresh token.
//! 6. `userinfo.rs`, `revoke.rs` and `end_session.rs` serve the app afterwards;
//!    `discovery.rs` describes all of it to relying-party libraries.

mod back;
mod carried;
mod client;
mod consent;
mod discovery;
mod end_session;
mod id_token;
mod once;
mod request;
mod revoke;
mod token;
mod userinfo;

use rocket::fairing::AdHoc;
use rocket::http::CookieJar;
use rocket::response::Redirect;
use rocket::{get, routes, State};

use crate::access::app_rules;
use crate::access::Standing;
use crate::auth::session::CurrentUser;
use crate::config::AppConfig;
use crate::models::apps::StoredApp;
use crate::models::consents;
use crate::models::grants::{self, NewCode};
use crate::ops::clock::Clock;
use crate::ops::random::{sha256_hex, token};
use crate::store::request_conn::RequestConn;
use crate::web::cookies::CookiePolicy;
use crate::web::error_pages::ErrorPage;
use crate::web::headers::FormTargets;
use request::{AuthRequest, Params, Refused};

/// A code lives this long: long enough for the app's server to redeem it at once.
const CODE_LIFETIME_SECS: i64 = 60;

pub(crate) fn stage() -> AdHoc {
    AdHoc::on_ignite("OpenID Connect provider", |rocket| async {
        rocket
            .mount("/", routes![authorize, continue_request])
            .mount("/", consent::routes())
            .mount("/", token::routes())
            .mount("/", userinfo::routes())
            .mount("/", revoke::routes())
            .mount("/", end_session::routes())
            .mount("/", discovery::routes())
    })
}

/// What the authorize steps answer: a redirect (to the app, to the sign-in), the consent
/// page, or our own error page.
#[derive(rocket::Responder)]
enum Answer {
    Redirect(Box<Redirect>),
    Consent(crate::web::templates::Page),
    Page(ErrorPage),
}

/// Step 1: an app sends the browser here.
#[get("/oauth/authorize?<params..>")]
#[allow(clippy::too_many_arguments)]
async fn authorize(
    params: Params<'_>,
    current: Option<CurrentUser>,
    config: &State<AppConfig>,
    clock: &State<Clock>,
    targets: &FormTargets,
    jar: &CookieJar<'_>,
    policy: &State<CookiePolicy>,
    mut db: RequestConn,
) -> Answer {
    let at = Step {
        config,
        now: clock.now(),
        targets,
        jar,
        policy,
    };
    let (app, request) = match request::check(&mut db, &params, at.now).await {
        Ok(checked) => checked,
        Err(Refused::Page(page)) => return Answer::Page(page),
        Err(Refused::Back(back, error)) => {
            return Answer::Redirect(Box::new(back.with_error(error, &at.config.public_url)))
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
) -> Answer {
    let at = Step {
        config,
        now: clock.now(),
        targets,
        jar,
        policy,
    };
    let Some(carried) = carried::take(at.jar, at.policy, request, at.now) else {
        return Answer::Page(consent::gone());
    };
    match consent::app_of(&mut db, &carried).await {
        Ok(app) => proceed(&mut db, &at, current, &app, &carried).await,
        Err(page) => Answer::Page(page),
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

/// Steps 2 to 4, for a checked request.
async fn proceed(
    conn: &mut rocket_db_pools::sqlx::AnyConnection,
    at: &Step<'_>,
    current: Option<CurrentUser>,
    app: &StoredApp,
    request: &AuthRequest,
) -> Answer {
    let (issuer, now) = (&at.config.public_url, at.now);
    let back = request.back();
    let signed_in_enough = current.as_ref().filter(|current| {
        let age = now - current.session.created_at;
        // Signed in since the app asked: that sign-in is what `prompt=login` and `max_age`
        // ask for, however long it took.
        let fresh = current.session.created_at >= request.asked_at;
        request.max_age.is_none_or(|max| fresh || age <= max) && (fresh || !request.fresh_login)
    });
    let Some(current) = signed_in_enough else {
        if request.no_prompt {
            return Answer::Redirect(Box::new(back.with_error("login_required", issuer)));
        }
        return sign_in_then(at, request);
    };
    let answered = async {
        match app_rules::admits(conn, at.config, app, &current.user, now).await? {
            Standing::Admitted => {}
            // The app's membership rule is due for a recheck: the sign-in round trip does it.
            Standing::Unverified if request.no_prompt => {
                return Ok(Answer::Redirect(Box::new(
                    back.with_error("login_required", issuer),
                )));
            }
            Standing::Unverified => return Ok(sign_in_then(at, request)),
            Standing::Refused => {
                return Ok(Answer::Redirect(Box::new(
                    back.with_error("access_denied", issuer),
                )));
            }
        }
        let granted = consents::consented_scope(conn, app.id, current.user.id).await?;
        // Asked again for anything not granted yet: a yes to `openid` is not a yes to
        // `email` or to `offline_access`.
        if granted.is_some_and(|granted| request::covers(&granted, &request.scope)) {
            return issue_code(conn, issuer, now, current, request)
                .await
                .map(|r| Answer::Redirect(Box::new(r)));
        }
        if request.no_prompt {
            return Ok(Answer::Redirect(Box::new(
                back.with_error("consent_required", issuer),
            )));
        }
        // Allow's answer redirects to the app: the page's `form-action` must let it.
        at.targets.allow(&request.redirect_uri);
        let id = consent::keep(conn, &current.session, request, now).await?;
        Ok(Answer::Consent(consent::page(app, request, &id, current)))
    };
    answered
        .await
        .unwrap_or_else(|e| Answer::Page(ErrorPage::store_unavailable(e)))
}

/// Through the GitHub sign-in and back to `request`, which this browser carries meanwhile. A
/// `prompt=login` or `max_age` that the session does not meet signs in again: the sign-in
/// replaces the session, so the request, continued, finds it fresh and does not loop.
fn sign_in_then(at: &Step<'_>, request: &AuthRequest) -> Answer {
    let Some(id) = carried::carry(at.jar, at.policy, request, at.now) else {
        let back = request.back();
        return Answer::Redirect(Box::new(
            back.with_error("invalid_request", &at.config.public_url),
        ));
    };
    let next = format!("/oauth/authorize/continue?request={id}");
    Answer::Redirect(Box::new(Redirect::to(format!(
        "/login?next={}",
        url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
    ))))
}

/// Step 4: a code for this person and request, sent back to the app.
async fn issue_code(
    conn: &mut rocket_db_pools::sqlx::AnyConnection,
    issuer: &str,
    now: i64,
    current: &CurrentUser,
    request: &AuthRequest,
) -> Result<Redirect, rocket_db_pools::sqlx::Error> {
    let code = token();
    let code_hash = sha256_hex(&code);
    let new = NewCode {
        app_id: request.app_id,
        user_id: current.user.id,
        scope: &request.scope,
        nonce: request.nonce.as_deref().unwrap_or(""),
        auth_time: current.session.created_at,
        code_hash: &code_hash,
        redirect_uri: &request.redirect_uri,
        code_challenge: request.code_challenge.as_deref().unwrap_or(""),
        expires_at: now + CODE_LIFETIME_SECS,
    };
    grants::issue_code(conn, &new, now).await?;
    Ok(request.back().with_code(&code, issuer))
}
