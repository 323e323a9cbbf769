//! A real Caddy (Debian's package, 2.6) in front of the real binary, with docs/services.md's
//! `examples/caddy/Caddyfile`: `/internal/` is only for people signed in, and Caddy's
//! `forward_auth`, which hands gitlogin's answer to the browser as it is, still sends a stranger
//! to sign in, because the check is asked for its redirect flavour.

use gitlogin_testkit::caddy;

use crate::helpers::not_installed;
use crate::nginx_proxy::InternalApp;
use crate::real_server::{free_port, sign_in, sign_out, start_server, use_fake};
use crate::real_server::{run_to_end, Browser, Server};
use gitlogin::github::fake::{Account, FakeGithub};

/// Caddy on `front`, gitlogin behind it (its `PUBLIC_URL` is Caddy's address), the fake
/// GitHub, and the internal app. `None` when Caddy is not installed.
struct Site {
    front: String,
    internal: InternalApp,
    _caddy: caddy::Caddy,
    _app: Server,
    github: FakeGithub,
    _dir: tempfile::TempDir,
}

impl Site {
    async fn start() -> Option<Site> {
        let Some(binary) = caddy::binary() else {
            not_installed("Caddy", caddy::INSTALL);
            return None;
        };
        let github = crate::helpers::fake_github().await;
        let dir = tempfile::tempdir().unwrap();
        let listen = free_port();
        let front = format!("http://127.0.0.1:{listen}");
        let (app, app_base) = start_server(dir.path(), |cmd| {
            use_fake(cmd, &github);
            cmd.env("PUBLIC_URL", &front);
        })
        .await;
        let store = format!("sqlite://{}/app.db?mode=rwc", dir.path().display());
        let host = format!("127.0.0.1:{listen}");
        let registered = run_to_end(
            crate::real_server::gitlogin()
                .args(["apps", "add", "internal", "--host", &host])
                .env("DATABASE_URL", &store),
        );
        assert!(registered.status.success(), "{registered:?}");
        let internal = InternalApp::start().await;
        let caddyfile = caddyfile(listen, &app_base, internal.port());
        let ready = [format!("{front}/health")];
        let caddy = caddy::Caddy::start(&binary, dir.path(), &caddyfile, &ready)
            .await
            .unwrap();
        Some(Site {
            front,
            internal,
            _caddy: caddy,
            _app: app,
            github,
            _dir: dir,
        })
    }
}

/// The example as docs/services.md shows it, with its addresses moved, after the test's global
/// options.
fn caddyfile(listen: u16, app_base: &str, internal: u16) -> String {
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/caddy/Caddyfile"
    ))
    .unwrap();
    let app = app_base.trim_start_matches("http://");
    let site = example
        .replace(
            "http://127.0.0.1:8080",
            &format!("http://127.0.0.1:{listen}"),
        )
        .replace("127.0.0.1:8000", app)
        .replace("127.0.0.1:9000", &format!("127.0.0.1:{internal}"));
    assert_ne!(site, example, "the example's addresses moved");
    format!("{}{site}", caddy::GLOBAL_OPTIONS)
}

/// A page navigation, as a browser sends one.
async fn navigate(browser: &Browser, url: String) -> reqwest::Response {
    browser
        .http
        .get(url)
        .header("Sec-Fetch-Mode", "navigate")
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap()
}

#[rocket::async_test]
async fn caddy_forward_auth_sends_a_stranger_to_sign_in_and_guards_the_internal_app() {
    let Some(site) = Site::start().await else {
        return;
    };
    let front = &site.front;
    let browser = Browser::new();

    // Signed out: the browser itself is sent to sign in, not shown a blank 401.
    let blocked = navigate(&browser, format!("{front}/internal/")).await;
    assert_eq!(blocked.status(), 302);
    assert_eq!(
        blocked.headers()["location"],
        format!("{front}/login?next=%2Finternal%2F")
    );
    // A script's request is not a navigation: a plain 401.
    let fetched = browser
        .http
        .get(format!("{front}/internal/"))
        .header("Sec-Fetch-Mode", "cors")
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.status(), 401);
    assert!(site.internal.seen().is_empty(), "nothing reached the app");

    let signed_in = sign_in(&browser, front, "/login?next=%2Finternal%2F").await;
    assert_eq!(signed_in.status(), 303);
    let page = navigate(&browser, format!("{front}/internal/")).await;
    assert_eq!(page.status(), 200);
    assert_eq!(
        page.text().await.unwrap(),
        "Hello, octocat (GitHub id 583231)."
    );

    assert_eq!(sign_out(&browser, front).await.status(), 303);
    let again = navigate(&browser, format!("{front}/internal/")).await;
    assert_eq!(again.status(), 302);
    assert_eq!(site.internal.seen().len(), 1);
}

