//! `wrk`: the load for the scenarios of one request each, and reading its figures.

// The other modules' items, through the crate root (main.rs re-exports them).
#[allow(unused_imports)]
use crate::*;
use std::process::{Command, Stdio};
use std::time::Duration;

pub(crate) fn check_wrk() -> Result<(), String> {
    match Command::new("wrk")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        // `wrk --version` prints its usage and exits 1: being found is what counts.
        Ok(_) => Ok(()),
        Err(_) => Err(
            "wrk is not installed. On Debian or Ubuntu: `apt-get install -y wrk` \
            (as root, or with sudo); elsewhere see https://github.com/wg/wrk"
                .into(),
        ),
    }
}

/// Runs wrk with two threads (one per core here) on `request` to `app_url` and reads its
/// figures. Headers go on its command line (`--header`); only a POST needs a script.
pub(crate) async fn wrk(
    app_url: &str,
    request: &WrkRequest,
    (connections, seconds): (u32, u64),
) -> Result<Figures, String> {
    let mut command = Command::new("wrk");
    // A POST needs a script: wrk sends GETs otherwise. The body is form-encoded, so it has
    // no quote or backslash to escape in a Lua string.
    let script = std::env::temp_dir().join(format!("bench-post-{}.lua", std::process::id()));
    if let Some(post) = &request.post {
        let lua = format!(
            "wrk.method = \"POST\"\nwrk.body = \"{}\"\nwrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\n",
            post.body
        );
        std::fs::write(&script, lua).map_err(|e| e.to_string())?;
        command.arg("--script").arg(&script);
    }
    command
        .arg("--threads")
        .arg("2")
        .arg("--connections")
        .arg(connections.to_string())
        .arg("--duration")
        .arg(format!("{seconds}s"))
        .arg("--timeout")
        .arg("5s")
        .arg("--latency");
    for header in &request.headers {
        command.arg("--header").arg(header);
    }
    command.arg(format!("{app_url}{}", request.path));
    let output = rocket::tokio::task::spawn_blocking(move || command.output())
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("wrk: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!("wrk failed: {text}"));
    }
    parse_wrk(&text).ok_or_else(|| format!("cannot read wrk's output:\n{text}"))
}

pub(crate) fn parse_wrk(text: &str) -> Option<Figures> {
    let mut figures = Figures::default();
    let mut seen = (false, false, false);
    for line in text.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("Requests/sec:"), Some(n)) => {
                figures.per_sec = n.parse().ok()?;
                seen.0 = true;
            }
            (Some("50%"), Some(t)) => {
                figures.p50 = parse_wrk_time(t)?;
                seen.1 = true;
            }
            (Some("99%"), Some(t)) => {
                figures.p99 = parse_wrk_time(t)?;
                seen.2 = true;
            }
            _ => {}
        }
        // `256000 requests in 10.00s, 50.00MB read`
        if line.contains(" requests in ") {
            figures.count = line.split_whitespace().next()?.parse().ok()?;
        }
        // `Non-2xx or 3xx responses: 12` and `Socket errors: connect 0, read 0, ...`
        if let Some(n) = line.strip_prefix("Non-2xx or 3xx responses:") {
            figures.errors += n.trim().parse::<u64>().ok()?;
        }
        if let Some(counts) = line.strip_prefix("Socket errors:") {
            figures.errors += counts
                .split(',')
                .filter_map(|c| c.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum::<u64>();
        }
    }
    (seen == (true, true, true)).then_some(figures)
}

/// wrk writes times as `812.00us`, `1.23ms`, `2.00s` or `1.00m`.
pub(crate) fn parse_wrk_time(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let secs = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(secs))
}

/// The same cookie with one character of its encrypted value changed: it no longer
/// authenticates, so the app must treat the request as signed out.
pub(crate) fn tamper(cookie: &str) -> String {
    let (name, value) = cookie.split_once('=').unwrap_or((cookie, ""));
    let mut value = value.to_owned().into_bytes();
    if let Some(i) = (value.len() / 2..value.len()).find(|&i| value[i].is_ascii_alphanumeric()) {
        value[i] = if value[i] == b'A' { b'B' } else { b'A' };
    }
    format!("{name}={}", String::from_utf8_lossy(&value))
}
