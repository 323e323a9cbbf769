//! The background purge: deletes sessions that can no longer be used, and the provider's
//! expired requests, codes and tokens, at start-up and every few minutes, so no table grows
//! without bound.
//!
//! Pending sign-ins need no purge: they live only in the browser's cookie.

use std::time::Duration;

use rocket::fairing::AdHoc;
use rocket::{Orbit, Rocket};
use rocket_db_pools::Database;

use crate::config::AppConfig;
use crate::models;
use crate::ops::clock::Clock;
use crate::store::pool::Db;

const EVERY: Duration = Duration::from_secs(5 * 60);

pub fn stage() -> AdHoc {
    AdHoc::on_liftoff("Session purge", |rocket| {
        Box::pin(async move {
            let Some(purge) = Purge::from_rocket(rocket) else {
                return;
            };
            let shutdown = rocket.shutdown();
            rocket::tokio::spawn(async move {
                // The first tick is immediate: a purge at start-up, then one every `EVERY`.
                let mut tick = rocket::tokio::time::interval(EVERY);
                loop {
                    rocket::tokio::select! {
                        _ = tick.tick() => {}
                        _ = shutdown.clone() => break,
                    }
                    if let Err(e) = purge.run().await {
                        rocket::warn!("session purge skipped, the store did not answer: {e}");
                    }
                }
            });
        })
    })
}

/// What a purge needs, owned, so that it can run in its own task.
pub struct Purge {
    pool: rocket_db_pools::sqlx::AnyPool,
    clock: Clock,
    idle_timeout: i64,
}

impl Purge {
    pub fn from_rocket(rocket: &Rocket<Orbit>) -> Option<Purge> {
        let pool: &rocket_db_pools::sqlx::AnyPool = Db::fetch(rocket)?;
        Some(Purge {
            pool: pool.clone(),
            clock: rocket.state::<Clock>()?.clone(),
            idle_timeout: rocket.state::<AppConfig>()?.sessions.idle_timeout,
        })
    }

    /// Deletes every expired or idle session now; returns how many. A plain
    /// `DELETE … WHERE`, so any number of instances may run it at once.
    pub async fn run(&self) -> Result<u64, rocket_db_pools::sqlx::Error> {
        let now = self.clock.now();
        let mut conn = self.pool.acquire().await?;
        let purged =
            models::purge_expired_sessions(&mut conn, now, now - self.idle_timeout).await?;
        models::grants::purge_expired(&mut conn, now).await?;
        let remembered_since = now - crate::access::webhook::DELIVERY_MEMORY_SECS;
        models::forget_deliveries(&mut conn, remembered_since).await?;
        models::hosts::purge_tickets(&mut conn, now).await?;
        crate::ops::metrics::live_sessions(models::count_sessions(&mut conn).await?);
        Ok(purged)
    }
}
