//! The signing keys at start-up: `SIGNING_KEY` read with the rest of the configuration, the
//! store's keys settled (`store.rs`) and managed as the [`KeyRing`], and the task that
//! replaces them on time (`rotation.rs`) started.

use std::sync::Arc;

use rocket::fairing::AdHoc;
use rocket_db_pools::Database;

use super::key_ring::KeyRing;
use super::schedule::Slot;
use super::{rotation, span, store, Alg, KeyError, SigningKey};
use crate::config::{AppConfig, ConfigError, ExposeSecret, KeyRotation};
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

/// Manages the [`KeyRing`]: `configured` if `SIGNING_KEY` was set, and the store's keys; and
/// starts their rotation. Needs the store migrated, so it must run after `store::stage()`'s
/// fairings: attach it from inside an `on_ignite` stage that is attached after
/// `store::stage()`.
pub(crate) fn loader(configured: Option<SigningKey>) -> AdHoc {
    AdHoc::try_on_ignite("Signing keys", |rocket| async move {
        let rotation = rocket
            .state::<AppConfig>()
            .map(|config| config.key_rotation)
            .unwrap_or(KeyRotation {
                every: None,
                publish_ahead: 0,
            });
        let store_keeps_eddsa = configured.is_none();
        // Said at lift-off, once the configured log level applies.
        let rocket = rocket
            .attach(AdHoc::on_liftoff("Signing keys", move |rocket| {
                Box::pin(async move {
                    if let (Some(ring), Some(clock)) =
                        (rocket.state::<KeyRing>(), rocket.state::<Clock>())
                    {
                        let kids = ring.signing_kids(clock.now()).join(", ");
                        rocket::info!("tokens: signing with kid {kids}");
                    }
                    say_rotation(rotation, store_keeps_eddsa);
                })
            }))
            .attach(rotation::scheduler(rotation, store_keeps_eddsa));
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

/// How the keys will change, once, at start-up.
fn say_rotation(rotation: KeyRotation, store_keeps_eddsa: bool) {
    let Some(every) = rotation.every else {
        let off = "SIGNING_KEY_ROTATION is off: only `gitlogin rotate-key` makes new signing keys";
        rocket::info!("tokens: {off}");
        return;
    };
    rocket::info!(
        "tokens: a new signing key every {}, published {} before it signs",
        span(every),
        span(rotation.publish_ahead)
    );
    if !store_keeps_eddsa {
        let (ed, rsa) = (Alg::EdDsa.as_str(), Alg::Rs256.as_str());
        rocket::info!(
            "tokens: SIGNING_KEY is set, so the {ed} key is never rotated (replace SIGNING_KEY \
             to change it); the store's {rsa} keys are"
        );
    }
}

async fn load(db: &Db, configured: Option<SigningKey>, now: i64) -> Result<KeyRing, KeyError> {
    let mut conn = db.acquire().await?;
    let stored = store::settle(&mut conn, configured.is_some(), now).await?;
    let slots = stored
        .into_iter()
        .map(|(key, signs_from, retired_at)| Slot::new(Arc::new(key), signs_from, retired_at))
        .collect();
    Ok(KeyRing::new(configured, slots))
}
