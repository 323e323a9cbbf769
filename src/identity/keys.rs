//! The Ed25519 keys that sign identity tokens, and the JWKS that publishes their public halves
//! so that other services can check a token without calling us.
//!
//! The key comes from `SIGNING_KEY` or, when that is unset, from the `signing_keys` table,
//! where the first start-up generates one, so restarts keep it. The signing key is read at
//! start-up ([`loader`]) into a managed [`KeyRing`]; each key is parsed once and its public
//! half remembered: no request derives a key twice.
//!
//! Rotation (`gitlogin rotate-key`, [`rotate_key_command`]) only adds a newer key to the
//! table, and every instance publishes it at once (the JWKS is read from the table at each
//! request), before anything signs with it. The switch happens at the next start-up: that
//! server signs with the newest key and retires the older ones, and every other instance,
//! finding at its next token that its key was retired, follows. A retired key stays in the
//! JWKS for one token lifetime, until the last token signed with it has expired.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, RwLock};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm,
    OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse,
};
use jsonwebtoken::EncodingKey;
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket_db_pools::sqlx::{self, AnyConnection, AnyPool, Connection as _};
use rocket_db_pools::Database;
use sha2::{Digest, Sha256};

use crate::config::{AppConfig, ConfigError};
use crate::ops::clock::Clock;
use crate::store::nullable::Nullable;
use crate::store::pool::{Backend, Db};

/// How long an identity token is valid; also how long a retired key stays published.
pub const TOKEN_LIFETIME_SECS: i64 = 5 * 60;

/// Why there is no key to sign with.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("SIGNING_KEY is not an Ed25519 private key: give a PEM \"PRIVATE KEY\" block, or its DER in base64 (`openssl genpkey -algorithm ed25519 -outform DER | base64 -w0`)")]
    BadSetting,
    #[error("the signing key {0:?} in the store is damaged; delete its row from signing_keys")]
    BadStoredKey(String),
    #[error("the system's random number generator failed")]
    Random,
    #[error("SIGNING_KEY is set, so the signing key is managed outside gitlogin: to rotate it, put the new key in SIGNING_KEY and restart (tokens signed with the old key then stop verifying)")]
    ManagedOutside,
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("the store did not answer: {0}")]
    Store(#[from] sqlx::Error),
}

/// An Ed25519 key, read once. jsonwebtoken keeps the PKCS#8 bytes that it signs with; the
/// public key and its `kid` are worked out here, once.
pub struct SigningKey {
    /// The RFC 7638 thumbprint of the public key: the same key always gets the same `kid`,
    /// whether it comes from `SIGNING_KEY` or the store.
    kid: String,
    /// The public key, base64url: the JWK's `x`.
    x: String,
    encoding: EncodingKey,
}

impl std::fmt::Debug for SigningKey {
    // By hand, so that the private key can never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// PKCS#8 v1 (what `openssl genpkey` writes) or v2 (what ring writes, with the public key).
    pub fn from_pkcs8(der: &[u8]) -> Option<SigningKey> {
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).ok()?;
        let x = URL_SAFE_NO_PAD.encode(pair.public_key().as_ref());
        Some(SigningKey {
            kid: thumbprint(&x),
            x,
            encoding: EncodingKey::from_ed_der(der),
        })
    }

    /// `SIGNING_KEY`: a PEM `PRIVATE KEY` block, or the same DER in base64, which fits on the
    /// one line an env file allows.
    pub fn from_setting(value: &str) -> Result<SigningKey, KeyError> {
        let value = value.trim();
        let der = if value.starts_with("-----BEGIN") {
            let block = pem::parse(value).map_err(|_| KeyError::BadSetting)?;
            if block.tag() != "PRIVATE KEY" {
                return Err(KeyError::BadSetting);
            }
            block.into_contents()
        } else {
            let compact: String = value.split_whitespace().collect();
            STANDARD.decode(compact).map_err(|_| KeyError::BadSetting)?
        };
        SigningKey::from_pkcs8(&der).ok_or(KeyError::BadSetting)
    }

    /// A new key from the system's random number generator, and its PKCS#8 bytes to store.
    pub fn generate() -> Result<(SigningKey, Vec<u8>), KeyError> {
        let der = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| KeyError::Random)?
            .as_ref()
            .to_vec();
        let key = SigningKey::from_pkcs8(&der).ok_or(KeyError::Random)?;
        Ok((key, der))
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn encoding_key(&self) -> &EncodingKey {
        &self.encoding
    }

    /// The public half as RFC 8037 describes it: `kty` OKP, `crv` Ed25519, `x`.
    pub fn jwk(&self) -> Jwk {
        Jwk {
            common: CommonParameters {
                public_key_use: Some(PublicKeyUse::Signature),
                key_algorithm: Some(KeyAlgorithm::EdDSA),
                key_id: Some(self.kid.clone()),
                ..CommonParameters::default()
            },
            algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                key_type: OctetKeyPairType::OctetKeyPair,
                curve: EllipticCurve::Ed25519,
                x: self.x.clone(),
            }),
        }
    }
}

