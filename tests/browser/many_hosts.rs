//! One sign-in in front of many hosts, in Chromium behind one real nginx running docs/services.md's
//! `examples/nginx/many-hosts.conf`: `login.example.test`, `wiki.example.test` and
//! `grafana.example.test` are all mapped onto loopback by Chromium's host-resolver rules. The
//! person signs in once and is recognised on both app hosts; signs out once and is recognised
//! on neither. And with two browsers: a ticket one person took in hers, unused, signs nobody
//! in when opened in another's.

use std::path::Path;
use std::sync::{Arc, Mutex};

use gitlogin::ops::loopback::{self, free_port, random_secret_key};
use gitlogin_testkit::nginx;
use rocket::response::content::RawHtml;

use crate::browser::Browser;
use crate::github_site::{GithubSite, CLIENT_ID, CLIENT_SECRET};
use gitlogin::github::fake::Account;

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

/// nginx with the example on `listen`, in front of gitlogin (its `PUBLIC_URL` the login
/// host), the fake GitHub, and the Wiki and Grafana apps, each registered with its host.
struct Site {
    listen: u16,
    login: String,
    wiki: String,
    grafana: String,
    github: GithubSite,
    _nginx: nginx::Nginx,
    _dir: tempfile::TempDir,
}

impl Site {
    /// `None` when nginx is not installed (a failure under CI).
    async fn start() -> Option<Site> {
        let Some(binary) = nginx::binary() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "nginx is required under CI"
            );
            return None;
        };
        let listen = free_port();
        let dir = tempfile::tempdir().unwrap();
        let login = format!("http://login.example.test:{listen}");
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
        let nginx = nginx::Nginx::start(&binary, dir.path(), &http, &ready)
            .await
            .unwrap();
        Some(Site {
            listen,
            login,
            wiki: format!("http://wiki.example.test:{listen}"),
            grafana: format!("http://grafana.example.test:{listen}"),
            github,
            _nginx: nginx,
            _dir: dir,
        })
    }

    /// A browser that finds every `*.example.test` host on loopback.
    async fn browser(&self) -> Option<Browser> {
        let rules = "--host-resolver-rules=MAP *.example.test 127.0.0.1".to_owned();
        Browser::start_with(&[rules]).await
    }
}

#[rocket::async_test]
async fn one_sign_in_is_recognised_on_every_host_and_one_sign_out_ends_it_on_all() {
    let Some(site) = Site::start().await else {
        return;
    };
    let Some(browser) = site.browser().await else {
        return;
    };
    let (login, wiki, grafana, github) = (&site.login, &site.wiki, &site.grafana, &site.github);

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
    for host in [wiki, grafana] {
        browser.goto(&format!("{host}/")).await;
        let url = browser.url().await;
        assert!(url.as_str().starts_with(&github.url), "{host}: {url}");
        assert_eq!(browser.h1().await, "Authorize gitlogin");
    }

    browser.finish().await;
}

/// Mallory's own server, where her browser finds `wiki.example.test` (on 127.0.0.2, the
/// port nginx has on 127.0.0.1): her browser stops there, holding the ticket unused.
async fn mallorys_server(port: u16) -> Arc<Mutex<Vec<String>>> {
    #[rocket::get("/<_..>")]
    fn caught(
        uri: &rocket::http::uri::Origin<'_>,
        seen: &rocket::State<Arc<Mutex<Vec<String>>>>,
    ) -> RawHtml<&'static str> {
        seen.lock().unwrap().push(uri.to_string());
        RawHtml(
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Mallory</title><link rel="icon" href="data:,"></head><body><h1>Mallory's server</h1></body></html>"#,
        )
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let rocket = rocket::custom(loopback::figment(port).merge(("address", "127.0.0.2")))
        .manage(seen.clone())
        .mount("/", rocket::routes![caught]);
    loopback::launch(rocket)
        .await
        .expect("Mallory's server did not start");
    seen
}

#[rocket::async_test]
async fn a_ticket_taken_in_one_browser_signs_nobody_in_when_opened_in_another() {
    let Some(site) = Site::start().await else {
        return;
    };
    let Some(mut octocat) = site.browser().await else {
        return;
    };
    let (login, wiki, github) = (&site.login, &site.wiki, &site.github);
    octocat.goto(&format!("{wiki}/page")).await;
    octocat.click_button("Authorize").await;
    assert_eq!(octocat.h1().await, "Wiki for octocat");

    // Mallory, whom the wiki admits too, asks gitlogin's host for a ticket to the wiki in her
    // own browser, where the wiki is her server: the ticket stops there, unused.
    let caught = mallorys_server(site.listen).await;
    let rules =
        "--host-resolver-rules=MAP wiki.example.test 127.0.0.2, MAP *.example.test 127.0.0.1";
    let Some(mallory) = Browser::start_with(&[rules.to_owned()]).await else {
        return;
    };
    github.sign_in_as(Account::mallory());
    let host = format!("wiki.example.test:{}", site.listen);
    let nonce = "5".repeat(64);
    mallory
        .goto(&format!(
            "{login}/auth/host?host={host}&next=%2Fpage&nonce={nonce}"
        ))
        .await;
    mallory.click_button("Authorize").await;
    assert_eq!(mallory.h1().await, "Mallory's server");
    let ticket = caught.lock().unwrap().pop().expect("the ticket");
    assert!(ticket.starts_with("/_gitlogin/ticket?ticket="), "{ticket}");
    mallory.finish().await;

    // She gets Octocat to open it: it signs nobody in, and Octocat is still herself.
    octocat.goto_error_page(&format!("{wiki}{ticket}")).await;
    assert!(octocat.text().await.contains("made for another browser"));
    octocat.goto(&format!("{wiki}/page")).await;
    assert_eq!(octocat.url().await.as_str(), format!("{wiki}/page"));
    assert_eq!(octocat.h1().await, "Wiki for octocat");

    octocat.finish().await;
}
