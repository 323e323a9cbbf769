//! The app's idea of "now", in unix seconds.
//!
//! Sessions and pending sign-ins expire, events wait to be sent again; tests move this clock
//! forward instead of sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Wall-clock time plus an offset that only tests change. Cheap to clone: clones share it.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
    /// Set for tests: time stands still here, and moves only by [`Clock::advance`], so a check
    /// at the exact second of an expiry cannot be moved by the wall clock ticking over.
    frozen_at: Option<i64>,
    /// Wakes whoever waits for this clock to be moved ([`Clock::moved`]).
    moves: Arc<rocket::tokio::sync::Notify>,
}

impl Clock {
    /// A clock that stands at the current second until it is advanced.
    pub fn frozen() -> Clock {
        Clock {
            frozen_at: Some(wall_clock()),
            ..Clock::default()
        }
    }

    pub fn now(&self) -> i64 {
        self.frozen_at.unwrap_or_else(wall_clock) + self.offset_secs.load(Ordering::Relaxed)
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: std::time::Duration) {
        self.offset_secs
            .fetch_add(by.as_secs() as i64, Ordering::Relaxed);
        self.moves.notify_waiters();
    }

    /// Completes when [`Clock::advance`] next moves this clock, which only tests do: a task
    /// that sleeps until something falls due (the event sender) waits for this too, so that
    /// a test's jump in time is seen at once. Call [`Notified::enable`] before looking at the
    /// clock, and a move in between is not missed.
    ///
    /// [`Notified::enable`]: rocket::tokio::sync::futures::Notified::enable
    pub fn moved(&self) -> rocket::tokio::sync::futures::Notified<'_> {
        self.moves.notified()
    }
}

fn wall_clock() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}
