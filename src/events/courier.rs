//! The loop that empties one of the outbox's queues (`models/deliveries.rs`), in a task of its
//! own, so that no request ever waits for a receiver or fails because of it. What a message
//! says and how it is delivered is its [`Messenger`]'s: the operator's events (`events.rs`),
//! the apps' back-channel logouts (`provider/backchannel.rs`).
//!
//! Delivery is at least once, and never by two senders at a time: a message is claimed for
//! one attempt (on PostgreSQL, by one instance). An attempt that fails is tried again after
//! the next step of [`BACKOFF`] (on the app's clock); after the last, the message is dropped
//! with a log line. A message the receiver refuses for good is dropped at once.

use std::future::Future;
use std::time::Duration;

use rocket::Shutdown;
use rocket_db_pools::sqlx::{self, AnyPool};

use crate::models::deliveries::{self, Queue, Waiting};
use crate::models::Outbox;
use crate::ops::clock::Clock;
use crate::ops::logging::audit;

/// Seconds to wait before each retry: eight attempts over about a day, so a receiver that is
/// down for a deploy or a night still gets everything.
pub const BACKOFF: [i64; 7] = [10, 60, 5 * 60, 30 * 60, 2 * 3600, 6 * 3600, 12 * 3600];

/// The first attempt and one per step of [`BACKOFF`].
const ATTEMPTS: i64 = BACKOFF.len() as i64 + 1;

/// How often the queue is looked at without being rung: messages written by another process
/// (another instance, a command) are sent within this.
const POLL_EVERY: Duration = Duration::from_secs(5);

/// Messages taken from the store per query.
const BATCH: i64 = 20;

/// How one attempt went.
#[derive(Debug)]
pub enum Attempt {
    Delivered,
    /// The receiver will never take it: dropped now, with why.
    Refused(String),
    /// Not this time (no connection, no answer, a failure answer): tried again later.
    Failed(String),
    /// There is nothing left to send (its row, or its app, is gone).
    Gone,
}

/// One kind of message: its queue, and how to deliver one.
pub trait Messenger: Send + Sync + 'static {
    const QUEUE: Queue;
    /// What the log calls one: `event`, `backchannel logout`.
    const NAME: &'static str;

    /// The longest one attempt may take: the claim on a message outlasts it.
    fn timeout(&self) -> Duration;

    /// One attempt at the message `id`, already claimed, and what the log says of it. No
    /// store connection may be held while the receiver answers.
    fn deliver(
        &self,
        pool: &AnyPool,
        id: &str,
    ) -> impl Future<Output = sqlx::Result<(Attempt, String)>> + Send;

    /// Counts an outcome for `/metrics`: `delivered`, `refused`, `retried` or `dropped`.
    fn count(&self, outcome: &'static str);
}

/// A queue's sender.
pub struct Courier<M> {
    pub pool: AnyPool,
    pub clock: Clock,
    pub outbox: Outbox,
    pub messenger: M,
}

impl<M: Messenger> Courier<M> {
    /// Sends what is due, then waits for the outbox to ring, the clock to move, or the next
    /// poll; until the server shuts down.
    pub async fn run(self, shutdown: Shutdown) {
        loop {
            // Listening before looking: a move of the clock while sending is not missed.
            let moved = self.clock.moved();
            rocket::tokio::pin!(moved);
            moved.as_mut().enable();
            if let Err(e) = self.send_due().await {
                rocket::warn!(
                    "{}s not sent for now, the store did not answer: {e}",
                    M::NAME
                );
            }
            rocket::tokio::select! {
                _ = moved => {}
                _ = self.outbox.rung(M::QUEUE) => {}
                _ = rocket::tokio::time::sleep(POLL_EVERY) => {}
                _ = shutdown.clone() => break,
            }
        }
    }

    /// Every message due now, a batch at a time. Each one sent leaves the due set (delivered,
    /// dropped, or put off), so this ends.
    async fn send_due(&self) -> sqlx::Result<()> {
        loop {
            let now = self.clock.now();
            let mut conn = self.pool.acquire().await?;
            let due = deliveries::due(&mut conn, M::QUEUE, now, BATCH).await?;
            drop(conn);
            if due.is_empty() {
                return Ok(());
            }
            for message in due {
                self.send(message, now).await?;
            }
        }
    }

    /// One attempt at one message.
    async fn send(&self, message: Waiting, now: i64) -> sqlx::Result<()> {
        // Claimed for longer than a delivery may take, so no other instance sends it meanwhile.
        let lease = now + self.messenger.timeout().as_secs() as i64 + 60;
        let mut conn = self.pool.acquire().await?;
        if !deliveries::claim(&mut conn, M::QUEUE, &message, lease).await? {
            return Ok(());
        }
        drop(conn);
        let (attempt, what) = self.messenger.deliver(&self.pool, &message.id).await?;
        let attempts = message.attempts + 1;
        let mut conn = self.pool.acquire().await?;
        let (queue, id) = (M::QUEUE, &message.id);
        match attempt {
            Attempt::Delivered => {
                deliveries::remove(&mut conn, queue, id).await?;
                self.messenger.count("delivered");
            }
            Attempt::Gone => deliveries::remove(&mut conn, queue, id).await?,
            Attempt::Refused(reason) => {
                deliveries::remove(&mut conn, queue, id).await?;
                self.messenger.count("refused");
                audit!("{} refused id={id} {what} reason={reason:?}", M::NAME);
            }
            Attempt::Failed(reason) if attempts >= ATTEMPTS => {
                deliveries::remove(&mut conn, queue, id).await?;
                self.messenger.count("dropped");
                audit!(
                    "{} dropped id={id} {what} attempts={attempts} reason={reason:?}",
                    M::NAME
                );
            }
            Attempt::Failed(_) => {
                let wait = BACKOFF[(attempts - 1) as usize];
                let at = self.clock.now() + wait;
                deliveries::retry_at(&mut conn, queue, id, attempts, at).await?;
                self.messenger.count("retried");
            }
        }
        Ok(())
    }
}

/// Why an HTTP attempt failed, in a few words.
pub fn failure(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer in time".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        "the request failed".into()
    }
}

#[cfg(test)]
mod tests;
