//! A real nginx (Debian's package) running the README's `examples/nginx/gitlogin.conf`,
//! moved to free ports, in front of one or more gitlogin instances and of an internal app
//! that records what nginx forwards to it.

use gitlogin::ops::loopback;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::helpers::not_installed;
use crate::real_server::{no_redirects, Server};

const NGINX: &str = "/usr/sbin/nginx";

/// A running nginx, stopped when dropped.
pub struct Nginx {
    _process: Server,
    /// The protected app behind `/internal/`.
    pub internal: InternalApp,
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
        let internal = InternalApp::start().await;
        std::fs::write(
            dir.join("nginx.conf"),
            config(dir, listen, apps, internal.port),
        )
        .unwrap();
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
        Some(Nginx {
            _process: server,
            internal,
        })
    }
}

/// The example as the README shows it, with its addresses changed, inside a minimal nginx
/// config. Several instances are the README's `upstream` block: nginx's default balancing
/// is round-robin.
fn config(dir: &Path, listen: u16, apps: &[u16], internal: u16) -> String {
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
            "http://127.0.0.1:9000",
            &format!("http://127.0.0.1:{internal}"),
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

/// The protected app: answers every request with who nginx says is calling, and records the
/// headers it was sent, so tests can see what reached it.
pub struct InternalApp {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// One request as the internal app received it: its URI and headers (names lowercased).
#[derive(Debug, Clone)]
pub struct Seen {
    pub uri: String,
    pub headers: Vec<(String, String)>,
}

impl Seen {
    /// Every value of header `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

impl InternalApp {
    async fn start() -> InternalApp {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let rocket = rocket::custom(loopback::figment(0))
            .manage(seen.clone())
            .mount("/", rocket::routes![internal_page]);
        let port = loopback::launch(rocket)
            .await
            .expect("the app did not start")
            .port;
        InternalApp { port, seen }
    }

    /// The requests that reached the app so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

struct Recorded(String);

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for Recorded {
    type Error = ();

    async fn from_request(
        req: &'r rocket::Request<'_>,
    ) -> rocket::request::Outcome<Self, Self::Error> {
        let headers = req
            .headers()
            .iter()
            .map(|h| (h.name().as_str().to_ascii_lowercase(), h.value().to_owned()))
            .collect();
        let seen = req.rocket().state::<Arc<Mutex<Vec<Seen>>>>().unwrap();
        seen.lock().unwrap().push(Seen {
            uri: req.uri().to_string(),
            headers,
        });
        let h = req.headers();
        let said = format!(
            "Hello, {} (GitHub id {}).",
            h.get_one("X-Forwarded-User").unwrap_or("nobody"),
            h.get_one("X-Forwarded-Github-Id").unwrap_or("none"),
        );
        rocket::request::Outcome::Success(Recorded(said))
    }
}

#[rocket::get("/<_..>")]
fn internal_page(recorded: Recorded) -> String {
    recorded.0
}
