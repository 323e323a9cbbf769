//! `SignedOut`: how every way of signing out ends in the browser (the log line, the cookie, the
//! "Signed out" message, the browser's cache), wherever the session row was deleted.

use rocket::http::CookieJar;
use rocket::request::Request;
use rocket::response::Redirect;
use rocket::uri;

use super::session::{remove_cookie, CurrentUser};
use crate::config::AppConfig;
use crate::ops::logging::audit;
use crate::web::cookies::CookiePolicy;
use crate::web::flash::Flash;

/// The redirect home after signing out, telling the browser to drop what it cached of this
/// site, so the back button cannot show a signed-in page again. (Pages are `no-store`
/// already; this also covers a browser's back/forward cache.)
pub struct SignedOut {
    redirect: Redirect,
}

impl<'r> rocket::response::Responder<'r, 'static> for SignedOut {
    fn respond_to(self, req: &'r Request<'_>) -> rocket::response::Result<'static> {
        let mut response = self.redirect.respond_to(req)?;
        // Browsers act on this header only from a secure context (https, or a loopback
        // host), and log an error for it anywhere else (plain http on a LAN name).
        let secure = req
            .rocket()
            .state::<AppConfig>()
            .is_some_and(AppConfig::is_secure_context);
        if secure {
            response.set_raw_header("Clear-Site-Data", "\"cache\"");
        }
        Ok(response)
    }
}

impl SignedOut {
    /// This browser's half of signing out, once its session row is gone: the log line, the
    /// cookie, the "Signed out" message, and home.
    pub fn finish(current: &CurrentUser, jar: &CookieJar<'_>, policy: &CookiePolicy) -> SignedOut {
        audit!(
            "sign-out github_id={} login={:?}",
            current.user.github_id.0,
            current.user.login
        );
        crate::ops::metrics::sign_out();
        remove_cookie(jar, policy);
        Flash::SignedOut.set(jar, policy);
        SignedOut::home()
    }

    /// The same, going on to `redirect` instead of home (an app's registered page).
    pub fn then(self, redirect: Redirect) -> SignedOut {
        SignedOut { redirect }
    }

    pub fn home() -> SignedOut {
        SignedOut {
            redirect: Redirect::to(uri!("/")),
        }
    }
}
