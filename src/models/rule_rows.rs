//! How a person rule is stored (`app_rules`, `api_scope_grants`): a kind and a value per rule.

use crate::config::allow_list::AllowedUser;
use crate::registry::Rule;

pub(super) fn rule_row(rule: &Rule) -> (&'static str, String) {
    match rule {
        Rule::User(AllowedUser::Id(id)) => ("user_id", id.to_string()),
        Rule::User(AllowedUser::Login(login)) => ("user_login", login.clone()),
        Rule::Org(org) => ("org", org.clone()),
        Rule::Team(team) => ("team", team.clone()),
    }
}

pub(super) fn rule_of_row(kind: &str, value: &str) -> Option<Rule> {
    Some(match kind {
        "user_id" => Rule::User(AllowedUser::Id(value.parse().ok()?)),
        "user_login" => Rule::User(AllowedUser::Login(value.to_owned())),
        "org" => Rule::Org(value.to_owned()),
        "team" => Rule::Team(value.to_owned()),
        _ => return None,
    })
}
