//! The real `gitlogin` binary, as a newcomer runs it.

use std::process::Command;
use std::time::Duration;

use crate::helpers::assert_refuses_to_start;
use crate::real_server::{
    begin_sign_in, gitlogin, no_redirects, start_server, use_fake, wait_with_deadline, Browser,
    Server,
};
use gitlogin::github::fake::{FakeGithub, Fault};

#[test]
fn release_profile_refuses_to_start_without_credentials() {
    let dir = tempfile::tempdir().unwrap();
    for (missing, set) in [
        ("GITHUB_CLIENT_ID", None),
        ("GITHUB_CLIENT_SECRET", Some(("GITHUB_CLIENT_ID", "abc"))),
    ] {
        let mut cmd = gitlogin();
        cmd.env("ROCKET_PROFILE", "release").env(
            "DATABASE_URL",
            format!("sqlite://{}/x.db?mode=rwc", dir.path().display()),
        );
        if let Some((k, v)) = set {
            cmd.env(k, v);
        }

        let stderr = assert_refuses_to_start(&mut cmd).stderr;

        assert!(
            stderr.contains(missing),
            "stderr does not name {missing}: {stderr}"
        );
        assert!(
            stderr.contains("OAuth App"),
            "stderr does not say how: {stderr}"
        );
        assert!(
            !dir.path().join("x.db").exists(),
            "nothing is created before refusing"
        );
    }
}

#[test]
fn a_malformed_url_stops_start_up_naming_the_variable() {
    for (var, value) in [
        ("PUBLIC_URL", "localhost:8000"),
        ("GITHUB_URL", "http://github.example"),
        ("GITHUB_API_URL", "::"),
        ("DATABASE_URL", "mysql://nope"),
    ] {
        let stderr = assert_refuses_to_start(
            gitlogin()
                .env("GITHUB_CLIENT_ID", "id")
                .env("GITHUB_CLIENT_SECRET", "secret")
                .env(var, value),
        )
        .stderr;

        assert!(stderr.contains(var), "{var}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    }
}

#[rocket::async_test]
async fn demo_mode_signs_in_with_no_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, base) = start_server(dir.path(), |_| {}).await;
    let browser = Browser::new();

    // Home says it is demo mode.
    let home = browser.get(format!("{base}/")).await.text().await.unwrap();
    assert!(home.contains("Demo mode") && home.contains("GITHUB_CLIENT_ID"));

    // /login redirects on the app's own origin, to a page that answers 200.
    let login = browser.get(format!("{base}/login?next=/about")).await;
    assert_eq!(login.status(), 303);
    let authorize = login.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        authorize.starts_with(&format!("{base}/demo/github/login/oauth/authorize?")),
        "{authorize}"
    );
    let page = browser.get(&authorize).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("Authorize") && page.contains("demo-octocat"));

    // Press "Authorize": the form's hidden fields, as a browser would post them.
    let mut form: Vec<(String, String)> = hidden_fields(&page);
    form.push(("decision".into(), "approve".into()));
    let approved = browser
        .http
        .post(format!("{base}/demo/github/login/oauth/authorize"))
        .form(&form)
        .send()
        .await
        .unwrap();
    // A 302, as GitHub sends.
    assert_eq!(approved.status(), 302);
    let callback = approved.headers()["location"].to_str().unwrap().to_owned();
    assert!(callback.starts_with(&format!("{base}/login/callback?code=")));

    let signed_in = browser.get(&callback).await;
    assert_eq!(signed_in.status(), 303);
    assert_eq!(signed_in.headers()["location"], "/about");

    let about = browser.get(format!("{base}/about")).await;
    assert_eq!(about.status(), 200);
    let about = about.text().await.unwrap();
    assert!(
        about.contains("Demo Octocat") && about.contains("demo@example.com"),
        "{about}"
    );
}

/// `name="k" value="v"` pairs of the page's hidden inputs, HTML entities undone.
fn hidden_fields(page: &str) -> Vec<(String, String)> {
    page.split("<input type=\"hidden\" ")
        .skip(1)
        .map(|tag| {
            let attr = |name: &str| {
                let start = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                let value = tag[start..].split('"').next().unwrap();
                value
                    .replace("&#x2F;", "/")
                    .replace("&amp;", "&")
                    .replace("&quot;", "\"")
                    .replace("&#x27;", "'")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
            };
            (attr("name"), attr("value"))
        })
        .collect()
}

/// The binary against `github`, logging at Rocket's `normal` level into `dir/server.log`.
async fn start_logging_server(dir: &std::path::Path, github: &FakeGithub) -> (Server, String) {
    start_server(dir, |cmd| {
        use_fake(cmd, github);
        cmd.env("ROCKET_LOG_LEVEL", "normal");
    })
    .await
}

/// The sign-in's answer, to come.
type InFlight = rocket::tokio::task::JoinHandle<reqwest::Result<reqwest::Response>>;

