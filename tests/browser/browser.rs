//! One headless Chromium per test, driven over WebDriver by `chromedriver`.
//!
//! Each `Browser` starts its own chromedriver on a free loopback port and a Chromium with a
//! fresh profile in a temp dir, so nothing (cookies, cache, history) is shared between
//! tests. Everything the browser logs is read back: a test ends with [`Browser::finish`],
//! which fails on any CSP violation or console error.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use fantoccini::elements::Element;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};
use tempfile::TempDir;

const INSTALL: &str = "apt-get install chromium chromium-driver";

/// The flags the browser runs with: no GPU, no sandbox (tests may run as root), and nothing
/// that talks to the network on its own.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--window-size=1280,800",
];

pub struct Browser {
    client: Client,
    session: String,
    closed: bool,
    /// Stopped with the browser, after `Drop for Browser` has ended the session.
    driver: Chromedriver,
    /// Documents the test expects to answer with an error status: Chrome logs that status
    /// as a console error ("Failed to load resource: ... 404"), which is not a fault.
    error_pages: Vec<String>,
    _profile: TempDir,
}

impl Browser {
    /// A fresh browser, or `None` when Chromium is not installed: then the test returns
    /// early, after one line on stderr saying how to install it. With `CI` set, a missing
    /// browser is a failure instead.
    pub async fn start() -> Option<Browser> {
        Browser::start_with(&[]).await
    }

    /// [`Browser::start`] with more Chromium flags (`--host-resolver-rules=...`).
    pub async fn start_with(extra_args: &[String]) -> Option<Browser> {
        let (chromium, chromedriver) = match find_tools() {
            Ok(tools) => tools,
            Err(missing) if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) => {
                panic!("{missing} is not installed and CI is set; install it with `{INSTALL}`")
            }
            Err(missing) => {
                static SKIP: Once = Once::new();
                SKIP.call_once(|| {
                    // Written past the test harness's capture, once per run.
                    let _ = writeln!(
                        std::io::stderr(),
                        "browser tests skipped: {missing} is not installed (install it with `{INSTALL}`)"
                    );
                });
                return None;
            }
        };

