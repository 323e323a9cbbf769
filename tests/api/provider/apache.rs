//! The relying party most intranets already run: Apache with mod_auth_openidc (Debian's
//! package, a certified relying party), configured as `examples/apache/gitlogin.conf` says,
//! in front of an app that records who Apache says is calling. A person signs in through
//! gitlogin and the fake GitHub, the app sees their GitHub id, the example's claim rule
//! refuses someone outside the org, and signing out ends both sessions. When GitHub's org
//! webhook removes a person, gitlogin's back-channel logout ends Apache's session too.

use std::time::{Duration, Instant};

use gitlogin::github::fake::{Account, SignedIn};
use gitlogin_testkit::apache;
use reqwest::{Response, StatusCode};

use super::relying_party::{Provider, METRICS_TOKEN};
use super::{form_fields, register_in};
use crate::helpers::not_installed;
use crate::nginx_proxy::InternalApp;
use crate::real_server::{csrf_token, free_port, Browser};
use crate::webhooks;

/// Apache running the example on a free port, for the provider's registered app.
struct Intranet {
    base: String,
    app: InternalApp,
    _apache: apache::Apache,
    _dir: tempfile::TempDir,
}

impl Intranet {
    /// `None` (after a line saying how to get them) when Apache or the module is missing;
    /// under `CI`, a failure instead.
    async fn start(provider: &Provider) -> Option<Intranet> {
        let Some(binary) = apache::binary() else {
            not_installed("apache2 with mod_auth_openidc", apache::INSTALL);
            return None;
        };
        let app = InternalApp::start().await;
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let rp = register_in(
            &provider.db_url,
            "intranet",
            &format!("{base}/oidc/callback"),
            &[
                "--post-logout-redirect-uri",
                &format!("{base}/signed-out"),
                "--backchannel-logout-uri",
                &format!("{base}/oidc/callback?logout=backchannel"),
                "--allow-org",
                "acme",
                "--allow-org",
                "umbrella",
            ],
        );
        let dir = tempfile::tempdir().unwrap();
        // Apache's children read the CA as www-data.
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, &provider.ca).unwrap();
        let example = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/apache/gitlogin.conf"
        ))
        .unwrap();
        let site = example
            .replace("127.0.0.1:8081", &format!("127.0.0.1:{port}"))
            .replace("https://login.example.com", &provider.issuer)
            .replace("https://intranet.example.com", &base)
            .replace("https%3A%2F%2Fintranet.example.com", "")
            .replace(
                "http://127.0.0.1:9000",
                &format!("http://127.0.0.1:{}", app.port()),
            )
            .replace("CLIENT_ID_FROM_APPS_ADD", &rp.client_id)
            .replace(
                "CLIENT_SECRET_FROM_APPS_ADD",
                rp.client_secret.as_deref().unwrap(),
            )
            .replace("A_LONG_RANDOM_SECRET", &crate::helpers::random_secret_key());
        // What the host's own config says: the port (Debian's ports.conf), and trust in the
        // issuer's CA (here the test's, where a real host trusts a public one).
        let site = format!(
            "Listen 127.0.0.1:{port}\nOIDCCABundlePath {}\n{site}",
            ca.display()
        );
        let modules = [
            "auth_openidc",
            "authz_user",
            "proxy",
            "proxy_http",
            "headers",
        ];
        let ready = [format!("{base}/signed-out")];
        let apache = apache::Apache::start(&binary, dir.path(), &modules, &site, &ready)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        Some(Intranet {
            base,
            app,
            _apache: apache,
            _dir: dir,
        })
    }
}

impl Intranet {
    /// `response` and Apache's error log, for a failure's message.
    async fn said(&self, response: Response) -> String {
        let url = response.url().clone();
        let body = response.text().await.unwrap_or_default();
        format!("{url}: {body}\nApache's log:\n{}", self.log())
    }

    /// Apache's error log: mod_auth_openidc's warnings and errors.
    fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("error.log")).unwrap_or_default()
    }
}

