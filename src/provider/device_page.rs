//! The device authorization grant, step 2: at `/device` the person types the code their
//! device shows (or follows `verification_uri_complete`, which fills it in), sees which app
//! asks and for what, and answers (`device_answer.rs`). A person not signed in signs in with
//! GitHub first and comes back here.
//!
//! A user code is short (RFC 8628 §5.1): with enough tries, someone typing codes at random
//! would land on a request another person's device is waiting on, and answer it in their
//! place. So wrong codes are counted per person (signing in again does not reset them), and
//! the tenth within ten minutes refuses that person any code for ten minutes.

use rocket::form::FromForm;
use rocket::request::Outcome;
use rocket::response::Redirect;
use rocket::{get, post, routes, uri, Either, Route, State};
use rocket_db_pools::sqlx::AnyConnection;
use serde::Serialize;

use super::api_grants::{self, Offer};
use super::consent::{api_words, in_words, ApiWords};
use super::device::normalize_user_code;
use super::request::AuthRequest;
use crate::auth::csrf::{CheckedPost, CsrfForm};
use crate::auth::next::SafeNext;
use crate::auth::session::{CurrentUser, LookupFailed};
use crate::config::AppConfig;
use crate::models::device_requests::{self, DeviceRow};
use crate::models::{apps, User};
use crate::ops::clock::Clock;
use crate::ops::logging::audit;
use crate::ops::random::sha256_hex;
use crate::web::error_pages::ErrorPage;
use crate::web::templates::Page;

/// Wrong codes a person may type within [`LOCKOUT_SECS`] before they are refused for as long.
const MAX_WRONG_CODES: i64 = 10;
const LOCKOUT_SECS: i64 = 10 * 60;

pub fn routes() -> Vec<Route> {
    routes![enter, typed]
}

/// The page to type a code on, filled in from `?user_code=`.
#[get("/device?<user_code>")]
fn enter(
    user_code: Option<&str>,
    current: Outcome<CurrentUser, LookupFailed>,
) -> Result<Either<Page, Redirect>, ErrorPage> {
    let current = match current {
        Outcome::Success(current) => current,
        Outcome::Forward(_) => return Ok(Either::Right(sign_in_first(user_code))),
        Outcome::Error((status, _)) => return Err(ErrorPage::for_status(status)),
    };
    Ok(Either::Left(entry_page(
        &current,
        user_code.unwrap_or(""),
        None,
    )))
}

/// Through the GitHub sign-in, back to this page with the code still filled in.
pub(super) fn sign_in_first(user_code: Option<&str>) -> Redirect {
    let here = uri!(enter(user_code = user_code)).to_string();
    Redirect::to(uri!(crate::auth::login(next = SafeNext::parse(&here))))
}

pub(super) fn entry_page(current: &CurrentUser, user_code: &str, message: Option<&str>) -> Page {
    Page::render(
        "device.html.tera",
        rocket_dyn_templates::context! {
            login: &current.user.login,
            csrf_token: current.csrf_token(),
            user_code,
            message,
        },
    )
}

#[derive(FromForm)]
pub(super) struct CodeForm<'r> {
    csrf_token: Option<&'r str>,
    user_code: &'r str,
}

impl CsrfForm for CodeForm<'_> {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token
    }
}

/// A typed code: the confirmation page for its request, or this page again saying why not.
#[post("/device", data = "<post>")]
async fn typed(
    post: CheckedPost<CodeForm<'_>>,
    config: &State<AppConfig>,
    clock: &State<Clock>,
) -> Result<Either<Page, Redirect>, ErrorPage> {
    let CheckedPost {
        session: current,
        form,
        mut db,
    } = post;
    let now = clock.now();
    let found = find(&mut db, &current.user, form.user_code, now)
        .await
        .map_err(ErrorPage::store_unavailable)?;
    let (row, mut request, user_code) = match found {
        Typed::Waiting(waiting) => (waiting.row, waiting.request, waiting.shown),
        Typed::Refused(message) => {
            return Ok(Either::Left(entry_page(
                &current,
                form.user_code,
                Some(message),
            )))
        }
    };
    let Some(app) = apps::find_app_by_id(&mut db, row.app_id)
        .await
        .map_err(ErrorPage::store_unavailable)?
    else {
        return Ok(Either::Left(entry_page(&current, "", Some(WRONG))));
    };
    let offer = api_grants::for_person(&mut db, config, &request, &current.user, now)
        .await
        .map_err(ErrorPage::store_unavailable)?;
    let apis = match offer {
        Offer::Apis(apis) => apis,
        Offer::RecheckDue => return Ok(Either::Right(sign_in_first(Some(form.user_code)))),
    };
    // What Allow may give at most: what this page shows.
    request.shown = apis.iter().map(|api| api.grant.clone()).collect();
    let kept = serde_json::to_string(&request).expect("a request serializes");
    device_requests::shown(&mut db, &row.device_code_hash, &kept)
        .await
        .map_err(ErrorPage::store_unavailable)?;
    let context = Confirmation {
        app: &app.name,
        gives: request.scope.split(' ').filter_map(in_words).collect(),
        apis: api_words(&apis),
        user_code,
        csrf_token: current.csrf_token(),
        login: &current.user.login,
    };
    Ok(Either::Left(Page::render(
        "device_confirm.html.tera",
        context,
    )))
}

#[derive(Serialize)]
struct Confirmation<'a> {
    app: &'a str,
    gives: Vec<&'static str>,
    apis: Vec<ApiWords<'a>>,
    user_code: String,
    csrf_token: &'a str,
    login: &'a str,
}

const WRONG: &str =
    "That code is wrong or has expired. Check the code your device shows, or start again there.";
const LOCKED: &str = "Too many wrong codes. You can try again in ten minutes.";

/// What a typed code finds.
pub(super) enum Typed {
    Waiting(Box<Waiting>),
    /// Nothing: what to tell the person.
    Refused(&'static str),
}

/// A request waiting for its person.
pub(super) struct Waiting {
    pub(super) row: DeviceRow,
    pub(super) request: AuthRequest,
    /// The code as the device shows it, `XXXX-XXXX`.
    pub(super) shown: String,
}

/// The waiting request `typed` names, for `user` to answer. A person locked out is told so
/// before anything else is looked at.
pub(super) async fn find(
    conn: &mut AnyConnection,
    user: &User,
    typed: &str,
    now: i64,
) -> rocket_db_pools::sqlx::Result<Typed> {
    if device_requests::locked_until(conn, user.id).await? > now {
        return Ok(Typed::Refused(LOCKED));
    }
    if let Some(code) = normalize_user_code(typed) {
        let row = device_requests::waiting_for(conn, &sha256_hex(&code), now).await?;
        let request = row
            .as_ref()
            .and_then(|row| serde_json::from_str(&row.request).ok());
        if let (Some(row), Some(request)) = (row, request) {
            let shown = format!("{}-{}", &code[..4], &code[4..]);
            return Ok(Typed::Waiting(Box::new(Waiting {
                row,
                request,
                shown,
            })));
        }
    }
    let wrong = device_requests::count_failure(conn, user.id, now, LOCKOUT_SECS).await?;
    if wrong < MAX_WRONG_CODES {
        return Ok(Typed::Refused(WRONG));
    }
    device_requests::lock(conn, user.id, now + LOCKOUT_SECS).await?;
    audit!(
        "device code refused github_id={} login={:?} reason=too_many_user_codes",
        user.github_id.0,
        user.login
    );
    Ok(Typed::Refused(LOCKED))
}
