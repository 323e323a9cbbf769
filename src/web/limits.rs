//! Request limits. Rocket caps bodies itself (`limits` in `Rocket.toml`: a form is a few KiB
//! here, and a larger one is a 413); this caps the URI, which Rocket does not.
//!
//! A request fairing cannot answer by itself, so it re-points an oversized request at a
//! route that only answers 414. No other handler, and so no query, ever sees it.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{Method, Status};
use rocket::{get, routes, Data, Request, Route};

/// Longer request targets are refused: nothing this app serves needs more.
pub const MAX_URI_BYTES: usize = 8 * 1024;

pub struct UriLimit;

#[rocket::async_trait]
impl Fairing for UriLimit {
    fn info(&self) -> Info {
        Info {
            name: "URI length limit",
            kind: Kind::Request,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        let uri = req.uri();
        let len = uri.path().len() + uri.query().map_or(0, |q| q.len() + 1);
        if len > MAX_URI_BYTES {
            req.set_method(Method::Get);
            req.set_uri(rocket::uri!("/_limits/uri-too-long"));
        }
    }
}

#[get("/_limits/uri-too-long")]
fn uri_too_long() -> Status {
    Status::UriTooLong
}

pub fn routes() -> Vec<Route> {
    routes![uri_too_long]
}
