//! A throwaway PostgreSQL cluster: Debian's `postgresql` binaries, `initdb` in a temp
//! directory, the server on a free loopback port, a database per test or per benchmark setup.
//!
//! Durability is not under test: `fsync=off` and `full_page_writes=off` make commits and
//! `CREATE DATABASE` cheap, and a commit still reaches the OS before it is acknowledged, so an
//! immediate stop loses nothing. `initdb` refuses to run as root, so as root (CI) every
//! PostgreSQL program runs as the `postgres` user that Debian's package creates.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sqlx::{Connection, Executor, PgConnection};

use crate::process::{after_exit, children_of, run, running_as_root, signal};

/// What to tell someone who has no PostgreSQL.
pub const INSTALL: &str = "apt-get install postgresql";

/// A running cluster; stopped and deleted when dropped, or by its watchdog once the process
/// that started it is gone.
pub struct Cluster {
    pub port: u16,
    bin: PathBuf,
    dir: PathBuf,
}

impl Cluster {
    /// `initdb` and start a cluster on `port`; `Ok(None)` when PostgreSQL is not installed.
    pub fn start(port: u16) -> Result<Option<Cluster>, String> {
        let Some(bin) = bin_dir() else {
            return Ok(None);
        };
        let dir = std::env::temp_dir().join(format!("gitlogin-pg-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        // From here on, dropping `cluster` (on any error below too) stops and deletes it.
        let cluster = Cluster { port, bin, dir };
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
        cluster.resume()?;
        Ok(Some(cluster))
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// A new, empty database `name`; returns its URL.
    pub async fn create_database(&self, name: &str) -> Result<String, String> {
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

    /// Stops the server at once, as a crash looks to its clients: their sockets close. (A cut
    /// network would look different: no answer at all, until a timeout.)
    pub fn stop(&self) -> Result<(), String> {
        run(self
            .command("pg_ctl")
            .args(["stop", "--mode=immediate", "--silent", "-D"])
            .arg(self.data()))
    }

    /// Starts the (stopped) server again on the same port and waits until it accepts.
    pub fn resume(&self) -> Result<(), String> {
        let options = format!(
            "-h 127.0.0.1 -p {} -k {} -c fsync=off -c full_page_writes=off -c max_connections=300",
            self.port,
            self.dir.display()
        );
        run(self
            .command("pg_ctl")
            .args(["start", "--wait", "--silent", "-o", &options, "-l"])
            .arg(self.dir.join("server.log"))
            .arg("-D")
            .arg(self.data()))
    }

    /// Stops every process of the server (SIGSTOP) until the guard is dropped: the server
    /// hangs with its sockets open, as a stalled disk or a cut network looks to its clients.
    pub fn freeze(&self) -> Frozen {
        let postmaster = self.server_pid();
        // The postmaster first: stopped, it can start no more children. Then its children (one
        // backend per connection, and its helpers); one may have exited since.
        let mut frozen = Frozen { pids: Vec::new() };
        assert!(signal("STOP", postmaster), "could not stop the postmaster");
        frozen.pids.push(postmaster);
        for child in children_of(postmaster) {
            if signal("STOP", child) {
                frozen.pids.push(child);
            }
        }
        frozen
    }

    /// The postmaster's PID (the first line of `postmaster.pid`); every backend and
    /// background process is its child.
    pub fn server_pid(&self) -> u32 {
        std::fs::read_to_string(self.data().join("postmaster.pid"))
            .ok()
            .and_then(|text| text.lines().next()?.trim().parse().ok())
            .unwrap_or(0)
    }

    /// `PostgreSQL 15.18`.
    pub fn version(&self) -> String {
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
        // Nothing may keep a test's stdout open after the test is done.
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        command
    }

    /// Once this process is gone, stops the server and deletes its files.
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
        let _ = self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A frozen server; dropping it (also when a test panics) lets the server run on.
pub struct Frozen {
    pids: Vec<u32>,
}

impl Drop for Frozen {
    /// Never panics: this may run while a failed test unwinds.
    fn drop(&mut self) {
        for &pid in &self.pids {
            signal("CONT", pid);
        }
    }
}

/// Debian installs each major version under `/usr/lib/postgresql/N/bin`, off the `PATH`;
/// the newest is used.
pub fn bin_dir() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let major = entry.file_name().to_str()?.parse().ok()?;
            Some((major, entry.path().join("bin")))
        })
        .filter(|(_, bin): &(u32, PathBuf)| has_programs(bin))
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn has_programs(bin: &Path) -> bool {
    bin.join("initdb").exists() && bin.join("pg_ctl").exists()
}
