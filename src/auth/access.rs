//! Who may sign in: `ALLOWED_GITHUB_USERS` and `ALLOWED_GITHUB_ORGS` (parsed in
//! `allow_list.rs`), applied at sign-in and again by the `CurrentUser` guard on every request,
//! so that narrowing the lists (and restarting) signs people out without waiting for their
//! sessions to end. A membership is believed for `MEMBERSHIP_RECHECK` only ([`Standing`]):
//! someone removed from an organisation loses what it gave them within that interval, or at
//! once when GitHub's webhook tells (`webhook.rs`).
//!
//! Every decision is by GitHub id, never by login: a login is only looked at once, at the
//! sign-in that pins it to an account.

use rocket_db_pools::sqlx::{self, AnyConnection};

use crate::config::allow_list::AccessRules;
use crate::github::{GithubApi, GithubError, GithubUser};
use crate::models::apps::NamedGroups;
use crate::models::removals;
use crate::models::{self, AskedMemberships, User};
use crate::ops::logging::audit;
use crate::store::pool::Db;

/// The organisations and teams (`org/team-slug`) the token's owner belongs to that decide
/// something: the org list's, and those registered apps' rules name (`named`). Asked of
/// GitHub at sign-in while the access token can still ask (it is dropped afterwards); the
/// person's other memberships are never asked for or kept. Teams are asked only when a rule
/// names one.
pub async fn named_orgs(
    rules: &AccessRules,
    named: &NamedGroups,
    api: &GithubApi,
    token: &str,
) -> Result<Vec<String>, GithubError> {
    let mut orgs = Vec::new();
    if !rules.orgs.is_empty() || !named.orgs.is_empty() {
        orgs.extend(
            api.organisations(token)
                .await?
                .into_iter()
                .map(|org| org.to_ascii_lowercase())
                .filter(|org| rules.allows_org(org) || named.orgs.contains(org)),
        );
    }
    if !named.teams.is_empty() {
        orgs.extend(
            api.teams(token)
                .await?
                .into_iter()
                .map(|team| team.to_ascii_lowercase())
                .filter(|team| named.teams.contains(team)),
        );
    }
    orgs.sort();
    orgs.dedup();
    Ok(orgs)
}

/// Where the store's record of removals stands (`webhook.rs`), read before a sign-in asks
/// GitHub for memberships: see [`honour_later_removals`].
pub async fn removals_seen(conn: &mut AnyConnection) -> sqlx::Result<i64> {
    removals::newest_removal(conn).await
}

/// The memberships GitHub gave a sign-in, less those its webhook has said ended since the
/// sign-in asked (`seen`, from [`removals_seen`]). GitHub answered before the removal, so its
/// answer is the older news: recorded as it is (confirmed now, believed for
/// `MEMBERSHIP_RECHECK`), it would undo the webhook. What the removal ended stays ended: a
/// sign-in that needed the membership is refused ([`admit`] no longer sees it), and an app
/// whose rule needed it loses this person when the sign-in records them
/// (`app_access::end_lost_apps`). The order is the store's own numbering of removals, never
/// an instance's clock, and the sign-in's transaction honours any removal that lands after
/// this check too (`models::record_sign_in`).
pub async fn honour_later_removals(
    db: &Db,
    github_id: i64,
    groups: Vec<String>,
    seen: i64,
) -> sqlx::Result<AskedMemberships> {
    let mut asked = AskedMemberships {
        groups,
        removals_seen: seen,
    };
    let dropped = asked
        .honour_removals(&mut *db.acquire().await?, github_id)
        .await?;
    if !dropped.is_empty() {
        audit!("sign-in honours a removal GitHub sent while it was asked github_id={github_id} groups={dropped:?}");
    }
    Ok(asked)
}

/// Decides at sign-in. `orgs` are the organisations GitHub says the person is in that some
/// list or rule names; only those of the org list admit.
///
/// A bare login entry is pinned here to the first account admitted under it: when `alice`
/// matches and nobody holds the pin yet, this account takes it. A different account that
/// later holds the login `alice` does not match the pin and is refused; the pinned account
/// keeps its access when it is renamed.
pub async fn admit(
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
    /// GitHub's webhook says so first: `auth/webhook.rs`).
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
    let id = user.github_id.0;
    if rules.is_open() || rules.allows_id(id) || pinned_to(conn, rules, id).await? {
        return Ok(Standing::Admitted);
    }
    if rules.orgs.is_empty() {
        return Ok(Standing::Refused);
    }
    let memberships = models::memberships(conn, user.id).await?;
    if memberships.iter().any(|org| rules.allows_org(org)) {
        return Ok(Standing::by_membership(
            user.memberships_verified_at,
            recheck,
            now,
        ));
    }
    Ok(Standing::Refused)
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
