//! The allow-lists against what GitHub accounts really do: logins renamed, freed and claimed
//! by someone else; members leaving an organisation.

use rocket::http::Status;

use crate::helpers::{assert_redirect, TestApp};
use gitlogin::github::fake::Account;

fn account(id: i64, login: &str) -> Account {
    Account {
        id,
        login: login.into(),
        ..Account::octocat()
    }
}

#[rocket::async_test]
async fn a_recycled_login_is_refused_while_the_renamed_account_keeps_access() {
    let app = TestApp::spawn_with(|f| f.merge(("allowed_github_users", "Alice"))).await;
    // The first account to sign in as `alice` is the one the entry means from now on.
    app.github.set_account(account(1001, "alice"));
    let alice = app.browser();
    assert_redirect(&alice.sign_in(None).await, "/");

    // She renames herself; `alice` is freed and someone else claims it.
    app.github.set_account(account(1001, "alice-renamed"));
    let renamed = app.browser();
    assert_redirect(&renamed.sign_in(None).await, "/");
    app.github.set_account(account(2002, "alice"));
    let claimant = app.browser();

    let response = claimant.sign_in(None).await;

    assert_eq!(response.status(), Status::Forbidden);
    assert!(claimant.cookie("gitlogin_session").is_none());
    let ids: Vec<i64> = sqlx::query_scalar("SELECT github_id FROM users")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(ids, [1001], "no row for the claimant");
    assert_eq!(app.count("sessions").await, 2, "only the pinned account's");
    // Every session of the pinned account still works, under its new login too.
    for browser in [&alice, &renamed] {
        let check = browser.get("/auth/check").await;
        assert_eq!(check.status(), Status::Ok);
        assert_eq!(
            check.headers().get_one("X-Auth-Request-Github-Id"),
            Some("1001")
        );
    }
}

#[rocket::async_test]
async fn entries_written_as_ids_admit_that_account_whatever_its_login() {
    let app = TestApp::spawn_with(|f| f.merge(("allowed_github_users", "3003, bob:4004"))).await;
    for (id, login) in [(3003, "carol"), (4004, "not-bob")] {
        app.github.set_account(account(id, login));
        let browser = app.browser();
        assert_redirect(&browser.sign_in(None).await, "/");
        assert_eq!(browser.get("/auth/check").await.status(), Status::Ok);
    }
    // `bob:4004` means account 4004, not whoever is called bob; and digits are never a login.
    for (id, login) in [(5005, "bob"), (6006, "3003")] {
        app.github.set_account(account(id, login));
        let browser = app.browser();
        assert_eq!(browser.sign_in(None).await.status(), Status::Forbidden);
    }
    assert_eq!(app.count("users").await, 2);
}

#[rocket::async_test]
async fn a_refused_sign_in_ends_every_session_the_account_still_had() {
    let app = TestApp::spawn_with(|f| f.merge(("allowed_github_orgs", "acme"))).await;
    let member = Account {
        orgs: vec!["acme".into()],
        ..Account::octocat()
    };
    app.github.set_account(member.clone());
    let first = app.browser();
    assert_redirect(&first.sign_in(None).await, "/");
    assert_eq!(first.get("/auth/check").await.status(), Status::Ok);

    // Removed from acme at GitHub; signs in again in another browser.
    app.github.set_account(Account {
        orgs: vec![],
        ..member
    });
    let again = app.browser();
    assert_eq!(again.sign_in(None).await.status(), Status::Forbidden);

    assert_eq!(app.count("sessions").await, 0);
    assert_eq!(app.count("memberships").await, 0);
    assert_eq!(
        first.get("/auth/check").await.status(),
        Status::Unauthorized
    );
    assert_redirect(&first.get("/about").await, "/login?next=/about");
}
