//! A throwaway PostgreSQL for the tests: Debian's `postgresql` binaries, `initdb` in a temp
//! dir, the server on a free loopback port, one database per test.
//!
//! [`shared`] starts one cluster per test process, for every test that only needs a database;
//! a test that stops the server starts its own with [`Cluster::start`]. Each cluster has a
//! watchdog (a shell loop) that stops it and deletes its files once the test process is gone,
//! since a test binary has no hook that runs at exit.
//!
//! `initdb` refuses to run as root, so as root (CI) every PostgreSQL command runs as the
//! `postgres` user that Debian's package creates.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use rocket_db_pools::sqlx::{Connection, Executor, PgConnection};

use crate::helpers::not_installed;

pub struct Cluster {
    pub port: u16,
    bin: PathBuf,
    dir: PathBuf,
}

/// The process's shared cluster, started on first use. `None` when PostgreSQL is not
/// installed, after one line on stderr saying how to get it; under `CI` that is a failure.
pub fn shared() -> Option<&'static Cluster> {
    static SHARED: OnceLock<Option<Cluster>> = OnceLock::new();
    SHARED.get_or_init(Cluster::start).as_ref()
}

impl Cluster {
    /// `initdb` and start a new cluster; `None` (and the line on stderr) without PostgreSQL.
    pub fn start() -> Option<Cluster> {
        let Some(bin) = bin_dir() else {
            not_installed("PostgreSQL", "apt-get install postgresql");
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("gitlogin-pg")
            .tempdir()
            .unwrap()
            .keep();
        let cluster = Cluster {
            port: crate::real_server::free_port(),
            bin,
            dir,
        };
        cluster.watch();
        if running_as_root() {
            run(Command::new("chown")
                .arg("-R")
                .arg("postgres:")
                .arg(&cluster.dir));
        }
        run(cluster
            .command("initdb")
            .args([
                "--auth=trust",
                "--username=postgres",
                "--no-sync",
                "--encoding=UTF8",
            ])
            .args(["--locale=C", "-D"])
            .arg(cluster.data()));
        cluster.resume();
        Some(cluster)
    }

    /// A new, empty database; returns its URL.
    pub async fn create_database(&self) -> String {
        let name = format!("test_{:016x}", rand::random::<u64>());
        let mut admin = PgConnection::connect(&self.url("postgres")).await.unwrap();
        admin
            .execute(&*format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        admin.close().await.unwrap();
        self.url(&name)
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Stops the server at once, as a crash of the server looks to the app: its sockets close.
    /// (A cut network would look different: no answer at all, until the pool's timeout.)
    pub fn stop(&self) {
        run(self
            .command("pg_ctl")
            .args(["stop", "--mode=immediate", "--silent", "-D"])
            .arg(self.data()));
    }

    /// Stops every process of the server (SIGSTOP) until the guard is dropped: the server
    /// hangs with its sockets open, as a stalled disk or a cut network looks to the app.
    pub fn freeze(&self) -> Frozen {
        let pid_file = std::fs::read_to_string(self.data().join("postmaster.pid")).unwrap();
        let postmaster = pid_file.lines().next().unwrap().trim().to_owned();
        // The postmaster first: stopped, it can start no more children. Then its children (one
        // backend per connection, and its helpers), from `/proc`; one may have exited since.
        let mut frozen = Frozen { pids: Vec::new() };
        assert!(signal("STOP", &postmaster), "could not stop the postmaster");
        frozen.pids.push(postmaster.clone());
        for child in children_of(&postmaster) {
            if signal("STOP", &child) {
                frozen.pids.push(child);
            }
        }
        frozen
    }

    /// Starts the (stopped) server again on the same port and waits until it accepts.
    pub fn resume(&self) {
        let options = format!(
            // Surviving a power cut is not under test: without fsync, CREATE DATABASE and
            // commits are cheap. Commits still reach the OS before they are acknowledged, so
            // the outage test's immediate stop loses nothing.
            "-h 127.0.0.1 -p {} -k {} -c fsync=off -c full_page_writes=off \
             -c max_connections=300",
            self.port,
            self.dir.display()
        );
        run(self
            .command("pg_ctl")
            .args(["start", "--wait", "--silent", "-o", &options, "-l"])
            .arg(self.dir.join("server.log"))
            .arg("-D")
            .arg(self.data()));
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// One of PostgreSQL's programs, as the `postgres` user when we are root.
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        let mut cmd = if running_as_root() {
            let mut cmd = Command::new("setpriv");
            cmd.args(["--reuid=postgres", "--regid=postgres", "--init-groups"])
                .arg(program);
            cmd
        } else {
            Command::new(program)
        };
        // Nothing may keep the test's stdout open after the test is done.
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cmd
    }

    /// The watchdog: waits for this process to end, then stops the server and removes
    /// the cluster's files. Never waited for: it must outlive us.
    #[allow(clippy::zombie_processes)]
    fn watch(&self) {
        let stop = self.command("pg_ctl");
        let stop: Vec<_> = std::iter::once(stop.get_program())
            .chain(stop.get_args())
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let script = "while kill -0 \"$1\" 2>/dev/null; do sleep 1; done; \
                      shift 2; \"$@\" stop --mode=immediate -D \"$DATA\"; rm -rf \"$DIR\"";
        Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg("sh")
            .arg(std::process::id().to_string())
            .arg("--")
            .args(stop)
            .env("DATA", self.data())
            .env("DIR", &self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
    }
}

/// A frozen server; dropping it (also when a test panics) lets the server run on.
pub struct Frozen {
    pids: Vec<String>,
}

impl Drop for Frozen {
    /// Never panics: this may run while a failed test unwinds.
    fn drop(&mut self) {
        for pid in &self.pids {
            signal("CONT", pid);
        }
    }
}

fn children_of(parent: &str) -> Vec<String> {
    let entries = std::fs::read_dir("/proc").unwrap();
    entries
        .filter_map(|entry| {
            let pid = entry.ok()?.file_name().into_string().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // `pid (comm) state ppid …`; comm may hold spaces, so split after its `)`.
            let ppid = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?;
            (ppid == parent).then_some(pid)
        })
        .collect()
}

/// `kill -NAME pid`; false if the process is gone.
fn signal(name: &str, pid: &str) -> bool {
    Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Debian installs each major version under `/usr/lib/postgresql/N/bin`, off the `PATH`.
fn bin_dir() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    found.sort_by_key(|bin| major_version(bin));
    found.pop()
}

fn major_version(bin: &Path) -> u32 {
    let version = bin.parent().and_then(Path::file_name);
    version.and_then(|v| v.to_str()?.parse().ok()).unwrap_or(0)
}

fn running_as_root() -> bool {
    static ROOT: OnceLock<bool> = OnceLock::new();
    *ROOT.get_or_init(|| {
        let id = Command::new("id").arg("-u").output().unwrap();
        String::from_utf8_lossy(&id.stdout).trim() == "0"
    })
}

fn run(cmd: &mut Command) {
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "{:?} failed: {}",
        cmd.get_program(),
        String::from_utf8_lossy(&output.stderr)
    );
}
