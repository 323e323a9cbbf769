//! The device authorization grant, step 2's end: Allow or Deny on the confirmation page
//! (`device_page.rs`), a POST with the session's CSRF token from this site's own page. Allow
//! from someone the app's rules admit is remembered as a consent is, and the grant waits as
//! a code whose hash is the device code's, until the device polls (`device_poll.rs`).

use rocket::form::FromForm;
use rocket::{post, State};
use rocket_db_pools::sqlx::Connection as _;

use super::authorize;
use super::consent::{self, Answering};
use super::device_page::{entry_page, find, Typed};
use crate::auth::csrf::{CheckedPost, CsrfForm};
use crate::config::AppConfig;
use crate::models::{apps, device_requests, Outbox};
use crate::ops::clock::Clock;
use crate::web::error_pages::ErrorPage;
use crate::web::templates::Page;

#[derive(FromForm)]
pub(super) struct AnswerForm<'r> {
    csrf_token: Option<&'r str>,
    user_code: &'r str,
    decision: &'r str,
}

impl CsrfForm for AnswerForm<'_> {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token
    }
}

/// The answer. The code is looked up again, and counted if wrong: a form posted with a
/// guessed code is no way around the limit.
#[post("/device/answer", data = "<post>")]
pub(super) async fn answer(
    post: CheckedPost<AnswerForm<'_>>,
    config: &State<AppConfig>,
    outbox: &State<Outbox>,
    clock: &State<Clock>,
) -> Result<Page, ErrorPage> {
    let CheckedPost {
        session: current,
        form,
        mut db,
    } = post;
    let now = clock.now();
    let store = ErrorPage::store_unavailable;
    let (row, request) = match find(&mut db, &current.user, form.user_code, now)
        .await
        .map_err(store)?
    {
        Typed::Waiting(waiting) => (waiting.row, waiting.request),
        Typed::Refused(message) => return Ok(entry_page(&current, form.user_code, Some(message))),
    };
    let app = apps::find_app_by_id(&mut db, row.app_id)
        .await
        .map_err(store)?;
    // Only the Allow button's value allows: anything else the form says is a no.
    let apis = match (app, form.decision) {
        (Some(app), "allow") => {
            let at = Answering {
                config,
                outbox,
                now,
                current: &current,
            };
            consent::remember_yes(&mut db, &at, &app, &request)
                .await
                .map_err(store)?
        }
        _ => None,
    };
    let Some(apis) = apis else {
        device_requests::answer(&mut db, &row.device_code_hash, false)
            .await
            .map_err(store)?;
        return Ok(done(
            "Not signed in",
            "The device was told no. You can close this page.",
        ));
    };
    // The answer and the grant, together or not at all.
    let mut tx = db.begin().await.map_err(store)?;
    if !device_requests::answer(&mut tx, &row.device_code_hash, true)
        .await
        .map_err(store)?
    {
        // Rolled back at once: a transaction merely dropped keeps SQLite's write lock a moment.
        tx.rollback().await.map_err(store)?;
        let answered = Some("That code was answered already.");
        return Ok(entry_page(&current, "", answered));
    }
    let waits = (row.device_code_hash.clone(), row.expires_at);
    authorize::store_grant(&mut tx, now, &current, (&request, "device"), &apis, waits)
        .await
        .map_err(store)?;
    tx.commit().await.map_err(store)?;
    Ok(done(
        "Device signed in",
        "You can go back to your device: it is signed in as you.",
    ))
}

fn done(heading: &str, message: &str) -> Page {
    Page::render(
        "device_done.html.tera",
        rocket_dyn_templates::context! { heading, message },
    )
}
