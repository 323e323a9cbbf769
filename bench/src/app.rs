//! The app under test: `target/release/gitlogin`, started and stopped, and its health polled.

// The other modules' items, through the crate root (main.rs re-exports them).
#[allow(unused_imports)]
use crate::*;
use std::io::Write as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `target/release/gitlogin`, configured only through its environment, exactly
/// as docs/running.md configures it.
pub(crate) struct App {
    pub(crate) child: Option<Child>,
    pub(crate) url: String,
    pub(crate) port: u16,
    pub(crate) started: Instant,
}

/// What an instance is told through its environment, beside its port and the fake
/// GitHub's client id and secret.
pub(crate) struct AppEnv {
    pub(crate) database_url: String,
    pub(crate) github_url: String,
    /// `PUBLIC_URL` when the app is reached through a proxy; otherwise its own address.
    pub(crate) public_url: Option<String>,
    /// `ROCKET_SECRET_KEY`: the release profile insists on one. A fresh one per run, never a
    /// stored one, shared by the instances of one store.
    pub(crate) secret_key: String,
    /// `ROCKET_LOG_LEVEL` (`--app-log`).
    pub(crate) log_level: String,
}

impl App {
    pub(crate) fn launch(
        binary: &Path,
        root: &Path,
        env: &AppEnv,
        work: &Path,
    ) -> Result<App, String> {
        let port = gitlogin::ops::loopback::free_port();
        let url = format!("http://127.0.0.1:{port}");
        let log = work.join(format!("app-{port}.log"));
        let log = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let log_err = log.try_clone().map_err(|e| e.to_string())?;
        let started = Instant::now();
        let child = Command::new(binary)
            // Rocket.toml, templates/ and static/ are read from the working directory.
            .current_dir(root)
            .env("GITHUB_CLIENT_ID", FAKE_CLIENT_ID)
            .env("GITHUB_CLIENT_SECRET", FAKE_CLIENT_SECRET)
            .env("GITHUB_URL", &env.github_url)
            .env("GITHUB_API_URL", &env.github_url)
            .env("PUBLIC_URL", env.public_url.as_deref().unwrap_or(&url))
            .env("DATABASE_URL", &env.database_url)
            .env("ROCKET_PORT", port.to_string())
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_SECRET_KEY", &env.secret_key)
            .env("ROCKET_LOG_LEVEL", &env.log_level)
            .env("ROCKET_CLI_COLORS", "false")
            // The bench user's organisation, recorded at their one sign-in, must stay
            // believed for the whole run (15 minutes by default, less than a full run), or
            // forward auth for `bench-wiki` would send them to sign in again.
            .env("MEMBERSHIP_RECHECK", "24h")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let mut apps = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(work.join("apps"))
            .map_err(|e| format!("{}: {e}", work.display()))?;
        writeln!(apps, "{}", child.id()).map_err(|e| e.to_string())?;
        Ok(App {
            child: Some(child),
            url,
            port,
            started,
        })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Polls `/health` every millisecond; returns the time from `spawn` to the first 200.
    pub(crate) async fn wait_until_healthy(&mut self) -> Result<Duration, String> {
        let url = format!("{}/health", self.url);
        let deadline = self.started + Duration::from_secs(30);
        let every = Duration::from_millis(1);
        match poll_health(&url, &mut self.child, every, deadline).await {
            Ok(()) => Ok(self.started.elapsed()),
            Err(Unhealthy::Exited(status)) => {
                Err(format!("the app exited during start-up ({status})"))
            }
            Err(Unhealthy::TimedOut) => {
                Err("the app did not answer /health with 200 within 30 s".into())
            }
            Err(Unhealthy::NoClient(e)) => Err(e),
        }
    }

    /// SIGKILL: the bench throws the store away, so a graceful shutdown buys nothing.
    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Why `poll_health` gave up.
pub(crate) enum Unhealthy {
    /// The process serving the URL exited first.
    Exited(std::process::ExitStatus),
    /// The deadline passed first.
    TimedOut,
    /// No HTTP client could be built.
    NoClient(String),
}

/// Asks `url` (a `/health`) every `every` until it answers 200, giving up if `child` exits
/// or `deadline` passes first. Each request may take up to 2 s.
pub(crate) async fn poll_health(
    url: &str,
    child: &mut Option<Child>,
    every: Duration,
    deadline: Instant,
) -> Result<(), Unhealthy> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| Unhealthy::NoClient(e.to_string()))?;
    loop {
        let answer = client.get(url).send().await;
        if answer.is_ok_and(|a| a.status() == 200) {
            return Ok(());
        }
        if let Some(status) = child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
            return Err(Unhealthy::Exited(status));
        }
        if Instant::now() >= deadline {
            return Err(Unhealthy::TimedOut);
        }
        rocket::tokio::time::sleep(every).await;
    }
}
