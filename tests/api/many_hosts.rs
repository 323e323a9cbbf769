//! A real nginx (Debian's package) running the README's `examples/nginx/many-hosts.conf` in
//! front of the real binary: `login.example.test`, `wiki.example.test` and
//! `grafana.example.test`, each client resolving them to loopback. Two people with clients
//! of their own, each keeping its cookies per host as a browser does: one plants a ticket in
//! the other's, or sends a host's cookie to another host under a forged `X-Forwarded-Host`.

use std::sync::Arc;

use gitlogin::github::fake::{Account, FakeGithub};
use gitlogin_testkit::nginx;
use reqwest::cookie::CookieStore;
use reqwest::redirect::Policy;

use crate::nginx_proxy::InternalApp;
use crate::real_server::{free_port, gitlogin, run_to_end, start_server, use_fake, Server};

struct Site {
    listen: u16,
    github: FakeGithub,
    wiki: InternalApp,
    grafana: InternalApp,
    _nginx: nginx::Nginx,
    _gitlogin: Server,
    _dir: tempfile::TempDir,
}

impl Site {
    /// `None` when nginx is not installed.
    async fn start() -> Option<Site> {
        let Some(binary) = nginx::binary() else {
            crate::helpers::not_installed("nginx", nginx::INSTALL);
            return None;
        };
        let github = crate::helpers::fake_github().await;
        let dir = tempfile::tempdir().unwrap();
        let listen = free_port();
        let (server, base) = start_server(dir.path(), |cmd| {
            use_fake(cmd, &github);
            cmd.env("PUBLIC_URL", format!("http://login.example.test:{listen}"));
        })
        .await;
        let store = format!("sqlite://{}/app.db?mode=rwc", dir.path().display());
        for app in ["wiki", "grafana"] {
            let host = format!("{app}.example.test:{listen}");
            let added = run_to_end(
                gitlogin()
                    .args(["apps", "add", app, "--host", &host])
                    .env("DATABASE_URL", &store),
            );
            assert!(added.status.success(), "{added:?}");
        }
        let (wiki, grafana) = (InternalApp::start().await, InternalApp::start().await);
        let example = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/nginx/many-hosts.conf"
        ))
        .unwrap();
        let gitlogin_at = base.trim_start_matches("http://");
        let http = example
            .replace("example.com", "example.test")
            .replace("127.0.0.1:8080", &format!("127.0.0.1:{listen}"))
            .replace("127.0.0.1:8000", gitlogin_at)
            .replace("127.0.0.1:9001", &format!("127.0.0.1:{}", wiki.port()))
            .replace("127.0.0.1:9002", &format!("127.0.0.1:{}", grafana.port()));
        let access_log = format!("access_log {};\n", dir.path().join("access.log").display());
        let ready = [format!("http://127.0.0.1:{listen}/health")];
        let nginx = nginx::Nginx::start(&binary, dir.path(), &(access_log + &http), &ready)
            .await
            .unwrap();
        Some(Site {
            listen,
            github,
            wiki,
            grafana,
            _nginx: nginx,
            _gitlogin: server,
            _dir: dir,
        })
    }

    fn url(&self, host: &str, path: &str) -> String {
        format!("http://{host}.example.test:{}{path}", self.listen)
    }

    /// A browser: its own cookies, kept per host; redirects followed, except those to where
    /// `stop` says (the attacker takes a ticket and does not follow it).
    fn browser(
        &self,
        stop: fn(&reqwest::Url) -> bool,
    ) -> (reqwest::Client, Arc<reqwest::cookie::Jar>) {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let policy = Policy::custom(move |attempt| {
            if stop(attempt.url()) {
                attempt.stop()
            } else if attempt.previous().len() > 20 {
                attempt.error("too many redirects")
            } else {
                attempt.follow()
            }
        });
        let mut builder = reqwest::Client::builder()
            .redirect(policy)
            .cookie_provider(jar.clone());
        for host in ["login", "wiki", "grafana"] {
            let name = format!("{host}.example.test");
            builder = builder.resolve(&name, ([127, 0, 0, 1], self.listen).into());
        }
        (builder.build().unwrap(), jar)
    }

    /// What `client` shows at `url`, following every redirect: status and text.
    async fn visit(&self, client: &reqwest::Client, url: &str) -> (u16, String) {
        let response = client.get(url).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// Mallory signs in on the wiki as anyone would, but stops at the ticket: its URL.
    async fn mallorys_ticket(&self) -> String {
        self.github.set_account(Account::mallory());
        let (mallory, _) = self.browser(AT_TICKET);
        let response = mallory.get(self.url("wiki", "/page")).send().await.unwrap();
        self.github.set_account(Account::octocat());
        assert_eq!(response.status(), 303);
        let ticket = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            ticket.starts_with(&self.url("wiki", "/_gitlogin/ticket?")),
            "{ticket}"
        );
        ticket
    }
}

