//! The outbox's queues, read and written the same way: a message waits in its table until it
//! is delivered or given up on, and a sender claims it for one attempt at a time. The events
//! for the operator (`events.rs`) are one queue, the back-channel logouts for the apps
//! (`logouts.rs`) the other; `events/courier.rs` sends both.

use rocket_db_pools::sqlx::{self, AnyConnection};

/// Which queue: each is a table with `id`, `attempts` and `next_attempt_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    Events = 0,
    Logouts = 1,
}

impl Queue {
    fn table(self) -> &'static str {
        match self {
            Queue::Events => "events",
            Queue::Logouts => "logout_deliveries",
        }
    }
}

/// A message waiting to be sent, as far as sending it goes: what it says is its queue's.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Waiting {
    pub id: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
}

/// The messages due by `now`, oldest due first.
pub async fn due(
    conn: &mut AnyConnection,
    queue: Queue,
    now: i64,
    limit: i64,
) -> sqlx::Result<Vec<Waiting>> {
    sqlx::query_as(&format!(
        "SELECT id, attempts, next_attempt_at FROM {}
         WHERE next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2",
        queue.table()
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Takes `message` for one delivery by moving its next attempt to `until`: false if another
/// sender (another instance) took it first. A sender that dies mid-delivery leaves the
/// message to be tried again at `until`.
pub async fn claim(
    conn: &mut AnyConnection,
    queue: Queue,
    message: &Waiting,
    until: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(&format!(
        "UPDATE {} SET next_attempt_at = $3
         WHERE id = $1 AND next_attempt_at = $2 AND attempts = $4",
        queue.table()
    ))
    .bind(&message.id)
    .bind(message.next_attempt_at)
    .bind(until)
    .bind(message.attempts)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Counts a failed delivery and sets when to try again.
pub async fn retry_at(
    conn: &mut AnyConnection,
    queue: Queue,
    id: &str,
    attempts: i64,
    at: i64,
) -> sqlx::Result<()> {
    sqlx::query(&format!(
        "UPDATE {} SET attempts = $2, next_attempt_at = $3 WHERE id = $1",
        queue.table()
    ))
    .bind(id)
    .bind(attempts)
    .bind(at)
    .execute(conn)
    .await
    .map(drop)
}

/// Forgets a message: delivered, refused, or given up on.
pub async fn remove(conn: &mut AnyConnection, queue: Queue, id: &str) -> sqlx::Result<()> {
    sqlx::query(&format!("DELETE FROM {} WHERE id = $1", queue.table()))
        .bind(id)
        .execute(conn)
        .await
        .map(drop)
}