/// What GitHub POSTs to the provider when `login` (id `github_id`) leaves `org`:
/// `organization` `member_removed`, signed. Returns gitlogin's `result`.
async fn member_removed(provider: &Provider, org: &str, github_id: i64, login: &str) -> String {
    let body = webhooks::member_removed(org, github_id, login).to_string();
    let answer = provider
        .http()
        .post(format!("{}/github/webhook", provider.issuer))
        .header("content-type", "application/json")
        .header("user-agent", "GitHub-Hookshot/044aadd")
        .header("x-github-event", "organization")
        .header("x-github-delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
        .header(
            "x-hub-signature-256",
            webhooks::signature(webhooks::SECRET, body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let answer: serde_json::Value = answer.json().await.unwrap();
    answer["result"].as_str().unwrap_or_default().to_owned()
}

/// gitlogin's count of logout tokens by outcome, as `/metrics` shows it.
async fn logouts(provider: &Provider) -> String {
    let scraped = provider
        .http()
        .get(format!("{}/metrics", provider.issuer))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), StatusCode::OK);
    let text = scraped.text().await.unwrap();
    let series = "gitlogin_backchannel_logout_deliveries_total{";
    let lines = text.lines().filter(|line| line.starts_with(series));
    lines.collect::<Vec<_>>().join("\n")
}

/// How many logout tokens an app has taken (answered 200 or 204).
async fn logouts_delivered(provider: &Provider) -> u64 {
    let series = "gitlogin_backchannel_logout_deliveries_total{outcome=\"delivered\"} ";
    logouts(provider)
        .await
        .lines()
        .find_map(|line| line.strip_prefix(series))
        .map_or(0, |n| n.parse().unwrap())
}

/// Waits (at most ten seconds) until `done` holds: gitlogin's sender runs in the background,
/// woken at once by the webhook. Else fails with what gitlogin counted and Apache logged.
async fn until(
    what: &str,
    intranet: &Intranet,
    provider: &Provider,
    mut done: impl AsyncFnMut() -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if done().await {
            return;
        }
        rocket::tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let logouts = logouts(provider).await;
    panic!(
        "never happened: {what}\ngitlogin's logouts:\n{logouts}\nApache's log:\n{}",
        intranet.log()
    );
}

/// What a browser does from `url`: follows every redirect (Apache's, gitlogin's, the fake
/// GitHub's), presses Allow on gitlogin's consent page and Sign out on its confirmation, and
/// returns the first other answer.
async fn browse(browser: &Browser, issuer: &str, url: &str) -> Response {
    let mut at = url::Url::parse(url).unwrap();
    for _ in 0..20 {
        let response = browser.get(at.clone()).await;
        if response.status().is_redirection() {
            at = at
                .join(response.headers()["location"].to_str().unwrap())
                .unwrap();
            continue;
        }
        if !at.as_str().starts_with(issuer) || response.status() != StatusCode::OK {
            return response;
        }
        let page = response.text().await.unwrap();
        let consent = page.contains("/oauth/authorize/consent");
        let action = if consent {
            "/oauth/authorize/consent"
        } else {
            "/oauth/logout"
        };
        let mut fields = form_fields(&page, action);
        assert!(!fields.is_empty(), "{at}: {page}");
        if !fields.iter().any(|(k, _)| k == "csrf_token") {
            fields.push(("csrf_token".into(), csrf_token(browser, issuer).await));
        }
        if consent {
            fields.push(("decision".into(), "allow".into()));
        }
        let pressed = browser
            .http
            .post(format!("{issuer}{action}"))
            .header("origin", issuer)
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(pressed.status(), 303, "{action}");
        at = at
            .join(pressed.headers()["location"].to_str().unwrap())
            .unwrap();
    }
    panic!("the browser went round in circles from {url}");
}

/// The fake GitHub's next person: `login` (id `id`), a member of `org` alone.
fn member_of(org: &str, id: i64, login: &str) -> SignedIn {
    SignedIn::As(Account {
        login: login.into(),
        orgs: vec![org.into()],
        ..Account::numbered(id)
    })
}

/// Alice, a member of acme, signs in through Apache and reaches the app at `protected`: her
/// browser.
async fn alice_reaches(provider: &Provider, intranet: &Intranet, protected: &str) -> Browser {
    provider
        .github
        .with(|w| w.signed_in = member_of("acme", 1001, "alice"));
    let alice = Browser::trusting(&provider.ca);
    let page = browse(&alice, &provider.issuer, protected).await;
    assert_eq!(
        page.status(),
        StatusCode::OK,
        "{}",
        intranet.said(page).await
    );
    alice
}

#[rocket::async_test]
async fn apache_signs_a_person_in_through_gitlogin_refuses_a_stranger_to_its_org_and_signs_out_of_both(
) {
    let provider = Provider::start().await;
    let Some(intranet) = Intranet::start(&provider).await else {
        return;
    };
    let protected = format!("{}/reports", intranet.base);

    // A member of acme: the app sees their GitHub id, from Apache's own header.
    let alice = alice_reaches(&provider, &intranet, &protected).await;
    let seen = intranet.app.seen();
    let last = seen.last().expect("the app was reached");
    assert_eq!(last.uri, "/reports");
    assert_eq!(last.all("x-remote-user"), ["1001"]);
    // A header of that name from the browser never reaches the app.
    let forged = alice
        .http
        .get(&protected)
        .header("X-Remote-User", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::OK);
    assert_eq!(
        intranet.app.seen().last().unwrap().all("x-remote-user"),
        ["1001"]
    );
    let seen = intranet.app.seen();

    // A member of umbrella passes gitlogin's rules, but not the example's `Require claim`.
    provider
        .github
        .with(|w| w.signed_in = member_of("umbrella", 1002, "bob"));
    let bob = Browser::trusting(&provider.ca);
    let refused = browse(&bob, &provider.issuer, &protected).await;
    assert_eq!(
        refused.status(),
        StatusCode::UNAUTHORIZED,
        "{}",
        intranet.said(refused).await
    );
    assert_eq!(
        intranet.app.seen().len(),
        seen.len(),
        "bob never reached the app"
    );

    // Signing out through Apache ends its session and gitlogin's, back at the registered URI.
    let logout = format!(
        "{}/oidc/callback?logout={}/signed-out",
        intranet.base, intranet.base
    );
    let signed_out = browse(&alice, &provider.issuer, &logout).await;
    assert_eq!(signed_out.status(), StatusCode::OK);
    assert_eq!(signed_out.url().path(), "/signed-out");
    let again = alice.get(&protected).await;
    assert!(again.status().is_redirection(), "Apache's session ended");
    let about = alice.get(format!("{}/about", provider.issuer)).await;
    assert!(about.status().is_redirection(), "gitlogin's session ended");
}

#[rocket::async_test]
async fn a_person_the_org_webhook_removes_is_signed_out_of_apache_by_a_backchannel_logout() {
    let provider = Provider::start().await;
    let Some(intranet) = Intranet::start(&provider).await else {
        return;
    };
    let protected = format!("{}/reports", intranet.base);
    let alice = alice_reaches(&provider, &intranet, &protected).await;
    // Apache's session alone lets her in now: the app answers without gitlogin.
    let reached = intranet.app.seen().len();
    assert_eq!(alice.get(&protected).await.status(), StatusCode::OK);
    assert_eq!(intranet.app.seen().len(), reached + 1);
    let delivered = logouts_delivered(&provider).await;

    // acme was what let her into the intranet (`--allow-org acme`): its access ends.
    let result = member_removed(&provider, "acme", 1001, "alice").await;
    assert_eq!(result, "removed");

    // Her browser did nothing, yet Apache sends her back to gitlogin.
    let authorize = format!("{}/oauth/authorize?", provider.issuer);
    until(
        "Apache sends alice back to gitlogin",
        &intranet,
        &provider,
        async || {
            let again = alice.get(&protected).await;
            again.status().is_redirection()
                && again.headers()["location"]
                    .to_str()
                    .is_ok_and(|to| to.starts_with(&authorize))
        },
    )
    .await;
    // Because gitlogin told it: mod_auth_openidc took the logout token (answered 200: not
    // the 401 of a `Require` that refuses the sessionless POST), and found the session by
    // the token's `sid` (it warns when it finds none, and errs on a token it refuses).
    until(
        "mod_auth_openidc takes the logout token",
        &intranet,
        &provider,
        async || logouts_delivered(&provider).await > delivered,
    )
    .await;
    let log = intranet.log();
    assert!(
        !log.contains("could not (or no longer) find a session"),
        "{log}"
    );
    assert!(!log.contains(":error]"), "{log}");
    // The module answered the POST itself: the app never saw the token.
    let seen = intranet.app.seen();
    assert!(
        seen.iter().all(|s| !s.uri.starts_with("/oidc/")),
        "{seen:?}"
    );
}
