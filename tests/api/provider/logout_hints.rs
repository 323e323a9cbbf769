//! What an `id_token_hint` at RP-initiated logout is taken for. The hint names the app, and
//! so where the person may be sent back; it is checked as an ID token gitlogin signed, and
//! only that (`logout.rs`, `typing.rs`), but not for its age: apps send the ID token they
//! kept from the sign-in, which has long expired by the time someone signs out, and the
//! specification asks providers to take it (OpenID Connect RP-Initiated Logout 1.0, §4).

use std::time::Duration;

use rocket::http::Status;

use super::logout::{confirmation_fields, logout_uri, signed_in_to_wiki, SIGNED_OUT};
use super::{form, form_fields, register, unverified_claims};
use crate::helpers::{assert_redirect, TestApp};

#[rocket::async_test]
async fn an_expired_id_token_hint_still_signs_out_back_to_its_apps_registered_uri() {
    let app = TestApp::spawn().await;
    let (_, browser, id_token) = signed_in_to_wiki(&app).await;
    app.clock.advance(Duration::from_secs(60 * 60));
    let exp = unverified_claims(&id_token)["exp"].as_i64().unwrap();
    assert!(exp < app.clock.now(), "the hint has expired");

    let confirmation = browser.get(&logout_uri(&id_token, SIGNED_OUT)).await;
    assert_eq!(confirmation.status(), Status::Ok, "the hint is taken");
    let page = confirmation.into_string().await.unwrap();
    let fields = confirmation_fields(&browser, &page).await;
    let response = browser.post_form("/oauth/logout", &form(&fields)).await;

    assert_redirect(
        &response,
        &format!("{SIGNED_OUT}?state=the-apps-logout-state"),
    );
    assert_eq!(app.count("sessions").await, 0);
    assert_redirect(&browser.get("/about").await, "/login?next=/about");
}

/// A request may name its app twice, by the hint and by `client_id`: naming the same app is
/// taken, naming two different ones is refused (an error page, nobody signed out), rather
/// than one of them silently winning.
#[rocket::async_test]
async fn a_hint_with_its_own_apps_client_id_is_taken_and_with_another_apps_refused() {
    let app = TestApp::spawn().await;
    let (wiki, browser, id_token) = signed_in_to_wiki(&app).await;
    let blog = register(&app, "blog", &[]);
    let uri = |client_id: &str| {
        let query = [
            ("id_token_hint", id_token.as_str()),
            ("client_id", client_id),
        ];
        format!("/oauth/logout?{}", form(&query))
    };

    let same = browser.get(&uri(&wiki.client_id)).await;
    assert_eq!(same.status(), Status::Ok, "its own app");
    let page = same.into_string().await.unwrap();
    assert!(page.contains("The app <strong>wiki</strong>"), "{page}");
    let other = browser.get(&uri(&blog.client_id)).await;
    assert_eq!(other.status(), Status::BadRequest, "another app");
    assert_eq!(other.headers().get_one("Location"), None);
    let page = other.into_string().await.unwrap();
    assert!(page.contains("names two different apps"), "{page}");
    assert!(form_fields(&page, "/oauth/logout").is_empty(), "{page}");
    assert_eq!(app.count("sessions").await, 1);
}
