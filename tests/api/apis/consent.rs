//! Consent to an app's APIs: the page names each API and the scopes the person would hold
//! there, a yes is remembered per app, API and scope (a new API or scope asks again), and
//! Allow gives no more than the page showed.

use rocket::http::Status;

use super::people::{asking, octocat, redeem_with, setup};
use super::services::DATA;
use crate::provider::{code, signed_in, Authorize};

#[rocket::async_test]
async fn the_consent_page_names_each_api_and_its_scopes_and_is_remembered_per_scope_set() {
    let (app, rp, _) = setup(&["acme/ops"]).await;
    let browser = signed_in(&app).await;
    code(&browser, &rp, &Authorize::new(&rp)).await;

    let page = browser.get(&asking(&rp).uri()).await;

    assert_eq!(page.status(), Status::Ok, "a new API is asked about");
    let page = page.into_string().await.unwrap();
    assert!(
        page.contains("<strong>data</strong>: read, write"),
        "{page}"
    );
    code(&browser, &rp, &asking(&rp)).await;
    let again = browser
        .get(&asking(&rp).with("scope", "openid read").uri())
        .await;
    assert_eq!(
        again.status(),
        Status::SeeOther,
        "fewer scopes: not asked again"
    );
}

/// The app's own scopes already said yes to, an API's are asked about on their own: a yes to
/// the app is no yes to what it may do at an API, nor a yes to `read` one to `write`.
#[rocket::async_test]
async fn an_api_and_each_new_scope_of_it_are_asked_about_though_the_app_was_consented_to() {
    let (app, rp, _) = setup(&["acme/ops"]).await;
    let browser = signed_in(&app).await;
    let openid = |scope: &str| {
        Authorize::new(&rp)
            .with("scope", &format!("openid {scope}"))
            .with("resource", DATA)
    };
    code(&browser, &rp, &Authorize::new(&rp).with("scope", "openid")).await;

    let new_api = browser.get(&openid("read").uri()).await;
    assert_eq!(new_api.status(), Status::Ok, "the API is asked about");
    let page = new_api.into_string().await.unwrap();
    assert!(page.contains("<strong>data</strong>: read"), "{page}");
    code(&browser, &rp, &openid("read")).await;
    let new_scope = browser.get(&openid("read write").uri()).await;

    assert_eq!(new_scope.status(), Status::Ok, "`write` is asked about");
    let page = new_scope.into_string().await.unwrap();
    assert!(
        page.contains("<strong>data</strong>: read, write"),
        "{page}"
    );
}

#[rocket::async_test]
async fn allow_gives_no_more_than_the_consent_page_showed() {
    let (app, rp, _) = setup(&[]).await;
    let browser = signed_in(&app).await;
    let page = browser.get(&asking(&rp).uri()).await;
    let page = page.into_string().await.unwrap();
    assert!(page.contains("<strong>data</strong>: read<"), "{page}");

    // Meanwhile the person joins the team that `write` needs, and signs in elsewhere.
    app.github.set_account(octocat(&["acme/ops"]));
    signed_in(&app).await;
    let allowed = crate::provider::decide(&browser, &page, "allow").await;

    let code = crate::provider::back_at(&rp, &allowed)["code"].clone();
    let (_, body) = redeem_with(&app, &rp, &code, &[("resource", DATA)]).await;
    assert_eq!(body["scope"], "read", "{body}");
    // Not remembered either: asked for `write`, the person sees the page again.
    let again = browser.get(&asking(&rp).uri()).await;
    assert_eq!(again.status(), Status::Ok);
}
