//! Steps 2 to 4 for a checked request, as one decision over the store: whether the person
//! must sign in (again), whether the app's rules and the global allow-lists admit them,
//! whether they have consented to every scope asked, and, when all is well, a code. The
//! handlers in `provider.rs` and `consent.rs` turn a [`AuthorizeOutcome`] into a redirect or a page.

use rocket_db_pools::sqlx::{self, AnyConnection};

use super::api_grants::{self, Offer, OfferedApi};
use super::redirect_uris;
use super::request::{self, AuthRequest};
use crate::access::app_rules;
use crate::access::Standing;
use crate::auth::session::CurrentUser;
use crate::config::AppConfig;
use crate::models::apps::StoredApp;
use crate::models::consents;
use crate::models::grant_apis::GrantApi;
use crate::models::grants::{self, NewCode};
use crate::ops::random::{sha256_hex, token};

/// A code lives this long: long enough for the app's server to redeem it at once.
const CODE_LIFETIME_SECS: i64 = 60;

/// What the authorization endpoint does with a checked request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum AuthorizeOutcome {
    /// Through the GitHub sign-in first, carrying the request, then back.
    SignIn,
    /// Back to the app with this OAuth 2.0 or OpenID Connect error code.
    Refuse(&'static str),
    /// The consent page: the person has not granted every scope asked yet.
    AskConsent,
    /// Back to the app with this code.
    Code(String),
}

/// Steps 2 to 4 for `request`, by `current` if someone is signed in, at `now`.
pub(crate) async fn decide(
    conn: &mut AnyConnection,
    config: &AppConfig,
    now: i64,
    current: Option<&CurrentUser>,
    app: &StoredApp,
    request: &AuthRequest,
) -> Result<AuthorizeOutcome, sqlx::Error> {
    let signed_in_enough = current.filter(|current| {
        let age = now - current.session.created_at;
        // Signed in since the app asked: that sign-in is what `prompt=login` and `max_age`
        // ask for, however long it took.
        let fresh = current.session.created_at >= request.asked_at;
        request.max_age.is_none_or(|max| fresh || age <= max) && (fresh || !request.fresh_login)
    });
    // `prompt=none` (Core 3.1.2.6): never a page, so an error instead of each one.
    let unless_no_prompt = |decision, error| {
        if request.no_prompt {
            AuthorizeOutcome::Refuse(error)
        } else {
            decision
        }
    };
    let Some(current) = signed_in_enough else {
        return Ok(unless_no_prompt(AuthorizeOutcome::SignIn, "login_required"));
    };
    match app_rules::pin_and_decide(conn, config, app, &current.user, now).await? {
        Standing::Admitted => {}
        // The app's membership rule is due for a recheck: the sign-in round trip does it.
        Standing::Unverified => {
            return Ok(unless_no_prompt(AuthorizeOutcome::SignIn, "login_required"))
        }
        Standing::Refused => return Ok(AuthorizeOutcome::Refuse("access_denied")),
    }
    let user = &current.user;
    let apis = match api_grants::for_person(conn, config, request, user, now).await? {
        Offer::Apis(apis) => apis,
        Offer::RecheckDue => {
            return Ok(unless_no_prompt(AuthorizeOutcome::SignIn, "login_required"))
        }
    };
    let granted = consents::consented_scope(conn, app.id, user.id).await?;
    // Asked again for anything not granted yet: a yes to `openid` is not a yes to `email`
    // or to `offline_access`, nor to an API's scope. A public app's loopback redirect is
    // asked every time (see `redirect_uris::is_loopback`).
    let impersonable =
        app.secret_hash.is_none() && redirect_uris::is_loopback(&request.redirect_uri);
    if !impersonable
        && granted.is_some_and(|granted| request::covers(&granted, &request.scope))
        && api_grants::consented(conn, app.id, user.id, &apis).await?
    {
        return Ok(AuthorizeOutcome::Code(
            issue_code(conn, now, current, request, &apis).await?,
        ));
    }
    Ok(unless_no_prompt(
        AuthorizeOutcome::AskConsent,
        "consent_required",
    ))
}

/// Step 4: a code for this person and request: random, single use, bound to the app, the
/// redirect URI and the PKCE challenge (RFC 6749 4.1.2, RFC 7636 4.4). Only its hash is
/// stored.
pub(crate) async fn issue_code(
    conn: &mut AnyConnection,
    now: i64,
    current: &CurrentUser,
    request: &AuthRequest,
    apis: &[OfferedApi],
) -> Result<String, sqlx::Error> {
    let code = token();
    let waits = (sha256_hex(&code), now + CODE_LIFETIME_SECS);
    store_grant(conn, now, current, (request, "browser"), apis, waits).await?;
    Ok(code)
}

/// The grant this person gives `request`, waiting as the code whose hash and expiry `waits`
/// holds: a random code's ([`issue_code`]), or a device code's (`device_answer.rs`), so that
/// either is redeemed, once, the same way. `origin` says which, for the About page.
pub(crate) async fn store_grant(
    conn: &mut AnyConnection,
    now: i64,
    current: &CurrentUser,
    (request, origin): (&AuthRequest, &'static str),
    apis: &[OfferedApi],
    (code_hash, expires_at): (String, i64),
) -> Result<(), sqlx::Error> {
    let apis: Vec<GrantApi> = apis.iter().map(|api| api.grant.clone()).collect();
    let new = NewCode {
        app_id: request.app_id,
        user_id: current.user.id,
        scope: &request.scope,
        nonce: request.nonce.as_deref().unwrap_or(""),
        auth_time: current.session.created_at,
        sid: &current.session.sid,
        code_hash: &code_hash,
        redirect_uri: &request.redirect_uri,
        code_challenge: request.code_challenge.as_deref().unwrap_or(""),
        expires_at,
        apis: &apis,
        origin,
    };
    grants::issue_code(conn, &new, now).await
}
