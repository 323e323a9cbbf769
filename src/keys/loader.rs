//! The signing keys at start-up: `SIGNING_KEY` read with the rest of the configuration, the
//! store's keys settled (`store.rs`), and both managed as the [`KeyRing`].

use rocket::fairing::AdHoc;
use rocket_db_pools::Database;

use super::key_ring::KeyRing;
use super::{store, KeyError, SigningKey};
use crate::config::{AppConfig, ConfigError, ExposeSecret};
use crate::ops::clock::Clock;
use crate::store::pool::Db;

/// Reads `SIGNING_KEY` while the configuration is checked, so that a bad value stops the
/// start-up with one line naming it, like every other setting.
pub(crate) fn from_config(config: &AppConfig) -> Result<Option<SigningKey>, ConfigError> {
    config
        .signing_key
        .as_ref()
        .map(|secret| SigningKey::from_setting(secret.expose_secret()))
        .transpose()
        .map_err(|e| ConfigError::Other(e.to_string()))
}

/// Manages the [`KeyRing`]: `configured` if `SIGNING_KEY` was set, and the store's keys.
/// Needs the store migrated, so it must run after `store::stage()`'s fairings: attach it from
/// inside an `on_ignite` stage that is attached after `store::stage()`.
pub(crate) fn loader(configured: Option<SigningKey>) -> AdHoc {
    AdHoc::try_on_ignite("Signing keys", |rocket| async move {
        // Said at lift-off, once the configured log level applies.
        let rocket = rocket.attach(AdHoc::on_liftoff("Signing keys", |rocket| {
            Box::pin(async move {
                if let Some(ring) = rocket.state::<KeyRing>() {
                    let kids = ring.signing_kids().join(", ");
                    rocket::info!("tokens: signing with kid {kids}");
                }
            })
        }));
        let (Some(db), Some(clock)) = (Db::fetch(&rocket), rocket.state::<Clock>()) else {
            rocket::error!("tokens: no store to keep the signing keys in");
            return Err(rocket);
        };
        match load(db, configured, clock.now()).await {
            Ok(ring) => Ok(rocket.manage(ring)),
            Err(e) => {
                rocket::error!("tokens: cannot load the signing keys: {e}");
                Err(rocket)
            }
        }
    })
}

async fn load(db: &Db, configured: Option<SigningKey>, now: i64) -> Result<KeyRing, KeyError> {
    let mut conn = db.acquire().await?;
    let (current, known) = store::settle(&mut conn, configured.is_some(), now).await?;
    Ok(KeyRing::new(configured, current, known))
}
