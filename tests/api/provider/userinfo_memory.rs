//! Userinfo's remembered answers (`src/provider/userinfo/memory.rs`) are exact: a token
//! that ends anywhere, on another instance or by the command line, is refused by every
//! instance at its next call.
//!
//! Each test gets a token on instance A, lets instance B remember its answer (the first
//! call reads the store, the next one is answered from memory), ends the token through A,
//! the command line or the store, and asks B again. The first test shows that B does answer
//! from memory, and that the store's access epoch is what makes it look again.

use std::time::Duration;

use gitlogin::github::fake::Account;
use rocket::http::Status;
use serde_json::Value;

use super::{access_token, app_post, assert_invalid_token, form, offline_tokens, refresh};
use super::{register, remove, signed_in, userinfo, Rp};
use crate::helpers::{Browser, Store, TestApp};
use crate::session_memory::{run, two_instances};

/// Tokens for `wiki` (registered with `rules`) got on A, whose answer B now remembers.
async fn remembered_on_b<'a>(
    a: &'a TestApp,
    b: &TestApp,
    rules: &[&str],
) -> (Rp, Browser<'a>, Value) {
    let rp = register(a, "wiki", rules);
    let browser = signed_in(a).await;
    let body = offline_tokens(a, &browser, &rp).await;
    for _ in 0..2 {
        let answer = userinfo(b, access_token(&body)).await;
        assert_eq!(answer.status(), Status::Ok, "B answers for A's token");
    }
    (rp, browser, body)
}

/// Whether B still answers for the token.
async fn answered(b: &TestApp, body: &Value) -> bool {
    let answer = userinfo(b, access_token(body)).await;
    if answer.status() != Status::Ok {
        assert_invalid_token(&answer);
    }
    answer.status() == Status::Ok
}

#[rocket::async_test]
async fn userinfo_is_answered_from_memory_until_the_epoch_moves() {
    let (a, b) = two_instances(|f| f).await;
    let (_, _, body) = remembered_on_b(&a, &b, &[]).await;

    // Deleted without moving the epoch: B does not look, and still answers.
    let (trigger, on) = match crate::STORE {
        Store::Postgres => ("tokens_change_moves_epoch", " ON tokens"),
        Store::Sqlite => ("tokens_end_moves_epoch", ""),
    };
    run(&a, &format!("DROP TRIGGER {trigger}{on}")).await;
    run(&a, "DELETE FROM tokens").await;
    assert!(answered(&b, &body).await, "answered from memory");

    // Once the epoch moves, B reads the store again and finds no token.
    run(&a, "UPDATE access_epoch SET value = value + 1").await;
    assert!(!answered(&b, &body).await);
}

#[rocket::async_test]
async fn an_access_token_revoked_on_one_instance_is_refused_by_another_at_once() {
    let (a, b) = two_instances(|f| f).await;
    let (rp, _, body) = remembered_on_b(&a, &b, &[]).await;

    let fields = [("token", access_token(&body))];
    let revoked = app_post(&a, "/oauth/revoke", rp.auth(), &fields).await;

    assert_eq!(revoked.status(), Status::Ok);
    assert!(!answered(&b, &body).await);
}

#[rocket::async_test]
async fn a_refresh_on_one_instance_ends_the_token_it_replaces_on_another() {
    let (a, b) = two_instances(|f| f).await;
    let (rp, _, first) = remembered_on_b(&a, &b, &[]).await;

    let (status, second) = refresh(&a, &rp, first["refresh_token"].as_str().unwrap()).await;

    assert_eq!(status, Status::Ok, "{second}");
    assert!(!answered(&b, &first).await, "the replaced token has ended");
    assert!(answered(&b, &second).await);
}

#[rocket::async_test]
async fn ending_the_apps_grant_on_the_about_page_ends_its_token_on_another_instance() {
    let (a, b) = two_instances(|f| f).await;
    let (_, browser, body) = remembered_on_b(&a, &b, &[]).await;
    let page = browser.page("/about").await;
    let grant = page
        .split("name=\"grant\" value=\"")
        .nth(1)
        .expect("listed");
    let grant = grant.split('"').next().unwrap();

    let csrf = browser.csrf_token().await;
    let fields = form(&[("csrf_token", csrf.as_str()), ("grant", grant)]);
    let ended = browser.post_form("/grants/revoke", &fields).await;

    assert_eq!(ended.status(), Status::SeeOther);
    assert!(!answered(&b, &body).await);
}

#[rocket::async_test]
async fn an_app_removed_on_the_command_line_loses_userinfo_on_every_instance() {
    let (a, b) = two_instances(|f| f).await;
    let (rp, _, body) = remembered_on_b(&a, &b, &[]).await;

    remove(&a, &rp);

    assert!(!answered(&b, &body).await);
}

#[rocket::async_test]
async fn deleting_the_account_on_one_instance_ends_its_tokens_on_another() {
    let (a, b) = two_instances(|f| f).await;
    let (_, browser, body) = remembered_on_b(&a, &b, &[]).await;

    let csrf = browser.csrf_token().await;
    let deleted = browser
        .post_form(
            "/account/delete",
            &format!("csrf_token={csrf}&confirm=octocat"),
        )
        .await;

    assert_eq!(deleted.status(), Status::SeeOther);
    assert!(!answered(&b, &body).await);
}

#[rocket::async_test]
async fn leaving_the_apps_org_ends_userinfo_on_another_instance() {
    let (a, b) = two_instances(|f| f).await;
    a.github.set_account(Account {
        orgs: vec!["acme".into()],
        ..Account::octocat()
    });
    let (_, _, body) = remembered_on_b(&a, &b, &["--allow-org", "acme"]).await;

    // What a recheck or another sign-in records when GitHub no longer lists the org.
    run(&a, "DELETE FROM memberships").await;

    assert!(!answered(&b, &body).await);
}

#[rocket::async_test]
async fn a_remembered_answer_ends_when_the_token_expires() {
    let (a, b) = two_instances(|f| f.merge(("access_token_lifetime", "5m"))).await;
    let (_, _, body) = remembered_on_b(&a, &b, &[]).await;

    a.clock.advance(Duration::from_secs(5 * 60 - 1));
    assert!(answered(&b, &body).await, "alive until its last second");
    a.clock.advance(Duration::from_secs(1));
    assert!(!answered(&b, &body).await);
}

/// The store refuses an app's org rule on memberships due a recheck; memory must not
/// outlive that, though the token itself lives on.
#[rocket::async_test]
async fn a_remembered_answer_ends_when_the_memberships_are_due_a_recheck() {
    let (a, b) = two_instances(|f| f.merge(("membership_recheck", "2m"))).await;
    a.github.set_account(Account {
        orgs: vec!["acme".into()],
        ..Account::octocat()
    });
    let (_, _, body) = remembered_on_b(&a, &b, &["--allow-org", "acme"]).await;

    a.clock.advance(Duration::from_secs(2 * 60 - 1));
    assert!(
        answered(&b, &body).await,
        "believed until the recheck is due"
    );
    a.clock.advance(Duration::from_secs(1));
    assert!(!answered(&b, &body).await);
}
