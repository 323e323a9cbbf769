//! A real nginx (Debian's package) running docs/services.md's `examples/nginx/gitlogin.conf`,
//! moved to free ports, in front of one or more gitlogin instances and of an internal app
//! that records what nginx forwards to it.

use std::path::Path;
use std::sync::{Arc, Mutex};

use gitlogin::ops::loopback;
use gitlogin_testkit::nginx;

use crate::helpers::not_installed;

/// A running nginx, stopped when dropped.
pub struct Nginx {
    _process: nginx::Nginx,
    /// The protected app behind `/internal/`.
    pub internal: InternalApp,
}

impl Nginx {
    /// The example's `server` block on `listen`, its `proxy_pass` sending requests round-robin
    /// to the instances on `apps`, and every file nginx writes kept in `dir`; the example's
    /// app registered, as its comment says, in the store at `database_url`. `None` when nginx
    /// is not installed (after one line saying how to get it); under `CI`, a failure instead.
    pub async fn start(dir: &Path, listen: u16, apps: &[u16], database_url: &str) -> Option<Nginx> {
        let Some(binary) = nginx::binary() else {
            not_installed("nginx", nginx::INSTALL);
            return None;
        };
        let host = format!("127.0.0.1:{listen}");
        let registered = crate::real_server::run_to_end(
            crate::real_server::gitlogin()
                .args(["apps", "add", "internal", "--host", &host])
                .env("DATABASE_URL", database_url),
        );
        assert!(registered.status.success(), "{registered:?}");
        let internal = InternalApp::start().await;
        let http = http_block(dir, listen, apps, internal.port);
        let ready = [format!("http://127.0.0.1:{listen}/health")];
        let process = nginx::Nginx::start(&binary, dir, &http, &ready)
            .await
            .unwrap();
        Some(Nginx {
            _process: process,
            internal,
        })
    }
}

/// The example as docs/services.md shows it, with its addresses changed. Several instances are
/// docs/running.md's `upstream` block: nginx's default balancing is round-robin.
fn http_block(dir: &Path, listen: u16, apps: &[u16], internal: u16) -> String {
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
    let access_log = dir.join("access.log");
    format!(
        "access_log {};\nupstream gitlogin {{\n{upstream}}}\n{server}\n",
        access_log.display()
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

    /// Every value of header `name` as a CGI-style app reads it (PHP-FPM, Python's WSGI,
    /// gunicorn before 22, Puma before 6.4.3): `X_Forwarded_User` and `X-Forwarded-User` are
    /// both `HTTP_X_FORWARDED_USER` there, so an underscore twin counts as the header itself.
    pub fn folded(&self, name: &str) -> Vec<&str> {
        let fold = |n: &str| n.replace('_', "-");
        self.headers
            .iter()
            .filter(|(n, _)| fold(n) == fold(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

impl InternalApp {
    pub async fn start() -> InternalApp {
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

    pub fn port(&self) -> u16 {
        self.port
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
