//! nginx in front of gitlogin instances, for the PostgreSQL rows: Debian's package, a
//! config of its own in a temp directory, one `server` per setup on a free loopback port,
//! each proxying round-robin (nginx's default) to its `upstream` of instances.
//!
//! The config is what a deployment that cares about speed would use, not the README's
//! minimal example: HTTP/1.1 with kept-alive connections to the instances (without them,
//! every request opens a new connection to the app and 64 wrk connections run the loopback
//! out of ports), and no access log.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{after_exit, children_of, poll_health, Unhealthy};

/// One `server`: what it listens on, and the instances it sends requests to.
pub struct Site {
    pub listen: u16,
    pub apps: Vec<u16>,
}

/// A running nginx (master and workers), stopped when dropped.
pub struct Nginx {
    child: Option<Child>,
}

/// nginx's binary: Debian puts it in /usr/sbin, which may not be on a user's `PATH`.
pub fn binary() -> Option<PathBuf> {
    let in_path = std::env::var_os("PATH").into_iter().flat_map(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("nginx"))
            .collect::<Vec<_>>()
    });
    std::iter::once(PathBuf::from("/usr/sbin/nginx"))
        .chain(in_path)
        .find(|candidate| candidate.is_file())
        // As `/proc/PID/exe` names it, for the watchdog in `start`.
        .map(|found| found.canonicalize().unwrap_or(found))
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

impl Nginx {
    /// Writes the config into `dir`, starts nginx and waits until every site answers
    /// `/health` with 200 (through to the instances behind it).
    pub async fn start(binary: &Path, dir: &Path, sites: &[Site]) -> Result<Nginx, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let conf = dir.join("nginx.conf");
        std::fs::write(&conf, config(dir, sites))
            .map_err(|e| format!("{}: {e}", conf.display()))?;
        let child = Command::new(binary)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        // If the bench is killed, nothing else would stop nginx (it would keep its ports):
        // the master's PID, as long as it is still nginx, gets the same SIGTERM as `stop`.
        let pid = child.id().to_string();
        let mut nginx = Nginx { child: Some(child) };
        after_exit(
            "[ \"$(readlink /proc/$PID/exe)\" = \"$BIN\" ] && kill -TERM \"$PID\"",
            &[("PID", pid.as_ref()), ("BIN", binary.as_os_str())],
        )?;
        let deadline = Instant::now() + Duration::from_secs(10);
        for site in sites {
            let url = format!("http://127.0.0.1:{}/health", site.listen);
            let every = Duration::from_millis(20);
            match poll_health(&url, &mut nginx.child, every, deadline).await {
                Ok(()) => {}
                Err(Unhealthy::NoClient(e)) => return Err(e),
                Err(Unhealthy::Exited(_) | Unhealthy::TimedOut) => {
                    let error_log = std::fs::read_to_string(dir.join("error.log"));
                    return Err(format!(
                        "nginx did not start: {}",
                        error_log.unwrap_or_default()
                    ));
                }
            }
        }
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
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        for worker in workers {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(worker.to_string())
                .status();
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A whole nginx config: every file nginx writes goes to `dir`.
fn config(dir: &Path, sites: &[Site]) -> String {
    let d = dir.display();
    let mut http = String::new();
    for site in sites {
        let servers: String = site
            .apps
            .iter()
            .map(|port| format!("        server 127.0.0.1:{port};\n"))
            .collect();
        let name = format!("gitlogin_{}", site.listen);
        http.push_str(&format!(
            "    upstream {name} {{\n{servers}        keepalive 64;\n    }}\n\
             \x20   server {{\n\
             \x20       listen 127.0.0.1:{listen};\n\
             \x20       location / {{\n\
             \x20           proxy_pass http://{name};\n\
             \x20           proxy_http_version 1.1;\n\
             \x20           proxy_set_header Connection \"\";\n\
             \x20           proxy_set_header Host $http_host;\n\
             \x20       }}\n\
             \x20   }}\n",
            listen = site.listen
        ));
    }
    format!(
        "daemon off;\n\
         worker_processes auto;\n\
         error_log {d}/error.log;\n\
         pid {d}/nginx.pid;\n\
         events {{\n    worker_connections 1024;\n}}\n\
         http {{\n\
         \x20   access_log off;\n\
         \x20   client_body_temp_path {d}/body;\n\
         \x20   proxy_temp_path {d}/proxy;\n\
         \x20   fastcgi_temp_path {d}/fastcgi;\n\
         \x20   uwsgi_temp_path {d}/uwsgi;\n\
         \x20   scgi_temp_path {d}/scgi;\n\
         {http}}}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_site_proxies_round_robin_to_its_own_instances() {
        let sites = [
            Site {
                listen: 9001,
                apps: vec![8001],
            },
            Site {
                listen: 9002,
                apps: vec![8002, 8003],
            },
        ];
        let conf = config(Path::new("/tmp/x"), &sites);
        assert!(conf.contains("pid /tmp/x/nginx.pid;"));
        let second = conf.split("upstream gitlogin_9002 {").nth(1).unwrap();
        let upstream = second.split('}').next().unwrap();
        assert!(upstream.contains("server 127.0.0.1:8002;"));
        assert!(upstream.contains("server 127.0.0.1:8003;"));
        assert!(!upstream.contains("8001"));
        assert!(conf.contains("listen 127.0.0.1:9002;"));
        assert!(conf.contains("proxy_pass http://gitlogin_9002;"));
        // Balanced braces: nginx refuses the file otherwise.
        assert_eq!(conf.matches('{').count(), conf.matches('}').count());
    }
}
