//! What an `id_token_hint` at RP-initiated logout is taken for. The hint names the app, and
//! so where the person may be sent back; it is checked as an ID token gitlogin signed, and
//! only that (`logout.rs`, `typing.rs`), but not for its age: apps send the ID token they
//! kept from the sign-in, which has long expired by the time someone signs out, and the
//! specification asks providers to take it (OpenID Connect RP-Initiated Logout 1.0, §4).

use std::time::Duration;

use rocket::http::Status;

use super::logout::{confirmation_fields, logout_uri, signed_in_to_wiki, SIGNED_OUT};
use super::{form, unverified_claims};
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
