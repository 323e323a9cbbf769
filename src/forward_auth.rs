//! `GET /auth/check`: how a reverse proxy asks "who is this?" before letting a request
//! through to another service (nginx `auth_request`, Traefik `ForwardAuth`, Caddy
//! `forward_auth`).
//!
//! It answers with status and headers only. It never redirects (the proxy decides where to
//! send a stranger) and never starts a session.

use rocket::http::{Header, Status};
use rocket::request::{Outcome, Request};
use rocket::response::{self, Responder, Response};
use rocket::{get, routes, Route};

use crate::session::{CurrentUser, StoreUnavailable};

pub fn routes() -> Vec<Route> {
    routes![check]
}

/// What the proxy learns: who, or 401 (no live session; the guard also applies the
/// allow-lists, so someone taken off them is no longer signed in) or 503 (the store did not
/// answer).
pub enum Verdict {
    SignedIn {
        login: String,
        email: Option<String>,
        github_id: i64,
    },
    Refused(Status),
}

#[get("/auth/check")]
fn check(current: Outcome<CurrentUser, StoreUnavailable>) -> Verdict {
    match current {
        Outcome::Success(current) => Verdict::SignedIn {
            login: current.user.login,
            email: current.user.email,
            github_id: current.user.github_id.0,
        },
        Outcome::Forward(_) => Verdict::Refused(Status::Unauthorized),
        Outcome::Error(_) => Verdict::Refused(Status::ServiceUnavailable),
    }
}

impl<'r> Responder<'r, 'static> for Verdict {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let mut response = Response::build();
        match self {
            Verdict::SignedIn {
                login,
                email,
                github_id,
            } => {
                response.status(Status::Ok);
                response.header(Header::new("X-Auth-Request-User", header_safe(login)));
                if let Some(email) = email {
                    response.header(Header::new("X-Auth-Request-Email", header_safe(email)));
                }
                response.header(Header::new(
                    "X-Auth-Request-Github-Id",
                    github_id.to_string(),
                ));
            }
            Verdict::Refused(status) => {
                response.status(status);
            }
        }
        response.ok()
    }
}

/// Header values come from GitHub; keep them to printable ASCII so nothing can be smuggled
/// into the proxy's request to the protected service.
fn header_safe(value: String) -> String {
    value.chars().filter(|c| c.is_ascii_graphic()).collect()
}
