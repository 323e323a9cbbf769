//! GitHub's organisation webhook (`POST /github/webhook`) ends access the moment someone
//! leaves an organisation or a team: only deliveries signed with `GITHUB_WEBHOOK_SECRET`
//! count, each delivery id once, and a removal ends what that membership decided and no more.
//! The bodies are shaped like GitHub's documented payloads (`shared/GITHUB.md`).

use rocket::http::{ContentType, Header, Status};
use serde_json::{json, Value};

use crate::helpers::{assert_redirect, Browser, TestApp};
use crate::provider::{offline_tokens, refresh, register};
use gitlogin::github::fake::Account;

pub(crate) const SECRET: &str = "the-org-webhooks-secret";

pub(crate) fn octocat_in(orgs: &[&str], teams: &[&str]) -> Account {
    Account {
        orgs: orgs.iter().map(|o| o.to_string()).collect(),
        teams: teams.iter().map(|t| t.to_string()).collect(),
        ..Account::octocat()
    }
}

async fn with_webhook(orgs: &str) -> TestApp {
    let app = TestApp::spawn_with(|f| {
        f.merge(("github_webhook_secret", SECRET))
            .merge(("allowed_github_orgs", orgs))
    })
    .await;
    app.github.set_account(octocat_in(&["acme"], &["acme/ops"]));
    app
}

async fn signed_in(app: &TestApp) -> Browser<'_> {
    let browser = app.browser();
    assert_redirect(&browser.sign_in(Some("/about")).await, "/about");
    browser
}

/// `organization` `member_removed`, as GitHub sends it.
pub(crate) fn member_removed(org: &str, github_id: i64, login: &str) -> Value {
    json!({
        "action": "member_removed",
        "membership": {
            "url": format!("https://api.github.com/orgs/{org}/memberships/{login}"),
            "state": "active",
            "role": "member",
            "organization_url": format!("https://api.github.com/orgs/{org}"),
            "user": { "login": login, "id": github_id, "type": "User", "site_admin": false },
        },
        "organization": { "login": org, "id": 1000, "url": format!("https://api.github.com/orgs/{org}") },
        "sender": { "login": "an-org-owner", "id": 1, "type": "User" },
    })
}

/// `membership` `removed` from a team, as GitHub sends it.
pub(crate) fn team_member_removed(org: &str, team: &str, github_id: i64, login: &str) -> Value {
    json!({
        "action": "removed",
        "scope": "team",
        "member": { "login": login, "id": github_id, "type": "User" },
        "team": { "name": team, "id": 2000, "slug": team, "privacy": "closed", "permission": "pull" },
        "organization": { "login": org, "id": 1000 },
        "sender": { "login": "an-org-owner", "id": 1, "type": "User" },
    })
}

