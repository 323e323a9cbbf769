//! Events for the operator's other systems: the sender that empties the outbox
//! (`models/events.rs`) into `EVENTS_URL`, in a task of its own, so that no request ever
//! waits for the receiver or fails because of it.
//!
//! Each event is POSTed as the JSON the outbox stored, with
//! `X-Gitlogin-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with
//! EVENTS_SECRET>` (the receiver computes the same over the bytes it got and compares in
//! constant time) and `X-Gitlogin-Event: <type>`. The body's `id` is the same at every
//! attempt: delivery is at least once, and the receiver de-duplicates by it. A 2xx answer
//! is a delivery; any other answer, no connection, or no answer within `EVENTS_TIMEOUT` is
//! tried again after the next step of [`BACKOFF`] (on the app's clock), and after the last
//! attempt the event is dropped with a log line.

use std::time::Duration;

use ring::hmac;
use rocket::fairing::AdHoc;
use rocket::{Orbit, Rocket, Shutdown};
use rocket_db_pools::sqlx::{self, AnyPool};
use rocket_db_pools::Database;

use crate::config::{AppConfig, EventsSettings, ExposeSecret};
use crate::models::events::{self, Pending};
use crate::models::Outbox;
use crate::ops::clock::Clock;
use crate::ops::logging::audit;
use crate::ops::metrics;
use crate::store::pool::Db;

/// Seconds to wait before each retry: eight attempts over about a day, so a receiver that is
/// down for a deploy or a night still gets everything.
const BACKOFF: [i64; 7] = [10, 60, 5 * 60, 30 * 60, 2 * 3600, 6 * 3600, 12 * 3600];

/// The first attempt and one per step of [`BACKOFF`].
const ATTEMPTS: i64 = BACKOFF.len() as i64 + 1;

/// How often the outbox is looked at without being rung: events written by another process
/// (another instance, a command) are sent within this.
const POLL_EVERY: Duration = Duration::from_secs(5);

/// Events taken from the store per query.
const BATCH: i64 = 20;

/// Starts the sender at lift-off, when `EVENTS_URL` is set.
pub fn stage() -> AdHoc {
    AdHoc::on_liftoff("Event sender", |rocket| {
        Box::pin(async move {
            match Sender::from_rocket(rocket) {
                Some(Ok(sender)) => {
                    rocket::tokio::spawn(sender.run(rocket.shutdown()));
                }
                Some(Err(e)) => rocket::error!("events will not be sent: {e}"),
                None => {}
            }
        })
    })
}

/// What the sender needs, owned, so that it can run in its own task.
struct Sender {
    pool: AnyPool,
    clock: Clock,
    outbox: Outbox,
    settings: EventsSettings,
    key: hmac::Key,
    http: reqwest::Client,
}

impl Sender {
    /// `None` when events are off.
    fn from_rocket(rocket: &Rocket<Orbit>) -> Option<Result<Sender, reqwest::Error>> {
        let settings = rocket.state::<AppConfig>()?.events.clone()?;
        let pool: &AnyPool = Db::fetch(rocket)?;
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("gitlogin/", env!("CARGO_PKG_VERSION")))
            .build();
        Some(http.map(|http| Sender {
            pool: pool.clone(),
            clock: rocket.state::<Clock>().cloned().unwrap_or_default(),
            outbox: rocket.state::<Outbox>().cloned().unwrap_or_default(),
            key: hmac::Key::new(
                hmac::HMAC_SHA256,
                settings.secret.expose_secret().as_bytes(),
            ),
            settings,
            http,
        }))
    }

    /// Sends what is due, then waits for the outbox to ring, the clock to move, or the next
    /// poll; until the server shuts down.
    async fn run(self, shutdown: Shutdown) {
        loop {
            // Listening before looking: a move of the clock while sending is not missed.
            let moved = self.clock.moved();
            rocket::tokio::pin!(moved);
            moved.as_mut().enable();
            if let Err(e) = self.send_due().await {
                rocket::warn!("events not sent for now, the store did not answer: {e}");
            }
            rocket::tokio::select! {
                _ = moved => {}
                _ = self.outbox.rung() => {}
                _ = rocket::tokio::time::sleep(POLL_EVERY) => {}
                _ = shutdown.clone() => break,
            }
        }
    }

    /// Every event due now, a batch at a time. Each one sent leaves the due set (delivered,
    /// dropped, or put off), so this ends.
    async fn send_due(&self) -> sqlx::Result<()> {
        loop {
            let now = self.clock.now();
            let due = events::due(&mut *self.pool.acquire().await?, now, BATCH).await?;
            if due.is_empty() {
                return Ok(());
            }
            for event in due {
                self.send(event, now).await?;
            }
        }
    }

    /// One attempt at one event. No store connection is held while the receiver answers.
    async fn send(&self, event: Pending, now: i64) -> sqlx::Result<()> {
        // Claimed for longer than a delivery may take, so no other instance sends it meanwhile.
        let lease = now + self.settings.timeout.as_secs() as i64 + 60;
        if !events::claim(&mut *self.pool.acquire().await?, &event, lease).await? {
            return Ok(());
        }
        let result = self.deliver(&event.body).await;
        let attempts = event.attempts + 1;
        let mut conn = self.pool.acquire().await?;
        match result {
            Ok(()) => {
                events::remove(&mut conn, &event.id).await?;
                metrics::event_delivery("delivered");
            }
            Err(reason) if attempts >= ATTEMPTS => {
                events::remove(&mut conn, &event.id).await?;
                metrics::event_delivery("dropped");
                audit!(
                    "event dropped id={} type={} attempts={attempts} reason={reason:?}",
                    event.id,
                    event_type(&event.body)
                );
            }
            Err(_) => {
                let wait = BACKOFF[(attempts - 1) as usize];
                events::retry_at(&mut conn, &event.id, attempts, self.clock.now() + wait).await?;
                metrics::event_delivery("retried");
            }
        }
        Ok(())
    }

    /// POSTs the body, signed; why not, in a few words, if the receiver did not take it.
    async fn deliver(&self, body: &str) -> Result<(), String> {
        let signature = hmac::sign(&self.key, body.as_bytes());
        let answer = self
            .http
            .post(self.settings.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(
                "X-Gitlogin-Signature-256",
                format!("sha256={}", crate::ops::random::hex(signature.as_ref())),
            )
            .header("X-Gitlogin-Event", event_type(body))
            .body(body.to_owned())
            .send()
            .await;
        match answer {
            Ok(answer) if answer.status().is_success() => Ok(()),
            Ok(answer) => Err(format!("answered {}", answer.status().as_u16())),
            Err(e) if e.is_timeout() => Err("no answer in time".into()),
            Err(e) if e.is_connect() => Err("could not connect".into()),
            Err(_) => Err("the request failed".into()),
        }
    }
}

/// The `type` the outbox wrote into the body.
fn event_type(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|event| event["type"].as_str().map(str::to_owned))
        .unwrap_or_default()
}
