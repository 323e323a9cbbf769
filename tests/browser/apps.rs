//! The app on a real socket, for a real browser: `http://127.0.0.1:PORT`, a fresh SQLite
//! file in a temp dir, and either the fake GitHub on `localhost` or demo mode.

use std::sync::Mutex;

use rocket::figment::Figment;
use rocket::{Build, Rocket};
use tempfile::TempDir;

use crate::fake_github::{FakeGithub, CLIENT_ID, CLIENT_SECRET};

pub struct RunningApp {
    /// `http://127.0.0.1:PORT`, also the app's `PUBLIC_URL`.
    pub url: String,
    _dir: TempDir,
}

impl RunningApp {
    /// The app signing people in at the fake GitHub, another site on this machine.
    pub async fn with_fake_github() -> (RunningApp, FakeGithub) {
        let github = FakeGithub::start().await;
        let app = RunningApp::start(|figment| {
            figment
                .merge(("github_client_id", CLIENT_ID))
                .merge(("github_client_secret", CLIENT_SECRET))
                .merge(("github_url", &github.url))
                .merge(("github_api_url", &github.api_url))
        })
        .await;
        github.set_app(&app.url);
        (app, github)
    }

    /// The app with no OAuth App configured, in the debug profile: demo mode, which serves
    /// its own stand-in for GitHub under `/demo/github/`.
    pub async fn demo() -> RunningApp {
        RunningApp::start(|figment| {
            figment
                // Empty counts as unset, whatever the environment says.
                .merge(("github_client_id", ""))
                .merge(("github_client_secret", ""))
                .select(rocket::Config::DEBUG_PROFILE)
        })
        .await
    }

    /// `PUBLIC_URL` has to name the port before the app starts, so the port is picked
    /// first; if someone else takes it in between, launching fails and we pick again.
    async fn start(customize: impl Fn(Figment) -> Figment) -> RunningApp {
        let dir = tempfile::tempdir().unwrap();
        let db_url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("gitlogin.db").display()
        );
        for _ in 0..5 {
            let port = free_port();
            let url = format!("http://127.0.0.1:{port}");
            let figment = gitlogin::config::figment()
                .merge(quiet_figment(port))
                .merge(("public_url", &url))
                .merge(("databases.gitlogin.url", &db_url))
                .merge(("secret_key", random_secret_key()));
            let rocket = gitlogin::app(customize(figment)).expect("the test configuration");
            if launch(rocket).await.is_some() {
                return RunningApp { url, _dir: dir };
            }
        }
        panic!("the app could not find a free port");
    }

    /// An address on the app.
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }
}

/// Rocket's settings for a server in a test: loopback, `port`, no log, no signal handling.
pub fn quiet_figment(port: u16) -> Figment {
    rocket::Config::figment()
        .merge(("address", "127.0.0.1"))
        .merge(("port", port))
        .merge(("log_level", "off"))
        .merge(("shutdown.ctrlc", false))
}

/// Launches `rocket` in the background and returns the port it listens on, or `None` if it
/// could not start. It runs until the test's runtime ends.
pub async fn launch(rocket: Rocket<Build>) -> Option<u16> {
    let (tx, rx) = rocket::tokio::sync::oneshot::channel();
    let tx = Mutex::new(Some(tx));
    let rocket = rocket.attach(rocket::fairing::AdHoc::on_liftoff("port", move |r| {
        let port = r.config().port;
        Box::pin(async move {
            if let Some(tx) = tx.lock().unwrap().take() {
                let _ = tx.send(port);
            }
        })
    }));
    rocket::tokio::spawn(async move {
        let _ = rocket.launch().await;
    });
    // A failed launch drops the fairing, and with it the sender.
    rx.await.ok()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A fresh `secret_key` for each app; never a committed one.
fn random_secret_key() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut key = [0u8; 64];
    rand::thread_rng().fill_bytes(&mut key);
    base64::engine::general_purpose::STANDARD.encode(key)
}
