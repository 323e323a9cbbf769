//! The benchmark's seeding (`gitlogin::seed`) writes rows the app reads as its own: a seeded
//! person who signs in is a returning user, on both stores. A migration that changes the
//! tables and not the seeding fails here.

use gitlogin::github::fake::Account;
use sqlx::Acquire;

use crate::helpers::{assert_redirect, TestApp};

#[rocket::async_test]
async fn seeded_people_sign_in_as_returning_users() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.acquire().await.unwrap();
    let conn = conn.acquire().await.unwrap();
    gitlogin::seed::people(conn, 3, app.clock.now(), "bench")
        .await
        .unwrap();
    assert_eq!(
        (app.count("users").await, app.count("sessions").await),
        (3, 3)
    );

    app.github.set_account(Account::numbered(2));
    let browser = app.browser();
    assert_redirect(&browser.sign_in(None).await, "/");

    assert_eq!(app.count("users").await, 3, "the seeded user signed in");
    assert_eq!(app.count("sessions").await, 4);
    assert!(browser.page("/about").await.contains("user2@example.com"));
}
