//! The PostgreSQL rows: `GET /about` with a session and whole sign-ins, measured in the same
//! run and the same rounds as the SQLite stores, on three setups of one throwaway cluster:
//!
//! - one instance, reached directly, as the SQLite apps are;
//! - one instance behind nginx, to show what the proxy alone costs;
//! - two instances on one database behind nginx, round-robin.
//!
//! Each setup has its own database, seeded (by SQL) with as many users and sessions as the
//! first SQLite store, its own fake GitHub, and instances that share one
//! `ROCKET_SECRET_KEY` and `PUBLIC_URL` (nginx's address when proxied), as the README asks of
//! instances sharing a store.
//!
//! The cluster is Debian's `postgresql` package: `initdb` in a temp directory, the server on
//! a free loopback port with `fsync=off` and `full_page_writes=off` (a commit is written to
//! the OS but never flushed, close to what SQLite does in WAL mode with
//! `synchronous = NORMAL` between checkpoints). It is stopped and deleted when dropped, on
//! error too, and by a watchdog if the bench is killed. As root, every PostgreSQL program
//! runs as the `postgres` user (`initdb` refuses root).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use sqlx::{Connection, Executor, PgConnection};

use crate::nginx::{self, Nginx, Site};
use crate::{
    after_exit, bench_user_session, figure_cells, free_port, markdown_row, random_key, table_head,
    thousands, write_bench_cpu, App, AppEnv, FakeGithub, Figures, Scenario, Settings, Store,
    Target, BROWSER_USER_AGENT,
};

pub const INSTALL: &str = "apt-get install -y postgresql nginx";

/// What the PostgreSQL rows measure; the other scenarios are SQLite's alone.
pub const SCENARIOS: [Scenario; 2] = [Scenario::About, Scenario::SignIn];

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
    postgres_bin: PathBuf,
    nginx: PathBuf,
}

impl Tools {
    /// Both or an error saying how to install them (or how to run without these rows).
    pub fn find() -> Result<Tools, String> {
        let postgres_bin = bin_dir();
        let nginx = nginx::binary();
        match (postgres_bin, nginx) {
            (Some(postgres_bin), Some(nginx)) => Ok(Tools {
                postgres_bin,
                nginx,
            }),
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
        let cluster = Cluster::start(&tools.postgres_bin)?;
        let mut setups = Vec::new();
        let mut sites = Vec::new();
        for (n, layout) in LAYOUTS.iter().enumerate() {
            let database_url = cluster.create_database(&format!("gitlogin_{n}")).await?;
            let github = FakeGithub::start(rows).await?;
            let proxy = layout.proxied.then(free_port).transpose()?;
            let env = AppEnv {
                database_url,
                github_url: github.url.clone(),
                public_url: proxy.map(|port| format!("http://127.0.0.1:{port}")),
                secret_key: random_key(),
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
                figures: HashMap::new(),
            });
        }
        let nginx = Nginx::start(&tools.nginx, &work.join("nginx"), &sites).await?;
        for setup in &mut setups {
            setup.session_cookie = bench_user_session(&setup.url, &setup.github).await?;
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

    /// The PostgreSQL section of the results: how it was set up, and one table with the
    /// baseline SQLite store's figures for the same scenarios on top.
    pub fn report(&self, settings: &Settings, sqlite: &Store) -> String {
        let rows = thousands(sqlite.rows);
        let mut text = format!(
            "### PostgreSQL beside SQLite ({rows} rows)\n\n\
             {}; a throwaway cluster on loopback (`initdb`, `fsync=off` and \
             `full_page_writes=off`: commits reach the OS but are never flushed to disk), one \
             database per setup, each seeded by SQL with {rows} users and sessions like the \
             SQLite store. Instances have the default workers and pool; the instances of a \
             setup share its database, `ROCKET_SECRET_KEY` and `PUBLIC_URL`. nginx: \
             `worker_processes auto`, an `upstream` per setup (round-robin) with `keepalive 64` \
             and HTTP/1.1 to the instances, no access log. Same wrk and sign-in clients, in \
             the same rounds, as above. \"app CPU each\" adds up the setup's instances; \
             \"PostgreSQL CPU each\" is every server process; \"nginx CPU each\" the master \
             and its workers.\n\n",
            self.versions
        );
        text.push_str(&table_head(&[
            "scenario",
            "setup",
            "per s",
            "vs SQLite",
            "p50",
            "p99",
            "app CPU each",
            "PostgreSQL CPU each",
            "nginx CPU each",
            "errors",
        ]));
        for scenario in SCENARIOS {
            let Some(baseline) = sqlite.figures.get(&scenario) else {
                continue;
            };
            let mut rows = vec![("SQLite, 1 instance", baseline)];
            for setup in &self.setups {
                if let Some(figures) = setup.figures.get(&scenario) {
                    rows.push((setup.label, figures));
                }
            }
            for (label, f) in rows {
                let cells = figure_cells(
                    scenario.label(settings),
                    label.to_owned(),
                    f,
                    vec![format!("{:.0}%", 100.0 * f.per_sec / baseline.per_sec)],
                    &[f.database_cpu, f.proxy_cpu],
                );
                let _ = writeln!(text, "{}", markdown_row(&cells));
            }
        }
        let _ = writeln!(text);
        for setup in &self.setups {
            let place = format!("on {}", setup.label);
            write_bench_cpu(&mut text, &setup.figures, &place);
        }
        text
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

/// Writes `rows` users and one live session each into a migrated PostgreSQL database, as
/// `seed` does into a SQLite file: GitHub ids `1..=rows`, and session ids that are hex
/// SHA-256-sized hashes of random values. `ANALYZE` gives the planner the real sizes.
async fn seed(url: &str, rows: u64) -> Result<(), String> {
    let mut conn = PgConnection::connect(url)
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let now = crate::unix_now();
    let mut tx = conn.begin().await.map_err(|e| e.to_string())?;
    sqlx::query(
        "INSERT INTO users (github_id, login, name, email, avatar_url,
                            created_at, updated_at, last_login_at)
         SELECT i, 'user' || i, 'User ' || i, 'user' || i || '@example.com',
                'https://avatars.githubusercontent.com/u/' || i || '?v=4', $2, $2, $2
         FROM generate_series(1::bigint, $1) AS i",
    )
    .bind(rows as i64)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(|e| format!("seeding users: {e}"))?;
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at,
                               expires_at, user_agent)
         SELECT encode(sha256(gen_random_uuid()::text::bytea), 'hex'), id,
                encode(sha256(gen_random_uuid()::text::bytea), 'hex'), $1, $1,
                $1 + 30 * 86400, $2
         FROM users",
    )
    .bind(now)
    .bind(BROWSER_USER_AGENT)
    .execute(&mut *tx)
    .await
    .map_err(|e| format!("seeding sessions: {e}"))?;
    tx.commit().await.map_err(|e| e.to_string())?;
    conn.execute("ANALYZE").await.map_err(|e| e.to_string())?;
    conn.close().await.map_err(|e| e.to_string())
}

/// A throwaway PostgreSQL server; stopped and deleted when dropped.
struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
}

