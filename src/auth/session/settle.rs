//! A stored session as it stands now, decided at every request that is not answered from
//! memory: the idle and absolute limits, the allow-lists applied again, and the last use
//! recorded at most once a minute.

use rocket_db_pools::sqlx::AnyConnection;

use super::{log_store_error, CurrentUser, LiveSession, LookupFailed, TOUCH_EVERY_SECS};
use crate::access::lists::Facts;
use crate::access::Standing;
use crate::config::{AppConfig, SessionSettings};
use crate::models::{self, SessionRow, User};

/// A stored session as it stands now: gone (and deleted) when it is no longer live or the
/// allow-lists no longer admit its owner; its last use recorded at most once a minute. With
/// it, what the lists were judged by.
pub(super) async fn settle(
    conn: &mut AnyConnection,
    config: &AppConfig,
    found: Option<(SessionRow, User)>,
    now: i64,
) -> Result<Option<(LiveSession, Facts)>, LookupFailed> {
    let Some((mut session, user)) = found else {
        return Ok(None);
    };
    if !is_live(&session, &config.sessions, now) {
        models::delete_session(conn, &session.id_hash)
            .await
            .map_err(log_store_error)?;
        return Ok(None);
    }
    // The allow-lists, applied again on every request: they may have been narrowed since the
    // sign-in, or the memberships they rest on may be due for a recheck.
    let facts = Facts::read(conn, &config.access, &user)
        .await
        .map_err(log_store_error)?;
    let standing = facts.judge(&config.access, &user, config.membership_recheck, now);
    if standing == Standing::Refused {
        // Signed in once, but the allow-lists no longer include them: this session ends
        // here, and each of their others the next time it is used. The apps signed in from
        // it are told (the sender finds the logouts at its next look, within seconds).
        models::end_session(conn, &session.id_hash)
            .await
            .map_err(log_store_error)?;
        return Ok(None);
    }
    if is_due_a_touch(&session, now) {
        models::touch_session(conn, &session.id_hash, now)
            .await
            .map_err(log_store_error)?;
        session.last_seen_at = now;
    }
    let current = CurrentUser { user, session };
    let recheck_due = standing == Standing::Unverified;
    let live = LiveSession {
        current,
        recheck_due,
    };
    Ok(Some((live, facts)))
}

/// Whether this use of the session is to be recorded: at most once a minute.
pub(super) fn is_due_a_touch(session: &SessionRow, now: i64) -> bool {
    now - session.last_seen_at >= TOUCH_EVERY_SECS
}

/// Neither past its absolute end nor idle for longer than the idle timeout.
pub fn is_live(session: &SessionRow, settings: &SessionSettings, now: i64) -> bool {
    now < session.expires_at
        && now < session.created_at + settings.max_age
        && now < session.last_seen_at + settings.idle_timeout
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGNED_IN: i64 = 1_000_000;

    fn session(last_seen_at: i64, expires_at: i64) -> SessionRow {
        SessionRow {
            id_hash: String::new(),
            csrf_token: String::new(),
            sid: String::new(),
            created_at: SIGNED_IN,
            last_seen_at,
            expires_at,
            user_agent: None,
        }
    }

    /// Each limit ends the session at its exact second, not one later.
    #[test]
    fn a_session_ends_at_the_exact_second_of_each_limit() {
        let settings = SessionSettings {
            idle_timeout: 600,
            max_age: 3600,
        };
        let fresh = session(SIGNED_IN, SIGNED_IN + 3600);
        assert!(is_live(&fresh, &settings, SIGNED_IN + 599));
        assert!(!is_live(&fresh, &settings, SIGNED_IN + 600), "idle");
        let recent = |now| session(now - 1, SIGNED_IN + 3600);
        assert!(is_live(
            &recent(SIGNED_IN + 3599),
            &settings,
            SIGNED_IN + 3599
        ));
        assert!(
            !is_live(&recent(SIGNED_IN + 3600), &settings, SIGNED_IN + 3600),
            "expired"
        );
        // The row's own end, when it comes before what the settings allow now.
        let cut_short = session(SIGNED_IN + 100, SIGNED_IN + 120);
        assert!(
            !is_live(&cut_short, &settings, SIGNED_IN + 120),
            "expires_at"
        );
    }

    /// `SESSION_MAX_AGE` lowered after the sign-in ends a session already older than it,
    /// though its row was stored to live longer.
    #[test]
    fn a_lowered_max_age_ends_an_older_session() {
        let settings = SessionSettings {
            idle_timeout: 600,
            max_age: 60,
        };
        let stored_for_a_day = session(SIGNED_IN + 100, SIGNED_IN + 86_400);
        assert!(!is_live(&stored_for_a_day, &settings, SIGNED_IN + 101));
        let young = session(SIGNED_IN + 30, SIGNED_IN + 86_400);
        assert!(is_live(&young, &settings, SIGNED_IN + 59));
        assert!(!is_live(&young, &settings, SIGNED_IN + 60));
    }
}
