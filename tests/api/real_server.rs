//! The real `gitlogin` binary on a real socket, and a browser's part reduced to reqwest and
//! its cookie store: what the binary, nginx and multi-instance tests share.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gitlogin::github::fake::FakeGithub;
use reqwest::cookie::CookieStore;

use crate::helpers::{CLIENT_ID, CLIENT_SECRET};

/// The binary with none of the developer's own settings leaking in.
pub fn gitlogin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gitlogin"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    // Nothing of the environment the tests run in: each test sets what its binary reads.
    cmd.env_clear();
    cmd.stdin(Stdio::null());
    cmd
}

/// `target/release/gitlogin`, built by `cargo build --release` (`.ci/run` builds it before the
/// tests). `None` when it is missing, after one line saying how to build it; under `CI`, a
/// failure.
pub fn release_binary() -> Option<std::path::PathBuf> {
    let debug = std::path::PathBuf::from(env!("CARGO_BIN_EXE_gitlogin"));
    let release = debug.parent()?.parent()?.join("release").join("gitlogin");
    if release.exists() {
        return Some(release);
    }
    crate::helpers::not_installed("the release binary", "cargo build --release");
    None
}

/// A text log's lines without their timestamps, each checked to be RFC 3339 in UTC
/// (`2026-12-02T01:47:13.483570808Z`): every line the server writes starts with one.
pub fn log_lines(log: &str) -> Vec<&str> {
    log.lines()
        .map(|line| {
            let (stamp, rest) = line.split_once(' ').unwrap_or((line, ""));
            let parsed =
                time::OffsetDateTime::parse(stamp, &time::format_description::well_known::Rfc3339);
            assert!(
                parsed.is_ok_and(|t| t.offset().is_utc()) && stamp.ends_with('Z'),
                "a line without an RFC 3339 UTC timestamp: {line}"
            );
            rest
        })
        .collect()
}

/// Runs `cmd` to its end (30 s at most: a command that would serve instead fails the test),
/// its output captured.
pub fn run_to_end(cmd: &mut Command) -> std::process::Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_with_deadline(&mut child, Duration::from_secs(30)).expect("the command kept running");
    child.wait_with_output().unwrap()
}

pub fn wait_with_deadline(
    child: &mut Child,
    deadline: Duration,
) -> Option<std::process::ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    None
}

/// A running server, killed when dropped.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub use crate::helpers::free_port;

/// Starts the binary on a free port with a fresh store in `dir`, its output going to
/// `dir/server.log`, and waits until it answers.
pub async fn start_server(
    dir: &std::path::Path,
    configure: impl FnOnce(&mut Command),
) -> (Server, String) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let log = std::fs::File::create(dir.join("server.log")).unwrap();
    let mut cmd = gitlogin();
    cmd.env("ROCKET_PORT", port.to_string())
        .env("PUBLIC_URL", &base)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/app.db?mode=rwc", dir.display()),
        )
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    configure(&mut cmd);
    let server = Server(cmd.spawn().unwrap());
    wait_until_answering(&base, &dir.join("server.log")).await;
    (server, base)
}

