//! The signing keys in the store: loaded (or generated) at start-up into the [`KeyRing`], and
//! rotated by `gitlogin rotate-key`. See `keys.rs` for the keys themselves, `key_ring.rs`
//! for which one signs and the JWKS.

use std::process::ExitCode;

use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket_db_pools::sqlx::{self, AnyConnection, Connection as _};
use rocket_db_pools::Database;

use super::keys::{Alg, KeyError, KeyRing, SigningKey, ID_TOKEN_LIFETIME_SECS};
use crate::config::{AppConfig, ConfigError, ExposeSecret};
use crate::ops::clock::Clock;
use crate::store::backend::Backend;
use crate::store::pool::Db;

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

/// Manages the [`KeyRing`]: `configured` if `SIGNING_KEY` was set, and the store's keys.
/// Needs the store migrated, so it must run after `store::stage()`'s fairings: attach it from
/// inside an `on_ignite` stage that is attached after `store::stage()`.
pub fn loader(configured: Option<SigningKey>) -> AdHoc {
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
        let loaded = async {
            let mut conn = db.acquire().await?;
            load_from_store(&mut conn, configured, clock.now()).await
        };
        match loaded.await {
            Ok(ring) => Ok(rocket.manage(ring)),
            Err(e) => {
                rocket::error!("tokens: cannot load the signing keys: {e}");
                Err(rocket)
            }
        }
    })
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: i64,
    kid: String,
    alg: String,
    private_key: Vec<u8>,
}

impl KeyRow {
    fn key(&self) -> Result<SigningKey, KeyError> {
        let alg = Alg::parse(&self.alg).ok_or_else(|| KeyError::BadStoredKey(self.kid.clone()))?;
        SigningKey::from_stored(alg, &self.kid, &self.private_key)
    }
}

/// At start-up, in one transaction: forget keys whose tokens have all expired; for each
/// algorithm the store keeps, sign with the newest key and retire the older ones as of
/// `now`. The first EdDSA key is generated here when `SIGNING_KEY` is unset; the first RS256
/// key when an app signs with it, else when `apps add` registers the first such app.
async fn load_from_store(
    conn: &mut AnyConnection,
    configured: Option<SigningKey>,
    now: i64,
) -> Result<KeyRing, KeyError> {
    let mut tx = conn.begin().await?;
    lock_keys(&mut tx, now).await?;
    let mut signing = Vec::new();
    for alg in [Alg::EdDsa, Alg::Rs256] {
        if alg == Alg::EdDsa && configured.is_some() {
            continue;
        }
        let id = match newest(&mut tx, alg).await? {
            Some(id) => id,
            None if alg == Alg::EdDsa || some_app_signs_with(&mut tx, alg).await? => {
                let (key, der) = SigningKey::generate(alg)?;
                insert_key(&mut tx, &key, &der, now).await?
            }
            None => continue,
        };
        sqlx::query(
            "UPDATE signing_keys SET retired_at = $1
             WHERE retired_at IS NULL AND alg = $2 AND id <> $3",
        )
        .bind(now)
        .bind(alg.as_str())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        signing.push(id);
    }
    let rows: Vec<KeyRow> =
        sqlx::query_as("SELECT id, kid, alg, private_key FROM signing_keys ORDER BY id DESC")
            .fetch_all(&mut *tx)
            .await?;
    tx.commit().await?;

    let mut current = Vec::new();
    let mut known = Vec::new();
    for row in rows {
        let key = row.key()?;
        known.push((row.kid, key.jwk().clone()));
        if signing.contains(&row.id) {
            current.push(key);
        }
    }
    Ok(KeyRing::new(configured, current, known))
}

/// Whether a registered app's ID tokens are signed with `alg`: then its key must be in the
/// JWKS before the app first reads it.
async fn some_app_signs_with(conn: &mut AnyConnection, alg: Alg) -> Result<bool, sqlx::Error> {
    let apps: i64 = sqlx::query_scalar("SELECT count(*) FROM apps WHERE id_token_alg = $1")
        .bind(alg.as_str())
        .fetch_one(conn)
        .await?;
    Ok(apps > 0)
}

/// The id of the newest key of `alg` that is not retired.
async fn newest(conn: &mut AnyConnection, alg: Alg) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM signing_keys WHERE retired_at IS NULL AND alg = $1
         ORDER BY id DESC LIMIT 1",
    )
    .bind(alg.as_str())
    .fetch_optional(conn)
    .await
}

/// The newest key of `alg` not retired, or a first one made now if the store has none: in
/// one transaction that takes the table, so instances asking at once agree on one key. The
/// key is made before the table is taken (an RSA key takes a moment, and the lock stops
/// every writer), and thrown away if another instance stored one meanwhile.
pub async fn newest_or_first(
    conn: &mut AnyConnection,
    alg: Alg,
    now: i64,
) -> Result<SigningKey, KeyError> {
    let made = match newest(conn, alg).await? {
        Some(_) => None,
        None => Some(SigningKey::generate(alg)?),
    };
    let mut tx = conn.begin().await?;
    lock_keys(&mut tx, now).await?;
    let id = match (newest(&mut tx, alg).await?, made) {
        (Some(id), _) => id,
        (None, Some((key, der))) => insert_key(&mut tx, &key, &der, now).await?,
        (None, None) => {
            let (key, der) = SigningKey::generate(alg)?;
            insert_key(&mut tx, &key, &der, now).await?
        }
    };
    let row: KeyRow =
        sqlx::query_as("SELECT id, kid, alg, private_key FROM signing_keys WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    row.key()
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
        .bind(now - ID_TOKEN_LIFETIME_SECS)
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
    sqlx::query(
        "INSERT INTO signing_keys (kid, alg, private_key, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&key.kid)
    .bind(key.alg().as_str())
    .bind(der)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query_scalar("SELECT id FROM signing_keys WHERE kid = $1")
        .bind(&key.kid)
        .fetch_one(conn)
        .await
}

/// Adds a new key of `alg` that the next start-up will sign with; returns its `kid`.
pub async fn rotate(conn: &mut AnyConnection, alg: Alg, now: i64) -> Result<String, KeyError> {
    let (key, der) = SigningKey::generate(alg)?;
    insert_key(conn, &key, &der, now).await?;
    Ok(key.kid)
}

/// `gitlogin rotate-key [--alg …]`, run with the server's own settings. Prints the new `kid`
/// alone on stdout, for scripts, and what happens next on stderr.
pub async fn rotate_key_command(figment: Figment, alg: Alg) -> ExitCode {
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
                ID_TOKEN_LIFETIME_SECS / 60
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
    let kid = rotate(&mut *db.acquire().await?, alg, Clock::default().now()).await?;
    crate::store::pool::close(&rocket).await;
    Ok(kid)
}
