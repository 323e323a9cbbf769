//! Security headers on every response, error pages included.

use std::sync::{Mutex, PoisonError};

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{Header, Status};
use rocket::request::{FromRequest, Outcome};
use rocket::{Request, Response};

/// Only this site's own styles and images (plus GitHub's avatar host); no scripts at all;
/// forms post only here (and where [`FormTargets`] says); no one may frame us.
fn csp(form_targets: &str) -> String {
    format!(
        "default-src 'none'; style-src 'self'; img-src 'self' https://avatars.githubusercontent.com; \
         form-action 'self'{form_targets}; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// The origins, besides this site, that a page's form may end up at: browsers apply
/// `form-action` to the redirect that answers a form's POST too, and the consent page's and
/// the logout confirmation's answers go on to a registered app. A handler names them with
/// [`FormTargets::allow`]; only for the page it renders.
#[derive(Default)]
pub struct FormTargets(Mutex<Vec<String>>);

impl FormTargets {
    /// Lets this page's forms end at `uri`'s origin (a URI the app registered).
    pub fn allow(&self, uri: &str) {
        if let Ok(url) = url::Url::parse(uri) {
            let origin = url.origin().ascii_serialization();
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(origin);
        }
    }

    fn rendered(&self) -> String {
        let origins = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        origins.iter().map(|origin| format!(" {origin}")).collect()
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for &'r FormTargets {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(req.local_cache(FormTargets::default))
    }
}

pub struct SecurityHeaders {
    /// `PUBLIC_URL` is https: browsers should never try plain HTTP again.
    pub hsts: bool,
}

#[rocket::async_trait]
impl Fairing for SecurityHeaders {
    fn info(&self) -> Info {
        Info {
            name: "Security headers",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let form_targets = req.local_cache(FormTargets::default).rendered();
        res.set_header(Header::new("Content-Security-Policy", csp(&form_targets)));
        res.set_header(Header::new("X-Frame-Options", "DENY"));
        res.set_header(Header::new("X-Content-Type-Options", "nosniff"));
        res.set_header(Header::new("Referrer-Policy", "no-referrer"));
        if self.hsts {
            res.set_header(Header::new(
                "Strict-Transport-Security",
                "max-age=63072000; includeSubDomains",
            ));
        }
        // Pages show who is signed in, and the callback and logout change it: nothing but
        // the static files and the public keys may be kept by a browser or a shared cache
        // (or the back button). Services refetch the keys anyway when they meet a new `kid`.
        let path = req.uri().path();
        if path == "/.well-known/jwks.json" && res.status() == Status::Ok {
            res.set_header(Header::new("Cache-Control", "public, max-age=300"));
        } else if !path.starts_with("/static/") {
            res.set_header(Header::new("Cache-Control", "no-store"));
        }
    }
}
