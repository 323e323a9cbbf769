//! The benchmark: how fast gitlogin answers, how small it stays, and whether its cost grows
//! with the number of people it knows. Run it with `bench/run.sh` (README, "Benchmark").
//!
//! It runs the release binary `target/release/gitlogin` twice, side by side, on two SQLite
//! files seeded (by SQL, straight into the file) with 1,000 and with 1,000,000 users and as
//! many sessions, each app pointed at its own fake GitHub served from this process on
//! loopback. Then, for each scenario in turn and each store in turn:
//!
//! - `wrk` (64 connections) on `GET /health`, `GET /` signed out, `GET /about` with a real
//!   session (signed in through the whole OAuth flow) and `GET /about` with that cookie
//!   tampered with;
//! - 8 clients in this process signing in from start to finish, as fast as they can:
//!   `/login` -> the fake's authorize -> `/login/callback` (token exchange, `/user`,
//!   `/user/emails`) -> `/about`.
//!
//! Beside them, in the same rounds, the PostgreSQL rows (`src/bin/bench/postgres.rs`): `GET /about`
//! with a session and whole sign-ins on one instance, on one instance behind nginx, and on
//! two instances sharing one database behind nginx, on a throwaway PostgreSQL cluster
//! seeded like the first SQLite store. They need PostgreSQL and nginx installed; without
//! them the bench stops and says how to install them, unless `--no-postgres` is given.
//!
//! Alternating the stores scenario by scenario keeps the 1k-vs-1M comparison fair when the
//! machine gets busier or quieter during the run. It also records each app's peak RSS and
//! its start-up time (process start to the first 200 from `/health`, on a migrated store).
//! The figures are printed as one table and written to `bench/results.md`, above any
//! `## Findings` section there, which is kept as written.
//!
//! Absolute figures move from run to run and machine to machine; the ratios to `/health` in
//! the same run, and between the two stores, are what to compare.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rand::{Rng, RngCore};
use rocket::form::{Form, FromForm};
use rocket::http::{ContentType, Status};
use rocket::response::Redirect;
use rocket::{get, post, routes, State};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

// Their files sit beside this one's name, as a module directory would.
#[path = "bench/nginx.rs"]
mod nginx;
#[path = "bench/postgres.rs"]
mod postgres;

/// What a run measures; `--help` lists the flags that change it.
struct Settings {
    /// Seconds each measurement lasts (after a short warm-up).
    seconds: u64,
    /// wrk's open connections.
    connections: u32,
    /// Concurrent sign-in clients.
    sign_in_clients: usize,
    /// Users (and sessions) seeded in each store, smallest first: the first is the baseline
    /// the others are compared with.
    stores: Vec<u64>,
    /// Start-ups timed per store; the median is reported.
    starts: usize,
    /// Times each measurement is repeated (alternating stores each time); the median counts.
    rounds: usize,
    /// What to measure (all of them unless `--only` says otherwise).
    scenarios: Vec<Scenario>,
    /// Stop before the load, print each app's address, PID and session cookie, and wait
    /// for Enter: time to attach `perf record -p PID` or run wrk by hand.
    hold: bool,
    /// Measure PostgreSQL (one and two instances) beside SQLite; `--no-postgres` turns it off.
    postgres: bool,
    root: PathBuf,
    results: PathBuf,
}

impl Settings {
    fn from_args() -> Result<Settings, String> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut settings = Settings {
            seconds: 10,
            connections: 64,
            sign_in_clients: 8,
            stores: vec![1_000, 1_000_000],
            starts: 5,
            rounds: 3,
            scenarios: Scenario::ALL.to_vec(),
            hold: false,
            postgres: true,
            results: root.join("bench/results.md"),
            root,
        };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            if flag == "--help" || flag == "-h" {
                return Err(USAGE.into());
            }
            if flag == "--hold" {
                settings.hold = true;
                continue;
            }
            if flag == "--no-postgres" {
                settings.postgres = false;
                continue;
            }
            let value = args
                .next()
                .ok_or(format!("{flag} needs a value\n{USAGE}"))?;
            let bad = |_| format!("{flag}: not a number: {value}");
            match flag.as_str() {
                "--seconds" => settings.seconds = value.parse().map_err(bad)?,
                "--connections" => settings.connections = value.parse().map_err(bad)?,
                "--clients" => settings.sign_in_clients = value.parse().map_err(bad)?,
                "--starts" => settings.starts = value.parse().map_err(bad)?,
                "--rounds" => settings.rounds = value.parse().map_err(bad)?,
                "--stores" => {
                    settings.stores = value
                        .split(',')
                        .map(|n| n.trim().replace('_', "").parse())
                        .collect::<Result<_, _>>()
                        .map_err(bad)?;
                }
                "--results" => settings.results = PathBuf::from(value),
                "--only" => {
                    settings.scenarios = value
                        .split(',')
                        .map(|name| {
                            Scenario::ALL
                                .into_iter()
                                .find(|s| s.name() == name.trim())
                                .ok_or(format!("--only: no scenario {name:?}\n{USAGE}"))
                        })
                        .collect::<Result<_, _>>()?;
                }
                _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
            }
        }
        if settings.stores.is_empty()
            || settings.seconds == 0
            || settings.starts == 0
            || settings.rounds == 0
        {
            return Err(USAGE.into());
        }
        Ok(settings)
    }

    /// The PostgreSQL rows are measured unless turned off, or unless `--only` leaves none
    /// of their scenarios.
    fn measures_postgres(&self) -> bool {
        self.postgres
            && postgres::SCENARIOS
                .iter()
                .any(|s| self.scenarios.contains(s))
    }
}

const USAGE: &str = "usage: bench [--seconds 10] [--connections 64] [--clients 8] \
[--stores 1000,1000000] [--rounds 3] [--starts 5] [--results bench/results.md] [--hold]
[--only health,home,about,tampered,sign-ins] [--no-postgres]

--no-postgres: SQLite only. Otherwise the PostgreSQL rows (about, sign-ins) need PostgreSQL
and nginx: apt-get install -y postgresql nginx";

