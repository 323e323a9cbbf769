//! The sessions this instance remembers, so that a signed-in request costs no lookup while
//! the store's access epoch says that nothing they rest on has changed (`cache.rs` says why
//! that is exact).
//!
//! Memory only ever says "yes": a session it would call idle, expired, refused, due for a
//! membership recheck or due to have its last use recorded is looked up in the store, and
//! decided there exactly as if nothing were remembered.

use rocket::Request;
use rocket_db_pools::Database;

use super::settle::{is_due_a_touch, is_live};
use super::{CurrentUser, LiveSession};
use crate::access::lists::Facts;
use crate::access::Standing;
use crate::cache::{Epoch, Remembered};
use crate::config::AppConfig;
use crate::models::{SessionRow, User};
use crate::store::pool::Db;

/// Enough for a team's browsers; beyond it, memory holds this many (about 1 KB each) and the
/// rest are looked up as before.
const CAPACITY: usize = 1_000;

/// Managed: what the session guard has read from the store, by the cookie's hash.
pub(crate) struct Sessions(Remembered<Known>);

impl Default for Sessions {
    fn default() -> Sessions {
        Sessions(Remembered::with_capacity(CAPACITY))
    }
}

/// A session as the store last gave it, with what the allow-lists judged its owner by.
#[derive(Clone)]
struct Known {
    session: SessionRow,
    user: User,
    facts: Facts,
}

/// One request's view of the memory: the epoch as read after the request arrived (`None`
/// when it could not be read, or the app was built without the memory: nothing is believed).
pub(super) struct Memory<'r> {
    sessions: Option<&'r Sessions>,
    epoch: Option<i64>,
}

impl<'r> Memory<'r> {
    pub(super) async fn of(req: &'r Request<'_>) -> Memory<'r> {
        let rocket = req.rocket();
        let (sessions, epoch, db) = (
            rocket.state::<Sessions>(),
            rocket.state::<Epoch>(),
            Db::fetch(rocket),
        );
        let epoch = match (sessions, epoch, db) {
            (Some(_), Some(epoch), Some(db)) => epoch.now(db).await,
            _ => None,
        };
        Memory { sessions, epoch }
    }

    /// The session with this id hash, if remembered, still live and its owner admitted now.
    pub(super) fn recall(
        &self,
        id_hash: &str,
        config: &AppConfig,
        now: i64,
    ) -> Option<LiveSession> {
        let known = self.sessions?.0.recall(self.epoch?, id_hash)?;
        let session = &known.session;
        if !is_live(session, &config.sessions, now) || is_due_a_touch(session, now) {
            return None;
        }
        let recheck = config.membership_recheck;
        let standing = known.facts.judge(&config.access, &known.user, recheck, now);
        if standing != Standing::Admitted {
            return None;
        }
        let current = CurrentUser {
            user: known.user,
            session: known.session,
        };
        Some(LiveSession {
            current,
            recheck_due: false,
        })
    }

    /// Remembers a session just read from the store, at the epoch read before it.
    pub(super) fn remember(&self, id_hash: String, live: &LiveSession, facts: Facts) {
        let (Some(sessions), Some(epoch)) = (self.sessions, self.epoch) else {
            return;
        };
        let known = Known {
            session: live.current.session.clone(),
            user: live.current.user.clone(),
            facts,
        };
        sessions.0.remember(epoch, id_hash, known);
    }
}