#[rocket::async_test]
async fn behind_caddy_the_app_never_sees_gitlogins_cookie_nor_a_forged_identity() {
    let Some(site) = Site::start().await else {
        return;
    };
    let front = &site.front;
    // No email at all: gitlogin sends no X-Auth-Request-Email, so only the Caddyfile's own
    // deletion keeps a forged X-Forwarded-Email from the app.
    site.github.set_account(Account {
        email: None,
        emails: vec![],
        ..Account::octocat()
    });
    let browser = Browser::new();
    sign_in(&browser, front, "/login?next=%2Finternal%2F").await;
    let url = reqwest::Url::parse(front).unwrap();
    browser.jar.add_cookie_str("theme=dark; Path=/", &url);

    let page = browser
        .http
        .get(format!("{front}/internal/"))
        .header("X-Forwarded-User", "admin")
        .header("X-Forwarded-Email", "admin@example.com")
        .header("X-Forwarded-Groups", "admins")
        .header("X-Gitlogin-App-Cookie", "gitlogin_session=stolen")
        .send()
        .await
        .unwrap();

    assert_eq!(page.status(), 200);
    let seen = site.internal.seen();
    let seen = seen.last().unwrap();
    assert_eq!(seen.all("x-forwarded-user"), ["octocat"]);
    let email = seen.all("x-forwarded-email");
    assert!(email.iter().all(|e| e.is_empty()), "{seen:?}");
    assert!(seen
        .all("x-forwarded-groups")
        .iter()
        .all(|g| !g.contains("admins")));
    let cookies = seen.all("cookie").join("; ");
    assert!(cookies.contains("theme=dark"), "{cookies}");
    assert!(!cookies.contains("gitlogin"), "{cookies}");
    assert!(seen.all("x-gitlogin-app-cookie").is_empty());
}

#[rocket::async_test]
async fn behind_caddy_an_underscore_twin_of_an_identity_header_never_reaches_a_cgi_style_app() {
    let Some(site) = Site::start().await else {
        return;
    };
    let front = &site.front;
    let browser = Browser::new();
    sign_in(&browser, front, "/login?next=%2Finternal%2F").await;

    // Every spelling a CGI-style app folds into one of the identity headers.
    let page = browser
        .http
        .get(format!("{front}/internal/"))
        .header("X_Forwarded_Groups", "acme/admins")
        .header("X-Forwarded_Groups", "acme/admins")
        .header("X_Forwarded-Groups", "acme/admins")
        .header("X_Forwarded_User", "admin")
        .header("X-Forwarded_Email", "admin@example.com")
        .header("X_Forwarded_Github_Id", "1")
        .header("X-Forwarded-Github_Id", "1")
        .header("X_Gitlogin_App_Cookie", "gitlogin_session=stolen")
        .send()
        .await
        .unwrap();

    assert_eq!(page.status(), 200);
    let seen = site.internal.seen();
    let seen = seen.last().unwrap();
    assert_eq!(seen.folded("x-forwarded-user"), ["octocat"], "{seen:?}");
    assert_eq!(seen.folded("x-forwarded-github-id"), ["583231"], "{seen:?}");
    assert_eq!(
        seen.folded("x-forwarded-email"),
        ["octocat@github.example"],
        "{seen:?}"
    );
    let groups = seen.folded("x-forwarded-groups");
    assert!(groups.iter().all(|g| !g.contains("admins")), "{seen:?}");
    assert!(seen.folded("x-gitlogin-app-cookie").is_empty(), "{seen:?}");
    let underscored: Vec<_> = seen
        .headers
        .iter()
        .filter(|(n, _)| n.contains('_'))
        .collect();
    assert!(underscored.is_empty(), "{underscored:?}");
}
