//! The store's keys, replaced on time: every `SIGNING_KEY_ROTATION`, a new key of each
//! algorithm in use, published at once and signing `SIGNING_KEY_PUBLISH_AHEAD` later; and the
//! keys whose last token has expired, deleted. A task of its own in every instance, on the
//! app's clock. Instances that find a key due at once take turns on the table, and only the
//! first makes it (`store::rotate_if_due`); the others find it made.

use std::time::Duration;

use rocket::fairing::AdHoc;
use rocket::Shutdown;
use rocket_db_pools::sqlx::AnyPool;
use rocket_db_pools::Database;

use super::{store, Alg, KeyError, SigningKey, RETIRED_KEY_KEPT_SECS};
use crate::config::KeyRotation;
use crate::ops::clock::Clock;
use crate::store::pool::Db;

/// How often the task looks at the table when nothing falls due sooner: a key made by another
/// instance or by `rotate-key` moves the next rotation, and the wall clock may jump.
const POLL_EVERY: Duration = Duration::from_secs(60);

/// Starts the task at lift-off. `store_keeps_eddsa`: false when `SIGNING_KEY` is set, whose
/// key is the operator's to replace.
pub(super) fn scheduler(rotation: KeyRotation, store_keeps_eddsa: bool) -> AdHoc {
    AdHoc::on_liftoff("Signing key rotation", move |rocket| {
        Box::pin(async move {
            let (Some(db), Some(clock)) = (Db::fetch(rocket), rocket.state::<Clock>()) else {
                return;
            };
            let pool: &AnyPool = db;
            let algs = if store_keeps_eddsa {
                vec![Alg::EdDsa, Alg::Rs256]
            } else {
                vec![Alg::Rs256]
            };
            let task = Rotation {
                pool: pool.clone(),
                clock: clock.clone(),
                rotation,
                algs,
            };
            rocket::tokio::spawn(task.run(rocket.shutdown()));
        })
    })
}

/// What the task needs, owned.
struct Rotation {
    pool: AnyPool,
    clock: Clock,
    rotation: KeyRotation,
    algs: Vec<Alg>,
}

impl Rotation {
    /// Does what is due, then waits for the next thing to fall due, the clock to move, or the
    /// next poll; until the server shuts down.
    async fn run(self, shutdown: Shutdown) {
        loop {
            // Listening before looking: a move of the clock while working is not missed.
            let moved = self.clock.moved();
            rocket::tokio::pin!(moved);
            moved.as_mut().enable();
            let wait = match self.due().await {
                Ok(next) => next.map_or(POLL_EVERY, |at| {
                    let secs = (at - self.clock.now()).clamp(1, POLL_EVERY.as_secs() as i64);
                    Duration::from_secs(secs as u64)
                }),
                Err(e) => {
                    rocket::warn!("tokens: signing keys not rotated for now: {e}");
                    POLL_EVERY
                }
            };
            rocket::tokio::select! {
                _ = moved => {}
                _ = rocket::tokio::time::sleep(wait) => {}
                _ = shutdown.clone() => break,
            }
        }
    }

    /// Makes the keys that are due and forgets the expired ones; when the next falls due.
    async fn due(&self) -> Result<Option<i64>, KeyError> {
        let now = self.clock.now();
        let mut conn = self.pool.acquire().await?;
        let mut next: Option<i64> = None;
        let mut soonest = |at: i64| next = Some(next.map_or(at, |n| n.min(at)));
        if let Some(every) = self.rotation.every {
            for &alg in &self.algs {
                let Some(made_at) = store::newest_made(&mut conn, alg).await? else {
                    continue;
                };
                if made_at + every > now {
                    soonest(made_at + every);
                    continue;
                }
                // Made before the table is taken: an RSA key takes a moment.
                let made = SigningKey::generate(alg)?;
                let ahead = self.rotation.publish_ahead;
                if let Some(kid) = store::rotate_if_due(&mut conn, made, every, ahead, now).await? {
                    rocket::info!(
                        "tokens: new {} signing key {kid}, published now, signing from {}",
                        alg.as_str(),
                        super::when(now + ahead)
                    );
                }
                soonest(now + every);
            }
        }
        let mut retired = store::first_retirement(&mut conn).await?;
        if retired.is_some_and(|at| at + RETIRED_KEY_KEPT_SECS <= now) {
            store::forget_expired(&mut conn, now).await?;
            retired = store::first_retirement(&mut conn).await?;
        }
        if let Some(at) = retired {
            soonest(at + RETIRED_KEY_KEPT_SECS);
        }
        Ok(next)
    }
}
