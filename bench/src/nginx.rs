//! nginx in front of gitlogin instances, for the PostgreSQL rows: Debian's package, a
//! config of its own in a temp directory, one `server` per setup on a free loopback port,
//! each proxying round-robin (nginx's default) to its `upstream` of instances.
//!
//! The config is what a deployment that cares about speed would use, not docs/running.md's
//! minimal example: HTTP/1.1 with kept-alive connections to the instances (without them,
//! every request opens a new connection to the app and 64 wrk connections run the loopback
//! out of ports), and no access log.

use std::path::Path;

pub use gitlogin_testkit::nginx::{binary, version, Nginx};

/// One `server`: what it listens on, and the instances it sends requests to.
pub struct Site {
    pub listen: u16,
    pub apps: Vec<u16>,
}

/// Starts nginx with `sites`, its files in `dir`, and waits until every site answers
/// `/health` with 200 (through to the instances behind it).
pub async fn start(binary: &Path, dir: &Path, sites: &[Site]) -> Result<Nginx, String> {
    let ready: Vec<String> = sites
        .iter()
        .map(|site| format!("http://127.0.0.1:{}/health", site.listen))
        .collect();
    Nginx::start(binary, dir, &http_block(sites), &ready).await
}

/// The inside of the `http` block: an `upstream` and a `server` per site, no access log.
fn http_block(sites: &[Site]) -> String {
    let mut http = String::from("    access_log off;\n");
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
    http
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
        let conf = gitlogin_testkit::nginx::config(Path::new("/tmp/x"), &http_block(&sites));
        assert!(conf.contains("pid /tmp/x/nginx.pid;"));
        let second = conf.split("upstream gitlogin_9002 {").nth(1).unwrap();
        let upstream = second.split('}').next().unwrap();
        assert!(upstream.contains("server 127.0.0.1:8002;"));
        assert!(upstream.contains("server 127.0.0.1:8003;"));
        assert!(!upstream.contains("8001"));
        assert!(conf.contains("listen 127.0.0.1:9002;"));
        assert!(conf.contains("proxy_pass http://gitlogin_9002;"));
        // One `location /` per site: every path the bench loads (the APIs' POSTs, the
        // well-known documents, /auth/check) reaches the instances.
        assert_eq!(conf.matches("location ").count(), 2);
        assert_eq!(conf.matches("location / {").count(), 2);
        // Balanced braces: nginx refuses the file otherwise.
        assert_eq!(conf.matches('{').count(), conf.matches('}').count());
    }
}