pub(crate) fn signature(secret: &str, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let tag = ring::hmac::sign(&key, body);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Posts `body` as GitHub would, signed with `secret` (`None`: no signature header).
async fn deliver(
    app: &TestApp,
    event: &str,
    delivery: &str,
    body: &[u8],
    secret: Option<&str>,
) -> (Status, String) {
    let mut request = app
        .client
        .post("/github/webhook")
        .header(ContentType::JSON)
        .header(Header::new("User-Agent", "GitHub-Hookshot/044aadd"))
        .header(Header::new("X-GitHub-Event", event.to_owned()))
        .header(Header::new("X-GitHub-Delivery", delivery.to_owned()))
        .body(body);
    if let Some(secret) = secret {
        request = request.header(Header::new("X-Hub-Signature-256", signature(secret, body)));
    }
    let response = request.dispatch().await;
    let status = response.status();
    (status, response.into_string().await.unwrap_or_default())
}

pub(crate) async fn deliver_json(
    app: &TestApp,
    event: &str,
    delivery: &str,
    body: &Value,
) -> Status {
    let body = body.to_string();
    deliver(app, event, delivery, body.as_bytes(), Some(SECRET))
        .await
        .0
}

const OCTOCAT: i64 = 583231;

/// Octocat signed in, removed from `acme` by delivery `d-1`, then back in the org and signed
/// in again: the removal's body (for a replay) and the new browser.
async fn removed_once_then_back(app: &TestApp) -> (Value, Browser<'_>) {
    let _first = signed_in(app).await;
    let removed = member_removed("acme", OCTOCAT, "octocat");
    assert_eq!(
        deliver_json(app, "organization", "d-1", &removed).await,
        Status::Ok
    );
    (removed, signed_in(app).await)
}

#[rocket::async_test]
async fn a_member_removed_from_the_allowed_org_is_signed_out_at_once() {
    let app = with_webhook("acme").await;
    let browser = signed_in(&app).await;
    let other_device = signed_in(&app).await;

    let status = deliver_json(
        &app,
        "organization",
        "d-1",
        &member_removed("acme", OCTOCAT, "octocat"),
    )
    .await;

    assert_eq!(status, Status::Ok);
    assert_eq!(app.count("sessions").await, 0);
    for b in [&browser, &other_device] {
        assert_redirect(&b.get("/about").await, "/login?next=/about");
    }
}

#[rocket::async_test]
async fn a_forged_or_unsigned_delivery_is_401_and_changes_nothing() {
    let app = with_webhook("acme").await;
    let _browser = signed_in(&app).await;
    let body = member_removed("acme", OCTOCAT, "octocat").to_string();

    for secret in [None, Some("a-guessed-secret"), Some("")] {
        let (status, _) = deliver(&app, "organization", "d-1", body.as_bytes(), secret).await;
        assert_eq!(status, Status::Unauthorized, "{secret:?}");
    }
    // A signature of another body does not carry over.
    let mut request = app
        .client
        .post("/github/webhook")
        .header(Header::new("X-GitHub-Event", "organization"))
        .header(Header::new("X-GitHub-Delivery", "d-2"))
        .header(Header::new("X-Hub-Signature-256", signature(SECRET, b"{}")))
        .body(&body);
    request = request.header(ContentType::JSON);
    assert_eq!(request.dispatch().await.status(), Status::Unauthorized);

    assert_eq!(app.count("sessions").await, 1);
    assert_eq!(app.count("webhook_deliveries").await, 0);
}

#[rocket::async_test]
async fn a_replayed_delivery_id_is_acknowledged_and_ignored() {
    let app = with_webhook("acme").await;
    let (removed, browser) = removed_once_then_back(&app).await;

    let (status, body) = deliver(
        &app,
        "organization",
        "d-1",
        removed.to_string().as_bytes(),
        Some(SECRET),
    )
    .await;

    assert_eq!(status, Status::Ok);
    assert!(body.contains("duplicate"), "{body}");
    assert_eq!(browser.get("/about").await.status(), Status::Ok);
}

#[rocket::async_test]
async fn a_removal_from_an_org_that_decides_nothing_ends_nothing() {
    let app = with_webhook("acme").await;
    let browser = signed_in(&app).await;

    let removed = member_removed("elsewhere", OCTOCAT, "octocat");
    assert_eq!(
        deliver_json(&app, "organization", "d-1", &removed).await,
        Status::Ok
    );

    assert_eq!(browser.get("/about").await.status(), Status::Ok);
}

#[rocket::async_test]
async fn leaving_a_team_ends_only_the_access_of_the_apps_that_team_decides() {
    let app = with_webhook("").await;
    let ops_app = register(&app, "wiki", &["--allow-team", "acme/ops"]);
    let open_app = register(&app, "docs", &[]);
    let browser = signed_in(&app).await;
    let ops_tokens = offline_tokens(&app, &browser, &ops_app).await;
    let open_tokens = offline_tokens(&app, &browser, &open_app).await;

    let removed = team_member_removed("acme", "ops", OCTOCAT, "octocat");
    assert_eq!(
        deliver_json(&app, "membership", "d-1", &removed).await,
        Status::Ok
    );

    let ops_refresh = ops_tokens["refresh_token"].as_str().unwrap();
    let (status, _) = refresh(&app, &ops_app, ops_refresh).await;
    assert_eq!(status, Status::BadRequest, "the team's app lost its tokens");
    assert_eq!(
        browser.get("/auth/check?app=wiki").await.status(),
        Status::Forbidden
    );
    let open_refresh = open_tokens["refresh_token"].as_str().unwrap();
    let (status, body) = refresh(&app, &open_app, open_refresh).await;
    assert_eq!(status, Status::Ok, "the other app keeps them: {body}");
    assert_eq!(browser.get("/about").await.status(), Status::Ok);
    assert_eq!(app.count("consents").await, 1);
}

#[rocket::async_test]
async fn leaving_the_org_ends_the_access_its_teams_gave_too() {
    let app = with_webhook("").await;
    register(&app, "wiki", &["--allow-team", "acme/ops"]);
    let browser = signed_in(&app).await;
    assert_eq!(
        browser.get("/auth/check?app=wiki").await.status(),
        Status::Ok
    );

    let removed = member_removed("acme", OCTOCAT, "octocat");
    assert_eq!(
        deliver_json(&app, "organization", "d-1", &removed).await,
        Status::Ok
    );

    assert_eq!(
        browser.get("/auth/check?app=wiki").await.status(),
        Status::Forbidden
    );
}

#[rocket::async_test]
async fn other_events_are_acknowledged_and_ignored() {
    let app = with_webhook("acme").await;
    let browser = signed_in(&app).await;
    let ping = json!({ "zen": "Keep it logically awesome.", "hook_id": 1 });
    let added = json!({ "action": "member_added", "membership": { "user": { "id": OCTOCAT } }, "organization": { "login": "acme" } });
    let team_added = json!({ "action": "added", "scope": "team", "member": { "id": OCTOCAT }, "team": { "slug": "ops" }, "organization": { "login": "acme" } });

    assert_eq!(deliver_json(&app, "ping", "d-1", &ping).await, Status::Ok);
    assert_eq!(
        deliver_json(&app, "organization", "d-2", &added).await,
        Status::Ok
    );
    assert_eq!(
        deliver_json(&app, "membership", "d-3", &team_added).await,
        Status::Ok
    );
    assert_eq!(
        deliver_json(&app, "push", "d-4", &json!({})).await,
        Status::Ok
    );
    // A `membership` removal that is not a team's is not one this app acts on.
    let mut not_a_team = team_member_removed("acme", "ops", OCTOCAT, "octocat");
    not_a_team["scope"] = json!("organization");
    let status = deliver_json(&app, "membership", "d-5", &not_a_team).await;
    assert_eq!(status, Status::Ok);

    assert_eq!(app.count("webhook_deliveries").await, 0, "nothing acted on");
    assert_eq!(browser.get("/about").await.status(), Status::Ok);
}

#[rocket::async_test]
async fn a_signed_body_that_is_not_githubs_payload_is_400_and_changes_nothing() {
    let app = with_webhook("acme").await;
    let _browser = signed_in(&app).await;

    for body in [&b"not json"[..], br#"{"action": "member_removed"}"#] {
        let (status, _) = deliver(&app, "organization", "d-1", body, Some(SECRET)).await;
        assert_eq!(status, Status::BadRequest);
    }
    // A delivery id unlike GitHub's GUIDs, on a delivery that would otherwise act.
    let removed = member_removed("acme", OCTOCAT, "octocat").to_string();
    for id in ["../../etc", &"a".repeat(65), "d 1"] {
        let (status, _) = deliver(&app, "organization", id, removed.as_bytes(), Some(SECRET)).await;
        assert_eq!(status, Status::BadRequest, "{id:?}");
    }
    assert_eq!(app.count("sessions").await, 1);
}

#[rocket::async_test]
async fn a_body_over_one_mebibyte_is_413() {
    let app = with_webhook("acme").await;
    let body = vec![b' '; 1024 * 1024 + 1];

    let (status, _) = deliver(&app, "organization", "d-1", &body, Some(SECRET)).await;

    assert_eq!(status, Status::PayloadTooLarge);
}

#[rocket::async_test]
async fn a_large_payload_within_the_limit_is_read() {
    // GitHub's payloads exceed the forms' 4 KiB limit: the webhook has its own.
    let app = with_webhook("acme").await;
    let _browser = signed_in(&app).await;
    let mut removed = member_removed("acme", OCTOCAT, "octocat");
    removed["sender"]["padding"] = json!("x".repeat(64 * 1024));

    assert_eq!(
        deliver_json(&app, "organization", "d-1", &removed).await,
        Status::Ok
    );

    assert_eq!(app.count("sessions").await, 0);
}

#[rocket::async_test]
async fn without_a_secret_there_is_no_webhook() {
    let app = TestApp::spawn().await;
    let body = member_removed("acme", OCTOCAT, "octocat").to_string();

    let (status, _) = deliver(&app, "organization", "d-1", body.as_bytes(), Some("")).await;

    assert_eq!(status, Status::NotFound);
}

#[rocket::async_test]
async fn leaving_a_team_ends_the_host_cookie_of_the_app_it_decides() {
    use crate::hosts::{check, redeemed, ticket_for, WIKI};
    let app = with_webhook("").await;
    register(&app, "wiki", &["--allow-team", "acme/ops", "--host", WIKI]);
    let browser = signed_in(&app).await;
    let wiki = redeemed(&app, WIKI, &ticket_for(&browser, WIKI).await).await;
    assert_eq!(check(&wiki, WIKI, "wiki", "/").await.status(), Status::Ok);

    let removed = team_member_removed("acme", "ops", OCTOCAT, "octocat");
    assert_eq!(
        deliver_json(&app, "membership", "d-1", &removed).await,
        Status::Ok
    );

    assert_eq!(app.count("host_sessions").await, 0);
    assert_eq!(
        check(&wiki, WIKI, "wiki", "/").await.status(),
        Status::Unauthorized
    );
    assert_eq!(
        browser.get("/about").await.status(),
        Status::Ok,
        "gitlogin stays"
    );
}

#[rocket::async_test]
async fn delivery_ids_are_remembered_for_a_week() {
    let app = with_webhook("acme").await;
    let nobody = member_removed("acme", 42, "someone-never-seen");
    assert_eq!(
        deliver_json(&app, "organization", "d-1", &nobody).await,
        Status::Ok
    );
    let purge = gitlogin::auth::purge::Purge::from_rocket(app.client.rocket()).unwrap();

    app.clock
        .advance(std::time::Duration::from_secs(7 * 24 * 60 * 60 - 1));
    purge.run().await.unwrap();
    assert_eq!(app.count("webhook_deliveries").await, 1);
    assert_eq!(app.count("membership_removals").await, 1);
    app.clock.advance(std::time::Duration::from_secs(1));
    purge.run().await.unwrap();
    assert_eq!(app.count("webhook_deliveries").await, 0);
    assert_eq!(
        app.count("membership_removals").await,
        0,
        "purged with them"
    );
}

#[rocket::async_test]
async fn a_captured_removal_replayed_under_a_new_id_only_sends_the_person_through_github_again() {
    let app = with_webhook("acme").await;
    let (removed, browser) = removed_once_then_back(&app).await;

    // The same signed body, under a delivery id of the attacker's choosing.
    let (status, body) = deliver(
        &app,
        "organization",
        "d-forged-2",
        removed.to_string().as_bytes(),
        Some(SECRET),
    )
    .await;

    assert_eq!(status, Status::Ok, "{body}");
    assert!(body.contains("body seen before"), "{body}");
    assert_eq!(app.count("sessions").await, 1, "the session lives");
    // Its next page asks GitHub, which says octocat is still a member.
    assert_redirect(&browser.get("/about").await, "/login?next=/about");
    assert_redirect(&browser.sign_in(Some("/about")).await, "/about");
    assert_eq!(browser.get("/about").await.status(), Status::Ok);
    assert_eq!(app.count("sessions").await, 1);
}

#[rocket::async_test]
async fn a_genuine_second_removal_with_the_same_body_ends_access_at_the_next_page() {
    let app = with_webhook("acme").await;
    let (removed, browser) = removed_once_then_back(&app).await;

    // Removed again at GitHub: the same body, under GitHub's new id.
    app.github.set_account(octocat_in(&[], &[]));
    assert_eq!(
        deliver_json(&app, "organization", "d-2", &removed).await,
        Status::Ok
    );

    assert_redirect(&browser.get("/about").await, "/login?next=/about");
    assert_eq!(
        browser.sign_in(Some("/about")).await.status(),
        Status::Forbidden
    );
    assert_eq!(app.count("sessions").await, 0);
    assert_redirect(&browser.get("/about").await, "/login?next=/about");
}

/// Signs octocat in while GitHub takes a second to revoke the sign-in's token (after it was
/// asked about memberships), and delivers `removal` during that second.
async fn sign_in_racing<'a>(
    app: &'a TestApp,
    browser: &Browser<'a>,
    event: &str,
    removal: &Value,
) -> rocket::local::asynchronous::LocalResponse<'a> {
    use gitlogin::github::fake::Fault;
    use std::time::Duration;
    app.github
        .with(|w| w.revoke_fault = Some(Fault::Slow(Duration::from_millis(1000))));
    let webhook = async {
        while app.github.with(|w| w.revoke_requests) == 0 {
            rocket::tokio::time::sleep(Duration::from_millis(5)).await;
        }
        deliver_json(app, event, "d-during", removal).await
    };
    let (response, delivered) = rocket::tokio::join!(browser.sign_in(Some("/about")), webhook);
    assert_eq!(delivered, Status::Ok);
    assert_eq!(app.github.with(|w| w.revoked_tokens.len()), 1);
    response
}

