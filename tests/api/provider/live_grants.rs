//! "Apps you have signed in to" lists each grant a person holds for an app (a browser's, a
//! laptop's device code, a desktop's), while one of its tokens lives: how it began, when, and
//! when it was last used, each with a button that ends it alone.

use std::time::Duration;

use gitlogin::github::fake::{Account, SignedIn};
use rocket::http::Status;
use serde_json::Value;

use super::device::{ask, poll, press, type_code};
use super::{access_token, form, refresh, register, signed_in, tokens, userinfo, Authorize, Rp};
use crate::helpers::{Browser, TestApp};

/// The grants the About page lists, in its order: each one's id and its line of text.
async fn listed(browser: &Browser<'_>) -> Vec<(String, String)> {
    let page = browser.page("/about").await;
    page.split("<li class=\"grant\">")
        .skip(1)
        .map(|item| {
            let text = item.split("</span>").next().unwrap();
            let text = text.rsplit('>').next().unwrap().trim().to_owned();
            let id = item.split("name=\"grant\" value=\"").nth(1).unwrap();
            (id.split('"').next().unwrap().to_owned(), text)
        })
        .collect()
}

/// A device grant for `rp` (registered with `--device`), allowed in `browser`: the tokens.
async fn device_tokens(app: &TestApp, browser: &Browser<'_>, rp: &Rp) -> Value {
    let (_, codes) = ask(app, &rp.client_id, "openid offline_access").await;
    let page = type_code(browser, codes["user_code"].as_str().unwrap()).await;
    press(browser, &page, "allow").await;
    let (status, body) = poll(app, &rp.client_id, codes["device_code"].as_str().unwrap()).await;
    assert_eq!(status, Status::Ok, "{body}");
    body
}

async fn end(browser: &Browser<'_>, grant: &str) -> Status {
    let csrf = browser.csrf_token().await;
    let body = form(&[("csrf_token", csrf.as_str()), ("grant", grant)]);
    browser.post_form("/grants/revoke", &body).await.status()
}

#[rocket::async_test]
async fn each_grant_of_an_app_is_listed_with_how_it_began_and_ends_alone() {
    let app = TestApp::spawn().await;
    let cli = register(&app, "cli", &["--public", "--device"]);
    let browser = signed_in(&app).await;
    let scope = Authorize::new(&cli).with("scope", "openid offline_access");
    let from_browser = tokens(&app, &browser, &cli, &scope).await;
    let laptop = device_tokens(&app, &browser, &cli).await;
    let desktop = device_tokens(&app, &browser, &cli).await;

    let grants = listed(&browser).await;
    assert_eq!(grants.len(), 3, "{grants:?}");
    assert!(
        grants[0].1.starts_with("Signed in from a browser"),
        "{grants:?}"
    );
    assert!(
        grants[1].1.starts_with("Signed in with a device code"),
        "{grants:?}"
    );
    assert!(
        grants[2].1.starts_with("Signed in with a device code"),
        "{grants:?}"
    );

    // The desktop's refresh, two minutes on, is its last use.
    app.clock.advance(Duration::from_secs(120));
    let (status, refreshed) = refresh(&app, &cli, desktop["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, Status::Ok, "{refreshed}");
    let grants = listed(&browser).await;
    let (first, last) = grants[2].1.split_once(" · last used ").unwrap();
    assert_ne!(first.rsplit_once("code ").unwrap().1, last, "{grants:?}");

    // Ending the laptop's grant ends its tokens only.
    assert_eq!(end(&browser, &grants[1].0).await, Status::SeeOther);
    let (status, _) = refresh(&app, &cli, laptop["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, Status::BadRequest);
    assert_eq!(
        userinfo(&app, access_token(&laptop)).await.status(),
        Status::Unauthorized
    );
    assert_eq!(
        userinfo(&app, access_token(&from_browser)).await.status(),
        Status::Ok
    );
    let (status, _) = refresh(&app, &cli, refreshed["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, Status::Ok, "the desktop's grant lives on");
    let left: Vec<String> = listed(&browser)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(left, [grants[0].0.clone(), grants[2].0.clone()]);
    assert!(
        browser
            .page("/about")
            .await
            .contains("action=\"/apps/revoke\""),
        "the app stays"
    );
}

#[rocket::async_test]
async fn a_grant_whose_tokens_are_all_dead_is_not_listed() {
    let app = TestApp::spawn().await;
    let wiki = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    tokens(&app, &browser, &wiki, &Authorize::new(&wiki)).await;
    assert_eq!(listed(&browser).await.len(), 1);

    // No refresh token: its access token's ten minutes are all it has.
    app.clock.advance(Duration::from_secs(10 * 60));

    assert_eq!(listed(&browser).await.len(), 0);
    let page = browser.page("/about").await;
    assert!(page.contains("wiki"), "the app itself stays listed: {page}");
}

#[rocket::async_test]
async fn another_persons_grant_cannot_be_ended() {
    let app = TestApp::spawn().await;
    let wiki = register(&app, "wiki", &[]);
    let owner = signed_in(&app).await;
    let body = tokens(&app, &owner, &wiki, &Authorize::new(&wiki)).await;
    let grant = listed(&owner).await[0].0.clone();
    app.github
        .with(|w| w.signed_in = SignedIn::As(Account::mallory()));
    let mallory = signed_in(&app).await;

    assert_eq!(end(&mallory, &grant).await, Status::NotFound);
    let cross_site = mallory_cross_site(&app, &owner, &grant).await;
    assert_eq!(cross_site, Status::Forbidden);

    assert_eq!(
        userinfo(&app, access_token(&body)).await.status(),
        Status::Ok
    );
    assert_eq!(listed(&owner).await.len(), 1);
}

/// The owner's own browser, led by another site to post the form: refused before anything.
async fn mallory_cross_site(app: &TestApp, owner: &Browser<'_>, grant: &str) -> Status {
    let csrf = owner.csrf_token().await;
    let request = app
        .client
        .post("/grants/revoke")
        .header(rocket::http::ContentType::Form)
        .header(rocket::http::Header::new("Origin", "https://evil.example"))
        .body(form(&[("csrf_token", csrf.as_str()), ("grant", grant)]));
    owner.send(request).await.status()
}
