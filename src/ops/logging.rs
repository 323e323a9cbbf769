//! The log: Rocket's lines and the app's own, with every query string cut off.
//!
//! Rocket logs each request as `GET /login/callback?code=…&state=…`, which would write
//! GitHub's one-time code and the state to disk. This logger stands in for Rocket's (Rocket
//! keeps an already installed logger) and removes the query from anything that looks like a
//! path or URL before printing. The app's own sign-in, failure and sign-out lines use
//! [`audit!`], and each request gets one access line (`web/requests.rs`).
//!
//! Rocket's log level decides what is written: `normal` (the default of every build) writes
//! warnings, errors, the app's own lines, events and access lines; `critical` only warnings
//! and errors; `debug` adds Rocket's own per-request lines and the libraries'. Every line
//! starts with an RFC 3339 UTC timestamp, or is one JSON object (`LOG_FORMAT=json`,
//! `log_line.rs`).

use std::io::Write;

use log::{Level, LevelFilter, Log, Metadata, Record};
use rocket::config::LogLevel;

use super::log_line::render;
pub use super::log_line::LogFormat;

/// The target of the app's own one-line-per-event records.
pub const AUDIT: &str = "gitlogin::audit";

/// The target of the one line per request.
pub const ACCESS: &str = "gitlogin::access";

/// Logs one event line (`sign-in ok github_id=… login=…`). Never pass a code, state,
/// verifier, token or cookie value.
macro_rules! audit {
    ($($arg:tt)+) => { log::info!(target: $crate::ops::logging::AUDIT, $($arg)+) };
}
pub(crate) use audit;

struct RedactingLogger {
    level: LevelFilter,
    format: LogFormat,
}

/// Installs the logger, at Rocket's configured level, writing `format`. Call before Rocket
/// starts.
pub fn init(level: LogLevel, format: LogFormat) {
    let level = match level {
        LogLevel::Off => LevelFilter::Off,
        LogLevel::Critical => LevelFilter::Warn,
        LogLevel::Normal => LevelFilter::Info,
        LogLevel::Debug => LevelFilter::Debug,
    };
    if log::set_boxed_logger(Box::new(RedactingLogger { level, format })).is_ok() {
        log::set_max_level(level);
    }
}

impl Log for RedactingLogger {
    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        if meta.level() > self.level {
            return false;
        }
        // Below `debug`, other crates' information is noise: Rocket's per-request lines
        // (the access line says it once, without the query) and its configuration dump.
        let ours = meta.target().starts_with("gitlogin");
        ours || meta.level() <= Level::Warn || self.level >= LevelFilter::Debug
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
            (ACCESS, _) => "access",
            (_, Level::Error) => "error",
            (_, Level::Warn) => "warn",
            _ => "info",
        };
        let fields = matches!(record.target(), AUDIT | ACCESS);
        let line = render(self.format, prefix, record.target(), &line, fields);
        let _ = match record.level() {
            Level::Error | Level::Warn => writeln!(std::io::stderr(), "{line}"),
            _ => writeln!(std::io::stdout(), "{line}"),
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
