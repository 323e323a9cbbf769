//! The web plumbing every page shares: how cookies are named and flagged, one-shot messages,
//! the site's own error pages, the security headers, request limits, and the static files.

pub(crate) mod cookies;
pub(crate) mod error_pages;
pub(crate) mod flash;
pub(crate) mod headers;
pub(crate) mod limits;

use rocket::fairing::AdHoc;
use rocket::fs::FileServer;
use rocket_dyn_templates::Template;

use crate::config::AppConfig;
use cookies::CookiePolicy;
use headers::SecurityHeaders;

pub(crate) fn stage(config: &AppConfig) -> AdHoc {
    let policy = CookiePolicy::new(config);
    let hsts = config.https;
    AdHoc::on_ignite("Web", move |rocket| async move {
        rocket
            .attach(Template::fairing())
            .attach(SecurityHeaders { hsts })
            .attach(limits::UriLimit)
            .manage(policy)
            .mount("/", limits::routes())
            .mount("/static", FileServer::from("static"))
            .register("/", error_pages::catchers())
    })
}