impl Cluster {
    fn start(bin: &Path) -> Result<Cluster, String> {
        let dir = std::env::temp_dir().join(format!("gitlogin-bench-pg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        // From here on, dropping `cluster` (on any error below) stops and deletes it.
        let cluster = Cluster {
            bin: bin.to_owned(),
            dir,
            port: free_port()?,
        };
        cluster.watch()?;
        if running_as_root() {
            run(Command::new("chown")
                .arg("-R")
                .arg("postgres:")
                .arg(&cluster.dir))?;
        }
        run(cluster
            .command("initdb")
            .args(["--auth=trust", "--username=postgres", "--no-sync"])
            .args(["--encoding=UTF8", "--locale=C", "-D"])
            .arg(cluster.data()))?;
        let options = format!(
            "-h 127.0.0.1 -p {} -k {} -c fsync=off -c full_page_writes=off",
            cluster.port,
            cluster.dir.display()
        );
        run(cluster
            .command("pg_ctl")
            .args(["start", "--wait", "--silent", "-o", &options, "-l"])
            .arg(cluster.dir.join("server.log"))
            .arg("-D")
            .arg(cluster.data()))?;
        Ok(cluster)
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// A new, empty database; returns its URL.
    async fn create_database(&self, name: &str) -> Result<String, String> {
        let mut admin = PgConnection::connect(&self.url("postgres"))
            .await
            .map_err(|e| format!("PostgreSQL: {e}"))?;
        admin
            .execute(&*format!("CREATE DATABASE {name}"))
            .await
            .map_err(|e| format!("CREATE DATABASE {name}: {e}"))?;
        admin.close().await.map_err(|e| e.to_string())?;
        Ok(self.url(name))
    }

    /// The postmaster's PID (the first line of `postmaster.pid`); every backend and
    /// background process is its child.
    fn server_pid(&self) -> u32 {
        std::fs::read_to_string(self.data().join("postmaster.pid"))
            .ok()
            .and_then(|text| text.lines().next()?.trim().parse().ok())
            .unwrap_or(0)
    }

    /// `PostgreSQL 15.18`.
    fn version(&self) -> String {
        let output = Command::new(self.bin.join("postgres"))
            .arg("--version")
            .output();
        let text = output
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        match text.split_whitespace().nth(2) {
            Some(version) => format!("PostgreSQL {version}"),
            None => "PostgreSQL".into(),
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// One of PostgreSQL's programs, as the `postgres` user when we are root.
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        let mut command = if running_as_root() {
            let mut command = Command::new("setpriv");
            command
                .args(["--reuid=postgres", "--regid=postgres", "--init-groups"])
                .arg(program);
            command
        } else {
            Command::new(program)
        };
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        command
    }

    /// If the bench is killed, stops the server and deletes its files once it is gone.
    fn watch(&self) -> Result<(), String> {
        let pg_ctl = self.command("pg_ctl");
        let mut stop: String = std::iter::once(pg_ctl.get_program())
            .chain(pg_ctl.get_args())
            .map(|arg| format!("'{}' ", arg.to_string_lossy()))
            .collect();
        stop.push_str("stop --mode=immediate --silent -D \"$DIR/data\"; rm -rf \"$DIR\"");
        after_exit(&stop, &[("DIR", self.dir.as_os_str())])
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = run(self
            .command("pg_ctl")
            .args(["stop", "--mode=immediate", "--silent", "-D"])
            .arg(self.data()));
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Debian installs each major version under `/usr/lib/postgresql/N/bin`, off the `PATH`;
/// the newest is used.
fn bin_dir() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let major = entry.file_name().to_str()?.parse().ok()?;
            Some((major, entry.path().join("bin")))
        })
        .filter(|(_, bin)| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn running_as_root() -> bool {
    static ROOT: OnceLock<bool> = OnceLock::new();
    *ROOT.get_or_init(|| {
        Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
    })
}

fn run(command: &mut Command) -> Result<(), String> {
    let output = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}
