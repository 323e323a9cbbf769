//! The whole happy path, and what it stores.

use rocket::http::Status;
use sha2::Digest as _;

use crate::helpers::{assert_redirect, location, query_param, Store, TestApp, PUBLIC_URL};
use gitlogin::github::fake::Account;

#[rocket::async_test]
async fn login_redirects_to_github_with_state_pkce_and_scope() {
    let app = TestApp::spawn().await;
    let browser = app.browser();

    let authorize = browser.start_login(None).await;

    assert!(authorize
        .as_str()
        .starts_with(&format!("{}/login/oauth/authorize?", app.github.url)));
    let q: std::collections::HashMap<_, _> = authorize.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], crate::helpers::CLIENT_ID);
    assert_eq!(q["redirect_uri"], format!("{PUBLIC_URL}/login/callback"));
    assert!(q["scope"].split(' ').any(|s| s == "user:email"));
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43, "a base64url SHA-256");
    // At least 128 random bits, base64url.
    assert!(q["state"].len() >= 22);
    assert!(q["state"]
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert_ne!(
        query_param(browser.start_login(None).await.as_str(), "state").unwrap(),
        q["state"]
    );
}

#[rocket::async_test]
async fn pending_login_cookie_is_private_lax_httponly_and_short_lived() {
    let app = TestApp::spawn().await;
    let response = app.browser().get("/login").await;

    let set_cookie = response.headers().get_one("Set-Cookie").unwrap();
    assert!(set_cookie.starts_with("gitlogin_login="), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("Max-Age=600"), "{set_cookie}");
    // Encrypted: neither the state nor the verifier can be read from it.
    let state = query_param(location(&response), "state").unwrap();
    assert!(!set_cookie.contains(&state));
}

#[rocket::async_test]
async fn whole_happy_path_signs_in_and_shows_the_user() {
    let app = TestApp::spawn().await;
    let browser = app.browser();

    let callback = browser.sign_in(None).await;

    assert_redirect(&callback, "/");
    let set_cookies: Vec<_> = callback.headers().get("Set-Cookie").collect();
    let session = set_cookies
        .iter()
        .find(|c| c.starts_with("gitlogin_session="))
        .unwrap();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(session.contains(flag), "{session} lacks {flag}");
    }
    assert!(
        !session.contains("Secure"),
        "plain-http PUBLIC_URL: no Secure flag"
    );
    assert_eq!(
        callback.headers().get_one("Cache-Control"),
        Some("no-store")
    );

    let home = browser.get("/").await;
    assert_eq!(home.status(), Status::Ok);
    let home = home.into_string().await.unwrap();
    assert!(home.contains("Signed in as octocat"), "one-shot flash");
    assert!(home.contains("The Octocat"));
    assert!(home.contains(
        "src=\"https:&#x2F;&#x2F;avatars.githubusercontent.com&#x2F;u&#x2F;583231?v=4\""
    ));
    assert!(home.contains("action=\"/logout\""));
    assert!(home.contains("href=\"/about\""));
    assert!(
        !browser.page("/").await.contains("Signed in as"),
        "flash shows once"
    );

    let about = browser.get("/about").await;
    assert_eq!(about.status(), Status::Ok);
    assert_eq!(about.headers().get_one("Cache-Control"), Some("no-store"));
    let about = about.into_string().await.unwrap();
    for fact in [
        "octocat",
        "The Octocat",
        "octocat@github.example",
        "583231",
        "UTC",
    ] {
        assert!(about.contains(fact), "about page lacks {fact}");
    }
    assert_eq!(app.count("users").await, 1);
    assert_eq!(app.count("sessions").await, 1);
}

#[rocket::async_test]
async fn about_without_a_session_sends_you_to_sign_in_and_back() {
    let app = TestApp::spawn().await;
    let browser = app.browser();

    assert_redirect(&browser.get("/about").await, "/login?next=/about");
    let callback = browser.sign_in(Some("/about")).await;

    assert_redirect(&callback, "/about");
    assert_eq!(browser.get("/about").await.status(), Status::Ok);
}

