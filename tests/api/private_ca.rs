//! GitHub Enterprise behind a private CA: a fake GitHub on TLS whose certificate a CA made
//! in this test signed. Without `GITHUB_CA_FILE` the sign-in stops on a page that names the
//! certificate problem; with it, the sign-in works.

use gitlogin::ops::loopback;

use crate::helpers::{private_ca, TestApp, PUBLIC_URL};

async fn sign_in_through_tls_github(trust_the_ca: bool) -> (TestApp, rocket::http::Status, String) {
    let (ca, cert, key) = private_ca();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca).unwrap();
    let tls = loopback::figment(0)
        .merge(("tls.certs", cert.as_bytes()))
        .merge(("tls.key", key.as_bytes()));
    let github = gitlogin::github::fake::FakeGithub::new(
        crate::helpers::CLIENT_ID,
        crate::helpers::CLIENT_SECRET,
        gitlogin::ops::clock::Clock::default(),
    )
    .serve(|rocket| rocket.configure(tls))
    .await;
    let url = github.url.replace("http://", "https://");
    github.with(|w| {
        w.issuer = format!("{url}/login/oauth");
        w.callback = Some(format!("{PUBLIC_URL}/login/callback"));
    });
    let app = TestApp::spawn_with(move |f| {
        let f = f
            .merge(("github_url", &url))
            .merge(("github_api_url", &url));
        if trust_the_ca {
            f.merge(("github_ca_file", ca_file.display().to_string()))
        } else {
            f
        }
    })
    .await;
    let browser = app.browser();
    let authorize = browser.start_login(None).await;
    let callback = github_redirect_trusting(&authorize, &ca).await;
    let response = browser.get(&callback).await;
    let status = response.status();
    let page = response.into_string().await.unwrap_or_default();
    drop(dir);
    (app, status, page)
}

/// The browser's part of the trip to GitHub: it trusts the CA (the person's machine does).
async fn github_redirect_trusting(authorize: &url::Url, ca: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).unwrap())
        .build()
        .unwrap();
    let back = http.get(authorize.as_str()).send().await.unwrap();
    assert_eq!(back.status(), 302);
    let back = url::Url::parse(back.headers()["location"].to_str().unwrap()).unwrap();
    format!("{}?{}", back.path(), back.query().unwrap_or_default())
}

#[rocket::async_test]
async fn without_the_ca_file_the_sign_in_stops_on_a_page_naming_the_certificate() {
    let (app, status, page) = sign_in_through_tls_github(false).await;

    assert_eq!(status.code, 502);
    assert!(
        page.contains("certificate") && page.contains("GITHUB_CA_FILE"),
        "{page}"
    );
    assert_eq!(app.count("users").await, 0);
}

#[rocket::async_test]
async fn with_the_ca_file_the_sign_in_works() {
    let (app, status, page) = sign_in_through_tls_github(true).await;

    assert_eq!(status.code, 303, "{page}");
    assert_eq!(app.count("users").await, 1);
}

#[test]
fn a_ca_file_that_is_missing_or_holds_no_certificate_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    for path in [garbage, dir.path().join("missing.pem")] {
        let out = crate::real_server::gitlogin()
            .arg("check-config")
            .env("GITHUB_CLIENT_ID", "id")
            .env("GITHUB_CLIENT_SECRET", "secret")
            .env("GITHUB_CA_FILE", &path)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains("GITHUB_CA_FILE") && err.contains(&*path.to_string_lossy()),
            "{err}"
        );
    }
}
