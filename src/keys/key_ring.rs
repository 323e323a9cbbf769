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
//! replaced by `gitlogin rotate-key`: a new key is published within
//! [`SCHEDULE_REFRESH_SECS`] and signs from a second written in its row, by default a day
//! later (`SIGNING_KEY_PUBLISH_AHEAD`). Every instance keeps the store's published keys and
//! their schedule in memory, reads them from the table again once they are
//! [`SCHEDULE_REFRESH_SECS`] old (`schedule.rs`) and switches at the second, without a
//! restart; a key that signs at once (`rotate-key --now`) is signed with everywhere within
//! those seconds. The JWKS is made from the same read, serialised once and served as it is
//! until the next: so an instance never signs with a key its own JWKS does not publish. A
//! retired key stays in the JWKS until the last token it can have signed has expired
//! ([`RETIRED_KEY_KEPT_SECS`]); the JWKS is made again from a new read at that second.
//!
//! [`RETIRED_KEY_KEPT_SECS`]: super::RETIRED_KEY_KEPT_SECS

use std::sync::{Arc, RwLock};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use rocket_db_pools::sqlx::{AnyConnection, AnyPool};

use super::schedule::{Schedule, Slot};
use super::store;
use super::{Alg, KeyError, SigningKey, SCHEDULE_REFRESH_SECS};

/// The keys that sign, and the JWKS that publishes them. Managed; a clone shares everything
/// with the original, so a task can keep one.
#[derive(Debug, Clone)]
pub struct KeyRing {
    /// `SIGNING_KEY`: the one EdDSA key, published for ever; the store's EdDSA keys are then
    /// neither used nor published.
    configured: Option<Arc<SigningKey>>,
    /// The store's published keys and which of them signs when, as last read from the store.
    schedule: Arc<RwLock<Schedule>>,
    /// The JWKS made from that read; `None` before the first.
    jwks: Arc<RwLock<Option<Arc<Jwks>>>>,
}

impl KeyRing {
    /// `slots`: the store's published keys, as start-up read them; the first token or JWKS
    /// reads them again, and whenever they are a few seconds old.
    pub(crate) fn new(configured: Option<SigningKey>, slots: Vec<Slot>) -> KeyRing {
        KeyRing {
            configured: configured.map(Arc::new),
            schedule: Arc::new(RwLock::new(Schedule::unread(slots))),
            jwks: Arc::new(RwLock::new(None)),
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

    /// Reads the schedule from the store again, and makes the JWKS from it: published before
    /// the schedule it is made from can be signed by. Returns the JWKS.
    async fn refresh(&self, conn: &mut AnyConnection, now: i64) -> Result<Arc<Jwks>, KeyError> {
        let parsed = read(&self.schedule).keys();
        let schedule = Schedule::read(conn, &parsed, now).await?;
        let mut keys: Vec<Jwk> = self.configured.iter().map(|k| k.jwk().clone()).collect();
        keys.extend(
            schedule
                .published(now)
                .filter(|key| self.store_keeps(key.alg()))
                .map(|key| key.jwk().clone()),
        );
        let set = JwkSet { keys };
        // A set of JWKs, strings all, always serialises.
        let body = serde_json::to_string(&set).unwrap_or_default().into();
        let refreshed = now + SCHEDULE_REFRESH_SECS;
        let until = schedule
            .next_unpublished(now)
            .map_or(refreshed, |gone| gone.min(refreshed));
        let jwks = Arc::new(Jwks {
            set,
            body,
            from: now,
            until,
        });
        *write(&self.jwks) = Some(jwks.clone());
        *write(&self.schedule) = schedule;
        Ok(jwks)
    }

    /// The JWKS made at the last read of the store, if that read is still believed at `now`.
    fn current_jwks(&self, now: i64) -> Option<Arc<Jwks>> {
        read(&self.jwks)
            .as_ref()
            .filter(|jwks| jwks.from <= now && now < jwks.until)
            .cloned()
    }

    /// The JWKS at `now`: the configured key, then the store's published keys (those that
    /// sign now or later, and the retired ones whose last token may not have expired), the
    /// last to take over first. Made once per read of the store, so a request costs no query
    /// and no serialising, and no connection, unless the schedule is due to be read again.
    pub async fn jwks(&self, pool: &AnyPool, now: i64) -> Result<Arc<Jwks>, KeyError> {
        match self.current_jwks(now) {
            Some(jwks) => Ok(jwks),
            None => self.refresh(&mut *pool.acquire().await?, now).await,
        }
    }

    /// The published key `kid` at `now`, to verify a token gitlogin signed. A `kid` the JWKS
    /// in memory does not name has the store read again first: another instance may sign
    /// with a key this one has not read yet (`rotate-key --now`).
    pub(crate) async fn published_key(
        &self,
        conn: &mut AnyConnection,
        kid: &str,
        now: i64,
    ) -> Result<Option<Jwk>, KeyError> {
        if let Some(jwk) = self.current_jwks(now).and_then(|jwks| jwks.key(kid)) {
            return Ok(Some(jwk));
        }
        Ok(self.refresh(conn, now).await?.key(kid))
    }
}

/// The JWKS made from one read of the store, as served and as tokens are checked against it.
#[derive(Debug)]
pub struct Jwks {
    set: JwkSet,
    /// `set`, serialised.
    pub body: Arc<str>,
    /// When the schedule it was made from was read.
    from: i64,
    /// When that schedule is a refresh old, or a retired key in it leaves, whichever is first.
    until: i64,
}

impl Jwks {
    fn key(&self, kid: &str) -> Option<Jwk> {
        self.set.find(kid).cloned()
    }
}

// A panic elsewhere cannot leave these half-written: each write is a swap.
fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
