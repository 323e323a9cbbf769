//! The real binary's log, in both formats: a timestamp on every line, one access line per
//! request, the event lines once each, and never a code, state, token, CSRF token or cookie
//! value. Which addresses and request ids are believed depends on `TRUSTED_PROXIES`.

use std::collections::HashMap;

use serde_json::Value;

use crate::real_server::{
    begin_sign_in, csrf_token, log_lines, no_redirects, release_binary, sign_out, start_server,
    use_fake, Browser,
};

/// The log as text lines without timestamps, whichever format it was written in: in JSON,
/// every line must be one object with the four fields every line has.
fn lines_of(log: &str, json: bool) -> Vec<String> {
    if !json {
        return log_lines(log).into_iter().map(str::to_owned).collect();
    }
    log.lines()
        .map(|line| {
            let object: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not one JSON object ({e}): {line}"));
            for field in ["timestamp", "level", "target", "message"] {
                assert!(object[field].is_string(), "no {field}: {line}");
            }
            assert!(
                object["timestamp"].as_str().unwrap().ends_with('Z'),
                "{line}"
            );
            format!(
                "{}: {}",
                object["level"].as_str().unwrap(),
                object["message"].as_str().unwrap()
            )
        })
        .collect()
}

async fn no_secret_reaches_the_log(format: &str) {
    let github = crate::helpers::fake_github().await;
    let dir = tempfile::tempdir().unwrap();
    let (server, base) = start_server(dir.path(), |cmd| {
        use_fake(cmd, &github);
        cmd.env("LOG_FORMAT", format);
    })
    .await;
    let browser = Browser::new();

    let callback = begin_sign_in(&browser, &base, "/login").await;
    assert_eq!(browser.get(&callback).await.status(), 303);
    let cookies: Vec<String> = browser.cookies(&base).into_iter().map(|(_, v)| v).collect();
    assert!(!cookies.is_empty());
    // A failure too: the same callback again (state and code replayed), with no cookie.
    no_redirects().get(&callback).send().await.unwrap();
    let csrf = csrf_token(&browser, &base).await;
    assert_eq!(sign_out(&browser, &base).await.status(), 303);
    drop(server);

    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    let url = url::Url::parse(&callback).unwrap();
    let query: HashMap<_, _> = url.query_pairs().into_owned().collect();
    let token = github.with(|s| s.issued_tokens[0].clone());
    let secrets = [
        ("code", query["code"].as_str()),
        ("state", query["state"].as_str()),
        ("token", token.as_str()),
        ("csrf", csrf.as_str()),
    ];
    for (what, secret) in secrets {
        assert!(
            !log.contains(secret),
            "{format}: the {what} is in the log:\n{log}"
        );
    }
    for cookie in cookies {
        assert!(
            !log.contains(&cookie),
            "{format}: a cookie value is in the log:\n{log}"
        );
    }
    let lines = lines_of(&log, format == "json");
    let count = |start: &str| lines.iter().filter(|l| l.starts_with(start)).count();
    assert_eq!(
        count("event: sign-in ok github_id=583231 login=\"octocat\""),
        1,
        "{log}"
    );
    assert_eq!(count("event: sign-in failed reason=expired"), 1, "{log}");
    assert_eq!(
        count("event: sign-out github_id=583231 login=\"octocat\""),
        1,
        "{log}"
    );
    // The callback twice, each time without its query.
    assert_eq!(
        count("access: request method=GET path=\"/login/callback\" "),
        2,
        "{log}"
    );
}

#[rocket::async_test]
async fn no_code_state_token_or_cookie_reaches_the_text_log() {
    no_secret_reaches_the_log("text").await;
}

#[rocket::async_test]
async fn no_code_state_token_or_cookie_reaches_the_json_log() {
    no_secret_reaches_the_log("json").await;
}