/// SHA-256 of the key's required members, in lexical order and without spaces (RFC 7638).
fn thumbprint(x: &str) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// The key that signs, and where the keys to publish come from. Managed.
#[derive(Debug)]
pub struct KeyRing {
    /// Swapped for a newer key when a later start-up has retired this one.
    current: RwLock<Arc<SigningKey>>,
    /// `SIGNING_KEY`: the one key, published for ever. Else the store's keys, whose public
    /// halves are remembered here by `kid` once worked out.
    from_store: Option<Mutex<HashMap<String, Jwk>>>,
}

impl KeyRing {
    /// A ring of one key that never leaves the JWKS: the `SIGNING_KEY` case.
    pub fn single(key: SigningKey) -> KeyRing {
        KeyRing {
            current: RwLock::new(Arc::new(key)),
            from_store: None,
        }
    }

    /// The key to sign with now. From the store: the key loaded at start-up until a later
    /// start-up (of this or another instance, after `rotate-key`) retires it, then the newest
    /// key not retired. So in a rolling restart the instances not yet restarted follow the
    /// first one at once, and none keeps signing with a key that is leaving the JWKS. One
    /// indexed read per token.
    pub async fn signing_key(&self, conn: &mut AnyConnection) -> Result<Arc<SigningKey>, KeyError> {
        let current = read(&self.current).clone();
        if self.from_store.is_none() {
            return Ok(current);
        }
        let live: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM signing_keys WHERE kid = $1 AND retired_at IS NULL",
        )
        .bind(current.kid())
        .fetch_one(&mut *conn)
        .await?;
        if live == 1 {
            return Ok(current);
        }
        let newest: Option<(String, Vec<u8>)> = sqlx::query_as(
            "SELECT kid, private_key FROM signing_keys WHERE retired_at IS NULL
             ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(&mut *conn)
        .await?;
        let Some((kid, der)) = newest else {
            return Ok(current);
        };
        let key = Arc::new(parse_stored(&kid, &der)?);
        rocket::info!("identity tokens: now signing with kid {kid}, chosen by a later start-up");
        *write(&self.current) = key.clone();
        Ok(key)
    }

    /// The keys to publish at `now`: the store's keys, less the retired ones whose last token
    /// has expired. Asks the store only when the keys live there.
    pub async fn jwks(&self, store: &AnyPool, now: i64) -> Result<JwkSet, KeyError> {
        let Some(known) = &self.from_store else {
            return Ok(JwkSet {
                keys: vec![read(&self.current).jwk()],
            });
        };
        let mut conn = store.acquire().await?;
        let rows: Vec<(String, Nullable<i64>)> =
            sqlx::query_as("SELECT kid, retired_at FROM signing_keys ORDER BY id DESC")
                .fetch_all(&mut *conn)
                .await?;
        let mut keys = Vec::new();
        for (kid, retired_at) in rows {
            if !still_published(retired_at.into(), now) {
                continue;
            }
            if let Some(jwk) = public_key(known, &mut conn, &kid).await? {
                keys.push(jwk);
            }
        }
        Ok(JwkSet { keys })
    }
}

/// A key retired at `retired_at` signed its last token then; it stays published until that
/// token has expired.
fn still_published(retired_at: Option<i64>, now: i64) -> bool {
    retired_at.is_none_or(|at| now < at + TOKEN_LIFETIME_SECS)
}