#[rocket::main]
async fn main() -> ExitCode {
    let settings = match Settings::from_args() {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    match run(&settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(settings: &Settings) -> Result<(), String> {
    check_wrk()?;
    let tools = if settings.measures_postgres() {
        Some(postgres::Tools::find()?)
    } else {
        None
    };
    let binary = settings.root.join("target/release/gitlogin");
    if !binary.exists() {
        return Err(format!(
            "{} is missing: build it first with `cargo build --release --bins` (bench/run.sh does)",
            binary.display()
        ));
    }
    let work = std::env::temp_dir().join(format!("gitlogin-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    // Should the bench be killed, the apps it started (listed in `apps`, see `App::launch`)
    // must not keep running; the PID must still be gitlogin's, not a reused one.
    let exe = binary.canonicalize().unwrap_or_else(|_| binary.clone());
    after_exit(
        "for pid in $(cat \"$DIR/apps\" 2>/dev/null); do \
           [ \"$(readlink /proc/$pid/exe)\" = \"$BIN\" ] && kill -KILL \"$pid\"; \
         done; rm -rf \"$DIR\"",
        &[("DIR", work.as_os_str()), ("BIN", exe.as_os_str())],
    )?;
    let outcome = measure(settings, tools.as_ref(), &binary, &work).await;
    let _ = std::fs::remove_dir_all(&work);
    let report = outcome?;
    print!("{}", report.table);
    write_results(&settings.results, &report.markdown)?;
    println!("\nwritten to {}", settings.results.display());
    Ok(())
}

/// The table, once for the terminal and once for `results.md`.
struct Report {
    table: String,
    markdown: String,
}

/// One store with its own app and its own fake GitHub.
struct Store {
    rows: u64,
    app: App,
    github: FakeGithub,
    /// The bench user's cookies, as the app set them at the end of a real sign-in.
    session_cookie: String,
    first_start: Duration,
    starts: Vec<Duration>,
    figures: HashMap<Scenario, Figures>,
}

impl Store {
    fn target(&self) -> Target<'_> {
        Target {
            url: &self.app.url,
            session_cookie: &self.session_cookie,
            apps: vec![self.app.pid()],
            database: None,
            proxy: None,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Scenario {
    Health,
    Home,
    About,
    Tampered,
    SignIn,
}

impl Scenario {
    const ALL: [Scenario; 5] = [
        Scenario::Health,
        Scenario::Home,
        Scenario::About,
        Scenario::Tampered,
        Scenario::SignIn,
    ];

    fn label(self, settings: &Settings) -> String {
        match self {
            Scenario::Health => "GET /health".into(),
            Scenario::Home => "GET / (signed out)".into(),
            Scenario::About => "GET /about (session)".into(),
            Scenario::Tampered => "GET /about (tampered cookie)".into(),
            Scenario::SignIn => format!("sign-ins, {} clients", settings.sign_in_clients),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Scenario::Health => "health",
            Scenario::Home => "home",
            Scenario::About => "about",
            Scenario::Tampered => "tampered",
            Scenario::SignIn => "sign-ins",
        }
    }
}

/// Throughput and latency of one measurement.
#[derive(Clone, Default)]
struct Figures {
    per_sec: f64,
    p50: Duration,
    p99: Duration,
    /// Requests (or sign-ins) that did not get the expected answer, and socket errors.
    errors: u64,
    /// Requests (or sign-ins) completed.
    count: u64,
    /// CPU time the app used per request (or sign-in), all its threads: unlike requests per
    /// second, this hardly moves when other work shares the machine.
    app_cpu: Duration,
    /// For sign-ins, the CPU this process (the clients and the fake GitHub) spent on each:
    /// on a small machine, the app's sign-in rate is capped by what this leaves it.
    bench_cpu: Duration,
    /// CPU the PostgreSQL server (all its processes) used per request, when there is one.
    database_cpu: Option<Duration>,
    /// CPU nginx (master and workers) used per request, when the load goes through it.
    proxy_cpu: Option<Duration>,
}

impl Figures {
    /// Shares out the CPU each part used during the measurement over what it completed.
    fn charge(&mut self, used: &CpuUse, target: &Target) {
        self.app_cpu = per(used.apps, self.count);
        self.bench_cpu = per(used.bench, self.count);
        self.database_cpu = target.database.map(|_| per(used.database, self.count));
        self.proxy_cpu = target.proxy.map(|_| per(used.proxy, self.count));
    }
}

/// Where a measurement sends its load, and whose CPU it counts.
struct Target<'a> {
    url: &'a str,
    session_cookie: &'a str,
    /// The instances behind `url`.
    apps: Vec<u32>,
    /// The PostgreSQL postmaster, if the store is PostgreSQL: it and its children count.
    database: Option<u32>,
    /// nginx's master, if `url` is nginx: it and its workers count.
    proxy: Option<u32>,
}

/// CPU time used so far by each part of a target, and by this process.
struct CpuUse {
    apps: Duration,
    database: Duration,
    proxy: Duration,
    bench: Duration,
}

impl CpuUse {
    fn now(target: &Target) -> CpuUse {
        CpuUse {
            apps: target.apps.iter().map(|&pid| cpu_time(pid)).sum(),
            database: target.database.map_or(Duration::ZERO, tree_cpu_time),
            proxy: target.proxy.map_or(Duration::ZERO, tree_cpu_time),
            bench: cpu_time(std::process::id()),
        }
    }

    /// What was used since `before`. A child that ended in between (a PostgreSQL backend,
    /// an autovacuum worker) still counts: once reaped, its CPU is in its parent's cutime
    /// and cstime, which `tree_cpu_time` adds. Only one reaped between the reading of the
    /// parent and that of the children can be missed; a part is never negative.
    fn since(&self, before: &CpuUse) -> CpuUse {
        CpuUse {
            apps: self.apps.saturating_sub(before.apps),
            database: self.database.saturating_sub(before.database),
            proxy: self.proxy.saturating_sub(before.proxy),
            bench: self.bench.saturating_sub(before.bench),
        }
    }
}

async fn measure(
    settings: &Settings,
    tools: Option<&postgres::Tools>,
    binary: &Path,
    work: &Path,
) -> Result<Report, String> {
    let started_at = utc_now();
    let mut stores = Vec::new();
    for &rows in &settings.stores {
        stores.push(prepare_store(settings, binary, work, rows).await?);
    }
    // Seeded like the first (baseline) store, so that its rows compare with them.
    let mut postgres = match tools {
        Some(tools) => {
            let rows = settings.stores[0];
            Some(postgres::Postgres::start(settings, tools, binary, work, rows).await?)
        }
        None => None,
    };

    if settings.hold {
        for store in &stores {
            eprintln!(
                "bench: {} rows: {} pid {} Cookie: {}",
                thousands(store.rows),
                store.app.url,
                store.app.pid(),
                store.session_cookie
            );
        }
        if let Some(postgres) = &postgres {
            eprint!("{}", postgres.describe());
        }
        eprintln!("bench: press Enter to start the load");
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    }

    let load_before = load_average();
    if load_before > 1.0 {
        eprintln!(
            "bench: the machine is busy (load average {load_before:.2}): the figures will be \
             lower and noisier than on an idle machine"
        );
    }
    let mut runs: Vec<Rounds> = vec![HashMap::new(); stores.len()];
    let setups = postgres.as_ref().map_or(0, |p| p.setups.len());
    let mut postgres_runs: Vec<Rounds> = vec![HashMap::new(); setups];
    for round in 1..=settings.rounds {
        for &scenario in &settings.scenarios {
            let progress = |what: &str| {
                eprintln!(
                    "bench: round {round}/{}: {} with {what} ...",
                    settings.rounds,
                    scenario.label(settings),
                )
            };
            for (store, runs) in stores.iter().zip(&mut runs) {
                progress(&format!("{} rows", thousands(store.rows)));
                let figures = load(settings, scenario, &store.target()).await?;
                runs.entry(scenario).or_default().push(figures);
            }
            let Some(postgres) = &postgres else {
                continue;
            };
            if !postgres::SCENARIOS.contains(&scenario) {
                continue;
            }
            for (setup, runs) in postgres.setups.iter().zip(&mut postgres_runs) {
                progress(setup.label);
                let figures = load(settings, scenario, &postgres.target(setup)).await?;
                runs.entry(scenario).or_default().push(figures);
            }
        }
    }
    for (store, runs) in stores.iter_mut().zip(runs) {
        store.figures = median_rounds(runs);
    }
    if let Some(postgres) = &mut postgres {
        for (setup, runs) in postgres.setups.iter_mut().zip(postgres_runs) {
            setup.figures = median_rounds(runs);
        }
    }
    let load = (load_before, load_average());

    let memory: Vec<(u64, u64)> = stores.iter().map(|s| peak_rss_kib(s.app.pid())).collect();
    for store in &mut stores {
        store.app.stop();
        store.github.stop();
    }
    let report = report(
        settings,
        &started_at,
        load,
        &stores,
        &memory,
        postgres.as_ref(),
    );
    if let Some(postgres) = postgres {
        postgres.stop();
    }
    Ok(report)
}

/// Each scenario's figures, one per round.
type Rounds = HashMap<Scenario, Vec<Figures>>;

/// Of several rounds, the one with the median rate, latencies and all.
fn median_rounds(runs: Rounds) -> HashMap<Scenario, Figures> {
    runs.into_iter()
        .filter_map(|(scenario, mut figures)| {
            figures.sort_by(|a, b| a.per_sec.total_cmp(&b.per_sec));
            let middle = figures.len() / 2;
            figures.into_iter().nth(middle).map(|f| (scenario, f))
        })
        .collect()
}

/// The 1-minute load average: work other than this benchmark shows up here, and lowers
/// every figure of the run.
fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

/// Warms up, then measures one scenario on one store or setup.
async fn load(
    settings: &Settings,
    scenario: Scenario,
    target: &Target<'_>,
) -> Result<Figures, String> {
    let seconds = settings.seconds;
    let (path, cookie) = match scenario {
        Scenario::Health => ("/health", None),
        Scenario::Home => ("/", None),
        Scenario::About => ("/about", Some(target.session_cookie.to_owned())),
        Scenario::Tampered => ("/about", Some(tamper(target.session_cookie))),
        Scenario::SignIn => {
            let clients = settings.sign_in_clients;
            // The warm-up fills the app's and the clients' connection pools.
            sign_in_load(target.url, clients, Duration::from_secs(2)).await;
            let before = CpuUse::now(target);
            let mut figures = sign_in_load(target.url, clients, Duration::from_secs(seconds)).await;
            figures.charge(&CpuUse::now(target).since(&before), target);
            return Ok(figures);
        }
    };
    let url = format!("{}{path}", target.url);
    let cookie = cookie.as_deref();
    check_answer(scenario, &url, cookie).await?;
    wrk(&url, cookie, settings.connections, 2).await?;
    let before = CpuUse::now(target);
    let mut figures = wrk(&url, cookie, settings.connections, seconds).await?;
    figures.charge(&CpuUse::now(target).since(&before), target);
    Ok(figures)
}

fn per(total: Duration, count: u64) -> Duration {
    total / count.max(1).min(u32::MAX.into()) as u32
}

/// Makes a store with `rows` users and sessions, times start-ups on it, leaves its app
/// running, and signs the bench user in.
async fn prepare_store(
    settings: &Settings,
    binary: &Path,
    work: &Path,
    rows: u64,
) -> Result<Store, String> {
    let db_path = work.join(format!("gitlogin-{rows}.db"));
    let github = FakeGithub::start(rows).await?;
    let env = AppEnv {
        database_url: format!("sqlite://{}?mode=rwc", db_path.display()),
        github_url: github.url.clone(),
        public_url: None,
        secret_key: random_key(),
    };
    let launch = || App::launch(binary, &settings.root, &env, work);

    // The first start creates and migrates the store; seeding needs its tables.
    let mut app = launch()?;
    let first_start = app.wait_until_healthy().await?;
    app.stop();
    eprintln!("bench: seeding {} users and sessions ...", thousands(rows));
    seed(&db_path, rows).await?;

    let mut starts = Vec::new();
    for n in 0..settings.starts {
        let mut app = launch()?;
        starts.push(app.wait_until_healthy().await?);
        if n + 1 < settings.starts {
            app.stop();
            continue;
        }
        let session_cookie = bench_user_session(&app.url, &github).await?;
        return Ok(Store {
            rows,
            app,
            github,
            session_cookie,
            first_start,
            starts,
            figures: HashMap::new(),
        });
    }
    unreachable!("settings.starts is at least 1")
}

/// Signs in as a GitHub account of its own (not one of the seeded ones), so that the About
/// page under load lists exactly one session; returns the `Cookie` header for it.
async fn bench_user_session(app_url: &str, github: &FakeGithub) -> Result<String, String> {
    *lock(&github.state.next_account) = Some(BENCH_USER_ID);
    let client = browser()?;
    let jar = sign_in(&client, app_url).await?;
    let session = jar
        .get("gitlogin_session")
        .ok_or("the sign-in set no gitlogin_session cookie")?;
    Ok(format!("gitlogin_session={session}"))
}

// ---------------------------------------------------------------------------------------
// The app under test

/// A running `target/release/gitlogin`, configured only through its environment, exactly
/// as the README configures it.
struct App {
    child: Option<Child>,
    url: String,
    port: u16,
    started: Instant,
}

/// What an instance is told through its environment, beside its port and the fake
/// GitHub's client id and secret.
struct AppEnv {
    database_url: String,
    github_url: String,
    /// `PUBLIC_URL` when the app is reached through a proxy; otherwise its own address.
    public_url: Option<String>,
    /// `ROCKET_SECRET_KEY`: the release profile insists on one. A fresh one per run, never a
    /// stored one, shared by the instances of one store.
    secret_key: String,
}

impl App {
    fn launch(binary: &Path, root: &Path, env: &AppEnv, work: &Path) -> Result<App, String> {
        let port = free_port()?;
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
            .env("ROCKET_LOG_LEVEL", "off")
            .env("ROCKET_CLI_COLORS", "false")
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

    fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Polls `/health` every millisecond; returns the time from `spawn` to the first 200.
    async fn wait_until_healthy(&mut self) -> Result<Duration, String> {
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
    fn stop(&mut self) {
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
enum Unhealthy {
    /// The process serving the URL exited first.
    Exited(std::process::ExitStatus),
    /// The deadline passed first.
    TimedOut,
    /// No HTTP client could be built.
    NoClient(String),
}

/// Asks `url` (a `/health`) every `every` until it answers 200, giving up if `child` exits
/// or `deadline` passes first. Each request may take up to 2 s.
async fn poll_health(
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

/// A port that was free a moment ago (the app binds it right after).
fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

fn random_key() -> String {
    let mut key = [0u8; 64];
    rand::thread_rng().fill_bytes(&mut key);
    STANDARD.encode(key)
}

/// `VmHWM` (peak resident set) and `VmRSS` of a process, in KiB.
fn peak_rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// CPU time a process has used so far, all threads (user + system), from `/proc/PID/stat`.
fn cpu_time(pid: u32) -> Duration {
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    stat_cpu(&read_stat(pid), &[11, 12])
}

/// CPU time of a process and its children (nginx's workers, PostgreSQL's backends), those
/// that have exited included: when a parent reaps a child, the kernel adds the child's CPU
/// (its own children's too) to the parent's cutime and cstime, fields 16 and 17 of the
/// whole line, 14 and 15 after the name. So the difference between two readings is all
/// the CPU the tree spent in between, even if backends came and went.
fn tree_cpu_time(pid: u32) -> Duration {
    let with_reaped = |pid| stat_cpu(&read_stat(pid), &[11, 12, 13, 14]);
    with_reaped(pid)
        + children_of(pid)
            .into_iter()
            .map(with_reaped)
            .sum::<Duration>()
}

fn read_stat(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default()
}

/// The sum of some CPU-time fields of a `/proc/PID/stat` line, counted from the field after
/// the command name (which is in parentheses and may contain spaces). Their unit,
/// `USER_HZ`, is 100 per second on Linux whatever the kernel's own tick.
fn stat_cpu(stat: &str, fields: &[usize]) -> Duration {
    let after_name: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks: u64 = fields
        .iter()
        .filter_map(|&i| after_name.get(i)?.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

/// The PIDs whose parent is `pid`, from `/proc/*/stat`.
fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&child| parent_pid(&read_stat(child)) == Some(pid))
        .collect()
}

/// The parent's PID in a `/proc/PID/stat` line: the second field after the command name.
fn parent_pid(stat: &str) -> Option<u32> {
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `script` (sh) once this process has ended, however it ends: the clean-up for a
/// server the bench started, should the bench be killed before it stops the server itself.
/// It ignores the Ctrl-C that ends the bench, and is never waited for: it must outlive us.
#[allow(clippy::zombie_processes)]
fn after_exit(script: &str, env: &[(&str, &std::ffi::OsStr)]) -> Result<(), String> {
    let watch =
        format!("trap '' INT HUP; while kill -0 \"$1\" 2>/dev/null; do sleep 1; done; {script}");
    Command::new("sh")
        .arg("-c")
        .arg(watch)
        .arg("sh")
        .arg(std::process::id().to_string())
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(drop)
        .map_err(|e| format!("cannot start a watchdog: {e}"))
}

// ---------------------------------------------------------------------------------------
// Seeding

/// Writes `rows` users and one live session each, straight into the app's (migrated) store
/// while the app is stopped. Session ids are random 256-bit values, stored, like the app
/// stores them, only as hex SHA-256-sized hashes.
async fn seed(db_path: &Path, rows: u64) -> Result<(), String> {
    let options = SqliteConnectOptions::new()
        .filename(db_path)
        // Speed only matters here, and a crash only loses a scratch file.
        .pragma("synchronous", "OFF")
        .pragma("cache_size", "-262144");
    let mut conn = options.connect().await.map_err(|e| e.to_string())?;
    let now = unix_now();
    let mut tx = conn.begin().await.map_err(|e| e.to_string())?;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO users (github_id, login, name, email, avatar_url,
                            created_at, updated_at, last_login_at)
         SELECT i, 'user' || i, 'User ' || i, 'user' || i || '@example.com',
                'https://avatars.githubusercontent.com/u/' || i || '?v=4', ?2, ?2, ?2
         FROM n",
    )
    .bind(rows as i64)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(|e| format!("seeding users: {e}"))?;
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at,
                               expires_at, user_agent)
         SELECT lower(hex(randomblob(32))), id, lower(hex(randomblob(32))), ?1, ?1,
                ?1 + 30 * 86400, ?2
         FROM users",
    )
    .bind(now)
    .bind(BROWSER_USER_AGENT)
    .execute(&mut *tx)
    .await
    .map_err(|e| format!("seeding sessions: {e}"))?;
    tx.commit().await.map_err(|e| e.to_string())?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    conn.close().await.map_err(|e| e.to_string())
}

// ---------------------------------------------------------------------------------------
// wrk

fn check_wrk() -> Result<(), String> {
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

/// The answer each GET scenario must give, checked once before it is loaded: a benchmark
/// of the wrong page measures nothing.
async fn check_answer(scenario: Scenario, url: &str, cookie: Option<&str>) -> Result<(), String> {
    let client = browser()?;
    let mut request = client.get(url);
    if let Some(cookie) = cookie {
        request = request.header("Cookie", cookie);
    }
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.text().await.unwrap_or_default();
    let ok = match scenario {
        Scenario::Health | Scenario::Home => status == 200,
        Scenario::About => status == 200 && body.contains(BENCH_USER_LOGIN),
        Scenario::Tampered => status == 303 && location.starts_with("/login"),
        Scenario::SignIn => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{}: unexpected answer {status} {location}",
            scenario.name()
        ))
    }
}

/// Runs wrk with two threads (one per core here) and reads its figures.
async fn wrk(
    url: &str,
    cookie: Option<&str>,
    connections: u32,
    seconds: u64,
) -> Result<Figures, String> {
    let mut command = Command::new("wrk");
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
    if let Some(cookie) = cookie {
        command.arg("--header").arg(format!("Cookie: {cookie}"));
    }
    command.arg(url);
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

fn parse_wrk(text: &str) -> Option<Figures> {
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
fn parse_wrk_time(text: &str) -> Option<Duration> {
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
fn tamper(cookie: &str) -> String {
    let (name, value) = cookie.split_once('=').unwrap_or((cookie, ""));
    let mut value = value.to_owned().into_bytes();
    if let Some(i) = (value.len() / 2..value.len()).find(|&i| value[i].is_ascii_alphanumeric()) {
        value[i] = if value[i] == b'A' { b'B' } else { b'A' };
    }
    format!("{name}={}", String::from_utf8_lossy(&value))
}

// ---------------------------------------------------------------------------------------
// Sign-ins

const BROWSER_USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

/// A client like a browser as far as the app can tell: it never follows redirects by
/// itself (the bench follows each one), and cookies are kept by hand in a [`Jar`].
fn browser() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(BROWSER_USER_AGENT)
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())
}

/// Cookies as the app set them: values kept exactly as received (still percent-encoded),
/// because that is how a browser sends them back.
#[derive(Default)]
struct Jar(HashMap<String, String>);

impl Jar {
    fn keep(&mut self, response: &reqwest::Response) {
        for header in response.headers().get_all("set-cookie") {
            let Ok(header) = header.to_str() else {
                continue;
            };
            let pair = header.split(';').next().unwrap_or_default();
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let removed = header
                .split(';')
                .any(|attribute| attribute.trim().eq_ignore_ascii_case("max-age=0"));
            if removed || value.is_empty() {
                self.0.remove(name.trim());
            } else {
                self.0.insert(name.trim().to_owned(), value.to_owned());
            }
        }
    }

    fn header(&self) -> String {
        let pairs: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        pairs.join("; ")
    }

    fn get(&self, name: &str) -> Option<&String> {
        self.0.get(name)
    }
}

/// One whole sign-in, as a browser does it; returns the cookies it ends with.
async fn sign_in(client: &reqwest::Client, app_url: &str) -> Result<Jar, String> {
    let mut jar = Jar::default();
    let fail = |step: &str, e: &dyn std::fmt::Display| format!("sign-in, {step}: {e}");

    // 1. The app remembers a state and a PKCE verifier, and sends the browser to GitHub.
    let response = client
        .get(format!("{app_url}/login?next=/about"))
        .send()
        .await
        .map_err(|e| fail("/login", &e))?;
    jar.keep(&response);
    let authorize = redirect_target(&response, 303).map_err(|e| fail("/login", &e))?;

    // 2. GitHub (the fake) knows the person and sends them straight back with a code.
    let response = client
        .get(&authorize)
        .send()
        .await
        .map_err(|e| fail("authorize", &e))?;
    let callback = redirect_target(&response, 302).map_err(|e| fail("authorize", &e))?;

    // 3. The callback: state check, token exchange, /user, /user/emails, two writes.
    let response = client
        .get(&callback)
        .header("Cookie", jar.header())
        .send()
        .await
        .map_err(|e| fail("callback", &e))?;
    jar.keep(&response);
    let next = redirect_target(&response, 303).map_err(|e| fail("callback", &e))?;
    if next != "/about" {
        return Err(fail("callback", &format!("sent to {next}, not /about")));
    }

    // 4. The page the person wanted, now signed in.
    let response = client
        .get(format!("{app_url}{next}"))
        .header("Cookie", jar.header())
        .send()
        .await
        .map_err(|e| fail("/about", &e))?;
    jar.keep(&response);
    let status = response.status();
    let page = response.text().await.map_err(|e| fail("/about", &e))?;
    if status != 200 || !page.contains("<h1>About ") {
        return Err(fail("/about", &format!("answered {status}")));
    }
    Ok(jar)
}

fn redirect_target(response: &reqwest::Response, expected: u16) -> Result<String, String> {
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok());
    match location {
        Some(location) if status == expected => Ok(location.to_owned()),
        _ => Err(format!("expected {expected} with a Location, got {status}")),
    }
}

/// `clients` people signing in back to back for `length`; sign-ins per second and the
/// latency of a whole sign-in (four requests to the app, three to GitHub).
async fn sign_in_load(app_url: &str, clients: usize, length: Duration) -> Figures {
    let deadline = Instant::now() + length;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let app_url = app_url.to_owned();
        tasks.push(rocket::tokio::spawn(async move {
            let mut times = Vec::new();
            let mut errors = Vec::new();
            let Ok(client) = browser() else {
                return (times, vec!["cannot build an HTTP client".to_owned()]);
            };
            while Instant::now() < deadline {
                let start = Instant::now();
                match sign_in(&client, &app_url).await {
                    Ok(_) => times.push(start.elapsed()),
                    Err(e) => errors.push(e),
                }
            }
            (times, errors)
        }));
    }
    let mut times = Vec::new();
    let mut errors = Vec::new();
    for task in tasks {
        if let Ok((t, e)) = task.await {
            times.extend(t);
            errors.extend(e);
        }
    }
    let elapsed = started.elapsed();
    if let Some(first) = errors.first() {
        eprintln!(
            "bench: {} sign-ins failed; the first: {first}",
            errors.len()
        );
    }
    times.sort();
    Figures {
        per_sec: times.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(&times, 0.50),
        p99: percentile(&times, 0.99),
        errors: errors.len() as u64,
        count: times.len() as u64,
        ..Figures::default()
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

// ---------------------------------------------------------------------------------------
// The fake GitHub: authorize, token and API endpoints answering as `shared/GITHUB.md` says
// github.com does, in this process, on loopback.

const FAKE_CLIENT_ID: &str = "bench-client-id";
/// Not a secret: it only ever reaches the fake, on loopback.
const FAKE_CLIENT_SECRET: &str = "bench-client-secret";
/// The bench user's GitHub id: above any seeded one.
const BENCH_USER_ID: i64 = 4_000_000_000;
const BENCH_USER_LOGIN: &str = "bench-user";

struct FakeState {
    /// People GitHub knows: ids `1..=population`, the same ones seeded in the store, so
    /// each sign-in under load is a returning user, picked at random.
    population: u64,
    /// The account the next authorize signs in, instead of a random one.
    next_account: Mutex<Option<i64>>,
    /// code -> (account id, PKCE challenge, redirect_uri); single use.
    codes: Mutex<HashMap<String, (i64, String, String)>>,
    /// token -> account id.
    tokens: Mutex<HashMap<String, i64>>,
}

struct FakeGithub {
    url: String,
    state: Arc<FakeState>,
    shutdown: rocket::Shutdown,
}

impl FakeGithub {
    async fn start(population: u64) -> Result<FakeGithub, String> {
        let state = Arc::new(FakeState {
            population: population.max(1),
            next_account: Mutex::new(None),
            codes: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
        });
        let figment = rocket::Config::figment()
            .merge(("address", "127.0.0.1"))
            .merge(("port", 0))
            .merge(("log_level", "off"))
            .merge(("cli_colors", false))
            .merge(("shutdown.ctrlc", false))
            // Rocket refuses to launch a release build without one; the fake uses no cookies.
            .merge(("secret_key", random_key()));
        let (tx, rx) = rocket::tokio::sync::oneshot::channel();
        let tx = Mutex::new(Some(tx));
        let server = rocket::custom(figment)
            .manage(state.clone())
            .mount("/", routes![authorize, access_token, user, user_emails])
            .attach(rocket::fairing::AdHoc::on_liftoff("port", move |r| {
                let ready = (r.config().port, r.shutdown());
                Box::pin(async move {
                    if let Some(tx) = lock(&tx).take() {
                        let _ = tx.send(ready);
                    }
                })
            }));
        rocket::tokio::spawn(async move {
            if let Err(e) = server.launch().await {
                eprintln!("bench: the fake GitHub stopped: {e}");
            }
        });
        let (port, shutdown) = rx.await.map_err(|_| "the fake GitHub did not start")?;
        Ok(FakeGithub {
            url: format!("http://127.0.0.1:{port}"),
            state,
            shutdown,
        })
    }

    fn stop(&self) {
        self.shutdown.clone().notify();
    }
}

type Fake = Arc<FakeState>;

fn account_json(id: i64) -> String {
    let login = if id == BENCH_USER_ID {
        BENCH_USER_LOGIN.to_owned()
    } else {
        format!("user{id}")
    };
    json!({
        "login": login,
        "id": id,
        "node_id": "MDQ6VXNlcjU4MzIzMQ==",
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"),
        "html_url": format!("https://github.com/{login}"),
        "type": "User",
        "name": format!("User {id}"),
        // Like most people's: no public email, so the app also asks `/user/emails`.
        "email": null,
        "created_at": "2011-01-25T18:44:36Z",
    })
    .to_string()
}

/// A returning person: GitHub redirects (302) straight back with a code and the state.
#[get("/login/oauth/authorize?<client_id>&<redirect_uri>&<state>&<code_challenge>&<code_challenge_method>")]
fn authorize(
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    code_challenge: &str,
    code_challenge_method: &str,
    host: &rocket::http::uri::Host<'_>,
    fake: &State<Fake>,
) -> Result<Redirect, Status> {
    if client_id != FAKE_CLIENT_ID || code_challenge_method != "S256" {
        return Err(Status::BadRequest);
    }
    let mut back = url::Url::parse(redirect_uri).map_err(|_| Status::BadRequest)?;
    let account = lock(&fake.next_account)
        .take()
        .unwrap_or_else(|| rand::thread_rng().gen_range(1..=fake.population) as i64);
    let code = random_hex();
    let grant = (account, code_challenge.to_owned(), redirect_uri.to_owned());
    lock(&fake.codes).insert(code.clone(), grant);
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", state)
        // RFC 9207: GitHub names itself, `{GITHUB_URL}/login/oauth`, in every callback.
        .append_pair("iss", &format!("http://{host}/login/oauth"));
    Ok(Redirect::found(back.to_string()))
}

#[derive(FromForm)]
struct TokenForm<'r> {
    client_id: &'r str,
    client_secret: &'r str,
    code: &'r str,
    redirect_uri: &'r str,
    code_verifier: &'r str,
}

/// Single-use codes, PKCE and client credentials checked; HTTP 200 even for errors.
#[post("/login/oauth/access_token", data = "<form>")]
fn access_token(form: Form<TokenForm<'_>>, fake: &State<Fake>) -> (ContentType, String) {
    let grant = lock(&fake.codes).remove(form.code);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(form.code_verifier.as_bytes()));
    let account = grant.and_then(|(account, expected, redirect_uri)| {
        let valid = expected == challenge
            && redirect_uri == form.redirect_uri
            && form.client_id == FAKE_CLIENT_ID
            && form.client_secret == FAKE_CLIENT_SECRET;
        valid.then_some(account)
    });
    let body = match account {
        Some(account) => {
            let token = format!("gho_{}", random_hex());
            lock(&fake.tokens).insert(token.clone(), account);
            json!({ "access_token": token, "token_type": "bearer", "scope": "user:email" })
        }
        None => json!({
            "error": "bad_verification_code",
            "error_description": "The code passed is incorrect or expired.",
        }),
    };
    (ContentType::JSON, body.to_string())
}

/// The account behind a request's bearer token, if it also carries the headers GitHub
/// insists on.
struct Caller(i64);

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for Caller {
    type Error = ();

    async fn from_request(req: &'r rocket::Request<'_>) -> rocket::request::Outcome<Self, ()> {
        use rocket::request::Outcome;
        let headers = req.headers();
        if headers.get_one("User-Agent").is_none_or(str::is_empty) {
            return Outcome::Error((Status::Forbidden, ()));
        }
        let token = headers
            .get_one("Authorization")
            .and_then(|a| a.strip_prefix("Bearer "));
        let fake = req.rocket().state::<Fake>();
        match (token, fake) {
            (Some(token), Some(fake)) => match lock(&fake.tokens).get(token) {
                Some(&account) => Outcome::Success(Caller(account)),
                None => Outcome::Error((Status::Unauthorized, ())),
            },
            _ => Outcome::Error((Status::Unauthorized, ())),
        }
    }
}

#[get("/user")]
fn user(caller: Caller) -> (ContentType, String) {
    (ContentType::JSON, account_json(caller.0))
}

#[get("/user/emails")]
fn user_emails(caller: Caller) -> (ContentType, String) {
    let body = json!([
        { "email": format!("old{}@example.com", caller.0), "primary": false,
          "verified": true, "visibility": null },
        { "email": format!("user{}@example.com", caller.0), "primary": true,
          "verified": true, "visibility": "private" },
    ]);
    (ContentType::JSON, body.to_string())
}

fn random_hex() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------------------------------
// The report

/// The targets, checked against this run's figures; the report's target labels are
/// built from them.
const ABOUT_VS_HEALTH_MIN: f64 = 0.50;
const ABOUT_P99_MAX: Duration = Duration::from_millis(5);
const SIGN_INS_MIN: f64 = 1_500.0;
const GROWTH_MAX: f64 = 0.10;
const PEAK_RSS_MAX_KIB: u64 = 40 * 1024;
const START_MAX: Duration = Duration::from_millis(300);

fn report(
    settings: &Settings,
    started_at: &str,
    load: (f64, f64),
    stores: &[Store],
    memory: &[(u64, u64)],
    postgres: Option<&postgres::Postgres>,
) -> Report {
    let base = &stores[0];
    let mut rows = Vec::new();
    let mut checks = Vec::new();
    for (store, &(peak, _)) in stores.iter().zip(memory) {
        let is_base = std::ptr::eq(store, base);
        let health = store.figures.get(&Scenario::Health).map(|f| f.per_sec);
        for scenario in Scenario::ALL {
            let Some(f) = store.figures.get(&scenario) else {
                continue;
            };
            let ratio = match (scenario, health) {
                (Scenario::SignIn, _) | (_, None) => String::new(),
                (_, Some(health)) => format!("{:.0}%", 100.0 * f.per_sec / health),
            };
            let growth = match base.figures.get(&scenario) {
                Some(b) if !is_base => {
                    format!("{:+.1}%", 100.0 * (f.per_sec - b.per_sec) / b.per_sec)
                }
                _ => String::new(),
            };
            rows.push(figure_cells(
                scenario.label(settings),
                thousands(store.rows),
                f,
                vec![ratio, growth],
                &[],
            ));
        }

        let rows_label = thousands(store.rows);
        let about = store.figures.get(&Scenario::About);
        if let (Some(about), Some(health)) = (about, health) {
            checks.push(check(
                format!(
                    "/about >= {} of /health req/s ({rows_label} rows)",
                    percent(ABOUT_VS_HEALTH_MIN)
                ),
                format!("{:.0}%", 100.0 * about.per_sec / health),
                about.per_sec >= ABOUT_VS_HEALTH_MIN * health,
            ));
        }
        if let Some(about) = about {
            checks.push(check(
                format!(
                    "/about p99 < {} ms ({rows_label} rows)",
                    ABOUT_P99_MAX.as_millis()
                ),
                millis(about.p99),
                about.p99 < ABOUT_P99_MAX,
            ));
        }
        if let Some(sign_ins) = store.figures.get(&Scenario::SignIn) {
            checks.push(check(
                format!(
                    ">= {} sign-ins/s ({rows_label} rows)",
                    thousands(SIGN_INS_MIN as u64)
                ),
                format!("{:.0}/s", sign_ins.per_sec),
                sign_ins.per_sec >= SIGN_INS_MIN,
            ));
        }
        for scenario in [Scenario::About, Scenario::SignIn] {
            let (Some(b), Some(f), false) = (
                base.figures.get(&scenario),
                store.figures.get(&scenario),
                is_base,
            ) else {
                continue;
            };
            let change = (f.per_sec - b.per_sec) / b.per_sec;
            checks.push(check(
                format!(
                    "{} within {} of {} rows ({rows_label} rows)",
                    scenario.label(settings),
                    percent(GROWTH_MAX),
                    thousands(base.rows)
                ),
                format!("{:+.1}%", 100.0 * change),
                change.abs() <= GROWTH_MAX,
            ));
            // The same comparison in app CPU per request, which other work on the machine
            // moves far less than requests per second: a cost that grows with rows shows
            // here first.
            let b_cpu = b.app_cpu.as_secs_f64().max(1e-9);
            let change = (f.app_cpu.as_secs_f64() - b_cpu) / b_cpu;
            checks.push(check(
                format!(
                    "{}, app CPU each, at most {} above {} rows ({rows_label} rows)",
                    scenario.label(settings),
                    percent(GROWTH_MAX),
                    thousands(base.rows)
                ),
                format!("{:+.1}%", 100.0 * change),
                change <= GROWTH_MAX,
            ));
        }
        checks.push(check(
            format!(
                "peak RSS <= {} MB ({rows_label} rows)",
                PEAK_RSS_MAX_KIB / 1024
            ),
            format!("{:.1} MiB", peak as f64 / 1024.0),
            peak <= PEAK_RSS_MAX_KIB,
        ));
        let median = median(&store.starts);
        checks.push(check(
            format!(
                "start-up to first /health 200 < {} ms ({rows_label} rows, migrated)",
                START_MAX.as_millis()
            ),
            format!(
                "{} median of {}, max {}",
                millis(median),
                store.starts.len(),
                millis(store.starts.iter().max().copied().unwrap_or_default())
            ),
            median < START_MAX,
        ));
    }

    let vs_base = format!("vs {}", thousands(base.rows));
    let mut table = table_head(&[
        "scenario",
        "rows",
        "per s",
        "vs /health",
        &vs_base,
        "p50",
        "p99",
        "app CPU each",
        "errors",
    ]);
    for row in &rows {
        let _ = writeln!(table, "{}", markdown_row(row));
    }
    let _ = writeln!(table);
    let _ = writeln!(table, "| target | this run | met |\n|---|---|---|");
    for row in &checks {
        let _ = writeln!(table, "{}", markdown_row(row));
    }
    let _ = writeln!(table);
    for store in stores {
        let _ = writeln!(
            table,
            "- first start on an empty store ({} rows before seeding), migrations included: {}",
            thousands(store.rows),
            millis(store.first_start)
        );
    }
    for (store, &(peak, now)) in stores.iter().zip(memory) {
        let _ = writeln!(
            table,
            "- app memory with {} rows: peak (VmHWM) {:.1} MiB, at the end (VmRSS) {:.1} MiB",
            thousands(store.rows),
            peak as f64 / 1024.0,
            now as f64 / 1024.0
        );
    }
    for store in stores {
        let place = format!("with {} rows", thousands(store.rows));
        write_bench_cpu(&mut table, &store.figures, &place);
    }

    if let Some(postgres) = postgres {
        let _ = write!(table, "\n{}", postgres.report(settings, base));
    }

    let args: Vec<String> = std::env::args().skip(1).collect();
    let setup = format!(
        "`bench/run.sh{}{}`, {started_at}, on {} ({} cores), commit {}; 1-minute load \
         average {:.2} before the load and {:.2} after (other work on the machine lowers \
         every figure).\n\n\
         Each GET scenario: `wrk --threads 2 --connections {} --duration {}s --latency` \
         after a 2 s warm-up. Sign-ins: {} clients in the bench process, each going \
         `/login` -> fake authorize -> callback (token, `/user`, `/user/emails`) -> \
         `/about`, for {} s after a 2 s warm-up. {} round(s), the stores taking turns \
         scenario by scenario; the median round is shown. App: `target/release/gitlogin` \
         with `ROCKET_LOG_LEVEL=off` and default workers and pool. \"vs /health\" is \
         against the same store's `/health` in this run; \"app CPU each\" is the app's \
         CPU time (all threads) per request or sign-in.\n",
        if args.is_empty() { "" } else { " " },
        args.join(" "),
        host_name(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        git_revision(&settings.root),
        load.0,
        load.1,
        settings.connections,
        settings.seconds,
        settings.sign_in_clients,
        settings.seconds,
        settings.rounds,
    );
    let markdown = format!(
        "# Benchmark results\n\n\
         Written by `bench/run.sh` (the `bench` binary); everything above `## Findings` is \
         replaced on each run.\n\n{setup}\n{table}"
    );
    Report {
        table: format!("\n{setup}\n{table}"),
        markdown,
    }
}

fn check(what: String, value: String, met: bool) -> Vec<String> {
    vec![what, value, if met { "yes" } else { "**no**" }.to_owned()]
}

fn markdown_row<S: std::borrow::Borrow<str>>(cells: &[S]) -> String {
    format!("| {} |", cells.join(" | "))
}

/// A table's header row and the separator under it.
fn table_head(header: &[&str]) -> String {
    format!(
        "{}\n|{}\n",
        markdown_row(header),
        "---|".repeat(header.len())
    )
}

/// A table row: what was measured and where, the rate, `versus` (how it compares), the
/// latencies, the CPU each request took in the app and then in `more_cpu` (blank where
/// there is none), and the errors.
fn figure_cells(
    what: String,
    place: String,
    f: &Figures,
    versus: Vec<String>,
    more_cpu: &[Option<Duration>],
) -> Vec<String> {
    let mut cells = vec![what, place, format!("{:.0}", f.per_sec)];
    cells.extend(versus);
    cells.extend([millis(f.p50), millis(f.p99), micros(f.app_cpu)]);
    cells.extend(more_cpu.iter().map(|d| d.map_or(String::new(), micros)));
    cells.push(f.errors.to_string());
    cells
}

/// The line saying how much CPU this process spent on each sign-in at `place`, if sign-ins
/// were measured there.
fn write_bench_cpu(out: &mut String, figures: &HashMap<Scenario, Figures>, place: &str) {
    if let Some(f) = figures.get(&Scenario::SignIn) {
        let _ = writeln!(
            out,
            "- this process (driver and fake GitHub) used {} of CPU per sign-in {place}",
            micros(f.bench_cpu)
        );
    }
}

/// Replaces the figures in `results.md`, keeping its `## Findings` section.
fn write_results(path: &Path, markdown: &str) -> Result<(), String> {
    let findings = std::fs::read_to_string(path)
        .ok()
        // The heading on a line of its own; the introduction names it in passing.
        .and_then(|old| old.find("\n## Findings\n").map(|i| old[i + 1..].to_owned()));
    let mut text = markdown.to_owned();
    if let Some(findings) = findings {
        text.push('\n');
        text.push_str(&findings);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn median(values: &[Duration]) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

/// `0.5` as `50%`.
fn percent(fraction: f64) -> String {
    format!("{:.0}%", 100.0 * fraction)
}

fn micros(d: Duration) -> String {
    format!("{} µs", d.as_micros())
}

fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// `1000000` as `1,000,000`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn utc_now() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute()
    )
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "this machine".into())
}

/// The commit measured, marked `+dirty` when the work tree has changes.
fn git_revision(root: &Path) -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let Some(commit) = git(&["rev-parse", "--short", "HEAD"]) else {
        return "unknown".into();
    };
    match git(&["status", "--porcelain", "--untracked-files=no"]) {
        Some(changes) if !changes.is_empty() => format!("{commit}+dirty"),
        _ => commit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_output() {
        let text = "Running 10s test @ http://127.0.0.1:8000/health
  2 threads and 64 connections
  Latency Distribution
     50%  812.00us
     75%    1.20ms
     90%    2.00ms
     99%    4.50ms
  256000 requests in 10.00s, 50.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 3
Requests/sec:  25600.50
Transfer/sec:      5.00MB
";
        let f = parse_wrk(text).unwrap();
        assert_eq!(f.per_sec, 25600.5);
        assert_eq!(f.p50, Duration::from_micros(812));
        assert_eq!(f.p99, Duration::from_micros(4500));
        assert_eq!(f.errors, 6);
        assert_eq!(f.count, 256000);
        assert!(parse_wrk("wrk: connection refused").is_none());
    }

    #[test]
    fn tampering_changes_one_character() {
        let cookie = "gitlogin_session=abc%2Bdefghij";
        let tampered = tamper(cookie);
        assert_ne!(tampered, cookie);
        assert_eq!(tampered.len(), cookie.len());
        assert!(tampered.starts_with("gitlogin_session=abc%2B"));
    }

    #[test]
    fn results_keep_the_findings() {
        let path = std::env::temp_dir().join(format!("bench-results-{}.md", std::process::id()));
        let intro = "# Benchmark results\n\nEverything above `## Findings` is replaced.\n";
        write_results(&path, &format!("{intro}| run 1 |\n")).unwrap();
        let first = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{first}\n## Findings\n\nWhy.\n")).unwrap();
        write_results(&path, &format!("{intro}| run 2 |\n")).unwrap();
        let second = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        assert_eq!(second, format!("{intro}| run 2 |\n\n## Findings\n\nWhy.\n"));
    }

    #[test]
    fn reads_the_parent_from_proc_stat() {
        // The command name may hold spaces and parentheses; the fields after it do not.
        let stat = "4242 (postgres: a (b) c) S 4100 4242 4100 0 -1 4194560 212 0 0 0 3 1";
        assert_eq!(parent_pid(stat), Some(4100));
        assert_eq!(parent_pid(""), None);
        let me = std::fs::read_to_string("/proc/self/stat").unwrap();
        assert_eq!(parent_pid(&me), Some(std::os::unix::process::parent_id()));
    }

    #[test]
    fn reads_cpu_times_from_proc_stat() {
        // utime 3, stime 1, cutime 5, cstime 7 ticks of 10 ms.
        let stat = "4242 (postgres: a (b) c) S 4100 4242 4100 0 -1 4194560 212 0 0 0 3 1 5 7 20";
        assert_eq!(stat_cpu(stat, &[11, 12]), Duration::from_millis(40));
        assert_eq!(
            stat_cpu(stat, &[11, 12, 13, 14]),
            Duration::from_millis(160)
        );
        assert_eq!(stat_cpu("", &[11, 12]), Duration::ZERO);
    }

    #[test]
    fn postgres_rows_follow_the_flags() {
        let settings = |scenarios: &[Scenario], postgres| Settings {
            seconds: 1,
            connections: 1,
            sign_in_clients: 1,
            stores: vec![1_000],
            starts: 1,
            rounds: 1,
            scenarios: scenarios.to_vec(),
            hold: false,
            postgres,
            root: PathBuf::new(),
            results: PathBuf::new(),
        };
        assert!(settings(&Scenario::ALL, true).measures_postgres());
        assert!(settings(&[Scenario::SignIn], true).measures_postgres());
        assert!(!settings(&Scenario::ALL, false).measures_postgres());
        assert!(!settings(&[Scenario::Health, Scenario::Home], true).measures_postgres());
    }

    #[test]
    fn the_median_round_counts() {
        let round = |per_sec| Figures {
            per_sec,
            ..Figures::default()
        };
        let runs = HashMap::from([(Scenario::About, vec![round(3.0), round(1.0), round(2.0)])]);
        assert_eq!(median_rounds(runs)[&Scenario::About].per_sec, 2.0);
    }

    #[test]
    fn formats_table_rows() {
        assert_eq!(table_head(&["a", "b"]), "| a | b |\n|---|---|\n");
        let f = Figures {
            per_sec: 1234.4,
            p50: Duration::from_millis(1),
            p99: Duration::from_millis(2),
            errors: 3,
            app_cpu: Duration::from_micros(56),
            database_cpu: Some(Duration::from_micros(7)),
            ..Figures::default()
        };
        let cells = figure_cells(
            "what".into(),
            "where".into(),
            &f,
            vec!["50%".into()],
            &[f.database_cpu, f.proxy_cpu],
        );
        assert_eq!(
            markdown_row(&cells),
            "| what | where | 1234 | 50% | 1.00 ms | 2.00 ms | 56 µs | 7 µs |  | 3 |"
        );
    }

    #[test]
    fn formats_figures() {
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(percent(GROWTH_MAX), "10%");
        assert_eq!(percentile(&[Duration::from_millis(1)], 0.99).as_millis(), 1);
    }
}
