//! Two instances of the real binary on one PostgreSQL database: one site, whichever instance
//! a request lands on.

use std::path::Path;

use rocket::futures::future::{join, join_all};

use crate::helpers::random_secret_key;
use crate::nginx_proxy::Nginx;
use crate::real_server::{
    begin_sign_in_at, free_port, no_redirects, sign_in, sign_out, start_server, use_fake, Browser,
    Server,
};
use gitlogin::github::fake::FakeGithub;
use reqwest::cookie::CookieStore;

/// One instance: its own port and log, the shared store, secret key and public address.
async fn instance(
    dir: &Path,
    github: &FakeGithub,
    database_url: &str,
    secret_key: &str,
    public_url: &str,
) -> (Server, String) {
    std::fs::create_dir_all(dir).unwrap();
    start_server(dir, |cmd| {
        use_fake(cmd, github);
        cmd.env("DATABASE_URL", database_url)
            .env("ROCKET_SECRET_KEY", secret_key)
            .env("PUBLIC_URL", public_url);
    })
    .await
}

fn port_of(base: &str) -> u16 {
    base.rsplit(':').next().unwrap().parse().unwrap()
}

fn log_of(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("server.log")).unwrap()
}

/// How many requests for `line` (`METHOD /path`) the log's access lines show.
fn requests(log: &str, line: &str) -> usize {
    let (method, path) = line.split_once(' ').unwrap();
    let access = format!("access: request method={method} path={path:?} ");
    crate::real_server::log_lines(log)
        .into_iter()
        .filter(|l| l.starts_with(&access))
        .count()
}

#[rocket::async_test]
async fn behind_a_round_robin_balancer_two_instances_are_one_site() {
    let database_url = crate::pg_cluster::create_database(crate::pg_cluster::shared()).await;
    let github = crate::helpers::fake_github().await;
    let dir = tempfile::tempdir().unwrap();
    let (a_dir, b_dir) = (dir.path().join("a"), dir.path().join("b"));
    let listen = free_port();
    let front = format!("http://127.0.0.1:{listen}");
    let key = random_secret_key();
    let (_a, a) = instance(&a_dir, &github, &database_url, &key, &front).await;
    let (_b, b) = instance(&b_dir, &github, &database_url, &key, &front).await;
    let apps = [port_of(&a), port_of(&b)];
    let Some(_nginx) = Nginx::start(dir.path(), listen, &apps, &database_url).await else {
        return;
    };
    let browser = Browser::new();

    // Signed out, through the balancer: the guarded app sends the browser to sign in.
    let blocked = browser.get(format!("{front}/internal/")).await;
    assert_eq!(blocked.status(), 302);

    // The sign-in starts on one instance; round-robin sends the callback to the other.
    let signed_in = sign_in(&browser, &front, "/login?next=/about").await;
    assert_eq!(signed_in.status(), 303);
    assert_eq!(signed_in.headers()["location"], "/about");
    let (a_log, b_log) = (log_of(&a_dir), log_of(&b_dir));
    let (started, finished) = if a_log.contains("sign-in ok") {
        (b_log, a_log)
    } else {
        (a_log, b_log)
    };
    assert_eq!(requests(&finished, "GET /login/callback"), 1, "{finished}");
    assert_eq!(requests(&started, "GET /login/callback"), 0, "{started}");
    assert_eq!(requests(&started, "GET /login"), 1, "{started}");

    // About and the forward-auth check through the balancer, four times each in a row: both
    // instances answer each of them. Then the guarded app, which nginx lets through after
    // asking `/auth/check` itself.
    for path in ["/about", "/auth/check"] {
        let line = format!("GET {path}");
        let served = || [log_of(&a_dir), log_of(&b_dir)].map(|log| requests(&log, &line));
        let before = served();
        for _ in 0..4 {
            let response = browser.get(format!("{front}{path}")).await;
            assert_eq!(response.status(), 200, "{path}");
            if path == "/auth/check" {
                assert_eq!(response.headers()["x-auth-request-user"], "octocat");
            } else {
                assert!(response.text().await.unwrap().contains("octocat"));
            }
        }
        let after = served();
        assert!(
            after[0] > before[0] && after[1] > before[1],
            "both instances answered {path}: {before:?} -> {after:?}"
        );
    }
    let internal = browser.get(format!("{front}/internal/")).await;
    assert_eq!(internal.status(), 200);

    // Sign out through the balancer: the session is dead on both instances at once. Each is
    // asked on its own address with the cookies from before the sign-out, as a raw header:
    // the browser dropped them at the sign-out, and a store would drop them again at the
    // first answer that removes them, leaving the next request nothing to be refused for.
    assert!(browser.cookie(&front, "gitlogin_session").is_some());
    let session = browser.jar.cookies(&front.parse().unwrap()).unwrap();
    assert_eq!(sign_out(&browser, &front).await.status(), 303);
    let http = no_redirects();
    let stale = |url: String| http.get(url).header("cookie", session.clone()).send();
    for base in [&a, &b] {
        let check = stale(format!("{base}/auth/check")).await.unwrap();
        assert_eq!(check.status(), 401, "{base}");
        let about = stale(format!("{base}/about")).await.unwrap();
        assert_eq!(about.status(), 303, "{base}");
    }
}

