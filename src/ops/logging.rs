//! The log: Rocket's lines and the app's own, with every query string cut off.
//!
//! Rocket logs each request as `GET /login/callback?code=…&state=…`, which would write
//! GitHub's one-time code and the state to disk. This logger stands in for Rocket's (Rocket
//! keeps an already installed logger) and removes the query from anything that looks like a
//! path or URL before printing. The app's own sign-in, failure and sign-out lines use
//! [`audit!`], which prints whatever Rocket's log level is, unless it is `off`.

use std::io::Write;

use log::{Level, LevelFilter, Log, Metadata, Record};
use rocket::config::LogLevel;

/// The target of the app's own one-line-per-event records.
pub const AUDIT: &str = "gitlogin::audit";

/// Logs one event line (`sign-in ok github_id=… login=…`). Never pass a code, state,
/// verifier, token or cookie value.
macro_rules! audit {
    ($($arg:tt)+) => { log::info!(target: $crate::ops::logging::AUDIT, $($arg)+) };
}
pub(crate) use audit;

struct RedactingLogger {
    level: LevelFilter,
}

/// Installs the logger, at Rocket's configured level. Call before Rocket starts.
pub fn init(level: LogLevel) {
    let level = match level {
        LogLevel::Off => LevelFilter::Off,
        LogLevel::Critical => LevelFilter::Warn,
        LogLevel::Normal => LevelFilter::Info,
        LogLevel::Debug => LevelFilter::Debug,
    };
    if log::set_boxed_logger(Box::new(RedactingLogger { level })).is_ok() {
        // Audit lines are `info`: let them through the global filter even at `critical`.
        let global = match level {
            LevelFilter::Off => LevelFilter::Off,
            level => level.max(LevelFilter::Info),
        };
        log::set_max_level(global);
    }
}

impl Log for RedactingLogger {
    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        if self.level == LevelFilter::Off {
            return false;
        }
        let noisy = ["hyper", "rustls", "h2", "reqwest", "sqlx", "tokio", "mio"]
            .iter()
            .any(|t| meta.target().starts_with(t));
        meta.target() == AUDIT
            || (meta.level() <= self.level && !(noisy && self.level < LevelFilter::Debug))
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        // Without colours first: Rocket colours the path when writing to a terminal, and an
        // escape code in front of `/login/callback?code=…` would hide it from the redaction.
        let line = redact_queries(&strip_colours(&record.args().to_string()));
        let line = line.replace(['\n', '\r'], " ");
        let prefix = match (record.target(), record.level()) {
            (AUDIT, _) => "event",
            (_, Level::Error) => "error",
            (_, Level::Warn) => "warn",
            _ => "info",
        };
        let _ = match record.level() {
            Level::Error | Level::Warn => writeln!(std::io::stderr(), "{prefix}: {line}"),
            _ => writeln!(std::io::stdout(), "{prefix}: {line}"),
        };
    }

    fn flush(&self) {
        let _ = std::io::stdout().flush();
    }
}

/// Removes terminal colour codes (`ESC [ … m`).
fn strip_colours(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // Skip up to and including the sequence's final letter.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Cuts the query string off every word that starts like a path or URL:
/// `GET /login/callback?code=x&state=y` becomes `GET /login/callback?…`.
pub fn redact_queries(line: &str) -> String {
    line.split(' ')
        .map(|word| {
            let trimmed = word.trim_start_matches(|c: char| !c.is_ascii_alphanumeric() && c != '/');
            let looks_like_uri = trimmed.starts_with('/') || trimmed.contains("://");
            match word.find('?') {
                Some(at) if looks_like_uri => format!("{}?…", &word[..at]),
                _ => word.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::{redact_queries, strip_colours};

    #[test]
    fn query_strings_are_cut_from_paths_and_urls() {
        assert_eq!(
            redact_queries("GET /login/callback?code=abc&state=xyz text/html:"),
            "GET /login/callback?… text/html:"
        );
        assert_eq!(
            redact_queries("error sending request for url (http://h/x?code=1)"),
            "error sending request for url (http://h/x?…"
        );
        assert_eq!(redact_queries("Is it ok? yes"), "Is it ok? yes");
        // As Rocket writes it to a terminal: the path in colour.
        let coloured = "GET \x1b[34m/login/callback?code=abc&state=xyz\x1b[0m:";
        assert_eq!(
            redact_queries(&strip_colours(coloured)),
            "GET /login/callback?…"
        );
    }
}
