//! An app's own allow rules, on top of the global allow-lists: a person they leave out is sent
//! back to the app with `access_denied` and no code; and forward auth, told which app asks
//! (`/auth/check?app=NAME`), applies that app's rules and names the person's groups, while an
//! app name it does not know is a 403, never an open gate.

use rocket::http::Status;

use super::{assert_error_back, register, signed_in, Authorize};
use crate::helpers::TestApp;
use gitlogin::github::fake::Account;

/// Octocat, a member of `acme` (and of an org no rule names).
fn octocat_of_acme() -> Account {
    Account {
        orgs: vec!["acme".into(), "elsewhere".into()],
        ..Account::octocat()
    }
}

#[rocket::async_test]
async fn a_person_outside_an_apps_rules_gets_access_denied_and_no_code() {
    let app = TestApp::spawn().await;
    app.github.set_account(octocat_of_acme());
    let by_user = register(&app, "wiki", &["--allow-user", "hubot"]);
    let by_id = register(&app, "docs", &["--allow-user", "999"]);
    let by_org = register(&app, "billing", &["--allow-org", "other-org"]);
    let browser = signed_in(&app).await;

    for rp in [by_user, by_id, by_org] {
        let response = browser.get(&Authorize::new(&rp).uri()).await;

        // Before any consent page: there is nothing to consent to.
        assert_error_back(&rp, &response, "access_denied");
    }
}

#[rocket::async_test]
async fn a_person_an_apps_rules_name_gets_a_code() {
    let app = TestApp::spawn().await;
    app.github.set_account(octocat_of_acme());
    let by_login = register(&app, "wiki", &["--allow-user", "OctoCat"]);
    let by_id = register(&app, "docs", &["--allow-user", "583231"]);
    let by_org = register(&app, "billing", &["--allow-org", "Acme"]);
    let browser = signed_in(&app).await;

    for rp in [by_login, by_id, by_org] {
        let code = super::code(&browser, &rp, &Authorize::new(&rp)).await;
        assert!(!code.is_empty(), "{}", rp.name);
    }
}

#[rocket::async_test]
async fn forward_auth_applies_the_named_apps_rules_and_names_the_groups() {
    let app = TestApp::spawn().await;
    app.github.set_account(octocat_of_acme());
    register(&app, "wiki", &["--allow-org", "acme"]);
    let browser = signed_in(&app).await;

    let response = browser.get("/auth/check?app=wiki").await;

    assert_eq!(response.status(), Status::Ok);
    let headers = response.headers();
    assert_eq!(headers.get_one("X-Auth-Request-User"), Some("octocat"));
    let groups = headers
        .get_one("X-Auth-Request-Groups")
        .expect("no X-Auth-Request-Groups");
    let groups: Vec<&str> = groups.split(',').map(str::trim).collect();
    assert!(groups.contains(&"acme"), "{groups:?}");
    // Only the orgs that rules name: the rest of a person's memberships are theirs.
    assert!(!groups.contains(&"elsewhere"), "{groups:?}");
}

#[rocket::async_test]
async fn forward_auth_refuses_a_person_outside_the_named_apps_rules() {
    let app = TestApp::spawn().await;
    register(&app, "wiki", &["--allow-user", "hubot"]);
    let browser = signed_in(&app).await;
    assert_eq!(browser.get("/auth/check").await.status(), Status::Ok);

    let response = browser.get("/auth/check?app=wiki").await;

    assert_eq!(response.status(), Status::Forbidden);
    assert!(response.headers().get_one("X-Auth-Request-User").is_none());
}

#[rocket::async_test]
async fn forward_auth_for_an_unknown_app_is_403() {
    let app = TestApp::spawn().await;
    register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;

    for name in ["nope", "wiki2"] {
        let uri = format!("/auth/check?app={}", crate::helpers::encode(name));
        let response = browser.get(&uri).await;

        assert_eq!(response.status(), Status::Forbidden, "{name:?}");
        assert!(response.headers().get_one("X-Auth-Request-User").is_none());
    }
}