#[rocket::async_test]
async fn private_email_is_the_primary_verified_one_not_the_first_listed() {
    let app = TestApp::spawn().await;
    app.github.set_account(Account {
        email: None,
        name: None,
        emails: vec![
            serde_json::json!({"email": "first@example.com", "primary": false, "verified": true, "visibility": null}),
            serde_json::json!({"email": "unverified@example.com", "primary": true, "verified": false, "visibility": null}),
            serde_json::json!({"email": "primary@example.com", "primary": true, "verified": true, "visibility": "private"}),
        ],
        ..Account::octocat()
    });
    let browser = app.browser();

    browser.sign_in(None).await;

    let email: String = sqlx::query_scalar("SELECT COALESCE(email, 'NULL') FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(email, "primary@example.com");
    let about = browser.page("/about").await;
    assert!(about.contains("primary@example.com"));
    // No name on GitHub: the login stands in for it.
    assert!(browser.page("/").await.contains("Hello, octocat"));
}

#[rocket::async_test]
async fn a_renamed_github_account_keeps_its_one_row() {
    let app = TestApp::spawn().await;
    app.browser().sign_in(None).await;
    app.github.set_account(Account {
        login: "octocat-renamed".into(),
        ..Account::octocat()
    });

    let browser = app.browser();
    browser.sign_in(None).await;

    assert_eq!(app.count("users").await, 1);
    let login: String = sqlx::query_scalar("SELECT login FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(login, "octocat-renamed");
    assert!(browser.page("/about").await.contains("octocat-renamed"));
}

#[rocket::async_test]
async fn a_freed_login_taken_by_someone_else_is_a_different_user() {
    let app = TestApp::spawn().await;
    app.browser().sign_in(None).await;
    app.github.set_account(Account {
        id: 999,
        name: Some("Newcomer".into()),
        ..Account::octocat()
    });

    let newcomer = app.browser();
    newcomer.sign_in(None).await;

    assert_eq!(app.count("users").await, 2);
    let about = newcomer.page("/about").await;
    assert!(about.contains("Newcomer") && about.contains("999") && !about.contains("The Octocat"));
}

#[rocket::async_test]
async fn two_users_each_see_only_themselves() {
    let app = TestApp::spawn().await;
    let alice = app.browser();
    let bob = app.browser();
    app.github.set_account(Account {
        id: 1,
        login: "alice".into(),
        name: Some("Alice A".into()),
        ..Account::octocat()
    });
    alice.sign_in(None).await;
    app.github.set_account(Account {
        id: 2,
        login: "bob".into(),
        name: Some("Bob B".into()),
        ..Account::octocat()
    });
    bob.sign_in(None).await;

    let alice_page = alice.page("/about").await;
    let bob_page = bob.page("/about").await;

    assert!(alice_page.contains("Alice A") && !alice_page.contains("Bob B"));
    assert!(bob_page.contains("Bob B") && !bob_page.contains("Alice A"));
}

#[rocket::async_test]
async fn a_new_session_id_at_every_sign_in() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;
    let first = browser.cookie("gitlogin_session").unwrap();

    let again = browser.sign_in(None).await;

    assert_ne!(browser.cookie("gitlogin_session").unwrap(), first);
    // The stored id is the SHA-256 of the id inside the (encrypted) cookie, never the id;
    // the replaced session is gone.
    let id = again
        .cookies()
        .get_private("gitlogin_session")
        .expect("the cookie decrypts with the app's key")
        .value()
        .to_owned();
    let stored: Vec<String> = sqlx::query_scalar("SELECT id_hash FROM sessions")
        .fetch_all(&app.db)
        .await
        .unwrap();
    let expected: String = sha2::Sha256::digest(id.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(stored, [expected]);
}

#[rocket::async_test]
async fn the_access_token_is_stored_nowhere() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let callback = browser.sign_in(None).await;
    let headers: Vec<String> = callback
        .headers()
        .iter()
        .map(|h| h.value().to_owned())
        .collect();

    let token = app.github.with(|s| s.issued_tokens[0].clone());
    assert!(token.starts_with("gho_"));
    assert!(headers.iter().all(|h| !h.contains(&token)));
    match crate::STORE {
        Store::Sqlite => {
            // Every byte of the file and its write-ahead log.
            app.db.close().await;
            let file = app.db_url["sqlite://".len()..].split('?').next().unwrap();
            let wal = std::fs::read(format!("{file}-wal")).unwrap_or_default();
            for bytes in [std::fs::read(file).unwrap(), wal] {
                assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()));
            }
        }
        Store::Postgres => {
            // Every row of every table, as text: the tables as the database lists them, so a
            // table added later is searched too.
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'",
            )
            .fetch_all(&app.db)
            .await
            .unwrap();
            assert!(tables.iter().any(|t| t == "sessions"), "{tables:?}");
            for table in tables {
                let sql = format!("SELECT count(*) FROM {table} t WHERE t::text LIKE $1");
                let found: i64 = sqlx::query_scalar(&sql)
                    .bind(format!("%{token}%"))
                    .fetch_one(&app.db)
                    .await
                    .unwrap();
                assert_eq!(found, 0, "{table}");
            }
        }
    }
}

