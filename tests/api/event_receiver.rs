//! The operator's receiver of events, as a test runs it on 127.0.0.1: it checks every
//! delivery's signature as a receiver must (HMAC-SHA256 over the raw body, compared in
//! constant time) and keeps what it got; it answers with the status the test sets, or not at
//! all (`silent`).

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rocket::data::{Data, ToByteUnit};
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::{post, routes, State};
use serde_json::Value;

use gitlogin::ops::loopback;

/// The secret the tests' apps sign with.
pub const SECRET: &str = "the-receivers-shared-secret";

/// One delivery, as received.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub body: Value,
    /// The `X-Gitlogin-Event` header.
    pub event: String,
}

impl Delivery {
    pub fn kind(&self) -> &str {
        self.body["type"].as_str().unwrap()
    }
}

#[derive(Default)]
struct Received {
    deliveries: Mutex<Vec<Delivery>>,
    /// Every attempt, answered or not, with the body's `id`.
    attempts: Mutex<Vec<String>>,
    status: AtomicU16,
}

/// A running receiver.
pub struct Receiver {
    pub url: String,
    received: Arc<Received>,
}

impl Receiver {
    /// Answers 204 on `port` (0: any free one).
    pub async fn start(port: u16) -> Receiver {
        let received = Arc::new(Received {
            status: AtomicU16::new(204),
            ..Received::default()
        });
        let rocket = rocket::custom(loopback::figment(port))
            .manage(received.clone())
            .mount("/", routes![take]);
        let listening = loopback::launch(rocket).await.expect("the receiver starts");
        Receiver {
            url: format!("http://127.0.0.1:{}/in", listening.port),
            received,
        }
    }

    /// From now on, answers every delivery with `status`.
    pub fn answer(&self, status: u16) {
        self.received.status.store(status, Ordering::Relaxed);
    }

    /// The deliveries whose signature was right, in the order they came.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.received.deliveries.lock().unwrap().clone()
    }

    /// Every attempt's event id, whatever was answered.
    pub fn attempts(&self) -> Vec<String> {
        self.received.attempts.lock().unwrap().clone()
    }
}

/// The headers a delivery must carry.
struct Signed {
    signature: Option<String>,
    event: String,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Signed {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let header = |name| req.headers().get_one(name).map(str::to_owned);
        Outcome::Success(Signed {
            signature: header("X-Gitlogin-Signature-256"),
            event: header("X-Gitlogin-Event").unwrap_or_default(),
        })
    }
}

#[post("/in", data = "<data>")]
async fn take(signed: Signed, data: Data<'_>, received: &State<Arc<Received>>) -> Status {
    let body = data
        .open(1.mebibytes())
        .into_bytes()
        .await
        .unwrap()
        .into_inner();
    let parsed: Value = serde_json::from_slice(&body).unwrap();
    received
        .attempts
        .lock()
        .unwrap()
        .push(parsed["id"].as_str().unwrap_or_default().to_owned());
    let status = Status::new(received.status.load(Ordering::Relaxed));
    if status.code >= 300 {
        return status;
    }
    if !signature_is_right(signed.signature.as_deref(), &body) {
        return Status::Unauthorized;
    }
    received.deliveries.lock().unwrap().push(Delivery {
        body: parsed,
        event: signed.event,
    });
    status
}

/// What a receiver does with `X-Gitlogin-Signature-256`: `sha256=` and the hex HMAC of the
/// bytes received, checked in constant time (ring's `verify`).
fn signature_is_right(header: Option<&str>, body: &[u8]) -> bool {
    let Some(hex) = header.and_then(|h| h.strip_prefix("sha256=")) else {
        return false;
    };
    let Some(tag) = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
    else {
        return false;
    };
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET.as_bytes());
    ring::hmac::verify(&key, body, &tag).is_ok()
}

/// A receiver that takes connections and never answers: how long the app waits is its own
/// `EVENTS_TIMEOUT`. Counts the connections it took.
pub async fn silent() -> (String, Arc<Mutex<usize>>) {
    let listener = rocket::tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap();
    let url = format!("http://{}/in", listener.local_addr().unwrap());
    let taken = Arc::new(Mutex::new(0));
    let count = taken.clone();
    rocket::tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            *count.lock().unwrap() += 1;
            held.push(stream);
        }
    });
    (url, taken)
}

/// Waits (at most ten seconds) until `done` holds: the sender runs in the background.
pub async fn eventually(what: &str, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..500 {
        if done().await {
            return;
        }
        rocket::tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("never happened: {what}");
}
