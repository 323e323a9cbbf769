//! Login CSRF: an attacker signs in at GitHub as themselves, stops before the app's
//! callback, and gets the victim's browser to open that callback URL. The victim must not
//! end up signed in to the attacker's account.

use crate::apps::RunningApp;
use crate::browser::Browser;
use gitlogin::github::fake::Account;

use crate::github_site::GithubSite;

#[rocket::async_test]
async fn the_attackers_callback_url_does_not_sign_the_victim_in() {
    let Some(mut victim) = Browser::start().await else {
        return;
    };
    let (app, github) = RunningApp::with_fake_github().await;
    let planted = attackers_callback(&app, &github).await;

    // Opened cold, in a browser that started no sign-in: nothing happens.
    victim.goto(&planted).await;
    assert_eq!(victim.url().await.as_str(), app.at("/"));
    assert_eq!(victim.h1().await, "Sign in with GitHub");
    let page = victim.text().await;
    assert!(!page.contains("Mallory"), "{page}");

    // Opened while the victim's own sign-in waits at GitHub: the state is not theirs.
    victim.click_link("Sign in with GitHub").await;
    assert_eq!(victim.h1().await, "Authorize gitlogin");
    victim.goto_error_page(&planted).await;
    let page = victim.text().await;
    assert!(
        page.contains("does not belong to a sign-in started in this browser"),
        "{page}"
    );
    assert!(!page.contains("Mallory"), "{page}");

    // Still signed out, and the attacker's code was never even traded for a token.
    victim.goto(&app.at("/about")).await;
    assert!(victim.url().await.as_str().starts_with(&github.url));
    assert_eq!(github.tokens_issued(), 0);

    victim.finish().await;
}

/// What the attacker does with their own HTTP client: start a sign-in at the app, approve
/// it at GitHub as themselves, and keep the callback URL instead of following it.
async fn attackers_callback(app: &RunningApp, github: &GithubSite) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = http.get(app.at("/login")).send().await.unwrap();
    let authorize = url::Url::parse(login.headers()["location"].to_str().unwrap()).unwrap();
    let query: std::collections::HashMap<_, _> = authorize.query_pairs().into_owned().collect();

    github.sign_in_as(Account::mallory());
    let approved = http
        .post(format!("{}/login/oauth/authorize", github.url))
        .form(&[
            ("client_id", query["client_id"].as_str()),
            ("redirect_uri", query["redirect_uri"].as_str()),
            ("state", query["state"].as_str()),
            ("code_challenge", query["code_challenge"].as_str()),
            ("decision", "approve"),
        ])
        .send()
        .await
        .unwrap();
    github.sign_in_as(Account::octocat());
    let callback = approved.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        callback.starts_with(&app.at("/login/callback?code=")),
        "{callback}"
    );
    callback
}