/// The public half of the stored key `kid`: worked out once and remembered. `None` when the row
/// is gone since the list was read (another instance's start-up deleted it).
async fn public_key(
    known: &Mutex<HashMap<String, Jwk>>,
    conn: &mut AnyConnection,
    kid: &str,
) -> Result<Option<Jwk>, KeyError> {
    if let Some(jwk) = lock(known).get(kid) {
        return Ok(Some(jwk.clone()));
    }
    let der: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT private_key FROM signing_keys WHERE kid = $1")
            .bind(kid)
            .fetch_optional(conn)
            .await?;
    let Some(der) = der else {
        return Ok(None);
    };
    let jwk = parse_stored(kid, &der)?.jwk();
    lock(known).insert(kid.to_owned(), jwk.clone());
    Ok(Some(jwk))
}

/// A stored key, checked against the `kid` it is stored under.
fn parse_stored(kid: &str, der: &[u8]) -> Result<SigningKey, KeyError> {
    SigningKey::from_pkcs8(der)
        .filter(|key| key.kid == kid)
        .ok_or_else(|| KeyError::BadStoredKey(kid.to_owned()))
}

// A panic elsewhere cannot leave these half-written: each is one insert or one swap.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Reads `SIGNING_KEY` while the configuration is checked, so that a bad value stops the
/// start-up with one line naming it, like every other setting.
pub fn from_config(config: &AppConfig) -> Result<Option<SigningKey>, ConfigError> {
    config
        .signing_key
        .as_ref()
        .map(|secret| SigningKey::from_setting(&secret.0))
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
                    rocket::info!(
                        "identity tokens: signing with kid {}",
                        read(&ring.current).kid
                    );
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
    let mut known = HashMap::new();
    for row in rows {
        let key = parse_stored(&row.kid, &row.private_key)?;
        known.insert(row.kid, key.jwk());
        if row.id == current_id {
            current = Some(key);
        }
    }
    let current = current.ok_or_else(|| KeyError::BadStoredKey(current_id.to_string()))?;
    Ok(KeyRing {
        current: RwLock::new(Arc::new(current)),
        from_store: Some(Mutex::new(known)),
    })
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
    crate::ops::logging::init(rocket::config::LogLevel::Critical);
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
    let rocket = rocket::custom(figment)
        .attach(crate::store::pool::stage())
        .ignite()
        .await
        .map_err(|e| ConfigError::Other(e.to_string()))?;
    let db = Db::fetch(&rocket).ok_or_else(|| ConfigError::Other("no store".into()))?;
    let kid = rotate(&mut *db.acquire().await?, Clock::default().now()).await?;
    crate::store::pool::close(&rocket).await;
    Ok(kid)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8032, section 7.1, TEST 1: a published test vector, not a secret.
    const SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    const PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// The seed as `openssl genpkey -algorithm ed25519` writes it: PKCS#8 v1.
    fn openssl_der() -> Vec<u8> {
        let mut der = hex("302e020100300506032b657004220420");
        der.extend(hex(SEED));
        der
    }

    #[test]
    fn a_base64_setting_gives_the_rfc_public_key_and_its_thumbprint() {
        let key = SigningKey::from_setting(&STANDARD.encode(openssl_der())).unwrap();
        assert_eq!(key.x, URL_SAFE_NO_PAD.encode(hex(PUBLIC)));
        assert_eq!(key.kid, thumbprint(&key.x));
    }

    #[test]
    fn a_pem_setting_gives_the_same_key() {
        let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", openssl_der()));
        let from_pem = SigningKey::from_setting(&pem).unwrap();
        let from_b64 = SigningKey::from_setting(&STANDARD.encode(openssl_der())).unwrap();
        assert_eq!(from_pem.kid, from_b64.kid);
    }

    #[test]
    fn other_pem_blocks_and_garbage_are_refused() {
        let public = pem::encode(&pem::Pem::new("PUBLIC KEY", openssl_der()));
        for bad in [public.as_str(), "not base64!", "aGVsbG8=", ""] {
            assert!(
                matches!(SigningKey::from_setting(bad), Err(KeyError::BadSetting)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn generated_keys_differ_and_read_back() {
        let (a, der) = SigningKey::generate().unwrap();
        let (b, _) = SigningKey::generate().unwrap();
        assert_ne!(a.kid, b.kid);
        assert_eq!(SigningKey::from_pkcs8(&der).unwrap().kid, a.kid);
    }

    #[test]
    fn a_retired_key_leaves_the_jwks_when_its_last_token_expires() {
        assert!(still_published(None, 1_000_000));
        assert!(still_published(
            Some(1_000),
            1_000 + TOKEN_LIFETIME_SECS - 1
        ));
        assert!(!still_published(Some(1_000), 1_000 + TOKEN_LIFETIME_SECS));
    }
}
