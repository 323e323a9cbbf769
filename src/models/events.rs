//! The outbox: events for the operator's other systems (`EVENTS_URL`), each written in the
//! transaction of the change it tells of, and sent afterwards by `events.rs`. So an event is
//! sent at least once (never lost to a crash after the commit), and never for a change that
//! was rolled back; a command-line change, made by a process that exits at once, is sent by
//! whichever server instance looks next.

use std::sync::Arc;

use rocket::tokio::sync::futures::Notified;
use rocket::tokio::sync::Notify;
use rocket_db_pools::sqlx::{self, AnyConnection};
use time::format_description::well_known::Rfc3339;

use super::deliveries::Queue;
use super::GithubId;
use crate::ops::clock::Clock;

/// What happened, as the `type` field names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A person signed in for the first time (followed by their `user.signed_in`).
    UserCreated,
    UserSignedIn,
    /// Sessions of theirs ended: at `/logout` or the provider's logout, by the operator's
    /// `users sign-out`, or because a new sign-in of theirs was refused.
    UserSignedOut,
    UserDeleted,
    /// They allowed a registered app on its consent page (the body names the app).
    AppConsented,
}

impl Event {
    pub fn name(self) -> &'static str {
        match self {
            Event::UserCreated => "user.created",
            Event::UserSignedIn => "user.signed_in",
            Event::UserSignedOut => "user.signed_out",
            Event::UserDeleted => "user.deleted",
            Event::AppConsented => "app.consented",
        }
    }
}

/// Whether events are sent at all, the clock that dates them, and the bells that wake this
/// process's senders when a message is added: one for events, one for back-channel logouts
/// (`logouts.rs`), which are always sent. One per process, shared by clones; events are off
/// when `EVENTS_URL` is unset, so their queue never fills without a sender to empty it.
#[derive(Debug, Clone, Default)]
pub struct Outbox {
    on: bool,
    clock: Clock,
    bells: Arc<[Notify; 2]>,
}

impl Outbox {
    pub fn new(on: bool, clock: &Clock) -> Outbox {
        Outbox {
            on,
            clock: clock.clone(),
            bells: Arc::default(),
        }
    }

    /// Adds an event about this person (and the app it concerns, if any), in the caller's
    /// transaction. Does nothing when events are off.
    pub async fn add(
        &self,
        conn: &mut AnyConnection,
        event: Event,
        github_id: GithubId,
        login: &str,
        app: Option<&str>,
    ) -> sqlx::Result<()> {
        if !self.on {
            return Ok(());
        }
        let now = self.clock.now();
        let id = crate::ops::random::token();
        let created_at = time::OffsetDateTime::from_unix_timestamp(now)
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_default();
        let mut body = serde_json::json!({
            "id": id,
            "type": event.name(),
            "created_at": created_at,
            "user": { "github_id": github_id.0, "login": login },
        });
        if let Some(app) = app {
            body["app"] = serde_json::json!({ "name": app });
        }
        sqlx::query(
            "INSERT INTO events (id, body, attempts, next_attempt_at) VALUES ($1, $2, 0, $3)",
        )
        .bind(&id)
        .bind(body.to_string())
        .bind(now)
        .execute(conn)
        .await
        .map(drop)
    }

    /// Tells this process's senders there may be something to send. Call after the commit:
    /// woken before it, a sender could look before the row is there.
    pub fn ring(&self) {
        if self.on {
            self.bells[Queue::Events as usize].notify_one();
        }
        self.bells[Queue::Logouts as usize].notify_one();
    }

    /// Completes at the next [`Outbox::ring`], or at once if one came since the last wait.
    pub fn rung(&self, queue: Queue) -> Notified<'_> {
        self.bells[queue as usize].notified()
    }
}

/// The body of the event `id`, as it is sent: `None` once it is gone.
pub async fn body(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT body FROM events WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}
