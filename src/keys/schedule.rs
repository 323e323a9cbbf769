//! The store's published keys, as one instance last read them from the store: each key with
//! the second it starts signing and the second it stops, so which one signs when, and which
//! ones the JWKS publishes. Believed for [`SCHEDULE_REFRESH_SECS`] of the app's clock, then
//! read again; so neither a token nor the JWKS costs a query, and a key another instance or
//! `rotate-key` adds is published everywhere within those seconds and signed with everywhere
//! within seconds of its time.

use std::collections::HashMap;
use std::sync::Arc;

use rocket_db_pools::sqlx::{self, AnyConnection};

use super::{store, Alg, KeyError, SigningKey, RETIRED_KEY_KEPT_SECS, SCHEDULE_REFRESH_SECS};
use crate::store::nullable::Nullable;

/// One stored key and its time to sign (past, for a retired key still published).
#[derive(Debug)]
pub(crate) struct Slot {
    key: Arc<SigningKey>,
    signs_from: i64,
    retired_at: Option<i64>,
}

impl Slot {
    pub(super) fn new(key: Arc<SigningKey>, signs_from: i64, retired_at: Option<i64>) -> Slot {
        Slot {
            key,
            signs_from,
            retired_at,
        }
    }

    fn signs_at(&self, now: i64) -> bool {
        self.signs_from <= now && self.retired_at.is_none_or(|at| now < at)
    }
}

/// The published keys, in the order they took or take over, and when they were read.
#[derive(Debug, Default)]
pub(super) struct Schedule {
    slots: Vec<Slot>,
    /// `None`: never read from the store, so believed by no one (the slots may still save
    /// parsing their keys again).
    read_at: Option<i64>,
}

impl Schedule {
    /// Slots given, not read: the first token reads the store again.
    pub(super) fn unread(slots: Vec<Slot>) -> Schedule {
        Schedule {
            slots,
            read_at: None,
        }
    }

    /// Whether this schedule was read recently enough to be believed at `now`.
    pub(super) fn fresh(&self, now: i64) -> bool {
        self.read_at
            .is_some_and(|at| at <= now && now < at + SCHEDULE_REFRESH_SECS)
    }

    /// The key of `alg` that signs at `now`, if this schedule was read recently enough to say.
    pub(super) fn signer(&self, alg: Alg, now: i64) -> Option<Arc<SigningKey>> {
        if !self.fresh(now) {
            return None;
        }
        self.newest_signing(alg, now)
    }

    /// The keys published at `now`, the last to take over first: every key that signs now or
    /// later, and the retired ones whose last token may not have expired yet.
    pub(super) fn published(&self, now: i64) -> impl Iterator<Item = &SigningKey> {
        self.slots
            .iter()
            .rev()
            .filter(move |slot| still_published(slot.retired_at, now))
            .map(|slot| &*slot.key)
    }

    /// The first second after `now` at which a retired key leaves the JWKS, if one is to.
    pub(super) fn next_unpublished(&self, now: i64) -> Option<i64> {
        self.slots
            .iter()
            .filter_map(|slot| slot.retired_at)
            .map(|at| at + RETIRED_KEY_KEPT_SECS)
            .filter(|&gone| gone > now)
            .min()
    }

    /// Of the keys of `alg` that sign at `now`, the one whose time came last; else the next
    /// to sign: the key the store would choose (`store::usable`).
    fn newest_signing(&self, alg: Alg, now: i64) -> Option<Arc<SigningKey>> {
        let of_alg = || self.slots.iter().filter(|slot| slot.key.alg() == alg);
        of_alg()
            .rev()
            .find(|slot| slot.signs_at(now))
            .or_else(|| {
                of_alg().find(|slot| slot.signs_from > now && slot.signs_at(slot.signs_from))
            })
            .map(|slot| slot.key.clone())
    }

    /// The `kid`s of the keys that sign at `now`, whoever believes it, for the start-up's line.
    pub(super) fn signing_kids(&self, now: i64) -> Vec<String> {
        [Alg::EdDsa, Alg::Rs256]
            .into_iter()
            .filter_map(|alg| self.newest_signing(alg, now))
            .map(|key| key.kid.clone())
            .collect()
    }

    /// Every key this schedule holds, parsed, by `kid`.
    pub(super) fn keys(&self) -> HashMap<String, Arc<SigningKey>> {
        self.slots
            .iter()
            .map(|slot| (slot.key.kid.clone(), slot.key.clone()))
            .collect()
    }

    /// The store's schedule at `now`: the published keys, in the order they take over. Keys
    /// already parsed (`known`) are reused: only a key new since the last read has its private
    /// half read and parsed.
    pub(super) async fn read(
        conn: &mut AnyConnection,
        known: &HashMap<String, Arc<SigningKey>>,
        now: i64,
    ) -> Result<Schedule, KeyError> {
        let mut slots = Vec::new();
        let rows: Vec<(String, String, i64, Nullable<i64>)> = sqlx::query_as(
            "SELECT kid, alg, signs_from, retired_at FROM signing_keys
             WHERE retired_at IS NULL OR retired_at > $1
             ORDER BY signs_from, id",
        )
        .bind(now - RETIRED_KEY_KEPT_SECS)
        .fetch_all(&mut *conn)
        .await?;
        for (kid, alg, signs_from, retired_at) in rows {
            let Some(alg) = Alg::parse(&alg) else {
                continue;
            };
            let retired_at: Option<i64> = retired_at.into();
            let key = match known.get(&kid) {
                Some(key) => key.clone(),
                None => match store::stored_key(conn, alg, &kid).await? {
                    Some(key) => {
                        if retired_at.is_none_or(|at| at > now) {
                            rocket::info!(
                                "tokens: {} signing key {kid} signs from {signs_from}",
                                alg.as_str()
                            );
                        }
                        Arc::new(key)
                    }
                    // Forgotten since the list was read: it signs nothing now.
                    None => continue,
                },
            };
            slots.push(Slot::new(key, signs_from, retired_at));
        }
        Ok(Schedule {
            slots,
            read_at: Some(now),
        })
    }
}

/// A key retired at `retired_at` signed its last token then, or a few seconds later on an
/// instance that had not read the schedule since; it stays published until that token has
/// expired, however long-lived its kind.
pub(super) fn still_published(retired_at: Option<i64>, now: i64) -> bool {
    retired_at.is_none_or(|at| now < at + RETIRED_KEY_KEPT_SECS)
}
