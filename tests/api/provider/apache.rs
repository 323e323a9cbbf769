//! The relying party most intranets already run: Apache with mod_auth_openidc (Debian's
//! package, a certified relying party), configured as `examples/apache/gitlogin.conf` says,
//! in front of an app that records who Apache says is calling. A person signs in through
//! gitlogin and the fake GitHub, the app sees their GitHub id, the example's claim rule
//! refuses someone outside the org, and signing out ends both sessions.

use gitlogin::github::fake::{Account, SignedIn};
use gitlogin_testkit::apache;
use reqwest::{Response, StatusCode};

use super::relying_party::Provider;
use super::{form_fields, register_in};
use crate::helpers::not_installed;
use crate::nginx_proxy::InternalApp;
use crate::real_server::{csrf_token, free_port, Browser};

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
        let modules = ["auth_openidc", "proxy", "proxy_http", "headers"];
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
        let log = std::fs::read_to_string(self._dir.path().join("error.log")).unwrap_or_default();
        format!("{url}: {body}\nApache's log:\n{log}")
    }
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

#[rocket::async_test]
async fn apache_signs_a_person_in_through_gitlogin_refuses_a_stranger_to_its_org_and_signs_out_of_both(
) {
    let provider = Provider::start().await;
    let Some(intranet) = Intranet::start(&provider).await else {
        return;
    };
    let protected = format!("{}/reports", intranet.base);

    // A member of acme: the app sees their GitHub id, from Apache's own header.
    provider
        .github
        .with(|w| w.signed_in = member_of("acme", 1001, "alice"));
    let alice = Browser::trusting(&provider.ca);
    let page = browse(&alice, &provider.issuer, &protected).await;
    assert_eq!(
        page.status(),
        StatusCode::OK,
        "{}",
        intranet.said(page).await
    );
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