        let driver = Chromedriver::start(&chromedriver);
        let profile = tempfile::tempdir().unwrap();
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.extend_from_slice(extra_args);
        let mut caps = Capabilities::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": chromium, "args": args }),
        );
        // Keep every console and security message, so that `finish` can read them.
        caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .expect("chromedriver could not start Chromium");
        let session = client.session_id().await.unwrap().unwrap();
        Some(Browser {
            client,
            session,
            driver,
            closed: false,
            error_pages: vec![],
            _profile: profile,
        })
    }

    /// Types `url` into the address bar, and waits for the page to load.
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    /// Opens a page that is meant to answer with an error status.
    pub async fn goto_error_page(&mut self, url: &str) {
        self.error_pages.push(url.to_owned());
        self.goto(url).await;
    }

    /// The back button, and waits for the page it leads to.
    pub async fn back(&self) {
        let old_page = self.page().await;
        self.client.back().await.unwrap();
        self.wait_for_new_page(old_page).await;
    }

    pub async fn url(&self) -> url::Url {
        self.client.current_url().await.unwrap()
    }

    /// The page's one `h1`, as shown.
    pub async fn h1(&self) -> String {
        self.client
            .find(Locator::Css("h1"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// All the text a person sees on the page.
    pub async fn text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Clicks the link that reads `text`, and waits for where it leads.
    pub async fn click_link(&self, text: &str) {
        self.click(&format!("//a[normalize-space(.)='{text}']"))
            .await
    }

    /// Clicks the button that reads `text`, and waits for where it leads.
    pub async fn click_button(&self, text: &str) {
        self.click(&format!("//button[normalize-space(.)='{text}']"))
            .await
    }

    async fn click(&self, xpath: &str) {
        let old_page = self.page().await;
        match self.client.find(Locator::XPath(xpath)).await {
            Ok(element) => element.click().await.unwrap(),
            Err(e) => panic!("nothing matches {xpath} on {}: {e}", self.url().await),
        }
        self.wait_for_new_page(old_page).await;
    }

    /// The current document, to tell when it has been replaced.
    async fn page(&self) -> Element {
        self.client.find(Locator::Css("html")).await.unwrap()
    }

    /// Waits until `old_page` is gone and its successor has loaded. A click returns once the
    /// browser has acted on it, which can be before a form's redirects (to another site and
    /// back) have finished; asking about the page before then would see the old one.
    async fn wait_for_new_page(&self, old_page: Element) {
        self.poll("the page did not change", || async {
            match old_page.tag_name().await {
                Err(e) => e.is_stale_element_reference() || e.is_no_such_element(),
                Ok(_) => false,
            }
        })
        .await;
        self.poll("the page did not finish loading", || async {
            let state = self
                .client
                .execute("return document.readyState;", vec![])
                .await;
            state.is_ok_and(|s| s == "complete")
        })
        .await;
    }

    /// Asks `ready` every 50 ms, for at most 30 seconds.
    async fn poll<F: std::future::Future<Output = bool>>(
        &self,
        failure: &str,
        ready: impl Fn() -> F,
    ) {
        for _ in 0..600 {
            if ready().await {
                return;
            }
            rocket::tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{failure} within 30 seconds (now at {})", self.url().await);
    }

    /// Runs `script` in the page (through DevTools, which the page's CSP does not govern).
    pub async fn script(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// Sends one DevTools command through chromedriver.
    pub async fn devtools(&self, cmd: &str, params: Value) -> Value {
        self.client
            .issue_cmd(SessionPost {
                path: "goog/cdp/execute",
                body: json!({ "cmd": cmd, "params": params }),
            })
            .await
            .unwrap_or_else(|e| panic!("DevTools {cmd}: {e}"))
    }

    /// Console and security messages at error level logged since the last call, minus the
    /// status lines of the pages opened with [`Browser::goto_error_page`].
    pub async fn console_errors(&self) -> Vec<String> {
        let log = self
            .client
            .issue_cmd(SessionPost {
                path: "se/log",
                body: json!({ "type": "browser" }),
            })
            .await
            .expect("chromedriver did not hand over the browser log");
        let entries = log.as_array().cloned().unwrap_or_default();
        entries
            .iter()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| {
                let source = e["source"].as_str().unwrap_or("?");
                let message = e["message"].as_str().unwrap_or_default();
                format!("[{source}] {message}")
            })
            .filter(|line| !self.is_expected_status(line))
            .collect()
    }

    fn is_expected_status(&self, line: &str) -> bool {
        self.error_pages.iter().any(|url| {
            line.starts_with(&format!(
                "[network] {url} - Failed to load resource: the server responded with a status of 4"
            ))
        })
    }

    /// Fails if anything was logged as an error since the last check.
    pub async fn assert_console_clean(&self, on: &str) {
        let errors = self.console_errors().await;
        assert!(
            errors.is_empty(),
            "the browser logged errors on {on}:\n{}",
            errors.join("\n")
        );
    }

    /// Saves the page as it looks `width` CSS pixels wide, whole, under `path`. Fails if
    /// the page is wider than the window (a sideways scrollbar).
    pub async fn screenshot(&self, width: u32, path: &Path) {
        let phone = width < 600;
        let min_height = if phone { 667 } else { 800 };
        self.set_viewport(width, min_height, phone).await;
        let size = self
            .script("const e = document.documentElement; return [e.scrollWidth, e.scrollHeight];")
            .await;
        let (page_width, page_height) = (size[0].as_u64().unwrap(), size[1].as_u64().unwrap());
        assert!(
            page_width <= u64::from(width),
            "{} is {page_width}px wide in a {width}px window",
            self.url().await
        );
        let height = u32::try_from(page_height).unwrap().max(min_height);
        self.set_viewport(width, height, phone).await;
        let shot = self
            .devtools(
                "Page.captureScreenshot",
                json!({ "format": "png", "captureBeyondViewport": false }),
            )
            .await;
        let png = STANDARD
            .decode(shot["data"].as_str().expect("no screenshot data"))
            .unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
        self.devtools("Emulation.clearDeviceMetricsOverride", json!({}))
            .await;
    }

    /// Makes the window `width` by `height` CSS pixels, as a phone (touch, mobile viewport)
    /// or not, until [`Browser::screenshot`] or another call changes it.
    pub async fn set_viewport(&self, width: u32, height: u32, phone: bool) {
        self.devtools(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": phone }),
        )
        .await;
    }

    /// Checks the browser's log one last time and closes the browser.
    pub async fn finish(mut self) {
        self.assert_console_clean("the last pages").await;
        self.client.clone().close().await.unwrap();
        self.closed = true;
    }
}

impl Drop for Browser {
    /// After a failed assertion: end the session, and Chromium quits with it.
    fn drop(&mut self) {
        if !self.closed {
            delete_session(self.driver.port, &self.session);
        }
    }
}

/// A POST to a vendor endpoint below the session, such as chromedriver's `se/log`.
#[derive(Debug)]
struct SessionPost {
    path: &'static str,
    body: Value,
}

impl WebDriverCompatibleCommand for SessionPost {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/{}", self.path))
    }

    fn method_and_body(&self, _url: &url::Url) -> (reqwest::Method, Option<String>) {
        (reqwest::Method::POST, Some(self.body.to_string()))
    }
}

/// `DELETE /session/{id}`, by hand: `Drop` cannot await the WebDriver client.
fn delete_session(port: u16, session: &str) {
    if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
        let request = format!(
            "DELETE /session/{session} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\r\n"
        );
        // chromedriver answers once Chromium has quit; the first bytes of the answer are
        // enough (it keeps the connection open, so reading to the end would never return).
        let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
        if stream.write_all(request.as_bytes()).is_ok() {
            let _ = stream.read(&mut [0; 512]);
        }
    }
}

/// Debian's Chromium binary (not the `/usr/bin/chromium` wrapper script, which adds flags
/// of its own) and chromedriver; `CHROMIUM` and `CHROMEDRIVER` override either.
fn find_tools() -> Result<(PathBuf, PathBuf), &'static str> {
    let chromium = from_env("CHROMIUM")
        .or_else(|| Some(PathBuf::from("/usr/lib/chromium/chromium")).filter(|p| p.is_file()))
        .or_else(|| in_path("chromium"))
        .ok_or("Chromium")?;
    let chromedriver = from_env("CHROMEDRIVER")
        .or_else(|| in_path("chromedriver"))
        .ok_or("chromedriver")?;
    Ok((chromium, chromedriver))
}