/// An org an app's rule names is asked of GitHub at sign-in (with `read:org`), but only the
/// org list lets anyone in to gitlogin itself: an app's rule never widens the global gate.
#[rocket::async_test]
async fn an_org_an_app_names_never_opens_the_global_gate() {
    let app = TestApp::spawn_with(|f| f.merge(("allowed_github_orgs", "acme"))).await;
    app.github.set_account(Account {
        orgs: vec!["other-org".into()],
        ..Account::octocat()
    });
    register(&app, "billing", &["--allow-org", "other-org"]);
    let browser = app.browser();

    let authorize = browser.start_login(None).await;
    let scopes: Vec<String> = authorize
        .query_pairs()
        .filter(|(k, _)| k == "scope")
        .flat_map(|(_, v)| v.split(' ').map(str::to_owned).collect::<Vec<_>>())
        .collect();
    assert!(scopes.iter().any(|s| s == "read:org"), "{scopes:?}");
    let callback = crate::helpers::github_redirect(&authorize).await;

    assert_eq!(browser.get(&callback).await.status(), Status::Forbidden);
    assert_eq!(app.count("sessions").await, 0);
}

/// Without any org list or org rule, the sign-in asks GitHub for no more than it needs.
#[rocket::async_test]
async fn without_an_org_to_check_the_sign_in_does_not_ask_for_read_org() {
    let app = TestApp::spawn().await;
    register(&app, "wiki", &["--allow-user", "octocat"]);
    let authorize = app.browser().start_login(None).await;
    assert!(!authorize.as_str().contains("read%3Aorg"), "{authorize}");
}

/// Team rules: GitHub's `/user/teams` is asked at sign-in (a rule names a team), a member of
/// the named team gets a code and the team in `groups`, anyone else `access_denied`.
#[rocket::async_test]
async fn a_team_an_apps_rule_names_admits_its_members_and_no_one_else() {
    let app = TestApp::spawn().await;
    app.github.set_account(Account {
        orgs: vec!["acme".into()],
        teams: vec!["acme/docs".into(), "acme/ops".into()],
        ..Account::octocat()
    });
    let docs = register(&app, "wiki", &["--allow-team", "Acme/docs"]);
    let finance = register(&app, "billing", &["--allow-team", "acme/finance"]);
    let browser = signed_in(&app).await;

    let request = Authorize::new(&docs).with("scope", "openid groups");
    let body = super::tokens(&app, &browser, &docs, &request).await;
    let claims = super::json_of(super::userinfo(&app, super::access_token(&body)).await).await;
    assert_eq!(
        claims["groups"],
        serde_json::json!(["acme/docs"]),
        "{claims}"
    );

    let refused = browser.get(&Authorize::new(&finance).uri()).await;
    assert_error_back(&finance, &refused, "access_denied");
}

/// `groups` is what the consent page says: the person's organisations and teams that the
/// app's own rules name. The global org list is the operator's gate, not the app's business,
/// so an app learns none of it, and an app without org or team rules learns no groups.
#[rocket::async_test]
async fn an_app_learns_only_the_groups_its_own_rules_name_not_the_global_org_list() {
    let app = TestApp::spawn_with(|f| f.merge(("allowed_github_orgs", "corp"))).await;
    app.github.set_account(Account {
        orgs: vec!["acme".into(), "corp".into(), "elsewhere".into()],
        ..Account::octocat()
    });
    let by_org = register(&app, "wiki", &["--allow-org", "acme"]);
    let no_rules = register(&app, "billing", &[]);
    let browser = signed_in(&app).await;

    for (rp, expected) in [
        (by_org, serde_json::json!(["acme"])),
        (no_rules, serde_json::json!([])),
    ] {
        let request = Authorize::new(&rp).with("scope", "openid groups");
        let body = super::tokens(&app, &browser, &rp, &request).await;
        let id_token = super::unverified_claims(body["id_token"].as_str().unwrap());
        let claims = super::json_of(super::userinfo(&app, super::access_token(&body)).await).await;
        assert_eq!(id_token["groups"], expected, "{}: {id_token}", rp.name);
        assert_eq!(claims["groups"], expected, "{}: {claims}", rp.name);
    }
}
