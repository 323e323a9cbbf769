//! Who may sign in: `ALLOWED_GITHUB_USERS` and `ALLOWED_GITHUB_ORGS` (parsed in
//! `config/allow_list.rs`), applied at sign-in and again by the session guard on every request
//! (`auth/session.rs`), so that narrowing the lists (and restarting) signs people out without
//! waiting for their sessions to end.

use rocket_db_pools::sqlx::{self, AnyConnection};

use super::Standing;
use crate::config::allow_list::AccessRules;
use crate::github::GithubUser;
use crate::models::{self, User};
use crate::store::pool::Db;

/// Decides at sign-in, and pins: true when the lists let this account in. `orgs` are the
/// organisations GitHub says the person is in that some list or rule names; only those of
/// the org list admit.
///
/// A bare login entry is pinned here to the first account admitted under it: when `alice`
/// matches and nobody holds the pin yet, this account takes it (a write to the store, which
/// is why this is no predicate). A different account that later holds the login
/// `alice` does not match the pin and is refused; the pinned account keeps its access when
/// it is renamed.
pub async fn pin_and_decide(
    db: &Db,
    rules: &AccessRules,
    user: &GithubUser,
    orgs: &[String],
    now: i64,
) -> sqlx::Result<bool> {
    let in_an_allowed_org = orgs.iter().any(|org| rules.allows_org(org));
    if rules.is_open() || rules.allows_id(user.id) || in_an_allowed_org {
        return Ok(true);
    }
    if let Some(entry) = rules.login_entry(&user.login) {
        if models::pin_login(db, entry, user.id, now).await? == user.id {
            return Ok(true);
        }
    }
    pinned_to(&mut *db.acquire().await?, rules, user.id).await
}

/// Decides again on every request, from the store: the pins, and the memberships recorded
/// at sign-in (believed for `recheck` seconds). Open lists cost nothing; each list that needs
/// the store costs one indexed read.
pub async fn standing(
    conn: &mut AnyConnection,
    rules: &AccessRules,
    user: &User,
    recheck: i64,
    now: i64,
) -> sqlx::Result<Standing> {
    let facts = Facts::read(conn, rules, user).await?;
    Ok(facts.judge(rules, user, recheck, now))
}

/// What the store says about one person that the lists ask, apart from the time: read once,
/// judged at each request. The session guard remembers them with the session (`cache.rs`).
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// A login entry of the lists is pinned to them.
    pinned: bool,
    /// Their memberships recorded at sign-in, when the lists name organisations.
    memberships: Vec<String>,
}

impl Facts {
    /// Reads only what the lists need to decide: nothing for open lists or a listed id.
    pub async fn read(
        conn: &mut AnyConnection,
        rules: &AccessRules,
        user: &User,
    ) -> sqlx::Result<Facts> {
        let id = user.github_id.0;
        if rules.is_open() || rules.allows_id(id) {
            return Ok(Facts::default());
        }
        if pinned_to(conn, rules, id).await? {
            let memberships = Vec::new();
            return Ok(Facts {
                pinned: true,
                memberships,
            });
        }
        if rules.orgs.is_empty() {
            return Ok(Facts::default());
        }
        let memberships = models::memberships(conn, user.id).await?;
        Ok(Facts {
            pinned: false,
            memberships,
        })
    }

    /// Where `user` stands at `now`, by these facts.
    pub fn judge(&self, rules: &AccessRules, user: &User, recheck: i64, now: i64) -> Standing {
        if rules.is_open() || rules.allows_id(user.github_id.0) || self.pinned {
            return Standing::Admitted;
        }
        if self.memberships.iter().any(|org| rules.allows_org(org)) {
            return Standing::by_membership(user.memberships_verified_at, recheck, now);
        }
        Standing::Refused
    }
}

/// True when a login entry of the list is pinned to this GitHub id.
async fn pinned_to(
    conn: &mut AnyConnection,
    rules: &AccessRules,
    github_id: i64,
) -> sqlx::Result<bool> {
    if rules.logins().next().is_none() {
        return Ok(false);
    }
    let pinned = models::pinned_logins(conn, github_id).await?;
    Ok(pinned
        .iter()
        .any(|login| rules.login_entry(login).is_some()))
}

#[cfg(test)]
mod tests {
    use rocket_db_pools::sqlx::Connection;

    use super::*;
    use crate::config::allow_list::AllowedUser;
    use crate::models::GithubId;

    fn someone(github_id: i64) -> User {
        User {
            id: 1,
            github_id: GithubId(github_id),
            login: "alice".into(),
            name: None,
            email: None,
            avatar_url: None,
            created_at: 0,
            updated_at: 0,
            last_login_at: 0,
            memberships_verified_at: 0,
        }
    }

    /// Open lists and a listed id need no store: the connection here has no tables at all,
    /// so any read would fail.
    #[rocket::async_test]
    async fn open_lists_and_a_listed_id_read_nothing_from_the_store() {
        sqlx::any::install_default_drivers();
        let mut conn = AnyConnection::connect("sqlite::memory:").await.unwrap();
        let listed = AccessRules {
            users: vec![AllowedUser::Id(1001), AllowedUser::Login("bob".into())],
            orgs: vec!["acme".into()],
        };
        for rules in [AccessRules::default(), listed] {
            let facts = Facts::read(&mut conn, &rules, &someone(1001)).await;
            let facts = facts.expect("no read");
            assert!(!facts.pinned && facts.memberships.is_empty());
        }
        // The same lists for someone they do not name by id: the pins are read.
        let rules = AccessRules {
            users: vec![AllowedUser::Login("bob".into())],
            orgs: vec![],
        };
        assert!(Facts::read(&mut conn, &rules, &someone(2002))
            .await
            .is_err());
    }
}
