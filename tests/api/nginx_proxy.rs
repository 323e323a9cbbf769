//! A real nginx (Debian's package) running the README's `examples/nginx/gitlogin.conf`,
//! moved to free ports, in front of one or more gitlogin instances.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::not_installed;
use crate::real_server::{no_redirects, Server};

const NGINX: &str = "/usr/sbin/nginx";

/// A running nginx, stopped when dropped.
pub struct Nginx {
    _process: Server,
}

impl Nginx {
    /// The example's `server` block on `listen`, its `proxy_pass` sending requests round-robin
    /// to the instances on `apps`, and every file nginx writes kept in `dir`. `None` when nginx
    /// is not installed (after one line saying how to get it); under `CI`, a failure instead.
    pub async fn start(dir: &Path, listen: u16, apps: &[u16]) -> Option<Nginx> {
        if !Path::new(NGINX).exists() {
            not_installed("nginx", "apt-get install nginx");
            return None;
        }
        std::fs::write(dir.join("nginx.conf"), config(dir, listen, apps)).unwrap();
        let server = Server(
            Command::new(NGINX)
                .args(["-p", &dir.display().to_string(), "-c"])
                .arg(dir.join("nginx.conf"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let url = format!("http://127.0.0.1:{listen}");
        let http = no_redirects();
        let mut waited = 0;
        while http.get(format!("{url}/health")).send().await.is_err() {
            waited += 1;
            assert!(
                waited < 200,
                "nginx did not start: {}",
                std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
            );
            rocket::tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Some(Nginx { _process: server })
    }
}

/// The example as the README shows it, with its addresses changed, inside a minimal nginx
/// config. Several instances are the README's `upstream` block: nginx's default balancing
/// is round-robin.
fn config(dir: &Path, listen: u16, apps: &[u16]) -> String {
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/nginx/gitlogin.conf"
    ))
    .unwrap();
    let server = example
        .replace(
            "listen 127.0.0.1:8080;",
            &format!("listen 127.0.0.1:{listen};"),
        )
        .replace("http://127.0.0.1:8000", "http://gitlogin")
        .replace(
            "root /var/www/gitlogin-example;",
            concat!("root ", env!("CARGO_MANIFEST_DIR"), "/examples/nginx/site;"),
        );
    assert_ne!(server, example, "the example's addresses moved");
    let upstream: String = apps
        .iter()
        .map(|port| format!("    server 127.0.0.1:{port};\n"))
        .collect();
    let d = dir.display();
    format!(
        "daemon off;\nmaster_process off;\nerror_log {d}/error.log;\npid {d}/nginx.pid;\n\
         events {{}}\nhttp {{\n  access_log {d}/access.log;\n  client_body_temp_path {d}/body;\n\
         proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n\
         scgi_temp_path {d}/scgi;\nupstream gitlogin {{\n{upstream}}}\n{server}\n}}\n"
    )
}
