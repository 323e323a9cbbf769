//! The real `gitlogin` binary on a real socket, and a browser's part reduced to reqwest and a
//! cookie jar: what the binary, nginx and multi-instance tests share.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gitlogin::github::fake::FakeGithub;

use crate::helpers::{CLIENT_ID, CLIENT_SECRET};

/// The binary with none of the developer's own settings leaking in.
pub fn gitlogin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gitlogin"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    for var in [
        "GITHUB_CLIENT_ID",
        "GITHUB_CLIENT_SECRET",
        "GITHUB_URL",
        "GITHUB_API_URL",
        "PUBLIC_URL",
        "DATABASE_URL",
        "TOKEN_AUDIENCES",
        "SIGNING_KEY",
        "ROCKET_PROFILE",
        "ROCKET_SECRET_KEY",
        "ROCKET_PORT",
    ] {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null());
    cmd
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

/// A browser's cookie jar, reduced to what these tests need.
#[derive(Default, Clone)]
pub struct Jar(pub HashMap<String, String>);

impl Jar {
    /// A GET from this browser: its cookies sent, no redirect followed.
    pub async fn get(
        &self,
        http: &reqwest::Client,
        url: impl reqwest::IntoUrl,
    ) -> reqwest::Response {
        http.get(url)
            .header("cookie", self.header())
            .send()
            .await
            .unwrap()
    }

    pub fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn keep(&mut self, response: &reqwest::Response) {
        for header in response.headers().get_all("set-cookie") {
            let header = header.to_str().unwrap();
            // Kept as sent (still percent-encoded), to be sent back the same way.
            let pair = header.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if header.contains("Max-Age=0") {
                self.0.remove(name);
            } else {
                self.0.insert(name.to_owned(), value.to_owned());
            }
        }
    }
}

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

pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // Every wait a test makes is bounded: a broken sign-in fails fast, saying where.
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap()
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
pub async fn begin_sign_in(
    http: &reqwest::Client,
    base: &str,
    login: &str,
    jar: &mut Jar,
) -> String {
    begin_sign_in_at(http, base, login, jar, base).await
}

/// [`begin_sign_in`] on the instance at `base` of a site whose `PUBLIC_URL` is `public`.
pub async fn begin_sign_in_at(
    http: &reqwest::Client,
    base: &str,
    login: &str,
    jar: &mut Jar,
    public: &str,
) -> String {
    let login = http.get(format!("{base}{login}")).send().await.unwrap();
    assert_eq!(login.status(), 303);
    jar.keep(&login);
    let authorize = login.headers()["location"].to_str().unwrap().to_owned();
    let back = http.get(&authorize).send().await.unwrap();
    let callback = back.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        callback.starts_with(&format!("{public}/login/callback?")),
        "{callback}"
    );
    callback
}

/// The whole sign-in; returns the callback's response, its cookies kept.
pub async fn sign_in(
    http: &reqwest::Client,
    base: &str,
    login: &str,
    jar: &mut Jar,
) -> reqwest::Response {
    let callback = begin_sign_in(http, base, login, jar).await;
    let response = jar.get(http, &callback).await;
    jar.keep(&response);
    response
}

/// The CSRF token in the home page's sign-out form.
pub async fn csrf_token(http: &reqwest::Client, base: &str, jar: &Jar) -> String {
    let home = jar.get(http, format!("{base}/")).await;
    let home = home.text().await.unwrap();
    let field = home
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .expect("not signed in");
    field.split('"').next().unwrap().to_owned()
}

/// Presses the sign-out button; returns the response, its cookies kept.
pub async fn sign_out(http: &reqwest::Client, base: &str, jar: &mut Jar) -> reqwest::Response {
    let csrf = csrf_token(http, base, jar).await;
    let response = http
        .post(format!("{base}/logout"))
        .header("cookie", jar.header())
        .header("origin", base)
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    jar.keep(&response);
    response
}