#[rocket::async_test]
async fn a_removal_delivered_while_a_sign_in_is_in_flight_refuses_that_sign_in() {
    let app = with_webhook("acme").await;
    let browser = app.browser();

    let removed = member_removed("acme", OCTOCAT, "octocat");
    let response = sign_in_racing(&app, &browser, "organization", &removed).await;

    assert_eq!(response.status(), Status::Forbidden);
    assert_eq!(app.count("sessions").await, 0);
    assert_eq!(app.count("memberships").await, 0);
    assert_redirect(&browser.get("/about").await, "/login?next=/about");
}

#[rocket::async_test]
async fn a_team_removal_delivered_while_a_sign_in_is_in_flight_ends_only_that_apps_access() {
    let app = with_webhook("").await;
    register(&app, "wiki", &["--allow-team", "acme/ops"]);
    let browser = app.browser();

    let removed = team_member_removed("acme", "ops", OCTOCAT, "octocat");
    let response = sign_in_racing(&app, &browser, "membership", &removed).await;

    assert_redirect(&response, "/about");
    assert_eq!(browser.get("/about").await.status(), Status::Ok);
    assert_eq!(
        browser.get("/auth/check?app=wiki").await.status(),
        Status::Forbidden
    );
}

#[rocket::async_test]
async fn leaving_the_org_while_a_sign_in_is_in_flight_ends_the_access_its_teams_gave() {
    let app = with_webhook("").await;
    register(&app, "wiki", &["--allow-team", "acme/ops"]);
    let browser = app.browser();

    let removed = member_removed("acme", OCTOCAT, "octocat");
    let response = sign_in_racing(&app, &browser, "organization", &removed).await;

    assert_redirect(&response, "/about");
    assert_eq!(
        browser.get("/auth/check?app=wiki").await.status(),
        Status::Forbidden
    );
    assert_eq!(app.count("memberships").await, 0);
}

#[rocket::async_test]
async fn a_different_removal_under_a_new_id_acts_at_once_not_as_a_replay() {
    let app = with_webhook("acme").await;
    let octocat = signed_in(&app).await;
    app.github.set_account(Account {
        orgs: vec!["acme".into()],
        ..Account::mallory()
    });
    let mallory = signed_in(&app).await;
    assert_eq!(
        deliver_json(
            &app,
            "organization",
            "d-1",
            &member_removed("acme", 666, "mallory")
        )
        .await,
        Status::Ok
    );

    // Another person's removal: another body, so no replay of the first.
    let removed = member_removed("acme", OCTOCAT, "octocat");
    assert_eq!(
        deliver_json(&app, "organization", "d-2", &removed).await,
        Status::Ok
    );

    assert_eq!(
        app.count("sessions").await,
        0,
        "both removals ended access at once"
    );
    assert_redirect(&octocat.get("/about").await, "/login?next=/about");
    assert_redirect(&mallory.get("/about").await, "/login?next=/about");
}
