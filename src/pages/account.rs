//! A person's control over their own sessions and account, from the About page: end one
//! session, end every other one, revoke an app or one of its grants, or delete the account.
//!
//! Every action is a POST checked like sign-out ([`CheckedPost`]: a live session, a
//! same-origin request and the session's CSRF token). Every query is scoped to the signed-in user, so naming someone
//! else's session finds nothing (404) and changes nothing.

use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::response::Redirect;
use rocket::{post, routes, uri, Route, State};

use crate::auth::csrf::{CheckedPost, CsrfForm};
use crate::auth::session::{self, LiveSession};
use crate::auth::signed_out::SignedOut;
use crate::models::{self, consents, grants, live_grants, Outbox};
use crate::ops::logging::audit;
use crate::web::cookies::CookiePolicy;
use crate::web::error_pages::ErrorPage;
use crate::web::flash::Flash;

pub fn routes() -> Vec<Route> {
    routes![
        revoke_session,
        revoke_other_sessions,
        revoke_app,
        revoke_grant,
        delete_account
    ]
}

#[derive(FromForm)]
struct RevokeForm<'r> {
    csrf_token: Option<&'r str>,
    /// The `id_hash` shown on the About page; never the cookie's value.
    session: &'r str,
}

/// Ends one of your sessions. Ending the one you are using is signing out.
#[post("/sessions/revoke", data = "<post>")]
async fn revoke_session(
    post: CheckedPost<RevokeForm<'_>>,
    outbox: &State<Outbox>,
    policy: &State<CookiePolicy>,
    jar: &CookieJar<'_>,
) -> Result<Revoked, ErrorPage> {
    let CheckedPost {
        session: current,
        form,
        mut db,
    } = post;
    // Anything but an id hash's 64 hex digits names no session. Refused before the query:
    // PostgreSQL rejects some bytes in text outright (NUL), which would read as a store error.
    let found = is_id_hash(form.session)
        && models::delete_own_session(&mut db, current.user.id, form.session)
            .await
            .map_err(ErrorPage::store_unavailable)?;
    if !found {
        return Err(ErrorPage::new(
            Status::NotFound,
            "That session does not exist, or has already ended.",
        ));
    }
    outbox.ring();
    if form.session == current.session.id_hash {
        return Ok(Revoked::ThisBrowser(SignedOut::finish(
            &current, jar, policy,
        )));
    }
    audit!(
        "session revoked github_id={} login={:?}",
        current.user.github_id.0,
        current.user.login
    );
    Flash::SessionRevoked.set(jar, policy);
    Ok(Revoked::Another(Redirect::to(uri!(super::about))))
}

/// Ending this browser's own session is signing out; ending another goes back to About.
#[derive(rocket::Responder)]
enum Revoked {
    ThisBrowser(SignedOut),
    Another(Redirect),
}

#[derive(FromForm)]
struct RevokeOthersForm<'r> {
    csrf_token: Option<&'r str>,
    /// The box "and every app's access": absent means no.
    apps: bool,
}

/// "Sign out everywhere else": every session of yours but this one, and with `apps` every
/// app's grants too. An app's refresh token is not tied to the session it was minted in (an
/// app keeps it for weeks, the browser long gone): ending the sessions alone would leave a
/// thief who once held one of them the tokens they minted for themselves.
#[post("/sessions/revoke-others", data = "<post>")]
async fn revoke_other_sessions(
    post: CheckedPost<RevokeOthersForm<'_>>,
    outbox: &State<Outbox>,
    policy: &State<CookiePolicy>,
    jar: &CookieJar<'_>,
) -> Result<Redirect, ErrorPage> {
    let CheckedPost {
        session: current,
        form,
        mut db,
    } = post;
    let ended = models::delete_other_sessions(&mut db, current.user.id, &current.session.id_hash)
        .await
        .map_err(ErrorPage::store_unavailable)?;
    outbox.ring();
    let grants = if form.apps {
        grants::revoke_all_of(&mut db, current.user.id)
            .await
            .map_err(ErrorPage::store_unavailable)?
    } else {
        0
    };
    audit!(
        "sign-out elsewhere github_id={} login={:?} sessions={ended} grants={grants}",
        current.user.github_id.0,
        current.user.login
    );
    Flash::OthersSignedOut.set(jar, policy);
    Ok(Redirect::to(uri!(super::about)))
}

