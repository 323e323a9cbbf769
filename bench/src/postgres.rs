//! The PostgreSQL rows: `GET /about` with a session, whole sign-ins, forward auth (without and
//! with an app), userinfo, the JWKS, discovery, refresh grants, code exchanges, a service's
//! `client_credentials` grant and an API's introspection (every scenario but `/health`,
//! `GET /` and the tampered cookie), measured in the same run and the same rounds as the
//! SQLite stores, on three setups of one throwaway cluster:
//!
//! - one instance, reached directly, as the SQLite apps are;
//! - one instance behind nginx, to show what the proxy alone costs;
//! - two instances on one database behind nginx, round-robin.
//!
//! Each setup has its own database, seeded (`gitlogin::seed`) with as many users and sessions as the
//! first SQLite store, the apps the run's scenarios need (registered by the release binary's
//! `gitlogin apps add` on its database URL, as on SQLite), its own fake GitHub, and
//! instances that share one
//! `ROCKET_SECRET_KEY` and `PUBLIC_URL` (nginx's address when proxied), as docs/running.md asks of
//! instances sharing a store.
//!
//! The cluster is Debian's `postgresql` package: `initdb` in a temp directory, the server on
//! a free loopback port with `fsync=off` and `full_page_writes=off` (a commit is written to
//! the OS but never flushed, close to what SQLite does in WAL mode with
//! `synchronous = NORMAL` between checkpoints). It is stopped and deleted when dropped, on
//! error too, and by a watchdog if the bench is killed. As root, every PostgreSQL program
//! runs as the `postgres` user (`initdb` refuses root).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use gitlogin::ops::loopback::{free_port, random_secret_key};
use gitlogin_testkit::postgres::{bin_dir, Cluster};

use crate::nginx::{self, Nginx, Site};
use crate::{
    apis, bench_user_session, register_apps, seed, start_github, thousands, ApiCalls, App, AppEnv,
    FakeGithub, Figures, RelyingParty, Scenario, Settings, Target,
};

mod report;
#[cfg(test)]
pub(crate) use report::table_rows;

pub const INSTALL: &str = "apt-get install -y postgresql nginx";

/// What the PostgreSQL rows measure, in `Scenario::ALL`'s order; the other scenarios
/// (`/health`, `GET /`, the tampered cookie) are SQLite's alone. bench/run.sh lists their
/// names too, to know when PostgreSQL and nginx are needed.
pub const SCENARIOS: [Scenario; 11] = [
    Scenario::About,
    Scenario::SignIn,
    Scenario::ClientCredentials,
    Scenario::Introspect,
    Scenario::ForwardAuth,
    Scenario::ForwardAuthApp,
    Scenario::Userinfo,
    Scenario::Jwks,
    Scenario::Discovery,
    Scenario::Refresh,
    Scenario::CodeExchange,
];

/// The three setups, in the order they are measured and shown.
const LAYOUTS: [Layout; 3] = [
    Layout {
        label: "PostgreSQL, 1 instance",
        instances: 1,
        proxied: false,
    },
    Layout {
        label: "PostgreSQL, 1 instance, nginx",
        instances: 1,
        proxied: true,
    },
    Layout {
        label: "PostgreSQL, 2 instances, nginx",
        instances: 2,
        proxied: true,
    },
];

struct Layout {
    label: &'static str,
    instances: usize,
    proxied: bool,
}

/// The programs the PostgreSQL rows need, found before anything is built or started.
pub struct Tools {
    nginx: PathBuf,
}

impl Tools {
    /// Both or an error saying how to install them (or how to run without these rows).
    pub fn find() -> Result<Tools, String> {
        let postgres_bin = bin_dir();
        let nginx = nginx::binary();
        match (postgres_bin, nginx) {
            (Some(_), Some(nginx)) => Ok(Tools { nginx }),
            (postgres_bin, nginx) => {
                let missing: Vec<&str> = [
                    postgres_bin.is_none().then_some("PostgreSQL"),
                    nginx.is_none().then_some("nginx"),
                ]
                .into_iter()
                .flatten()
                .collect();
                Err(format!(
                    "{} not installed; the PostgreSQL rows need both PostgreSQL and nginx. \
                     On Debian or Ubuntu: `{INSTALL}` (as root, or with sudo). To measure \
                     SQLite alone: `bench/run.sh --no-postgres`",
                    missing.join(" and ")
                ))
            }
        }
    }
}

/// One setup, running.
pub struct Setup {
    pub label: &'static str,
    instances: Vec<App>,
    /// Where the load goes: the instance itself, or nginx in front of the instances.
    pub url: String,
    proxied: bool,
    github: FakeGithub,
    pub session_cookie: String,
    /// The service's and the API's credentials, if the run measures them.
    api_apps: Option<[(String, String); 2]>,
    /// The API scenarios' requests, made once the setup answers.
    api_calls: Option<ApiCalls>,
    relying_party: Option<RelyingParty>,
    database_url: String,
    pub figures: HashMap<Scenario, Figures>,
}

