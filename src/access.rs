//! Who may sign in: `ALLOWED_GITHUB_USERS` and `ALLOWED_GITHUB_ORGS`, applied at sign-in and
//! again by the `CurrentUser` guard on every request, so that narrowing the lists (and
//! restarting) signs people out without waiting for their sessions to end.
//!
//! Users are matched by login at sign-in (case-insensitively, as GitHub does) and then known
//! by their GitHub id: the row found by id carries the login and the memberships seen then.

use crate::config::AccessRules;
use crate::github::{GithubApi, GithubError, GithubUser};
use crate::models::User;

/// The outcome at sign-in: in (with the allowed organisations to remember), or out.
pub enum Admission {
    Admitted { orgs: Vec<String> },
    Refused,
}

/// Decides at sign-in, while the access token can still ask GitHub about organisations.
pub async fn admit(
    rules: &AccessRules,
    api: &GithubApi,
    token: &str,
    user: &GithubUser,
) -> Result<Admission, GithubError> {
    if rules.is_open() {
        return Ok(Admission::Admitted { orgs: Vec::new() });
    }
    let orgs = if rules.orgs.is_empty() {
        Vec::new()
    } else {
        let mut orgs: Vec<String> = api
            .organisations(token)
            .await?
            .into_iter()
            .filter(|org| rules.allows_org(org))
            .map(|org| org.to_ascii_lowercase())
            .collect();
        orgs.sort();
        orgs.dedup();
        orgs
    };
    if rules.allows_login(&user.login) || !orgs.is_empty() {
        Ok(Admission::Admitted { orgs })
    } else {
        Ok(Admission::Refused)
    }
}

/// Decides again later, from what the store recorded at sign-in.
pub fn still_admitted(rules: &AccessRules, user: &User, memberships: &[String]) -> bool {
    rules.is_open()
        || rules.allows_login(&user.login)
        || memberships.iter().any(|org| rules.allows_org(org))
}
