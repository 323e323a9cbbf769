//! A refresh token's answer lost on the way (RFC 9700 §4.14.2, narrowed): the token presented
//! again within 60 s of its rotation, its successor (the refresh token and the access token
//! issued with it) never used, is honoured once, and the unused successor is dead. Anything
//! else that presents an older token revokes the family. And whatever the number of
//! rotations, a family is one row.

use std::time::Duration;

use rocket::http::Status;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use super::{access_token, assert_invalid_token, assert_token_error, offline_tokens};
use super::{app_post, json_of, refresh, refresh_token, refreshed, register, signed_in};
use super::{userinfo, Rp};
use crate::helpers::TestApp;

/// A family rotated once: the first answer and the second, which the app may have lost.
async fn rotated_once(app: &TestApp) -> (Rp, Value, Value) {
    let rp = register(app, "wiki", &[]);
    let browser = signed_in(app).await;
    let first = offline_tokens(app, &browser, &rp).await;
    let second = refreshed(app, &rp, &first).await;
    (rp, first, second)
}

/// Asserts that every token of `bodies` is dead: the refresh tokens at the token endpoint,
/// the access tokens at userinfo.
async fn assert_all_dead(app: &TestApp, rp: &Rp, bodies: &[&Value]) {
    for body in bodies {
        let answer = refresh(app, rp, refresh_token(body)).await;
        assert_token_error(&answer, Status::BadRequest, "invalid_grant");
        assert_invalid_token(&userinfo(app, access_token(body)).await);
    }
}

#[rocket::async_test]
async fn a_refresh_token_presented_again_59_seconds_after_its_rotation_is_honoured() {
    let app = TestApp::spawn().await;
    let (rp, first, lost) = rotated_once(&app).await;

    app.clock.advance(Duration::from_secs(59));
    let again = refreshed(&app, &rp, &first).await;

    assert_eq!(
        userinfo(&app, access_token(&again)).await.status(),
        Status::Ok
    );
    assert_invalid_token(&userinfo(&app, access_token(&lost)).await);
    assert_invalid_token(&userinfo(&app, access_token(&first)).await);
    assert_eq!(
        app.count("tokens").await,
        1,
        "the new pair's access token only"
    );
    let (status, body) = refresh(&app, &rp, refresh_token(&again)).await;
    assert_eq!(
        status,
        Status::Ok,
        "the family goes on from the new pair: {body}"
    );
}

#[rocket::async_test]
async fn a_refresh_token_presented_again_60_seconds_after_its_rotation_revokes_its_family() {
    let app = TestApp::spawn().await;
    let (rp, first, second) = rotated_once(&app).await;

    app.clock.advance(Duration::from_secs(60));
    let reuse = refresh(&app, &rp, refresh_token(&first)).await;

    assert_token_error(&reuse, Status::BadRequest, "invalid_grant");
    assert_all_dead(&app, &rp, &[&second]).await;
    assert_eq!(app.count("grants").await, 0, "the grant is revoked");
}

#[rocket::async_test]
async fn a_refresh_token_whose_successor_was_used_revokes_its_family_at_once() {
    let app = TestApp::spawn().await;
    let (rp, first, second) = rotated_once(&app).await;
    let third = refreshed(&app, &rp, &second).await;

    let reuse = refresh(&app, &rp, refresh_token(&first)).await;

    assert_token_error(&reuse, Status::BadRequest, "invalid_grant");
    assert_all_dead(&app, &rp, &[&third]).await;
}

#[rocket::async_test]
async fn a_refresh_token_whose_successors_access_token_was_used_revokes_its_family() {
    let app = TestApp::spawn().await;
    let (rp, first, second) = rotated_once(&app).await;
    assert_eq!(
        userinfo(&app, access_token(&second)).await.status(),
        Status::Ok
    );

    let reuse = refresh(&app, &rp, refresh_token(&first)).await;

    assert_token_error(&reuse, Status::BadRequest, "invalid_grant");
    assert_all_dead(&app, &rp, &[&second]).await;
}

#[rocket::async_test]
async fn a_refresh_token_whose_successors_access_token_was_introspected_revokes_its_family() {
    let app = TestApp::spawn().await;
    let (rp, first, second) = rotated_once(&app).await;
    let fields = [("token", access_token(&second))];
    let response = app_post(&app, "/oauth/introspect", rp.auth(), &fields).await;
    assert_eq!(json_of(response).await["active"], true);

    let reuse = refresh(&app, &rp, refresh_token(&first)).await;

    assert_token_error(&reuse, Status::BadRequest, "invalid_grant");
    assert_all_dead(&app, &rp, &[&second]).await;
}

/// An app that revoked the successor's access token had the answer.
#[rocket::async_test]
async fn a_refresh_token_whose_successors_access_token_was_revoked_revokes_its_family() {
    let app = TestApp::spawn().await;
    let (rp, first, second) = rotated_once(&app).await;
    let fields = [("token", access_token(&second))];
    let response = app_post(&app, "/oauth/revoke", rp.auth(), &fields).await;
    assert_eq!(response.status(), Status::Ok);

    let reuse = refresh(&app, &rp, refresh_token(&first)).await;

    assert_token_error(&reuse, Status::BadRequest, "invalid_grant");
    assert_all_dead(&app, &rp, &[&second]).await;
}

