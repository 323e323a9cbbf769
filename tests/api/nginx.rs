//! A real nginx (Debian's package) in front of the real binary, with docs/services.md's
//! `examples/nginx/gitlogin.conf`: `/internal/` is only for people signed in, and the
//! internal app behind it is a real server that records what it is sent.

use crate::nginx_proxy::Nginx;
use crate::real_server::{free_port, no_redirects, sign_in, sign_out, start_server, use_fake};
use crate::real_server::{Browser, Server};
use gitlogin::github::fake::FakeGithub;

/// nginx on `front`, gitlogin behind it (its `PUBLIC_URL` is nginx's address), the fake
/// GitHub, and the internal app. `None` when nginx is not installed.
struct Site {
    front: String,
    nginx: Nginx,
    _app: Server,
    _github: FakeGithub,
    _dir: tempfile::TempDir,
}

impl Site {
    async fn start() -> Option<Site> {
        let github = crate::helpers::fake_github().await;
        let dir = tempfile::tempdir().unwrap();
        let listen = free_port();
        let front = format!("http://127.0.0.1:{listen}");
        let (app, app_base) = start_server(dir.path(), |cmd| {
            use_fake(cmd, &github);
            cmd.env("PUBLIC_URL", &front);
        })
        .await;
        let app_port: u16 = app_base.rsplit(':').next().unwrap().parse().unwrap();
        let store = format!("sqlite://{}/app.db?mode=rwc", dir.path().display());
        let nginx = Nginx::start(dir.path(), listen, &[app_port], &store).await?;
        Some(Site {
            front,
            nginx,
            _app: app,
            _github: github,
            _dir: dir,
        })
    }
}

#[rocket::async_test]
async fn nginx_auth_request_guards_the_internal_app() {
    let Some(site) = Site::start().await else {
        return;
    };
    let front = &site.front;
    let browser = Browser::new();

    // Signed out: nginx sends the browser to sign in, and back afterwards.
    let blocked = browser.get(format!("{front}/internal/")).await;
    assert_eq!(blocked.status(), 302);
    assert_eq!(
        blocked.headers()["location"],
        format!("{front}/login?next=%2Finternal%2F")
    );
    assert!(
        site.nginx.internal.seen().is_empty(),
        "nothing reached the app"
    );

    // Sign in through nginx: /login, GitHub, the callback.
    let signed_in = sign_in(&browser, front, "/login?next=%2Finternal%2F").await;
    assert_eq!(signed_in.status(), 303);
    assert_eq!(signed_in.headers()["location"], "/internal/");

    // The protected app names the user nginx got from /auth/check.
    let page = browser.get(format!("{front}/internal/")).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert_eq!(page, "Hello, octocat (GitHub id 583231).");

    // Sign out with the button's form, through nginx: blocked again.
    assert_eq!(sign_out(&browser, front).await.status(), 303);
    let again = browser.get(format!("{front}/internal/")).await;
    assert_eq!(again.status(), 302);
    assert_eq!(site.nginx.internal.seen().len(), 1);
}

