//! Event lines the real binary writes where a decision is made, counted in its log.

use crate::real_server::{sign_in, start_server, use_fake, Browser};

/// A refused sign-in ends the sessions the account still had, and says so in one line with
/// how many; a refusal that ended nothing adds no such line.
#[rocket::async_test]
async fn a_refusal_that_ends_sessions_logs_how_many_and_one_that_ends_none_logs_nothing() {
    let github = crate::helpers::fake_github().await;
    let dir = tempfile::tempdir().unwrap();
    // Signed in while anyone could sign in.
    let (server, base) = start_server(dir.path(), |cmd| use_fake(cmd, &github)).await;
    assert_eq!(
        sign_in(&Browser::new(), &base, "/login").await.status(),
        303
    );
    drop(server);

    // The same store, now for someone else only.
    let (server, base) = start_server(dir.path(), |cmd| {
        use_fake(cmd, &github);
        cmd.env("ALLOWED_GITHUB_USERS", "hubot:1")
            .env("ROCKET_LOG_LEVEL", "normal");
    })
    .await;
    for _ in 0..2 {
        assert_eq!(
            sign_in(&Browser::new(), &base, "/login").await.status(),
            403
        );
    }
    drop(server);

    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    let ended: Vec<&str> = log.lines().filter(|l| l.contains("access ended")).collect();
    assert_eq!(ended.len(), 1, "{log}");
    assert!(ended[0].contains("github_id=583231 sessions=1"), "{log}");
    let refused = log
        .lines()
        .filter(|l| l.contains("reason=not_allowed"))
        .count();
    assert_eq!(refused, 2, "{log}");
}

/// Ten wrong user codes at `/device` lock the person out, and say so once, with the reason
/// an operator can search for; the codes tried after it add no line.
#[rocket::async_test]
async fn ten_wrong_device_codes_are_logged_once_with_their_reason() {
    let github = crate::helpers::fake_github().await;
    let dir = tempfile::tempdir().unwrap();
    let (server, base) = start_server(dir.path(), |cmd| {
        use_fake(cmd, &github);
        cmd.env("ROCKET_LOG_LEVEL", "normal");
    })
    .await;
    let browser = Browser::new();
    assert_eq!(sign_in(&browser, &base, "/login").await.status(), 303);
    let csrf = crate::real_server::csrf_token(&browser, &base).await;

    for _ in 0..12 {
        let typed = browser
            .http
            .post(format!("{base}/device"))
            .header("origin", &base)
            .form(&[("csrf_token", csrf.as_str()), ("user_code", "BBBB-BBBB")])
            .send()
            .await
            .unwrap();
        assert_eq!(typed.status(), 200);
    }
    drop(server);

    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    let said: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("reason=too_many_user_codes"))
        .collect();
    assert_eq!(said.len(), 1, "{log}");
    assert!(said[0].contains("github_id=583231"), "{log}");
}