const NEVER: fn(&reqwest::Url) -> bool = |_| false;
const AT_TICKET: fn(&reqwest::Url) -> bool = |url| url.path() == "/_gitlogin/ticket";
const ALWAYS: fn(&reqwest::Url) -> bool = |_| true;

const OCTOCAT: &str = "Hello, octocat (GitHub id 583231).";

#[rocket::async_test]
async fn behind_nginx_a_ticket_planted_in_another_browser_signs_nobody_in_and_keeps_its_cookie() {
    let Some(site) = Site::start().await else {
        return;
    };
    // Octocat signs in on the wiki through nginx: the whole way, nonce and ticket included.
    let (octocat, _) = site.browser(NEVER);
    assert_eq!(
        site.visit(&octocat, &site.url("wiki", "/page")).await,
        (200, OCTOCAT.into())
    );

    // Mallory's ticket, opened in Octocat's browser: refused, and she is still herself.
    let planted = site.mallorys_ticket().await;
    let (status, _) = site.visit(&octocat, &planted).await;
    assert_eq!(status, 400);
    assert_eq!(
        site.visit(&octocat, &site.url("wiki", "/page")).await,
        (200, OCTOCAT.into())
    );

    // Another ticket, opened by a stranger: refused, and the stranger is sent to sign in.
    let planted = site.mallorys_ticket().await;
    let (stranger, jar) = site.browser(AT_TICKET);
    let response = stranger.get(&planted).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let wiki = reqwest::Url::parse(&site.url("wiki", "/")).unwrap();
    let cookies = jar.cookies(&wiki);
    assert!(
        cookies
            .as_ref()
            .is_none_or(|c| !c.to_str().unwrap().contains("gitlogin_host=")),
        "{cookies:?}"
    );
    let seen = site.wiki.seen();
    assert!(
        seen.iter()
            .all(|s| s.all("x-forwarded-user") == ["octocat"]),
        "the wiki was only ever told of Octocat: {seen:?}"
    );
}

#[rocket::async_test]
async fn behind_nginx_a_forged_x_forwarded_host_cannot_move_a_host_cookie_to_another_host() {
    let Some(site) = Site::start().await else {
        return;
    };
    let (octocat, jar) = site.browser(NEVER);
    assert_eq!(
        site.visit(&octocat, &site.url("wiki", "/")).await,
        (200, OCTOCAT.into())
    );
    let wiki = reqwest::Url::parse(&site.url("wiki", "/")).unwrap();
    let cookies = jar.cookies(&wiki).unwrap().to_str().unwrap().to_owned();
    let host_cookie = cookies
        .split("; ")
        .find(|c| c.starts_with("gitlogin_host="))
        .expect("the wiki's cookie")
        .to_owned();
    let (client, _) = site.browser(ALWAYS);
    let forged = |host: &'static str| {
        client
            .get(site.url(host, "/"))
            .header("Cookie", &host_cookie)
            .header(
                "X-Forwarded-Host",
                format!("wiki.example.test:{}", site.listen),
            )
            .send()
    };

    // On the wiki the cookie is good; on Grafana, however the host is claimed, it is nothing.
    assert_eq!(forged("wiki").await.unwrap().status(), 200);
    let moved = forged("grafana").await.unwrap();
    assert_eq!(moved.status(), 302);
    let sign_in = moved.headers()["location"].to_str().unwrap();
    assert_eq!(
        sign_in,
        site.url("grafana", "/_gitlogin/start?next=%2F"),
        "sent to sign in on Grafana itself"
    );
    assert!(site.grafana.seen().is_empty(), "nothing reached Grafana");
}
