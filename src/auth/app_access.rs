//! Who may use one registered app: the global allow-lists, and on top of them the app's own
//! rules (none: anyone the lists let in). The provider asks at authorize, at the consent
//! answer, at every token and refresh, and at userinfo; forward auth at every check that
//! names the app. So a person taken off an app's rules loses it at the app's next call, not
//! at the end of their session.

use rocket_db_pools::sqlx::{self, AnyConnection};

use crate::auth::access;
use crate::config::allow_list::AllowedUser;
use crate::config::AppConfig;
use crate::models::apps::StoredApp;
use crate::models::{self, User};
use crate::registry::Rule;

pub async fn admits(
    conn: &mut AnyConnection,
    config: &AppConfig,
    app: &StoredApp,
    user: &User,
    now: i64,
) -> sqlx::Result<bool> {
    if !access::still_admitted(conn, &config.access, user).await? {
        return Ok(false);
    }
    if app.rules.is_empty() {
        return Ok(true);
    }
    let orgs = models::memberships(conn, user.id).await?;
    for rule in &app.rules {
        let passes = match rule {
            Rule::User(AllowedUser::Id(id)) => *id == user.github_id.0,
            // As in ALLOWED_GITHUB_USERS: a bare login means the first account admitted under
            // it, pinned, so that a freed login taken by someone else does not pass.
            Rule::User(AllowedUser::Login(login)) => {
                user.login.eq_ignore_ascii_case(login)
                    && models::pin_login_on(conn, login, user.github_id.0, now).await?
                        == user.github_id.0
            }
            // The organisations and teams the sign-in recorded (`access::named_orgs`).
            Rule::Org(group) | Rule::Team(group) => orgs.iter().any(|member_of| member_of == group),
        };
        if passes {
            return Ok(true);
        }
    }
    Ok(false)
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