#[rocket::async_test]
async fn json_event_lines_carry_their_fields() {
    let github = crate::helpers::fake_github().await;
    let dir = tempfile::tempdir().unwrap();
    let (server, base) = start_server(dir.path(), |cmd| {
        use_fake(cmd, &github);
        cmd.env("LOG_FORMAT", "json");
    })
    .await;
    let callback = begin_sign_in(&Browser::new(), &base, "/login").await;
    no_redirects().get(&callback).send().await.unwrap();
    drop(server);

    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    let objects: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let failed = objects
        .iter()
        .find(|o| o["event"] == "sign-in failed")
        .expect("a sign-in failed event");
    assert_eq!(failed["reason"], "expired", "{failed}");
    assert_eq!(failed["level"], "event");
    let access = objects
        .iter()
        .find(|o| o["path"] == "/login/callback")
        .expect("an access line for the callback");
    assert_eq!(access["method"], "GET");
    assert_eq!(access["status"], 303);
    assert!(
        access["duration_ms"].as_f64().is_some_and(|ms| ms > 0.0),
        "{access}"
    );
}

/// From an untrusted peer, `X-Request-Id` and `X-Forwarded-For` are anyone's words: a fresh
/// id and the peer's own address. From a trusted proxy both are believed.
#[rocket::async_test]
async fn request_ids_and_client_addresses_are_believed_only_from_trusted_proxies() {
    for trusted in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let (server, base) = start_server(dir.path(), |cmd| {
            if trusted {
                cmd.env("TRUSTED_PROXIES", "127.0.0.1, ::1");
            }
        })
        .await;
        let answer = no_redirects()
            .get(format!("{base}/livez"))
            .header("X-Request-Id", "from-the-proxy-42")
            .header("X-Forwarded-For", "203.0.113.7")
            .send()
            .await
            .unwrap();
        let id = answer.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        drop(server);

        let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
        let line = log_lines(&log)
            .into_iter()
            .find(|l| l.contains("path=\"/livez\""))
            .expect("an access line")
            .to_owned();
        assert!(line.contains(&format!("request_id={id} ")), "{line}");
        if trusted {
            assert_eq!(id, "from-the-proxy-42");
            assert!(line.ends_with("client=203.0.113.7"), "{line}");
        } else {
            assert_ne!(id, "from-the-proxy-42");
            assert!(line.ends_with("client=127.0.0.1"), "{line}");
        }
    }
}

/// The release build's default level writes warnings, events and access lines;
/// `ROCKET_LOG_LEVEL=critical` leaves only warnings and errors.
#[rocket::async_test]
async fn the_release_default_writes_access_lines_and_critical_silences_them() {
    let Some(release) = release_binary() else {
        return;
    };
    for (level, expected) in [(None, true), (Some("critical"), false)] {
        let dir = tempfile::tempdir().unwrap();
        let log_path = dir.path().join("server.log");
        let port = crate::real_server::free_port();
        let base = format!("http://127.0.0.1:{port}");
        let log = std::fs::File::create(&log_path).unwrap();
        let mut cmd = std::process::Command::new(&release);
        cmd.current_dir(dir.path())
            .env_clear()
            .env("GITHUB_CLIENT_ID", "id")
            .env("GITHUB_CLIENT_SECRET", "secret")
            .env("ROCKET_SECRET_KEY", crate::helpers::random_secret_key())
            .env("ROCKET_PORT", port.to_string())
            .env("PUBLIC_URL", &base)
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        if let Some(level) = level {
            cmd.env("ROCKET_LOG_LEVEL", level);
        }
        let server = crate::real_server::Server(cmd.spawn().unwrap());
        crate::real_server::wait_until_answering(&base, &log_path).await;
        drop(server);
        let log = std::fs::read_to_string(&log_path).unwrap();
        let access = log_lines(&log).iter().any(|l| l.starts_with("access: "));
        assert_eq!(access, expected, "{level:?}:\n{log}");
    }
}
