//! One sign-in in front of many hosts, in Chromium behind one real nginx running docs/services.md's
//! `examples/nginx/many-hosts.conf`: `login.example.test`, `wiki.example.test` and
//! `grafana.example.test` are all mapped onto loopback by Chromium's host-resolver rules. The
//! person signs in once and is recognised on both app hosts; signs out once and is recognised
//! on neither.

use std::path::Path;

use gitlogin::ops::loopback::{self, free_port, random_secret_key};
use gitlogin_testkit::nginx;
use rocket::response::content::RawHtml;

use crate::browser::Browser;
use crate::github_site::{GithubSite, CLIENT_ID, CLIENT_SECRET};

/// A protected app: a page naming the person nginx says is calling.
async fn start_app(name: &'static str) -> u16 {
    #[rocket::get("/<_..>")]
    fn page(who: Who, name: &rocket::State<&'static str>) -> RawHtml<String> {
        RawHtml(format!(
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{name}</title><link rel="icon" href="data:,"></head><body><h1>{name} for {}</h1></body></html>"#,
            who.0
        ))
    }
    struct Who(String);
    #[rocket::async_trait]
    impl<'r> rocket::request::FromRequest<'r> for Who {
        type Error = ();
        async fn from_request(req: &'r rocket::Request<'_>) -> rocket::request::Outcome<Self, ()> {
            let user = req
                .headers()
                .get_one("X-Forwarded-User")
                .unwrap_or("nobody");
            rocket::request::Outcome::Success(Who(user.to_owned()))
        }
    }
    let rocket = rocket::custom(loopback::figment(0))
        .manage(name)
        .mount("/", rocket::routes![page]);
    loopback::launch(rocket)
        .await
        .expect("the app did not start")
        .port
}

/// gitlogin on loopback, its `PUBLIC_URL` the login host behind nginx.
async fn start_gitlogin(dir: &Path, public_url: &str, github: &GithubSite) -> (u16, String) {
    let db_url = format!("sqlite://{}?mode=rwc", dir.join("gitlogin.db").display());
    for _ in 0..5 {
        let port = free_port();
        let figment = gitlogin::config::figment()
            .merge(loopback::figment(port))
            .merge(("public_url", public_url))
            .merge(("databases.gitlogin.url", &db_url))
            .merge(("secret_key", random_secret_key()))
            .merge(("github_client_id", CLIENT_ID))
            .merge(("github_client_secret", CLIENT_SECRET))
            .merge(("github_url", &github.url))
            .merge(("github_api_url", &github.fake.url));
        let rocket = gitlogin::app(figment).expect("the test configuration");
        if loopback::launch(rocket).await.is_some() {
            return (port, db_url);
        }
    }
    panic!("gitlogin could not find a free port");
}

fn register(db_url: &str, name: &str, host: &str) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_gitlogin"))
        .env_clear()
        .args(["apps", "add", name, "--host", host])
        .env("DATABASE_URL", db_url)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
}

/// The example, its names under `example.test` and its addresses moved.
fn http_block(listen: u16, gitlogin: u16, wiki: u16, grafana: u16) -> String {
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/nginx/many-hosts.conf"
    ))
    .unwrap();
    let block = example
        .replace("example.com", "example.test")
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{listen}"))
        .replace("127.0.0.1:8000", &format!("127.0.0.1:{gitlogin}"))
        .replace("127.0.0.1:9001", &format!("127.0.0.1:{wiki}"))
        .replace("127.0.0.1:9002", &format!("127.0.0.1:{grafana}"));
    assert_ne!(block, example);
    block
}

#[rocket::async_test]
async fn one_sign_in_is_recognised_on_every_host_and_one_sign_out_ends_it_on_all() {
    let Some(binary) = nginx::binary() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "nginx is required under CI"
        );
        return;
    };
    let listen = free_port();
    let rules = "--host-resolver-rules=MAP *.example.test 127.0.0.1".to_owned();
    let Some(browser) = Browser::start_with(&[rules]).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let login = format!("http://login.example.test:{listen}");
    let wiki = format!("http://wiki.example.test:{listen}");
    let grafana = format!("http://grafana.example.test:{listen}");
    let github = GithubSite::start().await;
    let (gitlogin_port, db_url) = start_gitlogin(dir.path(), &login, &github).await;
    github.set_app(&login);
    register(&db_url, "wiki", &format!("wiki.example.test:{listen}"));
    register(
        &db_url,
        "grafana",
        &format!("grafana.example.test:{listen}"),
    );
    let http = http_block(
        listen,
        gitlogin_port,
        start_app("Wiki").await,
        start_app("Grafana").await,
    );
    let ready = [format!("http://127.0.0.1:{listen}/health")];
    let _nginx = nginx::Nginx::start(&binary, dir.path(), &http, &ready)
        .await
        .unwrap();

    // A stranger at the wiki goes through gitlogin's host and GitHub, and comes back.
    browser.goto(&format!("{wiki}/page")).await;
    assert!(browser.url().await.as_str().starts_with(&github.url));
    browser.click_button("Authorize").await;
    assert_eq!(browser.url().await.as_str(), format!("{wiki}/page"));
    assert_eq!(browser.h1().await, "Wiki for octocat");

    // Grafana: recognised without GitHub, through gitlogin's host only.
    browser.goto(&format!("{grafana}/")).await;
    assert_eq!(browser.url().await.as_str(), format!("{grafana}/"));
    assert_eq!(browser.h1().await, "Grafana for octocat");
    assert_eq!(github.tokens_issued(), 1, "signed in once");

    // One sign-out, at gitlogin.
    browser.goto(&format!("{login}/")).await;
    browser.click_button("Sign out").await;
    for host in [&wiki, &grafana] {
        browser.goto(&format!("{host}/")).await;
        let url = browser.url().await;
        assert!(url.as_str().starts_with(&github.url), "{host}: {url}");
        assert_eq!(browser.h1().await, "Authorize gitlogin");
    }

    browser.finish().await;
}