/// Waits up to 30 s for the server at `base` to answer at all; if it never does, fails with
/// its log.
pub async fn wait_until_answering(base: &str, log: &std::path::Path) {
    let http = reqwest::Client::new();
    let started = Instant::now();
    while http.get(format!("{base}/health")).send().await.is_err() {
        if started.elapsed() > Duration::from_secs(30) {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            panic!("the server did not start:\n{log}");
        }
        rocket::tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A client that follows no redirect, so that a test sees every hop, and keeps no cookie: a
/// request with nothing of any browser's.
pub fn no_redirects() -> reqwest::Client {
    client().build().unwrap()
}

/// [`no_redirects`], trusting the certificates of a test's own CA (`ca`, PEM) too.
pub fn trusting(ca: &str) -> reqwest::Client {
    client().add_root_certificate(root(ca)).build().unwrap()
}

fn root(ca: &str) -> reqwest::Certificate {
    reqwest::Certificate::from_pem(ca.as_bytes()).unwrap()
}

fn client() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // Every wait a test makes is bounded: a broken sign-in fails fast, saying where.
        .timeout(Duration::from_secs(30))
}

/// A browser, reduced to what these tests need: reqwest with its own cookie store, following
/// no redirect, so that a test sees every hop. The store keeps and sends cookies by a
/// browser's rules, and those ignore ports: what a server on 127.0.0.1 sets goes to every
/// server on 127.0.0.1 (nginx, the instances behind it, the fake GitHub), as a browser would
/// send it. A clone is the same browser, its cookies shared; another person is another
/// `Browser::new()`.
#[derive(Clone)]
pub struct Browser {
    pub http: reqwest::Client,
    /// Its cookies, for a test that plants one (`add_cookie_str`) or reads one
    /// ([`Browser::cookie`]).
    pub jar: Arc<reqwest::cookie::Jar>,
}

impl Browser {
    pub fn new() -> Browser {
        Browser::built(client())
    }

    /// A browser whose machine trusts a test's own CA (`ca`, PEM).
    pub fn trusting(ca: &str) -> Browser {
        Browser::built(client().add_root_certificate(root(ca)))
    }

    fn built(client: reqwest::ClientBuilder) -> Browser {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let http = client.cookie_provider(jar.clone()).build().unwrap();
        Browser { http, jar }
    }

    /// A GET: its cookies sent, the answer's kept, no redirect followed.
    pub async fn get(&self, url: impl reqwest::IntoUrl) -> reqwest::Response {
        self.http.get(url).send().await.unwrap()
    }

    /// The cookies it would send to `url`, as name and value (still percent-encoded: as sent).
    pub fn cookies(&self, url: &str) -> Vec<(String, String)> {
        let url = reqwest::Url::parse(url).unwrap();
        let Some(header) = self.jar.cookies(&url) else {
            return Vec::new();
        };
        header
            .to_str()
            .unwrap()
            .split("; ")
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap();
                (name.to_owned(), value.to_owned())
            })
            .collect()
    }

    /// The value of the cookie `name` it would send to `url`, if it has one.
    pub fn cookie(&self, url: &str, name: &str) -> Option<String> {
        self.cookies(url)
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value)
    }
}

/// Points the binary at an in-process fake GitHub.
pub fn use_fake(cmd: &mut Command, github: &FakeGithub) {
    cmd.env("GITHUB_CLIENT_ID", CLIENT_ID)
        .env("GITHUB_CLIENT_SECRET", CLIENT_SECRET)
        .env("GITHUB_URL", &github.url)
        .env("GITHUB_API_URL", &github.url);
}

/// `login` (e.g. `/login?next=/about`), then the fake's authorize; returns the callback URL
/// GitHub sent the browser back to, not yet visited.
pub async fn begin_sign_in(browser: &Browser, base: &str, login: &str) -> String {
    begin_sign_in_at(browser, base, login, base).await
}

/// [`begin_sign_in`] on the instance at `base` of a site whose `PUBLIC_URL` is `public`.
pub async fn begin_sign_in_at(browser: &Browser, base: &str, login: &str, public: &str) -> String {
    let login = browser.get(format!("{base}{login}")).await;
    assert_eq!(login.status(), 303);
    let authorize = login.headers()["location"].to_str().unwrap().to_owned();
    let back = browser.get(&authorize).await;
    let callback = back.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        callback.starts_with(&format!("{public}/login/callback?")),
        "{callback}"
    );
    callback
}

/// The whole sign-in; returns the callback's response, whose cookies the browser keeps.
pub async fn sign_in(browser: &Browser, base: &str, login: &str) -> reqwest::Response {
    let callback = begin_sign_in(browser, base, login).await;
    browser.get(&callback).await
}

/// The CSRF token in the home page's sign-out form.
pub async fn csrf_token(browser: &Browser, base: &str) -> String {
    let home = browser.get(format!("{base}/")).await;
    let home = home.text().await.unwrap();
    let field = home
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .expect("not signed in");
    field.split('"').next().unwrap().to_owned()
}

/// Presses the sign-out button; returns the response, whose cookies the browser keeps.
pub async fn sign_out(browser: &Browser, base: &str) -> reqwest::Response {
    let csrf = csrf_token(browser, base).await;
    browser
        .http
        .post(format!("{base}/logout"))
        .header("origin", base)
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap()
}
