//! Explicit typing (RFC 8725 §3.11): gitlogin signs two kinds of JWT with the same keys and
//! issuer, ID tokens (`typ: JWT`) and the identity tokens of `POST /api/token`
//! (`typ: gitlogin-identity+jwt`), and each reader takes only its own kind.

use rocket::http::Status;

use super::{assert_error_page, form, register, tokens, Authorize};
use crate::helpers::TestApp;

#[rocket::async_test]
async fn an_identity_token_given_as_id_token_hint_is_refused() {
    let app = TestApp::spawn_with(|f| f.merge(("token_audiences", "sibling"))).await;
    let rp = register(&app, "wiki", &[]);
    let browser = super::signed_in(&app).await;
    let id_token = tokens(&app, &browser, &rp, &Authorize::new(&rp)).await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let csrf = browser.csrf_token().await;
    let issued = browser
        .post_form(
            "/api/token",
            &form(&[("csrf_token", csrf.as_str()), ("audience", "sibling")]),
        )
        .await;
    let issued = super::json_of(issued).await;
    let identity_token = issued["token"].as_str().unwrap();
    let logout = |hint: &str| format!("/oauth/logout?{}", form(&[("id_token_hint", hint)]));

    let refused = browser.get(&logout(identity_token)).await;

    assert_error_page(refused, "an identity token as hint").await;
    let header = jsonwebtoken::decode_header(identity_token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("gitlogin-identity+jwt"));
    // An ID token, the kind a hint is, still names its app.
    let page = browser.get(&logout(&id_token)).await;
    assert_eq!(page.status(), Status::Ok);
    assert!(page.into_string().await.unwrap().contains("wiki"));
}
