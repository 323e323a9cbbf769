//! The web plumbing every page shares: how cookies are named and flagged, one-shot messages,
//! the site's own error pages, the security headers, request limits, and the templates and
//! static files compiled into the binary.

pub(crate) mod cookies;
pub(crate) mod error_pages;
pub(crate) mod flash;
pub(crate) mod headers;
pub(crate) mod limits;
mod requests;
mod static_files;
pub(crate) mod templates;

use rocket::fairing::AdHoc;
use rocket::fs::{FileServer, Options};

use crate::config::AppConfig;
use cookies::CookiePolicy;
use headers::SecurityHeaders;

pub(crate) fn stage(config: &AppConfig, templates: templates::Templates) -> AdHoc {
    let policy = CookiePolicy::new(config);
    let hsts = config.https;
    let static_dir = config.static_dir.clone();
    AdHoc::on_ignite("Web", move |rocket| async move {
        let rocket = match static_dir {
            // Files only: no index pages, no dot-files.
            Some(dir) => rocket.mount("/static", FileServer::new(dir, Options::None)),
            None => rocket,
        };
        rocket
            .manage(templates)
            .attach(SecurityHeaders { hsts })
            .attach(limits::UriLimit)
            .attach(requests::Requests)
            .manage(policy)
            .mount("/", limits::routes())
            .mount("/static", static_files::routes())
            .register("/", error_pages::catchers())
    })
}