fn from_env(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .map(PathBuf::from)
        .filter(|p| p.is_file())
}

fn in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// A chromedriver process, stopped when dropped.
struct Chromedriver {
    child: Child,
    port: u16,
}

impl Chromedriver {
    /// Starts chromedriver on a port the system picks, and reads that port from its output.
    /// Now and then it exits right after its first line, before it listens (seen once in some
    /// forty starts here): such a start is tried again, twice at most.
    fn start(path: &Path) -> Chromedriver {
        let mut said = Vec::new();
        for _ in 0..3 {
            match Chromedriver::try_start(path) {
                Ok(driver) => return driver,
                Err(output) => said.push(output),
            }
        }
        panic!(
            "chromedriver exited before it listened, three times:\n{}",
            said.join("\n")
        );
    }

    fn try_start(path: &Path) -> Result<Chromedriver, String> {
        let mut child = Command::new(path)
            .arg("--port=0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", path.display()));
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut driver = Chromedriver { child, port: 0 };
        let mut said = String::new();
        while driver.port == 0 {
            let mut line = String::new();
            if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                return Err(said);
            }
            if let Some(rest) = line.split("started successfully on port ").nth(1) {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                driver.port = digits.parse().unwrap();
            }
            said.push_str(&line);
        }
        // Keep reading whatever else it prints, so that it never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Ok(driver)
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
