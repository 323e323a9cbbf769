//! Whole sign-ins, from this process: a browser of our own, its cookies, and the load.

// The other modules' items, through the crate root (main.rs re-exports them).
#[allow(unused_imports)]
use crate::*;
use std::collections::HashMap;
use std::time::{Duration, Instant};

pub(crate) const BROWSER_USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

/// A client like a browser as far as the app can tell: it never follows redirects by
/// itself (the bench follows each one), and cookies are kept by hand in a [`Jar`].
pub(crate) fn browser() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(BROWSER_USER_AGENT)
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())
}

/// One sign-in's cookies as the app set them: values kept exactly as received (still
/// percent-encoded), because that is how a browser sends them back. Kept by hand because
/// reqwest's cookie store is one per client, and every sign-in under load shares one pooled
/// client, reusing its connections as a browser would.
#[derive(Default)]
pub(crate) struct Jar(HashMap<String, String>);

impl Jar {
    pub(crate) fn keep(&mut self, response: &reqwest::Response) {
        for header in response.headers().get_all("set-cookie") {
            let Ok(header) = header.to_str() else {
                continue;
            };
            let pair = header.split(';').next().unwrap_or_default();
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let removed = header
                .split(';')
                .any(|attribute| attribute.trim().eq_ignore_ascii_case("max-age=0"));
            if removed || value.is_empty() {
                self.0.remove(name.trim());
            } else {
                self.0.insert(name.trim().to_owned(), value.to_owned());
            }
        }
    }

    pub(crate) fn header(&self) -> String {
        let pairs: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        pairs.join("; ")
    }

    pub(crate) fn get(&self, name: &str) -> Option<&String> {
        self.0.get(name)
    }
}

/// One whole sign-in, as a browser does it; returns the cookies it ends with.
pub(crate) async fn sign_in(client: &reqwest::Client, app_url: &str) -> Result<Jar, String> {
    let mut jar = Jar::default();
    let fail = |step: &str, e: &dyn std::fmt::Display| format!("sign-in, {step}: {e}");

    // 1. The app remembers a state and a PKCE verifier, and sends the browser to GitHub.
    let response = client
        .get(format!("{app_url}/login?next=/about"))
        .send()
        .await
        .map_err(|e| fail("/login", &e))?;
    jar.keep(&response);
    let authorize = redirect_target(&response, 303).map_err(|e| fail("/login", &e))?;

    // 2. GitHub (the fake) knows the person and sends them straight back with a code.
    let response = client
        .get(&authorize)
        .send()
        .await
        .map_err(|e| fail("authorize", &e))?;
    let callback = redirect_target(&response, 302).map_err(|e| fail("authorize", &e))?;

    // 3. The callback: state check, token exchange, /user, /user/emails, two writes.
    let response = client
        .get(&callback)
        .header("Cookie", jar.header())
        .send()
        .await
        .map_err(|e| fail("callback", &e))?;
    jar.keep(&response);
    let next = redirect_target(&response, 303).map_err(|e| fail("callback", &e))?;
    if next != "/about" {
        return Err(fail("callback", &format!("sent to {next}, not /about")));
    }

    // 4. The page the person wanted, now signed in.
    let response = client
        .get(format!("{app_url}{next}"))
        .header("Cookie", jar.header())
        .send()
        .await
        .map_err(|e| fail("/about", &e))?;
    jar.keep(&response);
    let status = response.status();
    let page = response.text().await.map_err(|e| fail("/about", &e))?;
    if status != 200 || !page.contains("<h1>About ") {
        return Err(fail("/about", &format!("answered {status}")));
    }
    Ok(jar)
}

pub(crate) fn redirect_target(
    response: &reqwest::Response,
    expected: u16,
) -> Result<String, String> {
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok());
    match location {
        Some(location) if status == expected => Ok(location.to_owned()),
        _ => Err(format!("expected {expected} with a Location, got {status}")),
    }
}

/// `clients` people signing in back to back for `length`; sign-ins per second and the
/// latency of a whole sign-in (four requests to the app, three to GitHub).
pub(crate) async fn sign_in_load(app_url: &str, clients: usize, length: Duration) -> Figures {
    let deadline = Instant::now() + length;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let app_url = app_url.to_owned();
        tasks.push(rocket::tokio::spawn(async move {
            let mut times = Vec::new();
            let mut errors = Vec::new();
            let Ok(client) = browser() else {
                return (times, vec!["cannot build an HTTP client".to_owned()]);
            };
            while Instant::now() < deadline {
                let start = Instant::now();
                match sign_in(&client, &app_url).await {
                    Ok(_) => times.push(start.elapsed()),
                    Err(e) => errors.push(e),
                }
            }
            (times, errors)
        }));
    }
    let mut times = Vec::new();
    let mut errors = Vec::new();
    for task in tasks {
        if let Ok((t, e)) = task.await {
            times.extend(t);
            errors.extend(e);
        }
    }
    Figures::of_steps("sign-ins", times, &errors, started.elapsed())
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}
