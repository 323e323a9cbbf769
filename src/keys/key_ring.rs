//! Which key signs now, for each algorithm, and the JWKS that publishes the public halves so
//! that other services and relying parties can check a token without calling us.
//!
//! The EdDSA key comes from `SIGNING_KEY` or, when that is unset, from the `signing_keys`
//! table, where the first start-up generates one, so restarts keep it. The RS256 key always
//! lives in the table and is made when the first app that needs it is registered (or at
//! start-up, if such an app exists): a deployment without OpenID Connect apps never makes
//! one, and a relying party, which reads the JWKS once at discovery, finds it there.
//!
//! Rotation (`gitlogin rotate-key`, `cli/rotate_key.rs`) only adds a newer key to the table,
//! and every instance publishes it at once (the JWKS is read from the table at each request),
//! before anything signs with it. The switch happens at the next start-up: that server signs
//! with the newest key of each algorithm and retires the older ones, and every other
//! instance, finding at its next token that its key was retired, follows. A retired key stays
//! in the JWKS for one token lifetime, until the last token signed with it has expired.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use rocket_db_pools::sqlx::{self, AnyConnection};

use super::store;
use super::{Alg, KeyError, SigningKey, LONGEST_TOKEN_SECS};
use crate::store::nullable::Nullable;

/// The keys that sign, and where the keys to publish come from. Managed; a clone shares
/// everything with the original (the back-channel logout sender keeps one in its task).
#[derive(Debug, Clone)]
pub struct KeyRing {
    /// `SIGNING_KEY`: the one EdDSA key, published for ever; the store's EdDSA keys are then
    /// neither used nor published.
    configured: Option<Arc<SigningKey>>,
    /// The store's key that signs now, per algorithm: swapped for a newer one when a later
    /// start-up has retired it, and RS256's filled in at its first token.
    current: Arc<RwLock<HashMap<Alg, Arc<SigningKey>>>>,
    /// The public halves of the store's keys by `kid`, once worked out.
    known: Arc<Mutex<HashMap<String, Jwk>>>,
}

impl KeyRing {
    pub(crate) fn new(
        configured: Option<SigningKey>,
        current: Vec<SigningKey>,
        known: Vec<(String, Jwk)>,
    ) -> KeyRing {
        KeyRing {
            configured: configured.map(Arc::new),
            current: Arc::new(RwLock::new(
                current
                    .into_iter()
                    .map(|k| (k.alg(), Arc::new(k)))
                    .collect(),
            )),
            known: Arc::new(Mutex::new(known.into_iter().collect())),
        }
    }

    /// The `kid`s of the keys that sign now, for the start-up's log line.
    pub(crate) fn signing_kids(&self) -> Vec<String> {
        let mut kids: Vec<String> = self.configured.iter().map(|k| k.kid.clone()).collect();
        kids.extend(read(&self.current).values().map(|k| k.kid.clone()));
        kids
    }

    /// Whether the store's keys of `alg` are used (EdDSA's are not when `SIGNING_KEY` is set).
    pub(crate) fn store_keeps(&self, alg: Alg) -> bool {
        alg == Alg::Rs256 || self.configured.is_none()
    }

    /// The key to sign with now. From the store: the key loaded at start-up until a later
    /// start-up (of this or another instance, after `rotate-key`) retires it, then the newest
    /// key of its algorithm not retired. So in a rolling restart the instances not yet
    /// restarted follow the first one at once, and none keeps signing with a key that is
    /// leaving the JWKS. One indexed read per token.
    pub async fn signing_key(
        &self,
        conn: &mut AnyConnection,
        alg: Alg,
        now: i64,
    ) -> Result<Arc<SigningKey>, KeyError> {
        if let (Alg::EdDsa, Some(configured)) = (alg, &self.configured) {
            return Ok(configured.clone());
        }
        let current = read(&self.current).get(&alg).cloned();
        if let Some(current) = current {
            let live: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM signing_keys WHERE kid = $1 AND retired_at IS NULL",
            )
            .bind(current.kid())
            .fetch_one(&mut *conn)
            .await?;
            if live == 1 {
                return Ok(current);
            }
        }
        let key = Arc::new(store::newest_or_first(conn, alg, now).await?);
        rocket::info!("{} tokens: now signing with kid {}", alg.as_str(), key.kid);
        lock(&self.known).insert(key.kid.clone(), key.jwk().clone());
        write(&self.current).insert(alg, key.clone());
        Ok(key)
    }

    /// The keys to publish at `now`: the configured key, and the store's keys, less the
    /// retired ones whose last token has expired.
    pub async fn jwks(&self, conn: &mut AnyConnection, now: i64) -> Result<JwkSet, KeyError> {
        let mut keys: Vec<Jwk> = self.configured.iter().map(|k| k.jwk().clone()).collect();
        let rows: Vec<(String, String, Nullable<i64>)> =
            sqlx::query_as("SELECT kid, alg, retired_at FROM signing_keys ORDER BY id DESC")
                .fetch_all(&mut *conn)
                .await?;
        for (kid, alg, retired_at) in rows {
            let Some(alg) = Alg::parse(&alg).filter(|alg| self.store_keeps(*alg)) else {
                continue;
            };
            if !still_published(retired_at.into(), now) {
                continue;
            }
            if let Some(jwk) = self.public_key(conn, alg, &kid).await? {
                keys.push(jwk);
            }
        }
        Ok(JwkSet { keys })
    }

    /// The public half of the stored key `kid`: worked out once and remembered. `None` when
    /// the row is gone since the list was read (another instance's start-up deleted it).
    async fn public_key(
        &self,
        conn: &mut AnyConnection,
        alg: Alg,
        kid: &str,
    ) -> Result<Option<Jwk>, KeyError> {
        if let Some(jwk) = lock(&self.known).get(kid) {
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
        let jwk = SigningKey::from_stored(alg, kid, &der)?.jwk().clone();
        lock(&self.known).insert(kid.to_owned(), jwk.clone());
        Ok(Some(jwk))
    }
}

/// A key retired at `retired_at` signed its last token then; it stays published until that
/// token has expired, however long-lived its kind.
pub(super) fn still_published(retired_at: Option<i64>, now: i64) -> bool {
    retired_at.is_none_or(|at| now < at + LONGEST_TOKEN_SECS)
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
