//! The `state` an app sends to RP-initiated logout rides in the confirmation page's form and
//! comes back with the person. Forms are capped at 4 KiB (`Rocket.toml`), so a state of up to
//! 2048 characters is taken and a longer one refused at once, rather than failing when the
//! button is pressed.

use super::logout::{confirmation_fields, signed_in_to_wiki, SIGNED_OUT};
use super::{assert_error_page, form};
use crate::helpers::{assert_redirect, TestApp};

/// `/oauth/logout` with `id_token` as hint, back to [`SIGNED_OUT`] with `state`.
fn logout_with_state(id_token: &str, state: &str) -> String {
    let query = [
        ("id_token_hint", id_token),
        ("post_logout_redirect_uri", SIGNED_OUT),
        ("state", state),
    ];
    format!("/oauth/logout?{}", form(&query))
}

#[rocket::async_test]
async fn a_logout_state_of_2048_characters_comes_back_and_a_longer_one_is_refused_up_front() {
    let app = TestApp::spawn().await;
    let (_, browser, id_token) = signed_in_to_wiki(&app).await;
    let (longest, too_long) = ("s".repeat(2048), "s".repeat(2049));

    let refused = browser.get(&logout_with_state(&id_token, &too_long)).await;
    assert_error_page(refused, "2049 characters").await;
    assert_eq!(app.count("sessions").await, 1, "nobody signed out");

    let page = browser.page(&logout_with_state(&id_token, &longest)).await;
    let fields = confirmation_fields(&browser, &page).await;
    let response = browser.post_form("/oauth/logout", &form(&fields)).await;
    assert_redirect(&response, &format!("{SIGNED_OUT}?state={longest}"));
    assert_eq!(app.count("sessions").await, 0);
}
