//! Security headers on every response, error pages included.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{Header, Status};
use rocket::{Request, Response};

/// Only this site's own styles and images (plus GitHub's avatar host); no scripts at all;
/// forms post only here; no one may frame us.
const CSP: &str =
    "default-src 'none'; style-src 'self'; img-src 'self' https://avatars.githubusercontent.com; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

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
        res.set_header(Header::new("Content-Security-Policy", CSP));
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
