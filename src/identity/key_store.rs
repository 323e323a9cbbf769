//! The signing keys in the store: loaded (or generated) at start-up into the [`KeyRing`], and
//! rotated by `gitlogin rotate-key`. See `keys.rs` for the keys themselves and the JWKS.

use std::process::ExitCode;

use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket_db_pools::sqlx::{self, AnyConnection, Connection as _};
use rocket_db_pools::Database;

use super::keys::{KeyError, KeyRing, SigningKey, TOKEN_LIFETIME_SECS};
use crate::config::{AppConfig, ConfigError, ExposeSecret};
use crate::ops::clock::Clock;
use crate::store::pool::{Backend, Db};

/// Reads `SIGNING_KEY` while the configuration is checked, so that a bad value stops the
/// start-up with one line naming it, like every other setting.
pub fn from_config(config: &AppConfig) -> Result<Option<SigningKey>, ConfigError> {
    config
        .signing_key
        .as_ref()
        .map(|secret| SigningKey::from_setting(secret.expose_secret()))
        .transpose()
        .map_err(|e| ConfigError::Other(e.to_string()))
}

/// Manages the [`KeyRing`]: `configured` if `SIGNING_KEY` was set, else the store's keys.
/// Needs the store migrated, so it must run after `db::stage()`'s fairings: attach it from
/// inside an `on_ignite` stage that is attached after `db::stage()`.
pub fn loader(configured: Option<SigningKey>) -> AdHoc {
    AdHoc::try_on_ignite("Signing keys", |rocket| async move {
        // Said at lift-off, once the configured log level applies.
        let rocket = rocket.attach(AdHoc::on_liftoff("Signing keys", |rocket| {
            Box::pin(async move {
                if let Some(ring) = rocket.state::<KeyRing>() {
                    rocket::info!("identity tokens: signing with kid {}", ring.signing_kid());
                }
            })
        }));
        if let Some(key) = configured {
            return Ok(rocket.manage(KeyRing::single(key)));
        }
        let (Some(db), Some(clock)) = (Db::fetch(&rocket), rocket.state::<Clock>()) else {
            rocket::error!("identity tokens: no store to keep the signing key in");
            return Err(rocket);
        };
        let loaded = async {
            let mut conn = db.acquire().await?;
            load_from_store(&mut conn, clock.now()).await
        };
        match loaded.await {
            Ok(ring) => Ok(rocket.manage(ring)),
            Err(e) => {
                rocket::error!("identity tokens: cannot load the signing keys: {e}");
                Err(rocket)
            }
        }
    })
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: i64,
    kid: String,
    private_key: Vec<u8>,
}

/// At start-up, in one transaction: forget keys whose tokens have all expired, generate the
/// first key if there is none, sign with the newest, and retire older ones as of `now`.
async fn load_from_store(conn: &mut AnyConnection, now: i64) -> Result<KeyRing, KeyError> {
    let mut tx = conn.begin().await?;
    lock_keys(&mut tx, now).await?;
    let newest: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM signing_keys WHERE retired_at IS NULL ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(&mut *tx)
    .await?;
    let current_id = match newest {
        Some(id) => id,
        None => {
            let (key, der) = SigningKey::generate()?;
            insert_key(&mut tx, &key, &der, now).await?
        }
    };
    sqlx::query("UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL AND id <> $2")
        .bind(now)
        .bind(current_id)
        .execute(&mut *tx)
        .await?;
    let rows: Vec<KeyRow> =
        sqlx::query_as("SELECT id, kid, private_key FROM signing_keys ORDER BY id DESC")
            .fetch_all(&mut *tx)
            .await?;
    tx.commit().await?;

    let mut current = None;
    let mut known = Vec::new();
    for row in rows {
        let key = SigningKey::from_stored(&row.kid, &row.private_key)?;
        known.push((row.kid, key.jwk()));
        if row.id == current_id {
            current = Some(key);
        }
    }
    let current = current.ok_or_else(|| KeyError::BadStoredKey(current_id.to_string()))?;
    Ok(KeyRing::from_store(current, known))
}

/// Takes the table for this start-up's transaction, so that instances starting together take
/// turns: otherwise each could find no key, generate its own "first" one and retire the
/// other's. On SQLite, the first statement being a write takes the store's write lock.
async fn lock_keys(tx: &mut AnyConnection, now: i64) -> Result<(), sqlx::Error> {
    if Backend::of(tx) == Backend::Postgres {
        // Conflicts with itself and with writers, not with readers of the JWKS.
        sqlx::query("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM signing_keys WHERE retired_at <= $1")
        .bind(now - TOKEN_LIFETIME_SECS)
        .execute(tx)
        .await
        .map(drop)
}

/// Returns the new row's id. Looked up by `kid` rather than with `INSERT … RETURNING` and
/// `fetch_one`: SQLite commits an autocommit statement only when it has run to the end, and
/// `fetch_one` stops after the first row, so `rotate-key` (which exits right after) could
/// lose the key.
async fn insert_key(
    conn: &mut AnyConnection,
    key: &SigningKey,
    der: &[u8],
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query("INSERT INTO signing_keys (kid, private_key, created_at) VALUES ($1, $2, $3)")
        .bind(&key.kid)
        .bind(der)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sqlx::query_scalar("SELECT id FROM signing_keys WHERE kid = $1")
        .bind(&key.kid)
        .fetch_one(conn)
        .await
}

/// Adds a new key that the next start-up will sign with; returns its `kid`.
pub async fn rotate(conn: &mut AnyConnection, now: i64) -> Result<String, KeyError> {
    let (key, der) = SigningKey::generate()?;
    insert_key(conn, &key, &der, now).await?;
    Ok(key.kid)
}

/// `gitlogin rotate-key`, run with the server's own settings. Prints the new `kid` alone on
/// stdout, for scripts, and what happens next on stderr.
pub async fn rotate_key_command(figment: Figment) -> ExitCode {
    // Errors and warnings only: stdout carries the kid and nothing else.
    let figment = figment.merge(("log_level", "critical"));
    crate::ops::logging::init(rocket::config::LogLevel::Critical, Default::default());
    match rotate_in_store(figment).await {
        Ok(kid) => {
            println!("{kid}");
            eprintln!(
                "gitlogin: new signing key {kid} stored. Restart gitlogin to sign with it; the \
                 previous key stays in /.well-known/jwks.json for {} minutes after the restart, \
                 until the last token it signed has expired.",
                TOKEN_LIFETIME_SECS / 60
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gitlogin rotate-key: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn rotate_in_store(figment: Figment) -> Result<String, KeyError> {
    let config = AppConfig::from_figment(&figment)?;
    if config.signing_key.is_some() {
        return Err(KeyError::ManagedOutside);
    }
    // The same store stage as the server's: same pool settings, same migrations.
    let rocket = crate::store::pool::open_for_command(figment)
        .await
        .map_err(ConfigError::Other)?;
    let db = Db::fetch(&rocket).ok_or_else(|| ConfigError::Other("no store".into()))?;
    let kid = rotate(&mut *db.acquire().await?, Clock::default().now()).await?;
    crate::store::pool::close(&rocket).await;
    Ok(kid)
}
