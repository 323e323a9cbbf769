//! `/metrics` against the real binary: off unless asked for, a Bearer token when it is on the
//! app's own listener, output that Debian's promtool accepts, and counters that move by
//! exactly one per event.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::helpers::not_installed;
use crate::real_server::{
    begin_sign_in, free_port, no_redirects, sign_in, sign_out, start_server, use_fake, Browser,
};

/// The value of one series (`name{labels}`) in a scrape; 0 when it is not there yet.
fn value(scrape: &str, series: &str) -> f64 {
    scrape
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

async fn scrape(url: &str, token: Option<&str>) -> reqwest::Response {
    let request = no_redirects().get(url);
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    request.send().await.unwrap()
}

#[rocket::async_test]
async fn metrics_are_off_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, base) = start_server(dir.path(), |_| {}).await;

    assert_eq!(scrape(&format!("{base}/metrics"), None).await.status(), 404);
}

#[rocket::async_test]
async fn with_a_token_the_metrics_need_it_pass_promtool_and_count_each_event_once() {
    let github = crate::helpers::fake_github().await;
    let dir = tempfile::tempdir().unwrap();
    let (_server, base) = start_server(dir.path(), |cmd| {
        use_fake(cmd, &github);
        cmd.env("METRICS_TOKEN", "scrape-me");
    })
    .await;
    let url = format!("{base}/metrics");

    for token in [None, Some("wrong"), Some("scrape-me-not")] {
        let refused = scrape(&url, token).await;
        assert_eq!(refused.status(), 401, "{token:?}");
        assert_eq!(refused.headers()["www-authenticate"], "Bearer");
    }
    let before = scrape(&url, Some("scrape-me")).await;
    assert_eq!(before.status(), 200);
    assert_eq!(
        before.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let before = before.text().await.unwrap();

    let browser = Browser::new();
    assert_eq!(sign_in(&browser, &base, "/login").await.status(), 303);
    // A failed one too: a callback reaching a browser without its pending sign-in (home,
    // "that sign-in expired").
    let lost = begin_sign_in(&Browser::new(), &base, "/login").await;
    let lost = no_redirects().get(&lost).send().await.unwrap();
    assert_eq!(lost.status(), 303);
    assert_eq!(sign_out(&browser, &base).await.status(), 303);
    let after = scrape(&url, Some("scrape-me")).await.text().await.unwrap();

    let moved = |series: &str| value(&after, series) - value(&before, series);
    assert_eq!(
        moved(r#"gitlogin_sign_ins_total{result="ok"}"#),
        1.0,
        "{after}"
    );
    assert_eq!(
        moved(r#"gitlogin_sign_ins_total{result="expired"}"#),
        1.0,
        "{after}"
    );
    assert_eq!(moved("gitlogin_sign_outs_total"), 1.0, "{after}");
    assert!(
        moved(r#"gitlogin_github_request_duration_seconds_count{endpoint="token",status="200"}"#)
            >= 1.0,
        "{after}"
    );
    // Timed by route template and status: the one sign-out, a 303 from `/logout`.
    assert_eq!(
        moved(r#"gitlogin_http_request_duration_seconds_count{route="/logout",status="303"}"#),
        1.0,
        "{after}"
    );
    assert!(
        after.contains("\ngitlogin_store_connections_in_use "),
        "{after}"
    );
    promtool_accepts(&after);
}

#[rocket::async_test]
async fn metrics_address_serves_them_on_a_listener_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (_server, base) = start_server(dir.path(), |cmd| {
        cmd.env("METRICS_ADDRESS", format!("127.0.0.1:{port}"));
    })
    .await;
    let own = format!("http://127.0.0.1:{port}/metrics");
    let mut answer = None;
    for _ in 0..100 {
        if let Ok(response) = no_redirects().get(&own).send().await {
            answer = Some(response);
            break;
        }
        rocket::tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let answer = answer.expect("the metrics listener never answered");

    assert_eq!(answer.status(), 200);
    promtool_accepts(&answer.text().await.unwrap());
    // Not on the app's own listener, where it would need a token that is not set.
    assert_eq!(scrape(&format!("{base}/metrics"), None).await.status(), 404);
}

/// `promtool check metrics`: the text format parses and breaks none of its naming rules.
fn promtool_accepts(scrape: &str) {
    if !std::path::Path::new("/usr/bin/promtool").exists() {
        not_installed("promtool", "apt-get install prometheus");
        return;
    }
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(scrape.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "promtool: {said}\n{scrape}");
    assert_eq!(said.trim(), "", "promtool had something to say");
}