#[rocket::async_test]
async fn a_lost_answer_is_made_up_for_only_once() {
    let app = TestApp::spawn().await;
    let (rp, first, _lost) = rotated_once(&app).await;
    let again = refreshed(&app, &rp, &first).await;

    let twice = refresh(&app, &rp, refresh_token(&first)).await;

    assert_token_error(&twice, Status::BadRequest, "invalid_grant");
    assert_all_dead(&app, &rp, &[&again]).await;
}

/// Only someone who intercepted the lost answer holds its refresh token.
#[rocket::async_test]
async fn the_dropped_successor_presented_revokes_the_family() {
    let app = TestApp::spawn().await;
    let (rp, first, lost) = rotated_once(&app).await;
    let again = refreshed(&app, &rp, &first).await;

    let intercepted = refresh(&app, &rp, refresh_token(&lost)).await;

    assert_token_error(&intercepted, Status::BadRequest, "invalid_grant");
    assert_all_dead(&app, &rp, &[&again]).await;
}

#[rocket::async_test]
async fn a_refresh_token_two_generations_old_revokes_its_family() {
    let app = TestApp::spawn().await;
    let (rp, first, second) = rotated_once(&app).await;
    let third = refreshed(&app, &rp, &second).await;
    let fourth = refreshed(&app, &rp, &third).await;

    let reuse = refresh(&app, &rp, refresh_token(&second)).await;

    assert_token_error(&reuse, Status::BadRequest, "invalid_grant");
    assert_all_dead(&app, &rp, &[&fourth]).await;
    let oldest = refresh(&app, &rp, refresh_token(&first)).await;
    assert_token_error(&oldest, Status::BadRequest, "invalid_grant");
}

#[rocket::async_test]
async fn a_family_is_one_row_after_twenty_refreshes() {
    let app = TestApp::spawn().await;
    let (rp, _first, mut current) = rotated_once(&app).await;

    for _ in 0..20 {
        current = refreshed(&app, &rp, &current).await;
    }

    assert_eq!(app.count("refresh_families").await, 1);
    let refresh_rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM tokens WHERE kind <> 'access'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(refresh_rows, 0, "no refresh token has a row of its own");
}

#[rocket::async_test]
async fn a_malformed_refresh_token_is_invalid_grant_and_revokes_nothing() {
    let app = TestApp::spawn().await;
    let (rp, _first, second) = rotated_once(&app).await;
    let lookup = refresh_token(&second).split('.').next().unwrap();

    for bad in ["", ".", "..", "a.1.", ".1.b", "a.x.b", "a.-1.b"] {
        let answer = refresh(&app, &rp, bad).await;
        assert_token_error(&answer, Status::BadRequest, "invalid_grant");
    }
    let too_far = format!("{lookup}.4294967296.secret");
    // The family's own lookup id and generation, without a secret.
    let no_secret = format!("{lookup}.2.");
    for bad in [too_far, no_secret] {
        let answer = refresh(&app, &rp, &bad).await;
        assert_token_error(&answer, Status::BadRequest, "invalid_grant");
    }

    refreshed(&app, &rp, &second).await;
}

/// A store migrated to families (migration 16) while an app held a refresh token of the
/// shape before, one `tokens` row of its own: the app goes on refreshing.
#[rocket::async_test]
async fn a_refresh_token_issued_before_families_goes_on_refreshing_once_migrated() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    offline_tokens(&app, &browser, &rp).await;
    let old = "a-refresh-token-issued-before-migration-16-xyz";
    before_families(&app, old).await;

    migrate_refresh_tokens(&app).await;

    let (status, body) = refresh(&app, &rp, old).await;
    assert_eq!(status, Status::Ok, "{body}");
    refreshed(&app, &rp, &body).await;
    assert_eq!(app.count("refresh_families").await, 1);
}

/// The store as it was before migration 16, `old` the grant's live refresh token.
async fn before_families(app: &TestApp, old: &str) {
    let grant_id: i64 = sqlx::query_scalar("SELECT grant_id FROM refresh_families")
        .fetch_one(&app.db)
        .await
        .unwrap();
    sqlx::query("DELETE FROM refresh_families")
        .execute(&app.db)
        .await
        .unwrap();
    let hash = format!("{:x}", Sha256::digest(old.as_bytes()));
    sqlx::query(
        "INSERT INTO tokens (token_hash, grant_id, kind, issued_at, expires_at, used)
         VALUES ($1, $2, 'refresh', $3, $4, 0)",
    )
    .bind(hash)
    .bind(grant_id)
    .bind(app.clock.now())
    .bind(app.clock.now() + 3600)
    .execute(&app.db)
    .await
    .unwrap();
}

/// Migration 16's statements that move the refresh tokens, as they run on this store.
async fn migrate_refresh_tokens(app: &TestApp) {
    let backend = match app.db_url.starts_with("postgres") {
        true => "postgres",
        false => "sqlite",
    };
    let path = format!(
        "{}/migrations/{backend}/20261207000016_refresh_families.sql",
        env!("CARGO_MANIFEST_DIR")
    );
    let migration = std::fs::read_to_string(path).unwrap();
    let moves = migration
        .split(';')
        .filter(|sql| sql.contains("INSERT INTO") || sql.contains("DELETE FROM"));
    for sql in moves {
        sqlx::query(sql).execute(&app.db).await.unwrap();
    }
}
