//! An API's audience is never an identity token's: `apps add` refuses one named in
//! `TOKEN_AUDIENCES`, and `POST /api/token` refuses one registered as an API's.

use super::registry::Store;
use super::{add, gitlogin_on, stderr};

#[rocket::async_test]
async fn an_audience_named_in_token_audiences_is_refused() {
    let store = Store::new().await;
    let env = [(
        "TOKEN_AUDIENCES",
        "https://billing.example,https://data.example",
    )];
    let args = ["apps", "add", "data", "--api", "https://data.example"];

    let output = gitlogin_on(&store.url, &args, &env);

    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("TOKEN_AUDIENCES"),
        "{}",
        stderr(&output)
    );
    assert_eq!(store.rows().await, [0, 0, 0, 0, 0]);
}

#[rocket::async_test]
async fn an_api_audience_put_in_token_audiences_later_gets_no_identity_token() {
    let audiences = "https://data.example,sibling";
    let app =
        crate::helpers::TestApp::spawn_with(|f| f.merge(("token_audiences", audiences))).await;
    add(&app.db_url, &["data", "--api", "https://data.example"]);
    let browser = crate::provider::signed_in(&app).await;
    let csrf = browser.csrf_token().await;
    let ask = |audience: &'static str| {
        crate::provider::form(&[("csrf_token", csrf.as_str()), ("audience", audience)])
    };

    let refused = browser
        .post_form("/api/token", &ask("https://data.example"))
        .await;
    let issued = browser.post_form("/api/token", &ask("sibling")).await;

    assert_eq!(refused.status(), rocket::http::Status::BadRequest);
    assert_eq!(issued.status(), rocket::http::Status::Ok);
}