#[rocket::async_test]
async fn thirty_two_simultaneous_first_sign_ins_make_one_row() {
    // Two instances on one store, each with its own write queue: on SQLite one queue alone
    // would hand the sign-ins the store one at a time, and no two could race.
    let key = crate::helpers::random_secret_key();
    let k = key.clone();
    let first = TestApp::spawn_with(move |f| f.merge(("secret_key", k))).await;
    let store = first.db_url.clone();
    let github = first.github.url.clone();
    // GitHub keeps ten tokens per person and app: at thirty-two at once, it would revoke the
    // first ones before their `/user` call.
    first.github.with(|w| w.tokens_per_person = 32);
    let second = TestApp::spawn_with(move |f| {
        f.merge(("secret_key", key))
            .merge(("databases.gitlogin.url", store))
            .merge(("github_url", &github))
            .merge(("github_api_url", &github))
    })
    .await;
    let browsers: Vec<_> = (0..32)
        .map(|i| {
            if i % 2 == 0 {
                first.browser()
            } else {
                second.browser()
            }
        })
        .collect();

    let responses =
        rocket::futures::future::join_all(browsers.iter().map(|b| b.sign_in(None))).await;

    for response in &responses {
        crate::helpers::assert_redirect(response, "/");
    }
    assert_eq!(first.count("users").await, 1);
    assert_eq!(first.count("sessions").await, 32);
}

#[rocket::async_test]
async fn https_public_url_makes_cookies_secure_with_host_prefix_and_sends_hsts() {
    let app = TestApp::spawn_with(|f| f.merge(("public_url", "https://login.example"))).await;
    let browser = app.browser();

    let response = browser.get("/login").await;

    let set_cookie = response.headers().get_one("Set-Cookie").unwrap();
    assert!(
        set_cookie.starts_with("__Host-gitlogin_login="),
        "{set_cookie}"
    );
    assert!(set_cookie.contains("Secure") && set_cookie.contains("Path=/"));
    assert!(response
        .headers()
        .get_one("Strict-Transport-Security")
        .is_some());
    let authorize = url::Url::parse(location(&response)).unwrap();
    let redirect_uri = query_param(authorize.as_str(), "redirect_uri").unwrap();
    assert_eq!(redirect_uri, "https://login.example/login/callback");

    // And the session cookie the sign-in ends with.
    let back = crate::helpers::github_redirect_at(&authorize).await;
    let callback = browser
        .get(&format!("{}?{}", back.path(), back.query().unwrap()))
        .await;
    assert_redirect(&callback, "/");
    let session = callback
        .headers()
        .get("Set-Cookie")
        .find(|c| c.starts_with("__Host-gitlogin_session="))
        .expect("no __Host- session cookie");
    for flag in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(flag), "{session} lacks {flag}");
    }
    assert!(!session.contains("Domain"), "{session}");
    assert_eq!(browser.get("/about").await.status(), Status::Ok);
}

#[rocket::async_test]
async fn signing_in_again_ends_the_session_it_replaces() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.sign_in(None).await;
    // Someone kept a copy of the first session's cookie.
    let copy = app.browser();
    copy.set_cookie(
        "gitlogin_session",
        &browser.cookie("gitlogin_session").unwrap(),
    );
    assert_eq!(copy.get("/auth/check").await.status(), Status::Ok);

    assert_redirect(&browser.sign_in(None).await, "/");

    assert_eq!(copy.get("/auth/check").await.status(), Status::Unauthorized);
    assert_eq!(browser.get("/auth/check").await.status(), Status::Ok);
    assert_eq!(app.count("sessions").await, 1);
}

#[rocket::async_test]
async fn the_primary_verified_email_wins_over_the_public_one() {
    let app = TestApp::spawn().await;
    app.github.set_account(Account {
        email: Some("public@example.com".into()),
        emails: vec![
            serde_json::json!({"email": "public@example.com", "primary": false, "verified": true, "visibility": "public"}),
            serde_json::json!({"email": "primary@example.com", "primary": true, "verified": true, "visibility": "private"}),
        ],
        ..Account::octocat()
    });
    let browser = app.browser();

    browser.sign_in(None).await;

    let check = browser.get("/auth/check").await;
    assert_eq!(
        check.headers().get_one("X-Auth-Request-Email"),
        Some("primary@example.com")
    );
    assert!(browser.page("/about").await.contains("primary@example.com"));
}

#[rocket::async_test]
async fn the_public_email_stands_in_only_when_user_emails_does_not_answer() {
    let app = TestApp::spawn().await;
    app.github.set_account(Account {
        email: Some("public@example.com".into()),
        ..Account::octocat()
    });
    app.github.with(|s| s.emails_not_found = true);
    let browser = app.browser();

    assert_redirect(&browser.sign_in(None).await, "/");

    let check = browser.get("/auth/check").await;
    assert_eq!(
        check.headers().get_one("X-Auth-Request-Email"),
        Some("public@example.com")
    );
    assert_eq!(app.github.with(|s| s.emails_requests), 1);
}
