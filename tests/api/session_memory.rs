//! The sessions an instance remembers (`src/cache.rs`) are exact: a session ended anywhere, on
//! another instance or by the command line (another process), is refused by every instance
//! at its next request.
//!
//! Most tests sign in on instance A, let instance B remember the session (its first request
//! reads the store, the next ones are answered from memory), end the session through A, the
//! command line or GitHub's webhook, and ask B again. The first test shows that B does answer
//! from memory, and that the store's access epoch is what makes it look again.

use rocket::http::Status;
use rocket_db_pools::sqlx;

use crate::helpers::{random_secret_key, Browser, Store, TestApp};
use crate::provider::register;
use crate::real_server::{gitlogin, run_to_end};
use crate::webhooks::{deliver_json, member_removed, octocat_in, team_member_removed, SECRET};

/// Instances A and B on one store, clock and secret key: one site, as behind a balancer.
pub(crate) async fn two_instances(
    customize: impl Fn(rocket::figment::Figment) -> rocket::figment::Figment,
) -> (TestApp, TestApp) {
    let key = random_secret_key();
    let shared = |f: rocket::figment::Figment| customize(f.merge(("secret_key", &key)));
    let a = TestApp::spawn_with(shared).await;
    let url = a.db_url.clone();
    let b = TestApp::spawn_with_clock(a.clock.clone(), |f| {
        shared(f).merge(("databases.gitlogin.url", url))
    })
    .await;
    (a, b)
}

/// A browser signed in on `a`, and one on `b` with its session cookie, whose session `b`
/// has read from the store and now remembers.
async fn remembered_on_b<'a>(a: &'a TestApp, b: &'a TestApp) -> (Browser<'a>, Browser<'a>) {
    let on_a = a.browser();
    on_a.sign_in(None).await;
    let on_b = b.browser();
    let cookie = on_a.cookie("gitlogin_session").expect("signed in on A");
    on_b.set_cookie("gitlogin_session", &cookie);
    for _ in 0..2 {
        assert!(signed_in(&on_b).await, "B shows the session A started");
    }
    (on_a, on_b)
}

/// Whether `browser`'s session lets it see the About page.
async fn signed_in(browser: &Browser<'_>) -> bool {
    let status = browser.get("/about").await.status();
    assert!(
        matches!(status, Status::Ok | Status::SeeOther),
        "/about: {status}"
    );
    status == Status::Ok
}

/// What forward auth on that instance says for `browser`.
async fn forward_auth(browser: &Browser<'_>) -> Status {
    browser.get("/auth/check").await.status()
}

/// What forward auth says for `browser` and the app `wiki`; each 200 names the team.
async fn wiki_check(browser: &Browser<'_>) -> Status {
    let response = browser.get("/auth/check?app=wiki").await;
    if response.status() == Status::Ok {
        let groups = response.headers().get_one("X-Auth-Request-Groups");
        assert_eq!(groups, Some("acme/ops"));
    }
    response.status()
}

/// Two instances with GitHub's org webhook; octocat in `acme/ops`, the team `wiki`'s rules
/// name; B remembers the session and the check that let it into `wiki`.
async fn wiki_remembered_on_b() -> (TestApp, TestApp) {
    wiki_on_two_instances(|f| f).await
}

/// [`wiki_remembered_on_b`], with more settings.
async fn wiki_on_two_instances(
    customize: impl Fn(rocket::figment::Figment) -> rocket::figment::Figment,
) -> (TestApp, TestApp) {
    let (a, b) = two_instances(|f| customize(f.merge(("github_webhook_secret", SECRET)))).await;
    a.github.set_account(octocat_in(&["acme"], &["acme/ops"]));
    register(&a, "wiki", &["--allow-team", "acme/ops"]);
    (a, b)
}

async fn post(browser: &Browser<'_>, uri: &str, fields: &str) -> Status {
    let csrf = browser.csrf_token().await;
    let body = format!("csrf_token={csrf}{fields}");
    browser.post_form(uri, &body).await.status()
}