/// The setups with their cluster and nginx. Fields drop in order: the instances first, then
/// nginx, then the cluster.
pub struct Postgres {
    pub setups: Vec<Setup>,
    nginx: Nginx,
    cluster: Cluster,
    /// For the report: `PostgreSQL 15.18`, `nginx 1.22.1`.
    pub versions: String,
}

impl Postgres {
    /// Starts the cluster, each setup's instances and nginx, and signs the bench user in on
    /// each setup. Whatever was started is stopped again if a step fails.
    pub async fn start(
        settings: &Settings,
        tools: &Tools,
        binary: &Path,
        work: &Path,
        rows: u64,
    ) -> Result<Postgres, String> {
        eprintln!("bench: starting a PostgreSQL cluster and nginx ...");
        let cluster = Cluster::start(free_port())?.ok_or("PostgreSQL is not installed")?;
        let mut setups = Vec::new();
        let mut sites = Vec::new();
        for (n, layout) in LAYOUTS.iter().enumerate() {
            let database_url = cluster.create_database(&format!("gitlogin_{n}")).await?;
            let github = start_github(rows).await;
            let proxy = layout.proxied.then(free_port);
            let env = AppEnv {
                database_url,
                github_url: github.url.clone(),
                public_url: proxy.map(|port| format!("http://127.0.0.1:{port}")),
                secret_key: random_secret_key(),
                log_level: settings.app_log.clone(),
            };
            // The first start migrates the new database; seeding needs its tables.
            let mut app = App::launch(binary, &settings.root, &env, work)?;
            app.wait_until_healthy().await?;
            app.stop();
            eprintln!(
                "bench: seeding {} users and sessions in PostgreSQL ({}) ...",
                thousands(rows),
                layout.label
            );
            seed(&env.database_url, rows).await?;
            let api_apps = apis::register_if_measured(settings, binary, &env.database_url)?;
            let relying_party = register_apps(settings, binary, &env.database_url)?;
            let mut instances = Vec::new();
            for _ in 0..layout.instances {
                let mut app = App::launch(binary, &settings.root, &env, work)?;
                app.wait_until_healthy().await?;
                instances.push(app);
            }
            let url = match (&env.public_url, proxy) {
                (Some(public_url), Some(listen)) => {
                    let apps = instances.iter().map(|app| app.port).collect();
                    sites.push(Site { listen, apps });
                    public_url.clone()
                }
                _ => instances[0].url.clone(),
            };
            setups.push(Setup {
                label: layout.label,
                instances,
                url,
                proxied: layout.proxied,
                github,
                session_cookie: String::new(),
                api_apps,
                api_calls: None,
                relying_party,
                database_url: env.database_url,
                figures: HashMap::new(),
            });
        }
        let nginx = nginx::start(&tools.nginx, &work.join("nginx"), &sites).await?;
        for setup in &mut setups {
            setup.session_cookie = bench_user_session(&setup.url, &setup.github).await?;
            if let Some(rp) = &mut setup.relying_party {
                rp.sign_in_and_consent(&setup.url, &setup.github).await?;
            }
            if let Some(apps) = &setup.api_apps {
                setup.api_calls = Some(apis::calls(&setup.url, apps).await?);
            }
        }
        let versions = format!("{}, {}", cluster.version(), nginx::version(&tools.nginx));
        Ok(Postgres {
            setups,
            nginx,
            cluster,
            versions,
        })
    }

    /// Where a setup's load goes, and whose CPU it counts.
    pub fn target<'a>(&self, setup: &'a Setup) -> Target<'a> {
        Target {
            url: &setup.url,
            session_cookie: &setup.session_cookie,
            api_calls: setup.api_calls.as_ref(),
            relying_party: setup.relying_party.as_ref(),
            database_url: &setup.database_url,
            apps: setup.instances.iter().map(App::pid).collect(),
            database: Some(self.cluster.server_pid()),
            proxy: setup.proxied.then(|| self.nginx.pid()),
        }
    }

    /// For `--hold`: each setup's address, its instances' PIDs and its session cookie.
    pub fn describe(&self) -> String {
        let mut lines = format!(
            "bench: PostgreSQL on 127.0.0.1:{} (postmaster pid {}), nginx pid {}\n",
            self.cluster.port,
            self.cluster.server_pid(),
            self.nginx.pid()
        );
        for setup in &self.setups {
            let pids: Vec<String> = setup
                .instances
                .iter()
                .map(|a| a.pid().to_string())
                .collect();
            lines.push_str(&format!(
                "bench: {}: {} pid {} Cookie: {}\n",
                setup.label,
                setup.url,
                pids.join(","),
                setup.session_cookie
            ));
        }
        lines
    }

    pub fn stop(mut self) {
        for setup in &mut self.setups {
            for app in &mut setup.instances {
                app.stop();
            }
            setup.github.stop();
        }
        // nginx and the cluster stop as they drop, in that order.
    }
}