#[rocket::async_test]
async fn thirty_two_first_sign_ins_spread_over_two_instances_make_one_row() {
    let database_url = crate::pg_cluster::create_database(crate::pg_cluster::shared()).await;
    let github = crate::helpers::fake_github().await;
    // GitHub keeps ten tokens per person and app: at thirty-two at once, it would revoke the
    // first ones before their `/user` call.
    github.with(|w| w.tokens_per_person = 32);
    let dir = tempfile::tempdir().unwrap();
    let key = random_secret_key();
    // Both instances are reached under one public address, as behind a balancer; here
    // the test is the balancer, and alternates.
    let public = format!("http://127.0.0.1:{}", free_port());
    // Started together on an empty database: both migrate it and look for a signing key.
    let ((_a, a), (_b, b)) = join(
        instance(&dir.path().join("a"), &github, &database_url, &key, &public),
        instance(&dir.path().join("b"), &github, &database_url, &key, &public),
    )
    .await;
    let http = no_redirects();
    let jwks = |base: String| {
        let http = http.clone();
        async move {
            let set = http
                .get(format!("{base}/.well-known/jwks.json"))
                .send()
                .await;
            set.unwrap().json::<serde_json::Value>().await.unwrap()
        }
    };
    let published = jwks(a.clone()).await;
    assert_eq!(
        published["keys"].as_array().unwrap().len(),
        1,
        "one first key, not two"
    );
    assert_eq!(
        jwks(b.clone()).await,
        published,
        "both publish the same one"
    );

    // Each person starts on one instance and GitHub sends them back to the other.
    let browsers: Vec<Browser> = (0..32).map(|_| Browser::new()).collect();
    let mut callbacks = Vec::new();
    for (i, browser) in browsers.iter().enumerate() {
        let (start, finish) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let callback = begin_sign_in_at(browser, start, "/login", &public).await;
        callbacks.push(callback.replacen(&public, finish, 1));
    }
    let responses = join_all(
        browsers
            .iter()
            .zip(&callbacks)
            .map(|(browser, callback)| browser.get(callback)),
    )
    .await;

    for response in &responses {
        assert_eq!(response.status(), 303);
        assert_eq!(response.headers()["location"], "/");
    }
    let count = |table: &'static str| {
        let url = database_url.clone();
        async move {
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
                .await
                .unwrap();
            sqlx::query_scalar::<_, i64>(&format!("SELECT count(*) FROM {table}"))
                .fetch_one(&mut conn)
                .await
                .unwrap()
        }
    };
    assert_eq!(count("users").await, 1);
    assert_eq!(count("sessions").await, 32);
}