/// Runs `sql` on the store behind the app's back.
pub(crate) async fn run(app: &TestApp, sql: &str) {
    sqlx::query(sql).execute(&app.db).await.unwrap();
}

/// Removes the trigger that moves the epoch when a session is deleted.
async fn drop_the_session_trigger(app: &TestApp) {
    let on = if crate::STORE == Store::Postgres {
        " ON sessions"
    } else {
        ""
    };
    run(app, &format!("DROP TRIGGER sessions_end_moves_epoch{on}")).await;
}

#[rocket::async_test]
async fn the_memory_answers_until_the_epoch_moves() {
    let (a, b) = two_instances(|f| f).await;
    let (_, on_b) = remembered_on_b(&a, &b).await;

    // Deleted without moving the epoch: B does not look, and still lets the session in.
    drop_the_session_trigger(&a).await;
    run(&a, "DELETE FROM sessions").await;
    assert!(signed_in(&on_b).await, "answered from memory");
    assert_eq!(forward_auth(&on_b).await, Status::Ok);

    // Once the epoch moves, B reads the store again and finds no session.
    run(&a, "UPDATE access_epoch SET value = value + 1").await;
    assert!(!signed_in(&on_b).await);
    assert_eq!(forward_auth(&on_b).await, Status::Unauthorized);
}

#[rocket::async_test]
async fn a_store_whose_epoch_cannot_be_read_is_asked_about_every_session() {
    let (a, b) = two_instances(|f| f).await;
    let (_, on_b) = remembered_on_b(&a, &b).await;

    drop_the_session_trigger(&a).await;
    run(&a, "ALTER TABLE access_epoch RENAME TO access_epoch_gone").await;
    assert!(
        signed_in(&on_b).await,
        "still signed in, read from the store"
    );
    run(&a, "DELETE FROM sessions").await;

    assert!(!signed_in(&on_b).await, "B believed its memory");
    assert_eq!(forward_auth(&on_b).await, Status::Unauthorized);
}

#[rocket::async_test]
async fn a_sign_out_on_one_instance_is_refused_by_another_at_its_next_request() {
    let (a, b) = two_instances(|f| f).await;
    let (on_a, on_b) = remembered_on_b(&a, &b).await;
    assert_eq!(forward_auth(&on_b).await, Status::Ok);

    assert_eq!(on_a.sign_out().await.status(), Status::SeeOther);

    assert_eq!(forward_auth(&on_b).await, Status::Unauthorized);
    assert!(!signed_in(&on_b).await);
}

#[rocket::async_test]
async fn signing_out_everywhere_else_on_one_instance_ends_the_session_on_another() {
    let (a, b) = two_instances(|f| f).await;
    let (_, on_b) = remembered_on_b(&a, &b).await;
    let desk = a.browser();
    desk.sign_in(None).await;

    assert_eq!(
        post(&desk, "/sessions/revoke-others", "").await,
        Status::SeeOther
    );

    assert!(!signed_in(&on_b).await);
    assert!(signed_in(&desk).await, "the desk's own session goes on");
}

