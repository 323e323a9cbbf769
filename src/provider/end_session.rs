//! RP-initiated logout (`end_session_endpoint`). Any site can make a browser send a GET, so
//! the GET only shows a confirmation page; signing out is its button's POST, with the
//! session's CSRF token, from this site, like every sign-out here. Only then is the person
//! sent back, and only to a `post_logout_redirect_uri` the app registered.
//!
//! The app is named by an `id_token_hint` (checked with our own keys and algorithms only, so
//! `alg: none`, or HS256 keyed with a public key, is refused, and typed as an ID token) or by
//! `client_id`.

use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::response::Redirect;
use rocket::{get, post, routes, uri, Route, State};
use rocket_db_pools::sqlx::AnyConnection;
use serde::Serialize;

use crate::auth::csrf::{CheckedPost, CsrfForm};
use crate::auth::session::CurrentUser;
use crate::auth::signed_out::SignedOut;
use crate::config::AppConfig;
use crate::keys::verify::{self, Expected};
use crate::keys::KeyRing;
use crate::models::{self, apps, Outbox};
use crate::ops::clock::Clock;
use crate::store::request_conn::RequestConn;
use crate::web::cookies::CookiePolicy;
use crate::web::error_pages::ErrorPage;
use crate::web::headers::FormTargets;
use crate::web::templates::Page;

pub fn routes() -> Vec<Route> {
    routes![confirm, sign_out]
}

#[derive(FromForm)]
struct LogoutQuery<'r> {
    id_token_hint: Option<&'r str>,
    client_id: Option<&'r str>,
    post_logout_redirect_uri: Option<&'r str>,
    state: Option<&'r str>,
}

#[derive(Serialize)]
struct LogoutPage<'a> {
    csrf_token: &'a str,
    login: &'a str,
    app: Option<&'a str>,
    client_id: Option<&'a str>,
    post_logout_redirect_uri: Option<&'a str>,
    state: Option<&'a str>,
}

/// The app a sign-out request names, if any, and where to go once signed out: a URI that
/// app registered, or gitlogin's home page (`None`).
struct Destination {
    app: Option<apps::StoredApp>,
    uri: Option<String>,
}

/// The longest `state` the confirmation form can carry back within the form limit.
const MAX_STATE: usize = 2048;

fn refused(message: &'static str) -> ErrorPage {
    ErrorPage::new(Status::BadRequest, message)
}

/// An unregistered `post_logout_redirect_uri` is the operator's likeliest mistake when an
/// app's logout fails, so the page names it and the flag that registers one. As text only:
/// the template escapes it, and it is never a link, since it is exactly the address gitlogin
/// refuses to send anyone to.
fn unregistered(uri: &str) -> ErrorPage {
    ErrorPage::new(
        Status::BadRequest,
        format!(
            "This sign-out request asks to send you to {uri}, which its app did not register, \
             so gitlogin will not send you there. (If you run the app: register the address \
             with `gitlogin apps add ... --post-logout-redirect-uri`.)"
        ),
    )
}

/// The app the request names and the registered URI it asks for; refused if either is
/// not what it claims.
async fn destination(
    conn: &mut AnyConnection,
    keys: &KeyRing,
    config: &AppConfig,
    now: i64,
    query: &LogoutQuery<'_>,
) -> Result<Destination, ErrorPage> {
    let hinted = match query.id_token_hint {
        Some(hint) => Some(audience_of_hint(conn, keys, config, now, hint).await?),
        None => None,
    };
    let client_id = match (hinted.as_deref(), query.client_id) {
        (Some(hinted), Some(given)) if hinted != given => {
            return Err(refused("This sign-out request names two different apps."))
        }
        (hinted, given) => hinted.or(given),
    };
    let app = match client_id {
        Some(id) => apps::find_app_by_client_id(conn, id)
            .await
            .map_err(ErrorPage::store_unavailable)?,
        None => None,
    };
    let uri = match query.post_logout_redirect_uri {
        None => None,
        Some(uri)
            if app
                .as_ref()
                .is_some_and(|a| a.post_logout_redirect_uris.iter().any(|known| known == uri)) =>
        {
            Some(uri.to_owned())
        }
        Some(uri) => return Err(unregistered(uri)),
    };
    Ok(Destination { app, uri })
}

