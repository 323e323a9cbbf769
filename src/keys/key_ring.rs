//! Which key signs now, for each algorithm, and the JWKS that publishes the public halves so
//! that other services and relying parties can check a token without calling us.
//!
//! The EdDSA key comes from `SIGNING_KEY` or, when that is unset, from the `signing_keys`
//! table, where the first start-up generates one, so restarts keep it. The RS256 key always
//! lives in the table and is made when the first app that needs it is registered (or at
//! start-up, if such an app exists): a deployment without OpenID Connect apps never makes
//! one, and a relying party, which reads the JWKS once at discovery, finds it there.
//!
//! The store's keys replace themselves (`rotation.rs`, every `SIGNING_KEY_ROTATION`) or are
//! replaced by `gitlogin rotate-key`: a new key is published at once (the JWKS is read from
//! the table at each request) and signs from a second written in its row, by default a day
//! later (`SIGNING_KEY_PUBLISH_AHEAD`). Every instance keeps that schedule in memory, reads it
//! from the table again once it is [`SCHEDULE_REFRESH_SECS`] old (`schedule.rs`) and switches
//! at the second, without a restart; a key that signs at once (`rotate-key --now`) is signed
//! with everywhere within those seconds. A retired key stays in the JWKS until the last token
//! it can have signed has expired ([`RETIRED_KEY_KEPT_SECS`]).
//!
//! [`SCHEDULE_REFRESH_SECS`]: super::SCHEDULE_REFRESH_SECS

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use rocket_db_pools::sqlx::{self, AnyConnection};

use super::schedule::{Schedule, Slot};
use super::store;
use super::{Alg, KeyError, SigningKey, RETIRED_KEY_KEPT_SECS};
use crate::store::nullable::Nullable;

/// The keys that sign, and where the keys to publish come from. Managed; a clone shares
/// everything with the original, so a task can keep one.
#[derive(Debug, Clone)]
pub struct KeyRing {
    /// `SIGNING_KEY`: the one EdDSA key, published for ever; the store's EdDSA keys are then
    /// neither used nor published.
    configured: Option<Arc<SigningKey>>,
    /// Which of the store's keys signs when, as last read from the store.
    schedule: Arc<RwLock<Schedule>>,
    /// The public halves of the store's keys by `kid`, once worked out.
    known: Arc<Mutex<HashMap<String, Jwk>>>,
}

impl KeyRing {
    /// `slots`: the store's keys that sign now or later, as start-up read them; the first
    /// token reads them again, and whenever they are a few seconds old.
    pub(crate) fn new(
        configured: Option<SigningKey>,
        slots: Vec<Slot>,
        known: Vec<(String, Jwk)>,
    ) -> KeyRing {
        KeyRing {
            configured: configured.map(Arc::new),
            schedule: Arc::new(RwLock::new(Schedule::unread(slots))),
            known: Arc::new(Mutex::new(known.into_iter().collect())),
        }
    }

    /// The `kid`s of the keys that sign at `now`, for the start-up's log line.
    pub(crate) fn signing_kids(&self, now: i64) -> Vec<String> {
        let mut kids: Vec<String> = self.configured.iter().map(|k| k.kid.clone()).collect();
        kids.extend(read(&self.schedule).signing_kids(now));
        kids
    }

    /// Whether the store's keys of `alg` are used (EdDSA's are not when `SIGNING_KEY` is set).
    pub(crate) fn store_keeps(&self, alg: Alg) -> bool {
        alg == Alg::Rs256 || self.configured.is_none()
    }

    /// The key to sign with at `now`. From the store: the key the schedule names for `now`,
    /// the schedule read again when it is [`SCHEDULE_REFRESH_SECS`] old on the app's clock
    /// (one query, and a private key parsed only when it is new); a first key of `alg` made
    /// when the store has none.
    ///
    /// [`SCHEDULE_REFRESH_SECS`]: super::SCHEDULE_REFRESH_SECS
    pub async fn signing_key(
        &self,
        conn: &mut AnyConnection,
        alg: Alg,
        now: i64,
    ) -> Result<Arc<SigningKey>, KeyError> {
        if let (Alg::EdDsa, Some(configured)) = (alg, &self.configured) {
            return Ok(configured.clone());
        }
        if let Some(key) = read(&self.schedule).signer(alg, now) {
            return Ok(key);
        }
        self.refresh(conn, now).await?;
        if let Some(key) = read(&self.schedule).signer(alg, now) {
            return Ok(key);
        }
        let key = store::newest_or_first(conn, alg, now).await?;
        rocket::info!("{} tokens: first key, kid {}", alg.as_str(), key.kid());
        self.refresh(conn, now).await?;
        Ok(read(&self.schedule)
            .signer(alg, now)
            .unwrap_or_else(|| Arc::new(key)))
    }

    /// Reads the schedule from the store again.
    async fn refresh(&self, conn: &mut AnyConnection, now: i64) -> Result<(), KeyError> {
        let parsed = read(&self.schedule).keys();
        let schedule = Schedule::read(conn, &parsed, now).await?;
        let mut known = lock(&self.known);
        for (kid, key) in schedule.keys() {
            known.entry(kid).or_insert_with(|| key.jwk().clone());
        }
        drop(known);
        *write(&self.schedule) = schedule;
        Ok(())
    }

    /// The keys to publish at `now`: the configured key, and the store's keys, less the
    /// retired ones whose last token has expired.
    pub async fn jwks(&self, conn: &mut AnyConnection, now: i64) -> Result<JwkSet, KeyError> {
        let mut keys: Vec<Jwk> = self.configured.iter().map(|k| k.jwk().clone()).collect();
        let rows: Vec<(String, String, Nullable<i64>)> =
            sqlx::query_as("SELECT kid, alg, retired_at FROM signing_keys ORDER BY id DESC")
                .fetch_all(&mut *conn)
                .await?;
        lock(&self.known).retain(|kid, _| rows.iter().any(|row| &row.0 == kid));
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
    /// the row is gone since the list was read (its last token expired meanwhile).
    async fn public_key(
        &self,
        conn: &mut AnyConnection,
        alg: Alg,
        kid: &str,
    ) -> Result<Option<Jwk>, KeyError> {
        if let Some(jwk) = lock(&self.known).get(kid) {
            return Ok(Some(jwk.clone()));
        }
        let Some(key) = store::stored_key(conn, alg, kid).await? else {
            return Ok(None);
        };
        let jwk = key.jwk().clone();
        lock(&self.known).insert(kid.to_owned(), jwk.clone());
        Ok(Some(jwk))
    }
}

/// A key retired at `retired_at` signed its last token then, or a few seconds later on an
/// instance that had not read the schedule since; it stays published until that token has
/// expired, however long-lived its kind.
pub(super) fn still_published(retired_at: Option<i64>, now: i64) -> bool {
    retired_at.is_none_or(|at| now < at + RETIRED_KEY_KEPT_SECS)
}

// A panic elsewhere cannot leave these half-written: each is an insert, a retain or a swap.
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
