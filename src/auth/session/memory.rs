//! The sessions this instance remembers, so that a signed-in request costs no lookup while
//! the store's access epoch says that nothing they rest on has changed (`cache.rs` says why
//! that is exact).
//!
//! Memory only ever says "yes": a session it would call idle, expired, refused, due for a
//! membership recheck or due to have its last use recorded is looked up in the store, and
//! decided there exactly as if nothing were remembered.

use rocket::request::{FromRequest, Outcome, Request};

use super::settle::{is_due_a_touch, is_live};
use super::{CurrentUser, LiveSession};
use crate::access::lists::Facts;
use crate::access::Standing;
use crate::cache::{epoch_of, Remembered};
use crate::config::AppConfig;
use crate::models::{SessionRow, User};

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
    /// The apps forward auth let this session into, by name, with the groups it told them.
    apps: Vec<(String, Vec<String>)>,
}

/// The most apps remembered per session; more are asked of the store each time.
const APPS_PER_SESSION: usize = 16;

/// One request's view of the memory: the epoch as read after the request arrived (`None`
/// when it could not be read, or the app was built without the memory: nothing is believed).
pub(super) struct Memory<'r> {
    sessions: Option<&'r Sessions>,
    epoch: Option<i64>,
}

impl<'r> Memory<'r> {
    pub(super) async fn of(req: &'r Request<'_>) -> Memory<'r> {
        let sessions = req.rocket().state::<Sessions>();
        let epoch = match sessions {
            Some(_) => epoch_of(req).await,
            None => None,
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
        let believed = |known: &Known| {
            let session = &known.session;
            if !is_live(session, &config.sessions, now) || is_due_a_touch(session, now) {
                return None;
            }
            let recheck = config.membership_recheck;
            let standing = known.facts.judge(&config.access, &known.user, recheck, now);
            if standing != Standing::Admitted {
                return None;
            }
            Some(CurrentUser {
                user: known.user.clone(),
                session: known.session.clone(),
            })
        };
        let current = self.sessions?.0.read(self.epoch?, id_hash, believed)?;
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
            apps: Vec::new(),
        };
        sessions.0.remember(epoch, id_hash, known);
    }
}

/// For forward auth: the apps a remembered session was let into, and the groups each was
/// told. A verdict is believed only while the owner's memberships are, since an app's
/// organisation and team rules rest on them; and like everything remembered, only while
/// the epoch stands still (the apps' rows and rules move it too).
pub(crate) struct AppAdmissions<'r>(Memory<'r>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for AppAdmissions<'r> {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(AppAdmissions(Memory::of(req).await))
    }
}

impl AppAdmissions<'_> {
    /// The groups to tell `app` about `current`, if this session was let into it.
    pub(crate) fn recall(
        &self,
        current: &CurrentUser,
        app: &str,
        recheck: i64,
        now: i64,
    ) -> Option<Vec<String>> {
        let memory = &self.0;
        let groups = |known: &Known| {
            if now - known.user.memberships_verified_at >= recheck {
                return None;
            }
            let (_, groups) = known.apps.iter().find(|(name, _)| name == app)?;
            Some(groups.clone())
        };
        let id_hash = &current.session.id_hash;
        memory.sessions?.0.read(memory.epoch?, id_hash, groups)
    }

    /// Remembers that `current` was let into `app`, telling it `groups`.
    pub(crate) fn remember(&self, current: &CurrentUser, app: &str, groups: &[String]) {
        let (Some(sessions), Some(epoch)) = (self.0.sessions, self.0.epoch) else {
            return;
        };
        sessions.0.update(epoch, &current.session.id_hash, |known| {
            if known.apps.len() < APPS_PER_SESSION {
                known.apps.push((app.to_owned(), groups.to_vec()));
            }
        });
    }
}
