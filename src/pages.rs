//! The pages people visit: home, the guarded About page, and the health check.

use rocket::http::{ContentType, Status};
use rocket::response::Redirect;
use rocket::{get, routes, uri, Route, State};
use rocket_dyn_templates::{context, Template};
use serde::Serialize;

use crate::config::AppConfig;
use crate::db::Db;
use crate::flash::FlashMessage;
use crate::models::{self, User};
use crate::session::CurrentUser;

pub fn routes() -> Vec<Route> {
    routes![home, about, about_signed_out, health]
}

/// Everyone's landing page: a sign-in button, or who you are and a sign-out button.
#[get("/")]
fn home(current: Option<CurrentUser>, flash: FlashMessage, config: &State<AppConfig>) -> Template {
    Template::render(
        "home",
        context! {
            demo: config.demo,
            flash: flash.0,
            user: current.as_ref().map(|c| UserView::from(&c.user)),
            csrf_token: current.as_ref().map(CurrentUser::csrf_token),
        },
    )
}

/// The guarded page. `CurrentUser` only exists for a live session, so this handler cannot
/// run for anyone else; they fall through to `about_signed_out`.
#[get("/about")]
fn about(current: CurrentUser, flash: FlashMessage, config: &State<AppConfig>) -> Template {
    Template::render(
        "about",
        context! {
            demo: config.demo,
            flash: flash.0,
            user: UserView::from(&current.user),
            csrf_token: current.csrf_token(),
        },
    )
}

/// Not signed in: sign in first, then come back here.
#[get("/about", rank = 2)]
fn about_signed_out() -> Redirect {
    Redirect::to(uri!("/login?next=/about"))
}

/// 200 while the store answers a query that reads a table, 503 otherwise. The pool gives up
/// after `connect_timeout`, so a locked or missing store answers instead of hanging.
#[get("/health")]
async fn health(db: &Db) -> (Status, (ContentType, &'static str)) {
    let answered = match db.acquire().await {
        Ok(mut conn) => models::ping(&mut conn).await.is_ok(),
        Err(_) => false,
    };
    if answered {
        (Status::Ok, (ContentType::JSON, r#"{"status":"ok"}"#))
    } else {
        let body = r#"{"status":"unavailable"}"#;
        (Status::ServiceUnavailable, (ContentType::JSON, body))
    }
}

/// A user as the templates show them, with times already written out.
#[derive(Serialize)]
struct UserView<'a> {
    login: &'a str,
    display_name: &'a str,
    name: Option<&'a str>,
    email: Option<&'a str>,
    avatar_url: Option<&'a str>,
    github_id: i64,
    first_seen: String,
    last_sign_in: String,
}

impl<'a> From<&'a User> for UserView<'a> {
    fn from(user: &'a User) -> Self {
        UserView {
            login: &user.login,
            display_name: user.display_name(),
            name: user.name.as_deref(),
            email: user.email.as_deref(),
            avatar_url: user.avatar_url.as_deref(),
            github_id: user.github_id.0,
            first_seen: utc(user.created_at),
            last_sign_in: utc(user.last_login_at),
        }
    }
}

/// `2026-11-23 14:05 UTC`
fn utc(unix_secs: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(unix_secs) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02} UTC",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        ),
        Err(_) => "unknown".into(),
    }
}
