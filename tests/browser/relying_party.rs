//! Another app signs a person in through gitlogin, on a site of its own: the example relying
//! party (`examples/relying_party.rs`, the `openidconnect` crate) on `127.0.0.2`, gitlogin on
//! `127.0.0.1`, the fake GitHub on `localhost`. Chromium clicks through all three, consent
//! page included, and the page the app shows at the end names the person. The console stays
//! clean: in particular, the consent form's redirect to the app is one the page's
//! `form-action` allows.

use gitlogin::ops::loopback;

use crate::apps::RunningApp;
use crate::browser::Browser;

#[path = "../../examples/relying_party.rs"]
mod example;

/// `gitlogin apps add rp --redirect-uri …/callback --json` on the app's store: its id and secret.
fn register(app: &RunningApp, rp_url: &str) -> (String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_gitlogin"))
        .env_clear()
        .args(["apps", "add", "rp", "--redirect-uri"])
        .arg(format!("{rp_url}/callback"))
        .arg("--json")
        .env("DATABASE_URL", &app.db_url)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let field = |name: &str| json[name].as_str().unwrap().to_owned();
    (field("client_id"), field("client_secret"))
}

/// The example on `127.0.0.2` (loopback, and a site of its own for the browser).
async fn start_relying_party(app: &RunningApp) -> String {
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.2:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let url = format!("http://127.0.0.2:{port}");
        let (client_id, client_secret) = register(app, &url);
        let settings = example::Settings {
            issuer: app.url.clone(),
            client_id,
            client_secret,
            url: url.clone(),
        };
        let figment = loopback::figment(port).merge(("address", "127.0.0.2"));
        if loopback::launch(example::app(settings).configure(figment))
            .await
            .is_some()
        {
            return url;
        }
    }
    panic!("no free port for the relying party");
}

#[rocket::async_test]
async fn an_app_on_another_site_signs_a_person_in_through_gitlogin_with_consent() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (app, github) = RunningApp::with_fake_github().await;
    let rp = start_relying_party(&app).await;

    browser.goto(&format!("{rp}/")).await;
    assert_eq!(browser.h1().await, "Welcome");
    browser.click_link("Sign in with gitlogin").await;

    // Not signed in to gitlogin yet: through GitHub first.
    assert!(browser.url().await.as_str().starts_with(&github.url));
    browser.click_button("Authorize").await;

    // Back at gitlogin, which asks before it tells the app anything.
    assert!(browser.url().await.as_str().starts_with(&app.url));
    assert_eq!(browser.h1().await, "Sign in to rp?");
    let page = browser.text().await;
    assert!(page.contains("your name and picture"), "{page}");
    browser.click_button("Allow").await;

    assert!(
        browser.url().await.as_str().starts_with(&rp),
        "{}",
        browser.url().await
    );
    assert_eq!(
        browser.h1().await,
        "Signed in as octocat (GitHub id 583231)"
    );

    browser.finish().await;
}
