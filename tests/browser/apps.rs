//! The app on a real socket, for a real browser: `http://127.0.0.1:PORT`, a fresh SQLite
//! file in a temp dir, and either the fake GitHub on `localhost` or demo mode.

use rocket::figment::Figment;
use tempfile::TempDir;

use gitlogin::ops::loopback::{self, free_port, random_secret_key};

use crate::github_site::{GithubSite, CLIENT_ID, CLIENT_SECRET};

pub struct RunningApp {
    /// `http://127.0.0.1:PORT`, also the app's `PUBLIC_URL`.
    pub url: String,
    /// Its store, for the operator's commands.
    pub db_url: String,
    _dir: TempDir,
}

impl RunningApp {
    /// The app signing people in at the fake GitHub, another site on this machine.
    pub async fn with_fake_github() -> (RunningApp, GithubSite) {
        let github = GithubSite::start().await;
        let app = RunningApp::start(|figment| {
            figment
                .merge(("github_client_id", CLIENT_ID))
                .merge(("github_client_secret", CLIENT_SECRET))
                .merge(("github_url", &github.url))
                .merge(("github_api_url", &github.fake.url))
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
                .merge(loopback::figment(port))
                .merge(("public_url", &url))
                .merge(("databases.gitlogin.url", &db_url))
                .merge(("secret_key", random_secret_key()));
            let rocket = gitlogin::app(customize(figment)).expect("the test configuration");
            if loopback::launch(rocket).await.is_some() {
                return RunningApp {
                    url,
                    db_url,
                    _dir: dir,
                };
            }
        }
        panic!("the app could not find a free port");
    }

    /// An address on the app.
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }
}
