//! Secrets handed over as files, as systemd credentials, Docker and Kubernetes secrets do:
//! `NAME_FILE=/path` stands for `NAME=<the file's content>`, one trailing newline trimmed.
//! Setting both is a mistake that start-up names, rather than guessing which one wins, and so
//! is a file that cannot be read.

use std::ffi::OsString;

use rocket::figment::Figment;

use super::ConfigError;

/// Each secret that may come from a file: its variable, and where the figment keeps it.
const SECRETS: [(&str, &str); 7] = [
    ("METRICS_TOKEN", "metrics_token"),
    ("GITHUB_CLIENT_SECRET", "github_client_secret"),
    ("SIGNING_KEY", "signing_key"),
    ("DATABASE_URL", "databases.gitlogin.url"),
    ("ROCKET_SECRET_KEY", "secret_key"),
    ("EVENTS_SECRET", "events_secret"),
    ("GITHUB_WEBHOOK_SECRET", "github_webhook_secret"),
];

/// `figment` with every readable `NAME_FILE` merged in place of `NAME`.
pub(super) fn merge(figment: Figment) -> Figment {
    SECRETS.iter().fold(figment, |figment, (name, key)| {
        match std::env::var_os(format!("{name}_FILE")).map(read) {
            Some(Ok(value)) => figment.merge((*key, value)),
            _ => figment,
        }
    })
}

/// What is wrong with the `_FILE` variables: a secret given both ways, or a file that
/// cannot be read.
pub(super) fn problems() -> Vec<ConfigError> {
    let mut problems = Vec::new();
    for (name, _) in SECRETS {
        let file_var = format!("{name}_FILE");
        let Some(path) = std::env::var_os(&file_var) else {
            continue;
        };
        if std::env::var_os(name).is_some() {
            problems.push(ConfigError::Other(format!(
                "{name} and {file_var} are both set: set one of them"
            )));
        }
        if let Err(why) = read(path.clone()) {
            let path = std::path::Path::new(&path).display().to_string();
            problems.push(ConfigError::Other(format!(
                "{file_var} names {path:?}, which cannot be read: {why}"
            )));
        }
    }
    problems
}

fn read(path: OsString) -> Result<String, String> {
    let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
    let text = text.strip_suffix('\n').unwrap_or(&text);
    Ok(text.strip_suffix('\r').unwrap_or(text).to_owned())
}