#[rocket::async_test]
async fn ending_a_session_on_the_about_page_ends_it_on_another_instance() {
    let (a, b) = two_instances(|f| f).await;
    let (_, on_b) = remembered_on_b(&a, &b).await;
    let desk = a.browser();
    desk.sign_in(None).await;
    // The desk's About page lists the other session, not marked as this browser's.
    let page = desk.page("/about").await;
    let (_, other) = page.split_once(r#"<li class="session">"#).unwrap();
    let (_, other) = other.split_once(r#"name="session" value=""#).unwrap();
    let (id_hash, _) = other.split_once('"').unwrap();

    let status = post(&desk, "/sessions/revoke", &format!("&session={id_hash}")).await;

    assert_eq!(status, Status::SeeOther);
    assert!(!signed_in(&on_b).await);
}

#[rocket::async_test]
async fn deleting_the_account_on_one_instance_ends_its_session_on_another() {
    let (a, b) = two_instances(|f| f).await;
    let (on_a, on_b) = remembered_on_b(&a, &b).await;

    let status = post(&on_a, "/account/delete", "&confirm=octocat").await;

    assert_eq!(status, Status::SeeOther);
    assert_eq!(a.count("users").await, 0);
    assert!(!signed_in(&on_b).await);
    assert_eq!(forward_auth(&on_b).await, Status::Unauthorized);
}

#[rocket::async_test]
async fn the_operators_sign_out_from_the_command_line_is_refused_at_the_next_request() {
    let (a, b) = two_instances(|f| f).await;
    let (on_a, on_b) = remembered_on_b(&a, &b).await;
    assert!(signed_in(&on_a).await);

    let output = run_to_end(
        gitlogin()
            .args(["users", "sign-out", "octocat"])
            .env("DATABASE_URL", &a.db_url),
    );

    assert!(output.status.success(), "{output:?}");
    assert!(
        !signed_in(&on_a).await,
        "refused by the instance it signed in on"
    );
    assert!(!signed_in(&on_b).await, "and by the other");
}

#[rocket::async_test]
async fn the_org_webhook_on_one_instance_ends_the_session_on_another() {
    let (a, b) = two_instances(|f| {
        f.merge(("github_webhook_secret", SECRET))
            .merge(("allowed_github_orgs", "acme"))
    })
    .await;
    a.github.set_account(octocat_in(&["acme"], &["acme/ops"]));
    let (_, on_b) = remembered_on_b(&a, &b).await;

    let removed = member_removed("acme", 583231, "octocat");
    let status = deliver_json(&a, "organization", "d-1", &removed).await;

    assert_eq!(status, Status::Ok);
    assert!(!signed_in(&on_b).await);
    assert_eq!(forward_auth(&on_b).await, Status::Unauthorized);
}

#[rocket::async_test]
async fn a_remembered_session_still_records_its_use_once_a_minute_and_goes_idle() {
    let (a, b) = two_instances(|f| f.merge(("session_idle_timeout", "10m"))).await;
    let (_, on_b) = remembered_on_b(&a, &b).await;
    let last_seen = || async {
        sqlx::query_scalar::<_, i64>("SELECT last_seen_at FROM sessions")
            .fetch_one(&a.db)
            .await
            .unwrap()
    };
    let signed_in_at = last_seen().await;

    a.clock.advance(std::time::Duration::from_secs(59));
    assert!(signed_in(&on_b).await);
    assert_eq!(
        last_seen().await,
        signed_in_at,
        "a page view is not a write"
    );
    a.clock.advance(std::time::Duration::from_secs(1));
    assert!(signed_in(&on_b).await);
    assert_eq!(
        last_seen().await,
        signed_in_at + 60,
        "recorded after a minute"
    );

    a.clock.advance(std::time::Duration::from_secs(10 * 60));
    assert!(!signed_in(&on_b).await, "idle for the timeout: signed out");
    assert_eq!(a.count("sessions").await, 0, "and deleted on sight");
}

#[rocket::async_test]
async fn an_apps_verdict_is_remembered_until_the_epoch_moves() {
    let (a, b) = wiki_remembered_on_b().await;
    let (_, on_b) = remembered_on_b(&a, &b).await;
    for _ in 0..2 {
        assert_eq!(wiki_check(&on_b).await, Status::Ok);
    }

    // Removed without moving the epoch: B does not look.
    remove_the_apps_behind_the_epochs_back(&a).await;
    assert_eq!(wiki_check(&on_b).await, Status::Ok, "answered from memory");

    run(&a, "UPDATE access_epoch SET value = value + 1").await;
    assert_eq!(wiki_check(&on_b).await, Status::Forbidden);
}

/// Removes every app without moving the epoch (its rules go with it).
async fn remove_the_apps_behind_the_epochs_back(app: &TestApp) {
    let triggers = if crate::STORE == Store::Postgres {
        [
            "apps_change_moves_epoch ON apps",
            "app_rules_change_moves_epoch ON app_rules",
        ]
    } else {
        ["apps_delete_moves_epoch", "app_rules_delete_moves_epoch"]
    };
    for trigger in triggers {
        run(app, &format!("DROP TRIGGER {trigger}")).await;
    }
    run(app, "DELETE FROM apps").await;
}

/// Memory per session stays bounded however many apps one person opens: the first 16 are
/// remembered, the 17th is asked of the store at every check.
#[rocket::async_test]
async fn a_session_remembers_the_verdicts_of_sixteen_apps_and_no_more() {
    let (a, b) = wiki_remembered_on_b().await;
    let names: Vec<String> = (1..=17).map(|i| format!("app{i}")).collect();
    for name in &names {
        register(&a, name, &["--allow-team", "acme/ops"]);
    }
    let (_, on_b) = remembered_on_b(&a, &b).await;
    let check = |name: &str| format!("/auth/check?app={name}");
    for name in &names {
        for _ in 0..2 {
            assert_eq!(on_b.get(&check(name)).await.status(), Status::Ok, "{name}");
        }
    }

    remove_the_apps_behind_the_epochs_back(&a).await;

    for name in &names[..16] {
        let status = on_b.get(&check(name)).await.status();
        assert_eq!(status, Status::Ok, "{name} is remembered");
    }
    let last = on_b.get(&check(&names[16])).await.status();
    assert_eq!(last, Status::Forbidden, "the 17th is asked of the store");
}

#[rocket::async_test]
async fn an_app_removed_on_the_command_line_is_refused_by_every_instance_at_the_next_check() {
    let (a, b) = wiki_remembered_on_b().await;
    let (on_a, on_b) = remembered_on_b(&a, &b).await;
    for _ in 0..2 {
        assert_eq!(wiki_check(&on_b).await, Status::Ok);
    }

    let output = run_to_end(
        gitlogin()
            .args(["apps", "remove", "wiki"])
            .env("DATABASE_URL", &a.db_url),
    );

    assert!(output.status.success(), "{output:?}");
    assert_eq!(wiki_check(&on_b).await, Status::Forbidden);
    assert_eq!(wiki_check(&on_a).await, Status::Forbidden);
    assert_eq!(
        forward_auth(&on_b).await,
        Status::Ok,
        "gitlogin itself stays"
    );
}

#[rocket::async_test]
async fn leaving_the_apps_team_by_the_webhook_on_one_instance_ends_the_app_on_another() {
    let (a, b) = wiki_remembered_on_b().await;
    let (_, on_b) = remembered_on_b(&a, &b).await;
    for _ in 0..2 {
        assert_eq!(wiki_check(&on_b).await, Status::Ok);
    }

    let removed = team_member_removed("acme", "ops", 583231, "octocat");
    let status = deliver_json(&a, "membership", "d-1", &removed).await;

    assert_eq!(status, Status::Ok);
    assert_eq!(wiki_check(&on_b).await, Status::Forbidden);
    assert!(signed_in(&on_b).await, "gitlogin's own pages stay");
}

/// A session's memory is read again at least once a minute (to record its use), which also
/// forgets its apps' verdicts; a shorter `MEMBERSHIP_RECHECK` ends them sooner.
#[rocket::async_test]
async fn an_apps_remembered_verdict_ends_when_the_memberships_are_due_a_recheck() {
    let (a, b) = wiki_on_two_instances(|f| f.merge(("membership_recheck", "30s"))).await;
    let (_, on_b) = remembered_on_b(&a, &b).await;
    for _ in 0..2 {
        assert_eq!(wiki_check(&on_b).await, Status::Ok);
    }

    a.clock.advance(std::time::Duration::from_secs(29));
    assert_eq!(wiki_check(&on_b).await, Status::Ok);
    a.clock.advance(std::time::Duration::from_secs(1));

    // Due a recheck: the proxy sends the person to sign in, which asks GitHub.
    assert_eq!(wiki_check(&on_b).await, Status::Unauthorized);
}
