//! The Ed25519 keys that sign identity tokens, and the JWKS that publishes their public halves
//! so that other services can check a token without calling us.
//!
//! The key comes from `SIGNING_KEY` or, when that is unset, from the `signing_keys` table,
//! where the first start-up generates one, so restarts keep it. The signing key is read at
//! start-up (`key_store.rs`) into a managed [`KeyRing`]; each key is parsed once and its public
//! half remembered: no request derives a key twice.
//!
//! Rotation (`gitlogin rotate-key`, in `key_store.rs`) only adds a newer key to the
//! table, and every instance publishes it at once (the JWKS is read from the table at each
//! request), before anything signs with it. The switch happens at the next start-up: that
//! server signs with the newest key and retires the older ones, and every other instance,
//! finding at its next token that its key was retired, follows. A retired key stays in the
//! JWKS for one token lifetime, until the last token signed with it has expired.

use std::collections::HashMap;
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
use rocket_db_pools::sqlx::{self, AnyConnection, AnyPool};
use sha2::{Digest, Sha256};

use crate::config::ConfigError;
use crate::store::nullable::Nullable;

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
    pub(crate) kid: String,
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
    /// The store's keys: `current` signs, `known` are the public halves already worked out.
    pub(crate) fn from_store(current: SigningKey, known: Vec<(String, Jwk)>) -> KeyRing {
        KeyRing {
            current: RwLock::new(Arc::new(current)),
            from_store: Some(Mutex::new(known.into_iter().collect())),
        }
    }

    /// The `kid` of the key that signs now.
    pub(crate) fn signing_kid(&self) -> String {
        read(&self.current).kid.clone()
    }

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
        let key = Arc::new(SigningKey::from_stored(&kid, &der)?);
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
    let jwk = SigningKey::from_stored(kid, &der)?.jwk();
    lock(known).insert(kid.to_owned(), jwk.clone());
    Ok(Some(jwk))
}

/// A stored key, checked against the `kid` it is stored under.
impl SigningKey {
    /// A key read back from the store, which must be the one its row says it is.
    pub(crate) fn from_stored(kid: &str, der: &[u8]) -> Result<SigningKey, KeyError> {
        SigningKey::from_pkcs8(der)
            .filter(|key| key.kid == kid)
            .ok_or_else(|| KeyError::BadStoredKey(kid.to_owned()))
    }
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

#[cfg(test)]
mod tests;