/// The real binary with a sign-in in flight, waiting on a GitHub that answers the token
/// request only after `delay`: the server, its address and PID, and the sign-in.
async fn sign_in_waiting_on_github(
    dir: &std::path::Path,
    delay: Duration,
) -> (Server, String, String, InFlight) {
    let github = crate::helpers::fake_github().await;
    github.with(|s| s.token_fault = Some(Fault::Slow(delay)));
    let (server, base) = start_server(dir, |cmd| use_fake(cmd, &github)).await;
    let browser = Browser::new();
    let callback = begin_sign_in(&browser, &base, "/login").await;
    let in_flight = rocket::tokio::spawn(async move { browser.http.get(&callback).send().await });
    // Wait (10 s at most) until the app is waiting on the (slow) token endpoint.
    let reached_github = async {
        while github.with(|s| s.token_requests) == 0 {
            rocket::tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    rocket::tokio::time::timeout(Duration::from_secs(10), reached_github)
        .await
        .expect("the sign-in never asked GitHub for its token");
    let pid = server.0.id().to_string();
    (server, base, pid, in_flight)
}

#[rocket::async_test]
async fn sigterm_lets_a_sign_in_waiting_on_github_finish_then_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, _, pid, in_flight) =
        sign_in_waiting_on_github(dir.path(), Duration::from_secs(3)).await;

    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());

    let response = in_flight
        .await
        .unwrap()
        .expect("the in-flight sign-in was cut off");
    assert_eq!(response.status(), 303, "the sign-in finished");
    assert!(response
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap().starts_with("gitlogin_session=")));
    let status =
        wait_with_deadline(&mut server.0, Duration::from_secs(30)).expect("it did not exit");
    assert_eq!(status.code(), Some(0));
}

/// What many service managers send to mean "reload": the server stays up, the sign-in in
/// flight finishes, and SIGTERM still stops it cleanly afterwards.
#[rocket::async_test]
async fn sighup_neither_stops_the_server_nor_cuts_off_a_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, base, pid, in_flight) =
        sign_in_waiting_on_github(dir.path(), Duration::from_secs(2)).await;

    assert!(Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap()
        .success());

    let response = in_flight.await.unwrap().expect("the sign-in was cut off");
    assert_eq!(response.status(), 303, "the sign-in finished");
    assert!(
        server.0.try_wait().unwrap().is_none(),
        "SIGHUP stopped the server"
    );
    let health = no_redirects()
        .get(format!("{base}/livez"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status =
        wait_with_deadline(&mut server.0, Duration::from_secs(30)).expect("it did not exit");
    assert_eq!(status.code(), Some(0));
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    assert!(log.contains("SIGHUP ignored"), "{log}");
}

#[rocket::async_test]
async fn a_hostile_value_from_github_cannot_forge_a_log_line() {
    let github = crate::helpers::fake_github().await;
    github.with(|s| s.token_fault = Some(Fault::HostileTokenError));
    let dir = tempfile::tempdir().unwrap();
    let (server, base) = start_logging_server(dir.path(), &github).await;

    let browser = Browser::new();
    let callback = begin_sign_in(&browser, &base, "/login").await;
    assert_eq!(browser.get(&callback).await.status(), 400);
    // And a mix-up callback, naming another issuer.
    let browser = Browser::new();
    let callback = begin_sign_in(&browser, &base, "/login").await;
    let mixed_up = callback.replace("iss=http", "iss=https%3A%2F%2Fevil.example%2F");
    assert_eq!(browser.get(&mixed_up).await.status(), 400);
    drop(server);

    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    let events: Vec<&str> = crate::real_server::log_lines(&log)
        .into_iter()
        .filter(|l| l.contains("event:"))
        .collect();
    for line in &events {
        assert!(line.starts_with("event: "), "{line}");
        assert_eq!(line.matches("event:").count(), 1, "{line}");
    }
    assert!(!log.contains("sign-in ok"), "{log}");
    let failed: Vec<&str> = events
        .iter()
        .filter(|l| l.starts_with("event: sign-in failed "))
        .copied()
        .collect();
    assert_eq!(failed.len(), 2, "{log}");
    assert!(failed[0].starts_with("event: sign-in failed reason=code_rejected detail=\""));
    assert!(failed[1].starts_with("event: sign-in failed reason=bad_issuer detail=\""));
}

/// The most memory the process has held (`VmHWM`), in KiB.
fn peak_memory_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[rocket::async_test]
async fn a_huge_answer_from_github_is_a_502_and_the_process_stays_small() {
    let github = crate::helpers::fake_github().await;
    let dir = tempfile::tempdir().unwrap();
    let (server, base) = start_server(dir.path(), |cmd| use_fake(cmd, &github)).await;
    let before = peak_memory_kib(server.0.id());
    // 256 MiB of whitespace, then a token that would sign the person in.
    github.with(|s| s.token_fault = Some(Fault::Padded(256 * 1024 * 1024)));

    let browser = Browser::new();
    let callback = begin_sign_in(&browser, &base, "/login").await;
    let response = browser.get(&callback).await;

    assert_eq!(response.status(), 502);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("GitHub sent an answer too large to read"),
        "{page}"
    );
    let after = peak_memory_kib(server.0.id());
    assert!(
        after < before + 64 * 1024,
        "the peak grew from {before} KiB to {after} KiB"
    );
}
