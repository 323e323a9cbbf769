//! The pages people visit: home, the guarded About page, the account controls; and the
//! probes that a load balancer or an orchestrator visits (`probes.rs`).

pub(crate) mod account;
mod metrics;
mod probes;

use rocket::request::Outcome;
use rocket::response::Redirect;
use rocket::{get, routes, uri, Either, State};
use rocket_dyn_templates::context;
use serde::Serialize;

use crate::auth::session::{CurrentUser, LiveSession, LookupFailed};
use crate::auth::{self, next::SafeNext};
use crate::config::AppConfig;
use crate::models::{self, consents, live_grants, User};
use crate::ops::clock::Clock;
use crate::store::request_conn::RequestConn;
use crate::web::error_pages::ErrorPage;
use crate::web::flash::FlashMessage;
use crate::web::templates::Page;

pub(crate) fn stage() -> rocket::fairing::AdHoc {
    rocket::fairing::AdHoc::on_ignite("Pages", |rocket| async {
        rocket
            .mount("/", routes![home, about, about_signed_out])
            .mount("/", account::routes())
            .mount("/", probes::routes())
            .manage(probes::StoreCheck::default())
            .mount("/", metrics::routes())
            .attach(metrics::listener())
            .attach(metrics::challenge())
    })
}

/// Everyone's landing page: a sign-in button, or who you are and a sign-out button.
/// Like `Option<CurrentUser>`, except that a failed lookup (the store did not answer: 503) is
/// an error page, not "signed out".
/// A session due for a membership recheck goes through GitHub again first, as every page does.
#[get("/")]
fn home(
    current: Outcome<CurrentUser, LookupFailed>,
    live: Option<LiveSession>,
    flash: FlashMessage,
    config: &State<AppConfig>,
) -> Result<Either<Page, Redirect>, ErrorPage> {
    let current = match current {
        Outcome::Success(current) => Some(current),
        Outcome::Forward(_) if live.is_some() => {
            let home = SafeNext::default();
            return Ok(Either::Right(Redirect::to(uri!(auth::login(
                next = Some(home)
            )))));
        }
        Outcome::Forward(_) => None,
        Outcome::Error((status, _)) => return Err(ErrorPage::for_status(status)),
    };
    Ok(Either::Left(Page::render(
        "home.html.tera",
        context! {
            demo: config.demo,
            flash: flash.0,
            user: current.as_ref().map(|c| UserView::from(&c.user)),
            csrf_token: current.as_ref().map(CurrentUser::csrf_token),
        },
    )))
}

/// The guarded page. `CurrentUser` only exists for a live session, so this handler cannot
/// run for anyone else; they fall through to `about_signed_out`.
#[get("/about")]
async fn about(
    current: CurrentUser,
    flash: FlashMessage,
    config: &State<AppConfig>,
    clock: &State<Clock>,
    mut db: RequestConn,
) -> Result<Page, ErrorPage> {
    let now = clock.now();
    let idle_before = now - config.sessions.idle_timeout;
    let sessions = models::list_sessions(&mut db, current.user.id, idle_before, now)
        .await
        .map_err(ErrorPage::store_unavailable)?;
    let sessions: Vec<_> = sessions
        .iter()
        .map(|s| SessionView {
            id: &s.id_hash,
            device: device_label(s.user_agent.as_deref()),
            created: utc(s.created_at),
            last_seen: utc(s.last_seen_at),
            current: s.id_hash == current.session.id_hash,
        })
        .collect();
    let apps = consents::consented_apps(&mut db, current.user.id)
        .await
        .map_err(ErrorPage::store_unavailable)?;
    let grants = live_grants::live_grants_of(&mut db, current.user.id, now)
        .await
        .map_err(ErrorPage::store_unavailable)?;
    let apps: Vec<_> = apps
        .iter()
        .map(|(id, name)| {
            let grants: Vec<_> = grants
                .iter()
                .filter(|g| g.app_id == *id)
                .map(|g| GrantView {
                    id: g.id,
                    device: g.origin == "device",
                    first: utc(g.created_at),
                    last: (g.last_used_at > 0).then(|| utc(g.last_used_at)),
                })
                .collect();
            context! { id: id, name: name, grants: grants }
        })
        .collect();
    Ok(Page::render(
        "about.html.tera",
        context! {
            demo: config.demo,
            flash: flash.0,
            user: UserView::from(&current.user),
            csrf_token: current.csrf_token(),
            sessions,
            apps,
        },
    ))
}

/// Not signed in: sign in first, then come back here.
#[get("/about", rank = 2)]
fn about_signed_out() -> Redirect {
    let about = SafeNext::parse(&uri!(about).to_string());
    Redirect::to(uri!(auth::login(next = about)))
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

/// One of the person's sessions, as the About page lists it.
#[derive(Serialize)]
struct SessionView<'a> {
    /// The stored hash, which the revoke form sends back; never the cookie's value.
    id: &'a str,
    device: String,
    created: String,
    last_seen: String,
    current: bool,
}

/// "Firefox on Linux": enough for a person to recognise their own browsers.
fn device_label(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.filter(|ua| !ua.trim().is_empty()) else {
        return "Unknown device".into();
    };
    let has = |needle: &str| ua.contains(needle);
    let browser = if has("Edg/") {
        "Edge"
    } else if has("Firefox/") {
        "Firefox"
    } else if has("Chrome/") || has("Chromium/") {
        "Chrome"
    } else if has("Safari/") {
        "Safari"
    } else if has("curl/") {
        return "curl".into();
    } else {
        return ua
            .split(['/', ' '])
            .next()
            .unwrap_or("Unknown")
            .chars()
            .take(24)
            .collect();
    };
    let os = if has("iPhone") || has("iPad") {
        "iOS"
    } else if has("Android") {
        "Android"
    } else if has("Mac OS X") || has("Macintosh") {
        "macOS"
    } else if has("Windows") {
        "Windows"
    } else if has("Linux") || has("X11") {
        "Linux"
    } else {
        return browser.into();
    };
    format!("{browser} on {os}")
}

/// One grant of an app, as the About page lists it: how it began, when, and when its code or a
/// refresh token was last redeemed.
#[derive(Serialize)]
struct GrantView {
    id: i64,
    device: bool,
    first: String,
    last: Option<String>,
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

#[cfg(test)]
mod tests {
    use super::device_label;

    #[test]
    fn device_labels_name_browser_and_system() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        let chrome_mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
        let safari_ios = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(device_label(Some(firefox)), "Firefox on Linux");
        assert_eq!(device_label(Some(chrome_mac)), "Chrome on macOS");
        assert_eq!(device_label(Some(safari_ios)), "Safari on iOS");
        assert_eq!(device_label(Some("curl/8.5.0")), "curl");
        assert_eq!(device_label(None), "Unknown device");
    }
}
