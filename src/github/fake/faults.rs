//! The fault switches: what an endpoint answers in place of its normal answer, so that tests
//! can show what the app does when GitHub is down, slow, broken or hostile.

use std::time::Duration;

use rocket::http::{ContentType, Status};
use rocket::request::Request;
use rocket::tokio::io::AsyncReadExt;
use serde_json::{json, Value};

/// What a fault switch makes an endpoint do instead of answering normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 502 with an HTML body, like GitHub's unicorn page.
    ServerError,
    /// Answer only after this long.
    Slow(Duration),
    /// HTTP 200 with a body that is not JSON.
    Garbage,
    /// (token endpoint only) HTTP 200 with `{"error": "bad_verification_code"}`.
    TokenError,
    /// (token endpoint only) HTTP 200 with an `error` code that tries to forge a log line.
    HostileTokenError,
    /// The normal answer, after this many bytes of JSON whitespace, streamed: a body too
    /// large to read whole that still parses.
    Padded(u64),
}

/// The error body of the token endpoint, which GitHub sends with HTTP 200.
pub(super) fn token_error(error: &str, description: &str) -> Value {
    json!({
        "error": error,
        "error_description": description,
        "error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors",
    })
}

/// What `fault` answers in place of the endpoint, or `None` when the endpoint answers
/// itself (after the delay of [`Fault::Slow`]; padded by [`Answer::padded`]).
pub(super) async fn apply(fault: Option<Fault>) -> Option<Answer> {
    let error = |code: &str| {
        let body = token_error(code, "The code passed is incorrect or expired.");
        Some(Answer::json(Status::Ok, body))
    };
    match fault? {
        Fault::ServerError => Some(Answer {
            status: Status::BadGateway,
            content_type: ContentType::HTML,
            body: "<html><body>Unicorn! This page is taking too long to load.</body></html>".into(),
            padding: 0,
        }),
        Fault::Slow(delay) => {
            rocket::tokio::time::sleep(delay).await;
            None
        }
        Fault::Garbage => Some(Answer {
            body: "{\"login\": tru".into(),
            ..Answer::json(Status::Ok, Value::Null)
        }),
        Fault::TokenError => error("bad_verification_code"),
        Fault::HostileTokenError => {
            error("bad_verification_code\nevent: sign-in ok github_id=1 login=\"admin\"")
        }
        Fault::Padded(_) => None,
    }
}

/// One answer of the fake, its body streamed (after the padding of [`Fault::Padded`]).
pub struct Answer {
    status: Status,
    content_type: ContentType,
    body: String,
    padding: u64,
}

impl Answer {
    pub(super) fn json(status: Status, body: Value) -> Answer {
        Answer {
            status,
            content_type: ContentType::JSON,
            body: body.to_string(),
            padding: 0,
        }
    }

    pub(super) fn padded(self, fault: Option<Fault>) -> Answer {
        match fault {
            Some(Fault::Padded(padding)) => Answer { padding, ..self },
            _ => self,
        }
    }
}

impl<'r> rocket::response::Responder<'r, 'static> for Answer {
    fn respond_to(self, _: &'r Request<'_>) -> rocket::response::Result<'static> {
        let body = rocket::tokio::io::repeat(b' ')
            .take(self.padding)
            .chain(std::io::Cursor::new(self.body.into_bytes()));
        rocket::Response::build()
            .status(self.status)
            .header(self.content_type)
            .streamed_body(body)
            .ok()
    }
}
