//! `gitlogin rotate-key [--alg …]`: a new signing key in the store, which the next start-up
//! signs with (`keys/key_ring.rs` tells the rotation whole).

use std::process::ExitCode;

use rocket::figment::Figment;
use rocket_db_pools::Database;

use crate::config::{AppConfig, ConfigError};
use crate::keys::{store, Alg, KeyError, LONGEST_TOKEN_SECS};
use crate::ops::clock::Clock;
use crate::store::pool::Db;

/// Run with the server's own settings. Prints the new `kid` alone on stdout, for scripts,
/// and what happens next on stderr.
pub(super) async fn run(figment: Figment, alg: Alg) -> ExitCode {
    // Errors and warnings only: stdout carries the kid and nothing else.
    let figment = figment.merge(("log_level", "critical"));
    crate::ops::logging::init(rocket::config::LogLevel::Critical, Default::default());
    match rotate_in_store(figment, alg).await {
        Ok(kid) => {
            println!("{kid}");
            eprintln!(
                "gitlogin: new signing key {kid} stored. Restart gitlogin to sign with it; the \
                 previous key stays in /.well-known/jwks.json for {} minutes after the restart, \
                 until the last token it signed has expired.",
                LONGEST_TOKEN_SECS / 60
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gitlogin rotate-key: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn rotate_in_store(figment: Figment, alg: Alg) -> Result<String, KeyError> {
    let config = AppConfig::from_figment(&figment)?;
    if alg == Alg::EdDsa && config.signing_key.is_some() {
        return Err(KeyError::ManagedOutside);
    }
    // The same store stage as the server's: same pool settings, same migrations.
    let rocket = crate::store::pool::open_for_command(figment)
        .await
        .map_err(ConfigError::Other)?;
    let db = Db::fetch(&rocket).ok_or_else(|| ConfigError::Other("no store".into()))?;
    let kid = store::rotate(&mut *db.acquire().await?, alg, Clock::default().now()).await?;
    crate::store::pool::close(&rocket).await;
    Ok(kid)
}
