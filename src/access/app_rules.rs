//! Who may use one registered app: the global allow-lists, and on top of them the app's own
//! rules (none: anyone the lists let in). The provider asks at authorize, at the consent
//! answer, at every token and refresh, and at userinfo; forward auth at every check that
//! names the app. So a person taken off an app's rules loses it at the app's next call, not
//! at the end of their session.

use rocket_db_pools::sqlx::{self, AnyConnection};

use super::{lists, Standing};
use crate::config::allow_list::AllowedUser;
use crate::config::AppConfig;
use crate::models::apps::StoredApp;
use crate::models::{self, consents, User};
use crate::ops::logging::audit;
use crate::registry::Rule;

/// Where `user` stands with `app`: the global lists' standing, and the app's own rules on
/// top. A login rule pins the login to the first account admitted under it, as the global
/// list does (`lists::pin_and_decide`): a write, which is why this is no predicate.
pub async fn pin_and_decide(
    conn: &mut AnyConnection,
    config: &AppConfig,
    app: &StoredApp,
    user: &User,
    now: i64,
) -> sqlx::Result<Standing> {
    let recheck = config.membership_recheck;
    let global = lists::standing(conn, &config.access, user, recheck, now).await?;
    if global == Standing::Refused || app.rules.is_empty() {
        return Ok(global);
    }
    let orgs = models::memberships(conn, user.id).await?;
    let mut best = Standing::Refused;
    for rule in &app.rules {
        best = best.min(rule_standing(conn, rule, user, &orgs, recheck, now).await?);
    }
    // The app's rules cannot admit beyond what the global lists do now.
    Ok(best.max(global))
}

/// Where one rule (an app's, or an API's grant) leaves `user`, whose recorded memberships are
/// `orgs`.
pub async fn rule_standing(
    conn: &mut AnyConnection,
    rule: &Rule,
    user: &User,
    orgs: &[String],
    recheck: i64,
    now: i64,
) -> sqlx::Result<Standing> {
    Ok(match rule {
        Rule::User(AllowedUser::Id(id)) if *id == user.github_id.0 => Standing::Admitted,
        // As in ALLOWED_GITHUB_USERS: a bare login means the first account admitted under
        // it, pinned, so that a freed login taken by someone else does not pass.
        Rule::User(AllowedUser::Login(login))
            if user.login.eq_ignore_ascii_case(login)
                && models::pin_login_on(conn, login, user.github_id.0, now).await?
                    == user.github_id.0 =>
        {
            Standing::Admitted
        }
        // The organisations and teams the sign-in recorded (`access.rs`, `named_orgs`), for as
        // long as they are believed.
        Rule::Org(group) | Rule::Team(group) if orgs.contains(group) => {
            Standing::by_membership(user.memberships_verified_at, recheck, now)
        }
        _ => Standing::Refused,
    })
}

/// Ends this person's access to each app whose organisation or team rules no longer admit
/// them (its tokens, their consent and its hosts' cookies), once their memberships are known
/// afresh: a sign-in or a webhook. Without this, those tokens would be refused only at their next use. Returns
/// the apps' names.
pub async fn end_lost_apps(
    conn: &mut AnyConnection,
    config: &AppConfig,
    user: &User,
    now: i64,
) -> sqlx::Result<Vec<String>> {
    let mut ended = Vec::new();
    for app in models::apps::apps_with_group_rules(conn).await? {
        if pin_and_decide(conn, config, &app, user, now).await? == Standing::Refused {
            models::hosts::end_host_sessions(conn, user.id, &app.hosts).await?;
            if consents::revoke_consent(conn, app.id, user.id).await? {
                ended.push(app.name);
            }
        }
    }
    if !ended.is_empty() {
        audit!(
            "app access ended github_id={} apps={ended:?}",
            user.github_id.0
        );
    }
    Ok(ended)
}

/// The `groups` the app may learn: the person's organisations and teams (`org/team-slug`)
/// that its rules or the global list name, and nothing else of their memberships.
pub async fn groups(
    conn: &mut AnyConnection,
    config: &AppConfig,
    app: &StoredApp,
    user: &User,
) -> sqlx::Result<Vec<String>> {
    let orgs = models::memberships(conn, user.id).await?;
    Ok(orgs
        .into_iter()
        .filter(|group| {
            config.access.allows_org(group)
                || app.rules.iter().any(|rule| match rule {
                    Rule::Org(named) | Rule::Team(named) => named == group,
                    Rule::User(_) => false,
                })
        })
        .collect())
}
