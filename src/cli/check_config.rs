//! `gitlogin check-config`: the whole configuration read exactly as `serve` reads it, and
//! what was found, with every secret shown only as set or unset; or every problem, one per
//! line. It opens no store and migrates nothing.

use std::process::ExitCode;

use rocket::figment::Figment;

use crate::config::allow_list::AllowedUser;
use crate::config::{without_password, AppConfig};

pub(super) fn run(figment: &Figment) -> ExitCode {
    let mut problems: Vec<String> = Vec::new();
    let config = AppConfig::check(figment)
        .map_err(|all| problems.extend(all.iter().map(ToString::to_string)))
        .ok();
    // Rocket's own settings, and what its launch would refuse.
    let rocket = rocket::Config::try_from(figment)
        .map_err(|e| {
            problems.push(format!(
                "Rocket's settings: {}",
                e.to_string().lines().next().unwrap_or_default()
            ))
        })
        .ok();
    if let Some(rocket) = &rocket {
        if rocket.profile == rocket::Config::RELEASE_PROFILE && rocket.secret_key.is_zero() {
            problems.push("ROCKET_SECRET_KEY is not set: a release build needs one (`gitlogin gen-secret` makes one)".into());
        }
    }
    match (config, rocket) {
        (Some(config), Some(rocket)) if problems.is_empty() => {
            print(&config, &rocket, figment);
            ExitCode::SUCCESS
        }
        _ => {
            for problem in &problems {
                eprintln!("gitlogin check-config: {problem}");
            }
            ExitCode::FAILURE
        }
    }
}

fn print(config: &AppConfig, rocket: &rocket::Config, figment: &Figment) {
    let set = |is: bool| if is { "set" } else { "unset" };
    let list = |items: &[String]| {
        if items.is_empty() {
            "(none)".to_owned()
        } else {
            items.join(", ")
        }
    };
    let store: String = figment
        .extract_inner("databases.gitlogin.url")
        .unwrap_or_default();
    let users: Vec<String> = config
        .access
        .users
        .iter()
        .map(|user| match user {
            AllowedUser::Login(login) => login.clone(),
            AllowedUser::Id(id) => id.to_string(),
        })
        .collect();
    let lines = [
        (
            "mode",
            if config.demo {
                "demo (no OAuth App: the built-in fake GitHub)"
            } else {
                "GitHub OAuth App"
            }
            .to_owned(),
        ),
        ("PUBLIC_URL", config.public_url.clone()),
        (
            "listening on",
            format!("{}:{}", rocket.address, rocket.port),
        ),
        ("GITHUB_CLIENT_ID", config.github.client_id.clone()),
        ("GITHUB_CLIENT_SECRET", set(!config.demo).to_owned()),
        ("GITHUB_URL", config.github.web_url.clone()),
        ("GITHUB_API_URL", config.github.api_url.clone()),
        (
            "GITHUB_TIMEOUT",
            format!("{} s", config.github.timeout.as_secs()),
        ),
        ("DATABASE_URL", without_password(&store)),
        (
            "ROCKET_SECRET_KEY",
            set(!rocket.secret_key.is_zero()).to_owned(),
        ),
        ("SIGNING_KEY", set(config.signing_key.is_some()).to_owned()),
        (
            "SIGNING_KEY_ROTATION",
            config.key_rotation.every.map_or(
                "off (only `gitlogin rotate-key` makes keys)".to_owned(),
                |every| format!("{every} s"),
            ),
        ),
        (
            "SIGNING_KEY_PUBLISH_AHEAD",
            format!("{} s", config.key_rotation.publish_ahead),
        ),
        (
            "SESSION_IDLE_TIMEOUT",
            format!("{} s", config.sessions.idle_timeout),
        ),
        ("SESSION_MAX_AGE", format!("{} s", config.sessions.max_age)),
        ("ALLOWED_GITHUB_USERS", list(&users)),
        ("ALLOWED_GITHUB_ORGS", list(&config.access.orgs)),
        ("TOKEN_AUDIENCES", list(&config.token_audiences)),
        (
            "EVENTS_URL",
            config
                .events
                .as_ref()
                .map_or("(none: no events are sent)".to_owned(), |e| {
                    e.url.to_string()
                }),
        ),
        ("EVENTS_SECRET", set(config.events.is_some()).to_owned()),
        (
            "MEMBERSHIP_RECHECK",
            format!("{} s", config.membership_recheck),
        ),
        (
            "GITHUB_WEBHOOK_SECRET",
            set(config.webhook_secret.is_some()).to_owned(),
        ),
        (
            "ACCESS_TOKEN_LIFETIME",
            format!("{} s", config.access_token_lifetime),
        ),
    ];
    for (name, value) in lines {
        println!("{name}: {value}");
    }
    if config.access.is_open() {
        println!("warning: both allow-lists are empty: anyone with a GitHub account can sign in");
    }
}