#[rocket::async_test]
async fn an_encoded_crlf_in_the_path_cannot_add_a_header_to_the_sign_in_redirect() {
    let Some(site) = Site::start().await else {
        return;
    };
    let front = &site.front;
    let attack =
        "/internal/x%0d%0aSet-Cookie:%20__Host-gitlogin_session=planted%0d%0aX-Planted:%201";

    let response = no_redirects()
        .get(format!("{front}{attack}"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 302);
    let headers = response.headers();
    assert_eq!(headers.get_all("location").iter().count(), 1);
    // A path that decodes to a control character is no place to come back to: home instead.
    assert_eq!(headers["location"], format!("{front}/login?next=%2F"));
    let names: Vec<&str> = headers.keys().map(|k| k.as_str()).collect();
    for name in &names {
        assert!(
            [
                "server",
                "date",
                "content-type",
                "content-length",
                "connection",
                "location"
            ]
            .contains(name),
            "a header nginx did not choose: {name} in {names:?}"
        );
    }
}

#[rocket::async_test]
async fn after_signing_in_the_person_lands_on_the_exact_page_and_query_they_asked_for() {
    let Some(site) = Site::start().await else {
        return;
    };
    let front = &site.front;
    let browser = Browser::new();

    let blocked = browser.get(format!("{front}/internal/page?a=1&b=2")).await;
    assert_eq!(blocked.status(), 302);
    let sign_in_url = blocked.headers()["location"].to_str().unwrap().to_owned();
    let path = sign_in_url.strip_prefix(front.as_str()).unwrap();
    let signed_in = sign_in(&browser, front, path).await;

    assert_eq!(signed_in.status(), 303);
    assert_eq!(signed_in.headers()["location"], "/internal/page?a=1&b=2");
    let page = browser.get(format!("{front}/internal/page?a=1&b=2")).await;
    assert_eq!(page.status(), 200);
    assert_eq!(site.nginx.internal.seen()[0].uri, "/internal/page?a=1&b=2");
}

#[rocket::async_test]
async fn the_internal_app_gets_its_own_cookies_and_none_of_gitlogins() {
    let Some(site) = Site::start().await else {
        return;
    };
    let front = &site.front;
    let browser = Browser::new();
    let signed_in = sign_in(&browser, front, "/login").await;
    assert_eq!(signed_in.status(), 303);
    // Also the flash cookie, a stale `__Host-` one, and the app's own two.
    let planted = [
        "theme=dark",
        "__Host-gitlogin_session=stale",
        "app_session=s1",
    ];
    let site_url = reqwest::Url::parse(front).unwrap();
    for cookie in planted {
        browser.jar.add_cookie_str(cookie, &site_url);
        let (name, value) = cookie.split_once('=').unwrap();
        assert_eq!(browser.cookie(front, name).as_deref(), Some(value));
    }
    assert!(
        browser.cookie(front, "gitlogin_session").is_some()
            && browser.cookie(front, "gitlogin_flash").is_some()
    );

    let page = browser
        .http
        .get(format!("{front}/internal/"))
        // A browser cannot pose as someone else by sending the identity headers itself.
        .header("X-Forwarded-User", "admin")
        .header("X-Forwarded-Github-Id", "1")
        .send()
        .await
        .unwrap();

    assert_eq!(page.status(), 200);
    let seen = site.nginx.internal.seen();
    let cookies = seen[0].all("cookie");
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let mut pairs: Vec<&str> = cookies[0].split("; ").collect();
    pairs.sort();
    assert_eq!(pairs, ["app_session=s1", "theme=dark"]);
    assert_eq!(seen[0].all("x-forwarded-user"), ["octocat"]);
    assert_eq!(seen[0].all("x-forwarded-github-id"), ["583231"]);
    // Nothing of gitlogin's session in any header the app got.
    let session = browser.cookie(front, "gitlogin_session").unwrap();
    for (name, value) in &seen[0].headers {
        assert!(!value.contains(session.as_str()), "{name}: {value}");
    }

    // Signed in with no cookies of the app's own: no Cookie header at all.
    for cookie in planted {
        let (name, _) = cookie.split_once('=').unwrap();
        browser
            .jar
            .add_cookie_str(&format!("{name}=; Max-Age=0"), &site_url);
    }
    assert!(browser
        .cookies(front)
        .iter()
        .all(|(name, _)| name.starts_with("gitlogin_")));
    let page = browser.get(format!("{front}/internal/")).await;
    assert_eq!(page.status(), 200);
    assert!(site.nginx.internal.seen()[1].all("cookie").is_empty());
}

#[rocket::async_test]
async fn behind_nginx_an_underscore_twin_of_an_identity_header_never_reaches_a_cgi_style_app() {
    let Some(site) = Site::start().await else {
        return;
    };
    let front = &site.front;
    let browser = Browser::new();
    sign_in(&browser, front, "/login").await;

    let page = browser
        .http
        .get(format!("{front}/internal/"))
        .header("X_Forwarded_User", "admin")
        .header("X-Forwarded_Groups", "acme/admins")
        .header("X_Forwarded_Github_Id", "1")
        .send()
        .await
        .unwrap();

    // nginx drops a header with an underscore unless `underscores_in_headers on`: the
    // example leaves that off.
    assert_eq!(page.status(), 200);
    let seen = site.nginx.internal.seen();
    assert_eq!(seen[0].folded("x-forwarded-user"), ["octocat"], "{seen:?}");
    assert_eq!(seen[0].folded("x-forwarded-github-id"), ["583231"]);
    let groups = seen[0].folded("x-forwarded-groups");
    assert!(groups.iter().all(|g| !g.contains("admins")), "{seen:?}");
    assert!(seen[0].headers.iter().all(|(name, _)| !name.contains('_')));
}

#[test]
fn the_services_page_shows_the_nginx_example_exactly_as_the_file_has_it() {
    let root = env!("CARGO_MANIFEST_DIR");
    let example = std::fs::read_to_string(format!("{root}/examples/nginx/gitlogin.conf")).unwrap();
    let page = std::fs::read_to_string(format!("{root}/docs/services.md")).unwrap();
    assert!(
        page.contains(&format!("```nginx\n{example}```\n")),
        "docs/services.md's copy of examples/nginx/gitlogin.conf differs from the file: paste the file into the page again"
    );
}