#[derive(FromForm)]
struct RevokeAppForm<'r> {
    csrf_token: Option<&'r str>,
    /// The app's row id, as the About page lists it.
    app: i64,
}

/// Revokes an app you signed in to: your consent, and every code and token it holds for you.
/// It asks again the next time you use it.
#[post("/apps/revoke", data = "<post>")]
async fn revoke_app(
    post: CheckedPost<RevokeAppForm<'_>>,
    outbox: &State<Outbox>,
) -> Result<Redirect, ErrorPage> {
    let CheckedPost {
        session: current,
        form,
        mut db,
    } = post;
    let revoked = consents::revoke_consent(&mut db, form.app, current.user.id)
        .await
        .map_err(ErrorPage::store_unavailable)?;
    if !revoked {
        return Err(ErrorPage::new(
            Status::NotFound,
            "You have not signed in to that app, or have already revoked it.",
        ));
    }
    outbox.ring();
    audit!(
        "app revoked app_id={} github_id={} login={:?}",
        form.app,
        current.user.github_id.0,
        current.user.login
    );
    Ok(Redirect::to(uri!(super::about)))
}

#[derive(FromForm)]
struct RevokeGrantForm<'r> {
    csrf_token: Option<&'r str>,
    /// The grant's row id, as the About page lists it.
    grant: i64,
}

/// Ends one grant of an app (a laptop's, say): its tokens stop working at once; the app's
/// other grants, and your consent, stay.
#[post("/grants/revoke", data = "<post>")]
async fn revoke_grant(post: CheckedPost<RevokeGrantForm<'_>>) -> Result<Redirect, ErrorPage> {
    let CheckedPost {
        session: current,
        form,
        mut db,
    } = post;
    let revoked = live_grants::revoke_grant(&mut db, current.user.id, form.grant)
        .await
        .map_err(ErrorPage::store_unavailable)?;
    if !revoked {
        return Err(ErrorPage::new(
            Status::NotFound,
            "That access is not yours, or has already ended.",
        ));
    }
    audit!(
        "app grant revoked grant_id={} github_id={} login={:?}",
        form.grant,
        current.user.github_id.0,
        current.user.login
    );
    Ok(Redirect::to(uri!(super::about)))
}

#[derive(FromForm)]
struct DeleteForm<'r> {
    csrf_token: Option<&'r str>,
    /// The person types their login: a deliberate act, not a stray click.
    confirm: Option<&'r str>,
}

/// Deletes the user row; the foreign key cascades to every session, in one transaction
/// with the `user.deleted` event.
/// Signing in again later creates a fresh row.
/// (A session due for a membership recheck may still do this: ending access needs no proof
/// of membership.)
#[post("/account/delete", data = "<post>")]
async fn delete_account(
    post: CheckedPost<DeleteForm<'_>, LiveSession>,
    policy: &State<CookiePolicy>,
    outbox: &State<Outbox>,
    jar: &CookieJar<'_>,
) -> Result<SignedOut, ErrorPage> {
    let (current, form, mut db) = (post.session.current, post.form, post.db);
    let confirmed = form
        .confirm
        .is_some_and(|typed| typed.trim().eq_ignore_ascii_case(&current.user.login));
    if !confirmed {
        return Err(ErrorPage::new(
            Status::BadRequest,
            "To delete your account, type your GitHub login in the confirmation box and press the button again. Nothing was deleted.",
        ));
    }
    models::delete_user(&mut db, outbox, &current.user)
        .await
        .map_err(ErrorPage::store_unavailable)?;
    audit!(
        "account deleted github_id={} login={:?}",
        current.user.github_id.0,
        current.user.login
    );
    session::remove_cookie(jar, policy);
    Flash::AccountDeleted.set(jar, policy);
    Ok(SignedOut::home())
}

impl CsrfForm for RevokeForm<'_> {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token
    }
}

impl CsrfForm for RevokeOthersForm<'_> {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token
    }
}

impl CsrfForm for RevokeAppForm<'_> {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token
    }
}

impl CsrfForm for RevokeGrantForm<'_> {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token
    }
}

impl CsrfForm for DeleteForm<'_> {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token
    }
}

/// 64 hex digits: the shape of an `id_hash`.
fn is_id_hash(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}
