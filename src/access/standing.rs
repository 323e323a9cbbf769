//! The membership recheck: a membership GitHub confirmed is believed for `MEMBERSHIP_RECHECK`
//! only, so that someone removed from an organisation loses what it gave them within that
//! interval even when GitHub's webhook never tells (`webhook.rs`).

/// Where a signed-in person stands now, decided from the store; ordered best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    Admitted,
    /// Admitted only by an organisation or team membership that GitHub confirmed longer ago
    /// than `MEMBERSHIP_RECHECK`. It counts again once GitHub confirms it: a sign-in round
    /// trip, which GitHub answers without a page for an app the person authorized before.
    /// Until then, nothing that membership guards is shown or issued.
    Unverified,
    Refused,
}

impl Standing {
    /// What a membership recorded `verified_at` can do now: admit, or wait to be verified.
    /// Someone removed from the organisation keeps it at most `recheck` seconds (less when
    /// GitHub's webhook says so first: `webhook.rs`).
    pub fn by_membership(verified_at: i64, recheck: i64, now: i64) -> Standing {
        if now - verified_at < recheck {
            Standing::Admitted
        } else {
            Standing::Unverified
        }
    }

    pub fn is_admitted(self) -> bool {
        self == Standing::Admitted
    }
}
