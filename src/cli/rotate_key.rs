//! `gitlogin rotate-key [--alg …] [--now]`: a new signing key in the store, published at once,
//! which every running instance signs with from its time, without a restart
//! (`keys/key_ring.rs` tells the rotation whole).

use std::process::ExitCode;

use rocket::figment::Figment;
use rocket_db_pools::Database;

use crate::config::{AppConfig, ConfigError};
use crate::keys::{span, store, when, Alg, KeyError, RETIRED_KEY_KEPT_SECS, SCHEDULE_REFRESH_SECS};
use crate::ops::clock::Clock;
use crate::store::pool::Db;

/// Run with the server's own settings. Prints the new `kid` alone on stdout, for scripts,
/// and what happens next on stderr. `at_once`: the key signs now, not
/// `SIGNING_KEY_PUBLISH_AHEAD` later (the old key leaked).
pub(super) async fn run(figment: Figment, alg: Alg, at_once: bool) -> ExitCode {
    // Errors and warnings only: stdout carries the kid and nothing else.
    let figment = figment.merge(("log_level", "critical"));
    crate::ops::logging::init(rocket::config::LogLevel::Critical, Default::default());
    match rotate_in_store(figment, alg, at_once).await {
        Ok((kid, ahead)) => {
            println!("{kid}");
            let kept = span(RETIRED_KEY_KEPT_SECS);
            if ahead == 0 {
                eprintln!(
                    "gitlogin: new signing key {kid} stored and published. It signs from now: \
                     every running instance switches to it within {SCHEDULE_REFRESH_SECS} \
                     seconds, without a restart. The key it replaces stays in \
                     /.well-known/jwks.json for {kept}, until the last token it signed has \
                     expired."
                );
            } else {
                let from = when(Clock::default().now() + ahead);
                eprintln!(
                    "gitlogin: new signing key {kid} stored and published in \
                     /.well-known/jwks.json. Every running instance signs with it from {from} \
                     ({} from now, SIGNING_KEY_PUBLISH_AHEAD), without a restart; the key it \
                     replaces stays published {kept} longer. `rotate-key --now` would sign \
                     with it at once.",
                    span(ahead)
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gitlogin rotate-key: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The new key's `kid`, and in how many seconds it signs.
async fn rotate_in_store(
    figment: Figment,
    alg: Alg,
    at_once: bool,
) -> Result<(String, i64), KeyError> {
    let config = AppConfig::from_figment(&figment)?;
    if alg == Alg::EdDsa && config.signing_key.is_some() {
        return Err(KeyError::ManagedOutside);
    }
    let ahead = if at_once {
        0
    } else {
        config.key_rotation.publish_ahead
    };
    // The same store stage as the server's: same pool settings, same migrations.
    let rocket = crate::store::pool::open_for_command(figment)
        .await
        .map_err(ConfigError::Other)?;
    let db = Db::fetch(&rocket).ok_or_else(|| ConfigError::Other("no store".into()))?;
    let now = Clock::default().now();
    let kid = store::rotate(&mut *db.acquire().await?, alg, now, now + ahead).await?;
    crate::store::pool::close(&rocket).await;
    Ok((kid, ahead))
}
