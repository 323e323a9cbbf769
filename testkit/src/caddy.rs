//! Caddy (Debian's package, 2.6) with a Caddyfile of the caller's, its admin API and automatic
//! HTTPS off, and its home and data directories in one directory of the caller's, so that tests
//! running at once do not share (or fight over) `~/.local/share/caddy`. Stopped when dropped,
//! and by a watchdog if we are killed first.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use crate::process::{spawn_watched, wait_ready};

/// What to tell someone who has no Caddy.
pub const INSTALL: &str = "apt-get install caddy";

/// Caddy's binary, if it is installed.
pub fn binary() -> Option<PathBuf> {
    crate::process::installed("caddy", "/usr/bin/caddy")
}

/// The global options every test Caddy runs with, before the caller's site blocks.
pub const GLOBAL_OPTIONS: &str = "{\n    admin off\n    auto_https off\n}\n";

/// A running Caddy, stopped when dropped.
pub struct Caddy {
    child: Option<Child>,
}

impl Caddy {
    /// Writes `caddyfile` into `dir`, starts Caddy on it and waits (up to 10 s) until every
    /// URL of `ready` answers 200.
    pub async fn start(
        binary: &Path,
        dir: &Path,
        caddyfile: &str,
        ready: &[String],
    ) -> Result<Caddy, String> {
        let home = dir.join("caddy-home");
        std::fs::create_dir_all(&home).map_err(|e| format!("{}: {e}", home.display()))?;
        let file = dir.join("Caddyfile");
        std::fs::write(&file, caddyfile).map_err(|e| format!("{}: {e}", file.display()))?;
        let log = dir.join("caddy.log");
        let log_file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let mut command = Command::new(binary);
        command
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&file)
            .env("HOME", &home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .stderr(log_file);
        let mut caddy = Caddy {
            child: Some(spawn_watched(&mut command, binary)?),
        };
        let child = caddy.child.as_mut().expect("just started");
        wait_ready(child, "Caddy", ready, &log).await?;
        Ok(caddy)
    }
}

impl Drop for Caddy {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