/// The `aud` of an ID token we signed (expired or not: a hint may be old).
async fn audience_of_hint(
    conn: &mut AnyConnection,
    keys: &KeyRing,
    config: &AppConfig,
    now: i64,
    hint: &str,
) -> Result<String, ErrorPage> {
    let bad = || refused("This sign-out request carries an ID token that gitlogin did not sign.");
    // An ID token only: identity and access tokens are signed with the same keys.
    let expected = Expected {
        typ: super::id_token::TYP,
        issuer: &config.public_url,
        unexpired: false,
    };
    let claims = verify::our_token(keys, conn, hint, &expected, now)
        .await
        .ok_or_else(bad)?;
    claims["aud"].as_str().map(str::to_owned).ok_or_else(bad)
}

/// What the GET answers: the confirmation page, or straight on when nobody is signed in.
#[derive(rocket::Responder)]
enum Confirmation {
    Page(Page),
    Redirect(Box<Redirect>),
}

#[get("/oauth/logout?<query..>")]
async fn confirm(
    query: LogoutQuery<'_>,
    current: Option<CurrentUser>,
    keys: &State<KeyRing>,
    config: &State<AppConfig>,
    clock: &State<Clock>,
    targets: &FormTargets,
    mut conn: RequestConn,
) -> Result<Confirmation, ErrorPage> {
    // The page's form sends `state` back, and forms are capped at 4 KiB (`Rocket.toml`).
    if query.state.is_some_and(|state| state.len() > MAX_STATE) {
        return Err(refused("This sign-out request's state is too long."));
    }
    let destination = destination(&mut conn, keys, config, clock.now(), &query).await?;
    let Some(current) = current else {
        // Nobody to sign out: straight on.
        return Ok(Confirmation::Redirect(Box::new(go(
            destination.uri.as_deref(),
            query.state,
        ))));
    };
    // The button's answer redirects there: the page's `form-action` must let it.
    if let Some(uri) = &destination.uri {
        targets.allow(uri);
    }
    let context = LogoutPage {
        csrf_token: current.csrf_token(),
        login: &current.user.login,
        app: destination.app.as_ref().map(|a| a.name.as_str()),
        client_id: destination.app.as_ref().map(|a| a.client_id.as_str()),
        post_logout_redirect_uri: destination.uri.as_deref(),
        state: query.state,
    };
    Ok(Confirmation::Page(Page::render(
        "end_session.html.tera",
        context,
    )))
}

#[derive(FromForm)]
struct Confirmed<'r> {
    csrf_token: Option<&'r str>,
    client_id: Option<&'r str>,
    post_logout_redirect_uri: Option<&'r str>,
    state: Option<&'r str>,
}

impl CsrfForm for Confirmed<'_> {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token
    }
}

/// The button: signs out of gitlogin, then back to the app if it said where.
#[post("/oauth/logout", data = "<post>")]
async fn sign_out(
    post: CheckedPost<Confirmed<'_>>,
    outbox: &State<Outbox>,
    policy: &State<CookiePolicy>,
    jar: &CookieJar<'_>,
    keys: &State<KeyRing>,
    config: &State<AppConfig>,
    clock: &State<Clock>,
) -> Result<SignedOut, ErrorPage> {
    let CheckedPost {
        session: current,
        form,
        db: mut conn,
    } = post;
    // The hidden fields came back from the browser: checked again as if new.
    let query = LogoutQuery {
        id_token_hint: None,
        client_id: form.client_id,
        post_logout_redirect_uri: form.post_logout_redirect_uri,
        state: form.state,
    };
    let destination = destination(&mut conn, keys, config, clock.now(), &query).await?;
    models::sign_out(&mut conn, outbox, &current.user, &current.session.id_hash)
        .await
        .map_err(ErrorPage::store_unavailable)?;
    let signed_out = SignedOut::finish(&current, jar, policy);
    Ok(signed_out.then(go(destination.uri.as_deref(), form.state)))
}

/// Back to the registered URI with the app's `state` (OpenID Connect RP-Initiated Logout
/// 1.0, section 3), or to gitlogin's home page when the request named none.
fn go(uri: Option<&str>, state: Option<&str>) -> Redirect {
    let Some(uri) = uri else {
        return Redirect::to(uri!("/"));
    };
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if let Some(state) = state {
        query.append_pair("state", state);
    }
    Redirect::to(super::back::append_query(uri, &query.finish()))
}
