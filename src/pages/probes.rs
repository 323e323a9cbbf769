//! What a load balancer, a container runtime or an orchestrator asks:
//!
//! - `/livez`: the process answers. It touches nothing, so a liveness probe on it never
//!   restarts a healthy instance while the database is down (which the app rides out: every
//!   page that needs the store answers 503 and recovers by itself).
//! - `/readyz`: the store answers too; 503 otherwise, so traffic goes to another instance.
//! - `/health`: the same question as `/readyz`, as JSON, kept for what already polls it.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use rocket::http::Status;
use rocket::serde::json::{json, Json, Value};
use rocket::tokio::sync::Mutex;
use rocket::{get, routes, Route, State};

use crate::models;
use crate::store::pool::Db;

pub(super) fn routes() -> Vec<Route> {
    routes![livez, readyz, health]
}

#[get("/livez")]
fn livez() -> &'static str {
    "ok\n"
}

#[get("/readyz")]
async fn readyz(check: &State<StoreCheck>, db: &Db) -> (Status, &'static str) {
    if check.store_answers(db).await {
        (Status::Ok, "ok\n")
    } else {
        (Status::ServiceUnavailable, "the store does not answer\n")
    }
}

#[get("/health")]
async fn health(check: &State<StoreCheck>, db: &Db) -> (Status, Json<Value>) {
    if check.store_answers(db).await {
        (Status::Ok, Json(json!({ "status": "ok" })))
    } else {
        let body = json!({ "status": "unavailable" });
        (Status::ServiceUnavailable, Json(body))
    }
}

/// The store's check, one at a time, its answer shared by every probe that asked while it ran.
///
/// On SQLite the check takes the store's write lock ([`models::ping`]), so probes that each
/// ran their own would queue on the file: SQLite's busy handler sleeps and retries in coarse
/// steps (1, 2, 5 … 100 ms), which the benchmark saw as a 26 ms p99 on `/health` under 64
/// connections, with the CPU idle. Here a probe waits for the check in flight, in this
/// process and woken the moment it ends, and takes its answer: a check that ended after the
/// probe asked, so nothing is remembered past it, a store locked since answers 503 to the
/// next probe, and a store back answers 200 to the next. The check itself takes this
/// process's write turn before the lock, as every writer here does, so it queues behind our
/// own sign-ins in order rather than in the busy handler.
#[derive(Default)]
pub(super) struct StoreCheck {
    /// Held while a check runs, with the last check's answer.
    running: Mutex<bool>,
    /// How many checks have ended; changed only while `running` is held.
    ended: AtomicU64,
}

impl StoreCheck {
    /// Whether the store answers a query that reads a table (and, on SQLite, could write).
    /// The pool and SQLite give up after `connect_timeout`, so a locked or missing store
    /// answers instead of hanging.
    async fn store_answers(&self, db: &Db) -> bool {
        self.shared(async {
            let _turn = db.write_turn().await;
            match db.acquire().await {
                Ok(mut conn) => models::ping(&mut conn).await.is_ok(),
                Err(_) => false,
            }
        })
        .await
    }

    /// The answer of `check`, or of the check that ended while this call waited for its turn.
    async fn shared(&self, check: impl Future<Output = bool>) -> bool {
        let asked = self.ended.load(Ordering::Acquire);
        let mut answer = self.running.lock().await;
        if self.ended.load(Ordering::Acquire) != asked {
            // A check ended while this probe waited: its answer is as new as this probe.
            return *answer;
        }
        *answer = check.await;
        self.ended.fetch_add(1, Ordering::Release);
        *answer
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use rocket::futures::future::join_all;

    use super::StoreCheck;

    /// Six probes at once make one check, and each later probe a check of its own: nothing
    /// is remembered past the probes that waited for it.
    #[rocket::async_test]
    async fn probes_asking_while_a_check_runs_share_it_and_later_ones_check_again() {
        let probes = StoreCheck::default();
        let checks = AtomicU64::new(0);
        let checks = &checks;
        let check = |answer| async move {
            checks.fetch_add(1, Ordering::SeqCst);
            // Still running when the other probes ask.
            rocket::tokio::task::yield_now().await;
            answer
        };

        let at_once = join_all((0..6).map(|_| probes.shared(check(false)))).await;
        assert_eq!(at_once, [false; 6]);
        assert_eq!(checks.load(Ordering::SeqCst), 1, "one check for six probes");

        assert!(
            probes.shared(check(true)).await,
            "the store back: the next probe says so"
        );
        assert!(!probes.shared(check(false)).await, "and gone again");
        assert_eq!(checks.load(Ordering::SeqCst), 3);
    }
}
