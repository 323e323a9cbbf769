//! Events for the operator's other systems: the outbox's events (`models/events.rs`) sent to
//! `EVENTS_URL` by a [`Courier`] (`events/courier.rs`), in a task of its own, so that no
//! request ever waits for the receiver or fails because of it.
//!
//! Each event is POSTed as the JSON the outbox stored, with
//! `X-Gitlogin-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with
//! EVENTS_SECRET>` (the receiver computes the same over the bytes it got and compares in
//! constant time) and `X-Gitlogin-Event: <type>`. The body's `id` is the same at every
//! attempt: delivery is at least once, and the receiver de-duplicates by it. A 2xx answer
//! is a delivery; any other answer, no connection, or no answer within `EVENTS_TIMEOUT` is
//! tried again after the next step of [`courier::BACKOFF`] (on the app's clock), and after
//! the last attempt the event is dropped with a log line.

use std::time::Duration;

use ring::hmac;
use rocket::fairing::AdHoc;
use rocket::{Orbit, Rocket};
use rocket_db_pools::sqlx::{self, AnyPool};
use rocket_db_pools::Database;

use crate::config::{AppConfig, EventsSettings, ExposeSecret};
use crate::models::deliveries::Queue;
use crate::models::{events, Outbox};
use crate::ops::clock::Clock;
use crate::ops::metrics;
use crate::store::pool::Db;

pub(crate) mod courier;

use self::courier::{Attempt, Courier, Messenger};

/// Starts the sender at lift-off, when `EVENTS_URL` is set.
pub fn stage() -> AdHoc {
    AdHoc::on_liftoff("Event sender", |rocket| {
        Box::pin(async move {
            match courier_of(rocket) {
                Some(Ok(courier)) => {
                    rocket::tokio::spawn(courier.run(rocket.shutdown()));
                }
                Some(Err(e)) => rocket::error!("events will not be sent: {e}"),
                None => {}
            }
        })
    })
}

/// The sender, owned, so that it can run in its own task; `None` when events are off.
fn courier_of(rocket: &Rocket<Orbit>) -> Option<Result<Courier<Events>, reqwest::Error>> {
    let settings = rocket.state::<AppConfig>()?.events.clone()?;
    let pool: &AnyPool = Db::fetch(rocket)?;
    let http = reqwest::Client::builder()
        .timeout(settings.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("gitlogin/", env!("CARGO_PKG_VERSION")))
        .build();
    Some(http.map(|http| Courier {
        pool: pool.clone(),
        clock: rocket.state::<Clock>().cloned().unwrap_or_default(),
        outbox: rocket.state::<Outbox>().cloned().unwrap_or_default(),
        messenger: Events {
            key: hmac::Key::new(
                hmac::HMAC_SHA256,
                settings.secret.expose_secret().as_bytes(),
            ),
            settings,
            http,
        },
    }))
}

/// Where events go, and the key that signs them.
struct Events {
    settings: EventsSettings,
    key: hmac::Key,
    http: reqwest::Client,
}

impl Messenger for Events {
    const QUEUE: Queue = Queue::Events;
    const NAME: &'static str = "event";

    fn timeout(&self) -> Duration {
        self.settings.timeout
    }

    /// POSTs the body, signed.
    async fn deliver(&self, pool: &AnyPool, id: &str) -> sqlx::Result<(Attempt, String)> {
        let Some(body) = events::body(&mut *pool.acquire().await?, id).await? else {
            return Ok((Attempt::Gone, String::new()));
        };
        let what = format!("type={}", event_type(&body));
        let signature = hmac::sign(&self.key, body.as_bytes());
        let answer = self
            .http
            .post(self.settings.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(
                "X-Gitlogin-Signature-256",
                format!("sha256={}", crate::ops::random::hex(signature.as_ref())),
            )
            .header("X-Gitlogin-Event", event_type(&body))
            .body(body)
            .send()
            .await;
        let attempt = match answer {
            Ok(answer) if answer.status().is_success() => Attempt::Delivered,
            Ok(answer) => Attempt::Failed(format!("answered {}", answer.status().as_u16())),
            Err(e) => Attempt::Failed(courier::failure(&e)),
        };
        Ok((attempt, what))
    }

    fn count(&self, outcome: &'static str) {
        metrics::event_delivery(outcome);
    }
}

/// The `type` the outbox wrote into the body.
fn event_type(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|event| event["type"].as_str().map(str::to_owned))
        .unwrap_or_default()
}
