//! Who may get in, decided beside the sign-in rather than inside it.
//!
//! - `ALLOWED_GITHUB_USERS` and `ALLOWED_GITHUB_ORGS` decide who may sign in at all, at the
//!   sign-in and again on every request (`lists.rs`).
//! - A membership is believed for `MEMBERSHIP_RECHECK` only (`standing.rs`): someone removed
//!   from an organisation loses what it gave them within that interval, or at once when
//!   GitHub's webhook tells (`webhook.rs`).
//! - Each registered app may narrow who uses it (`app_rules.rs`).
//!
//! The sign-in's callback calls in here by name, twice: [`decide_at_sign_in`] once GitHub
//! has answered, and [`end_what_github_no_longer_allows`] once the sign-in is recorded. What
//! it asks GitHub about memberships, and whether it asks for `read:org` at all, is decided
//! here too ([`ask_memberships`], [`asks_read_org`]).
//!
//! Every decision is by GitHub id, never by login: a login is only looked at once, at the
//! sign-in that pins it to an account.

pub(crate) mod app_rules;
pub(crate) mod lists;
mod standing;
pub(crate) mod webhook;

pub use standing::Standing;

use rocket::tokio::time::{timeout_at, Instant};
use rocket_db_pools::sqlx;

use crate::config::allow_list::AccessRules;
use crate::config::AppConfig;
use crate::github::{GithubApi, GithubError, GithubUser};
use crate::models::named_groups::{self, NamedGroups};
use crate::models::{self, removals, AskedMemberships, Outbox, User};
use crate::ops::logging::audit;
use crate::store::pool::Db;

/// Whether the sign-in asks GitHub for `read:org`: only when an organisation list or an
/// app's rule needs a membership, since private memberships and teams are hidden without it.
/// Nobody else is asked for more than `user:email`.
pub async fn asks_read_org(db: &Db, rules: &AccessRules) -> sqlx::Result<bool> {
    let named = named_groups::named_groups(&mut *db.acquire().await?).await?;
    Ok(!rules.orgs.is_empty() || !named.is_empty())
}

/// Why a sign-in goes no further once GitHub has said who the person is.
#[derive(Debug, thiserror::Error)]
pub enum SignInStopped {
    /// Neither list lets this account in. Whatever sessions it still had have ended.
    #[error("not on the allow-lists")]
    NotAllowed,
    #[error("{0}")]
    Github(#[from] GithubError),
    #[error("{0}")]
    Store(#[from] sqlx::Error),
}

/// GitHub's answer about the memberships that decide something, not yet decided on.
pub struct Asked {
    groups: Vec<String>,
    /// Where the store's record of removals stood before GitHub was asked.
    removals_seen: i64,
    /// Whether some app's rules name an organisation or a team: only then can a fresh answer
    /// from GitHub take an app away.
    apps_name_groups: bool,
}

/// Asks GitHub, while the sign-in's `token` still can (within `deadline`), for the
/// organisations and teams (`org/team-slug`) its owner belongs to that decide something: the
/// org list's, and those registered apps' rules name. The person's other memberships are
/// never asked for or kept; teams are asked only when a rule names one. No store connection
/// is held while GitHub answers: a slow GitHub would drain the pool.
pub async fn ask_memberships(
    db: &Db,
    rules: &AccessRules,
    (api, token): (&GithubApi, &str),
    deadline: Instant,
) -> Result<Asked, SignInStopped> {
    // Read before GitHub is asked: the groups apps' rules name, the webhook's newest removal.
    let named = named_groups::named_groups(&mut *db.acquire().await?).await?;
    let removals_seen = removals::newest_removal(&mut *db.acquire().await?).await?;
    let groups = timeout_at(deadline, named_orgs(rules, &named, api, token))
        .await
        .map_err(|_| GithubError::Timeout)??;
    Ok(Asked {
        groups,
        removals_seen,
        apps_name_groups: !named.is_empty(),
    })
}

/// A sign-in the lists let in: the memberships worth recording.
pub struct Admitted {
    pub memberships: AskedMemberships,
    apps_name_groups: bool,
}

/// Decides at sign-in, once GitHub has answered (and its token is gone): drops the
/// memberships GitHub's webhook has removed since GitHub was asked, and applies the lists
/// (pinning a bare login entry: `lists.rs`). Returns the memberships worth recording.
///
/// Refused now means refused everywhere: whatever sessions this account still has (signed in
/// while it was allowed) end with this answer.
pub async fn decide_at_sign_in(
    db: &Db,
    config: &AppConfig,
    outbox: &Outbox,
    user: &GithubUser,
    asked: Asked,
    now: i64,
) -> Result<Admitted, SignInStopped> {
    let memberships = honour_later_removals(db, user.id, asked.groups, asked.removals_seen).await?;
    if !lists::pin_and_decide(db, &config.access, user, &memberships.groups, now).await? {
        let ended = models::end_access(db, outbox, user.id).await?;
        if ended > 0 {
            audit!("access ended github_id={} sessions={ended}", user.id);
        }
        return Err(SignInStopped::NotAllowed);
    }
    Ok(Admitted {
        memberships,
        apps_name_groups: asked.apps_name_groups,
    })
}

/// Once the sign-in is recorded, its memberships are fresh from GitHub: an app whose rules
/// they no longer meet loses this person now (its tokens, consent and hosts' cookies), not at
/// its next call.
pub async fn end_what_github_no_longer_allows(
    db: &Db,
    config: &AppConfig,
    admitted: &Admitted,
    user: &User,
    now: i64,
) -> sqlx::Result<()> {
    if admitted.apps_name_groups {
        app_rules::end_lost_apps(&mut *db.acquire().await?, config, user, now).await?;
    }
    Ok(())
}

/// The memberships [`ask_memberships`] asks for, given the groups apps' rules name.
async fn named_orgs(
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

/// The memberships GitHub gave a sign-in, less those its webhook has said ended since the
/// sign-in asked (`seen`: where the store's record of removals stood before GitHub was
/// asked). GitHub answered before the removal, so its answer is the older news: recorded as
/// it is (confirmed now, believed for `MEMBERSHIP_RECHECK`), it would undo the webhook. What
/// the removal ended stays ended: a sign-in that needed the membership is refused (the lists
/// no longer see it), and an app whose rule needed it loses this person when the sign-in
/// records them ([`end_what_github_no_longer_allows`]). The order is the store's own
/// numbering of removals, never an instance's clock, and the sign-in's transaction honours
/// any removal that lands after this check too (`models::record_sign_in`).
async fn honour_later_removals(
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
