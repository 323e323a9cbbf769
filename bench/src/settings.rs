//! What a run measures, from the command line.

// The other modules' items, through the crate root (main.rs re-exports them).
#[allow(unused_imports)]
use crate::*;
use std::path::PathBuf;

/// What a run measures; `--help` lists the flags that change it.
pub(crate) struct Settings {
    /// Seconds each measurement lasts (after a short warm-up).
    pub(crate) seconds: u64,
    /// wrk's open connections.
    pub(crate) connections: u32,
    /// Concurrent sign-in clients.
    pub(crate) sign_in_clients: usize,
    /// Concurrent clients of the provider's flows (refresh grants, code exchanges), each an
    /// app's server with a token family or code flow of its own.
    pub(crate) flow_clients: usize,
    /// Users (and sessions) seeded in each store, smallest first: the first is the baseline
    /// the others are compared with.
    pub(crate) stores: Vec<u64>,
    /// Live refresh families seeded into every store but the first (`family_seed.rs`).
    pub(crate) families: u64,
    /// Start-ups timed per store; the median is reported.
    pub(crate) starts: usize,
    /// Times each measurement is repeated (alternating stores each time); the median counts.
    pub(crate) rounds: usize,
    /// What to measure (all of them unless `--only` says otherwise).
    pub(crate) scenarios: Vec<Scenario>,
    /// Stop before the load, print each app's address, PID and session cookie, and wait
    /// for Enter: time to attach `perf record -p PID` or run wrk by hand.
    pub(crate) hold: bool,
    /// Measure PostgreSQL (one and two instances) beside SQLite; `--no-postgres` turns it off.
    pub(crate) postgres: bool,
    /// The apps' `ROCKET_LOG_LEVEL`: `off` by default; `normal` writes their access and
    /// event lines (to a file in the work directory), as a deployment does.
    pub(crate) app_log: String,
    pub(crate) root: PathBuf,
    pub(crate) results: PathBuf,
}

impl Settings {
    pub(crate) fn from_args() -> Result<Settings, String> {
        Settings::parse(std::env::args().skip(1))
    }

    /// The settings `args` (the command line, without the program) ask for.
    pub(crate) fn parse(mut args: impl Iterator<Item = String>) -> Result<Settings, String> {
        // The repository: the benchmark crate is its `bench/` folder.
        let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
        let mut settings = Settings {
            seconds: 10,
            connections: 64,
            sign_in_clients: 8,
            flow_clients: 8,
            stores: vec![1_000, 1_000_000],
            families: 10_000,
            starts: 5,
            rounds: 3,
            scenarios: Scenario::ALL.to_vec(),
            hold: false,
            postgres: true,
            app_log: "off".into(),
            results: root.join("bench/results.md"),
            root,
        };
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
                "--flow-clients" => settings.flow_clients = value.parse().map_err(bad)?,
                "--families" => settings.families = value.parse().map_err(bad)?,
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
                "--app-log" => settings.app_log = value,
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
        // Their rows are read as a share of `GET /` measured in the same run.
        let beside_home = |s: &Scenario| Scenario::BESIDE_HOME.contains(s);
        if settings.scenarios.iter().any(beside_home)
            && !settings.scenarios.contains(&Scenario::Home)
        {
            settings.scenarios.insert(0, Scenario::Home);
        }
        if settings.stores.is_empty()
            || settings.flow_clients == 0
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
    pub(crate) fn measures_postgres(&self) -> bool {
        self.postgres
            && postgres::SCENARIOS
                .iter()
                .any(|s| self.scenarios.contains(s))
    }
}

pub(crate) const USAGE: &str = "usage: bench [--seconds 10] [--connections 64] [--clients 8] \
[--flow-clients 8] [--stores 1000,1000000] [--families 10000] [--app-log off|normal]
[--rounds 3] [--starts 5]
[--results bench/results.md] [--hold] [--no-postgres]
[--only health,home,about,tampered,sign-ins,client-credentials,introspect,forward-auth,
forward-auth-app,userinfo,jwks,discovery,refresh,code-exchange]

--only with forward-auth, forward-auth-app, userinfo, jwks, discovery, refresh or
code-exchange measures home too: those rows are read as a share of GET /.
--families: live refresh families of the provider's app seeded into every store but the
first (with userinfo, refresh or code-exchange in the run), so that those rows compare a few
families with that many.
--no-postgres: SQLite only. Otherwise the PostgreSQL rows (every scenario but health, home
and tampered) need PostgreSQL and nginx: apt-get install -y postgresql nginx";
