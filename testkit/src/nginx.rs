//! nginx (Debian's package) with a config of the caller's, every file it writes kept in one
//! directory, stopped when dropped and by a watchdog if we are killed first.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::process::{children_of, spawn_watched, wait_ready};

/// What to tell someone who has no nginx.
pub const INSTALL: &str = "apt-get install nginx";

/// nginx's binary: Debian puts it in /usr/sbin, which may not be on a user's `PATH`.
pub fn binary() -> Option<PathBuf> {
    crate::process::installed("nginx", "/usr/sbin/nginx")
}

/// `nginx version: nginx/1.22.1` -> `nginx 1.22.1`.
pub fn version(binary: &Path) -> String {
    let output = Command::new(binary).arg("-v").output();
    let text = output
        .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
        .unwrap_or_default();
    match text.trim().rsplit_once("nginx/") {
        Some((_, version)) => format!("nginx {version}"),
        None => "nginx".into(),
    }
}

/// A whole nginx config around `http` (the inside of its `http` block): every file nginx
/// writes goes to `dir`.
pub fn config(dir: &Path, http: &str) -> String {
    let d = dir.display();
    format!(
        "daemon off;\n\
         worker_processes auto;\n\
         error_log {d}/error.log;\n\
         pid {d}/nginx.pid;\n\
         events {{\n    worker_connections 1024;\n}}\n\
         http {{\n\
         \x20   client_body_temp_path {d}/body;\n\
         \x20   proxy_temp_path {d}/proxy;\n\
         \x20   fastcgi_temp_path {d}/fastcgi;\n\
         \x20   uwsgi_temp_path {d}/uwsgi;\n\
         \x20   scgi_temp_path {d}/scgi;\n\
         {http}}}\n"
    )
}

/// A running nginx (master and workers), stopped when dropped.
pub struct Nginx {
    child: Option<Child>,
}

impl Nginx {
    /// Writes [`config`]`(dir, http)` into `dir`, starts nginx and waits (up to 10 s) until
    /// every URL of `ready` answers 200.
    pub async fn start(
        binary: &Path,
        dir: &Path,
        http: &str,
        ready: &[String],
    ) -> Result<Nginx, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let conf = dir.join("nginx.conf");
        std::fs::write(&conf, config(dir, http)).map_err(|e| format!("{}: {e}", conf.display()))?;
        let mut command = Command::new(binary);
        command.arg("-p").arg(dir).arg("-c").arg(&conf);
        command.stderr(Stdio::null());
        let mut nginx = Nginx {
            child: Some(spawn_watched(&mut command, binary)?),
        };
        let child = nginx.child.as_mut().expect("just started");
        wait_ready(child, "nginx", ready, &dir.join("error.log")).await?;
        Ok(nginx)
    }

    /// The master's PID; its children are the workers.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// SIGTERM (nginx's fast shutdown: the master stops its workers), then SIGKILL for
    /// whatever is left after five seconds. Killing only the master would leave the workers
    /// holding the ports.
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let workers = children_of(child.id());
        if crate::process::terminate(&mut child) {
            return;
        }
        for worker in workers {
            crate::process::signal("KILL", worker);
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.stop();
    }
}
