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
    /// HTTP 403 as GitHub limits requests.
    RateLimited(Limit),
}

/// Which of GitHub's rate limits answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// A secondary limit: `Retry-After` in seconds.
    RetryAfter(u64),
    /// The hourly limit used up: `X-RateLimit-Remaining: 0`, and the reset this many seconds
    /// from now (`X-RateLimit-Reset`, unix seconds).
    Exhausted { resets_in: u64 },
    /// `X-RateLimit-Remaining: 0` without a reset time.
    ExhaustedNoReset,
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
            headers: Vec::new(),
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
        Fault::RateLimited(limit) => Some(rate_limited(limit)),
    }
}

fn rate_limited(limit: Limit) -> Answer {
    let body = json!({
        "message": "API rate limit exceeded",
        "documentation_url": "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api",
    });
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let headers = match limit {
        Limit::RetryAfter(seconds) => vec![("Retry-After", seconds.to_string())],
        Limit::Exhausted { resets_in } => vec![
            ("X-RateLimit-Remaining", "0".to_owned()),
            ("X-RateLimit-Reset", (now + resets_in).to_string()),
        ],
        Limit::ExhaustedNoReset => vec![("X-RateLimit-Remaining", "0".to_owned())],
    };
    Answer {
        headers,
        ..Answer::json(Status::Forbidden, body)
    }
}

/// One answer of the fake, its body streamed (after the padding of [`Fault::Padded`]).
pub struct Answer {
    status: Status,
    content_type: ContentType,
    body: String,
    padding: u64,
    headers: Vec<(&'static str, String)>,
}

impl Answer {
    pub(super) fn json(status: Status, body: Value) -> Answer {
        Answer {
            status,
            content_type: ContentType::JSON,
            body: body.to_string(),
            padding: 0,
            headers: Vec::new(),
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
        let mut response = rocket::Response::build();
        response.status(self.status).header(self.content_type);
        for (name, value) in self.headers {
            response.raw_header(name, value);
        }
        response.streamed_body(body).ok()
    }
}
