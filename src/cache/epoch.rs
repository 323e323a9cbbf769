//! The access epoch as a request needs it: read from the store *after* the request arrived,
//! so that a write committed before it is seen. One task reads it for every request waiting
//! at the time: under load a read serves a whole batch, which is what makes it cheaper than
//! the lookups it replaces, and never older than any of them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rocket::tokio::sync::{watch, Notify};
use rocket::tokio::time::timeout;
use rocket_db_pools::sqlx::{self, AnyConnection, AnyPool, Connection};

/// A request waits at most this long for its read, then goes to the store itself, which
/// answers for it or makes its own 503 within the pool's wait: a store that hangs must not
/// make every request wait twice.
const WAIT: Duration = Duration::from_secs(1);

/// A read that takes longer than this answers "unknown", and its connection is dropped.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the reader keeps its connection with no one asking.
const KEEP_IDLE: Duration = Duration::from_secs(1);

/// Managed: one per instance. The reading task starts with the first request that asks.
pub struct Epoch {
    asks: Arc<Asks>,
    readings: watch::Receiver<Reading>,
    unstarted: Mutex<Option<watch::Sender<Reading>>>,
}

/// How many times requests have asked, and the bell that wakes the reader.
struct Asks {
    count: AtomicU64,
    bell: Notify,
}

/// A read's result, and the asks it answers: all those made before it began.
#[derive(Debug, Clone, Copy)]
struct Reading {
    answers: u64,
    /// `None`: the store did not answer.
    value: Option<i64>,
}

impl Default for Epoch {
    fn default() -> Epoch {
        let (sender, readings) = watch::channel(Reading {
            answers: 0,
            value: None,
        });
        Epoch {
            asks: Arc::new(Asks {
                count: AtomicU64::new(0),
                bell: Notify::new(),
            }),
            readings,
            unstarted: Mutex::new(Some(sender)),
        }
    }
}

impl Epoch {
    /// The epoch as a read begun after this call found it; `None` when the store did not
    /// answer (then nothing remembered may be believed).
    pub async fn now(&self, pool: &AnyPool) -> Option<i64> {
        let sender = self
            .unstarted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(sender) = sender {
            rocket::tokio::spawn(read_when_asked(self.asks.clone(), pool.clone(), sender));
        }
        // Counted before the bell: the read that answers this ask begins after it.
        let ask = self.asks.count.fetch_add(1, Ordering::SeqCst) + 1;
        self.asks.bell.notify_one();
        let mut readings = self.readings.clone();
        let answered = readings.wait_for(|r| r.answers >= ask);
        let reading = *timeout(WAIT, answered).await.ok()?.ok()?;
        reading.value
    }
}

/// The reader: whenever there are asks no read has answered, one read for all of them.
///
/// It reads on a connection of its own, taken out of the pool (which opens another in its
/// place): a checkout and its return cost more than the read, and a reader that held one of
/// the pool's would starve a small pool's requests. It closes it after [`KEEP_IDLE`] with no
/// one asking, so that an idle instance holds nothing of its own.
async fn read_when_asked(asks: Arc<Asks>, pool: AnyPool, readings: watch::Sender<Reading>) {
    let mut answered = 0;
    let mut conn: Option<AnyConnection> = None;
    let mut was_read = true;
    loop {
        // The requests already ready to run ask first, so that the read answers them too:
        // without this, under load a read served one or two requests, and each read is two
        // thread hand-offs (bench/results.md).
        rocket::tokio::task::yield_now().await;
        let asked = asks.count.load(Ordering::SeqCst);
        if asked == answered {
            // A bell rung since the count was loaded is kept, and wakes this at once.
            if timeout(KEEP_IDLE, asks.bell.notified()).await.is_err() {
                if let Some(idle) = conn.take() {
                    let _ = idle.close().await;
                }
                asks.bell.notified().await;
            }
            continue;
        }
        let value = read(&pool, &mut conn).await;
        if value.is_some() != was_read {
            was_read = value.is_some();
            match was_read {
                true => rocket::info!("the access epoch is read again: sessions are remembered"),
                false => rocket::warn!(
                    "the access epoch could not be read: every session is looked up in the store"
                ),
            }
        }
        answered = asked;
        let reading = Reading {
            answers: asked,
            value,
        };
        if readings.send(reading).is_err() {
            return;
        }
    }
}

/// One read, on the connection kept from the last (or a new one); a connection that fails
/// is dropped, not kept.
async fn read(pool: &AnyPool, conn: &mut Option<AnyConnection>) -> Option<i64> {
    let attempt = async {
        let held = match conn.take() {
            Some(held) => held,
            None => pool.acquire().await?.detach(),
        };
        let held = conn.insert(held);
        sqlx::query_scalar("SELECT value FROM access_epoch WHERE id = 1")
            .fetch_one(held)
            .await
    };
    match timeout(READ_TIMEOUT, attempt).await {
        Ok(Ok(value)) => Some(value),
        Ok(Err(e)) => {
            rocket::debug!("access epoch: {e}");
            *conn = None;
            None
        }
        Err(_) => {
            *conn = None;
            None
        }
    }
}
