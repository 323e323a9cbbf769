//! The authorize endpoint's other answers: a signed-out visitor goes through gitlogin's own
//! GitHub sign-in and comes back to the very same request; `prompt=none`
//! answers instead of showing a page; and a request for anything but the code flow goes back
//! to the app as an error, with `state` and `iss`, never with a token.

use rocket::http::Status;
use rocket::local::asynchronous::LocalResponse;

use super::{assert_error_back, back_at, decide, register, signed_in, Authorize};
use crate::helpers::{github_redirect, location, Browser, TestApp, PUBLIC_URL};

/// Follows the redirects of `response` that stay on gitlogin (relative, or on `PUBLIC_URL`);
/// returns the first answer that is not one.
async fn follow_on_site<'a>(
    browser: &Browser<'a>,
    mut response: LocalResponse<'a>,
) -> LocalResponse<'a> {
    for _ in 0..5 {
        if response.status() != Status::SeeOther {
            return response;
        }
        let to = location(&response);
        let path = match to.strip_prefix(PUBLIC_URL) {
            Some(path) => path.to_owned(),
            None if to.starts_with('/') && !to.starts_with("//") => to.to_owned(),
            None => return response,
        };
        response = browser.get(&path).await;
    }
    panic!("more than five redirects on the site");
}

#[rocket::async_test]
async fn a_signed_out_visitor_signs_in_with_github_and_comes_back_to_the_same_request() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let visitor = app.browser();
    // As long as gitlogin takes (1 KiB), longer than any `next` may be: the request rides
    // through the sign-in in a cookie of its own.
    let state: String = "s".repeat(1024);
    let request = Authorize::new(&rp).with("state", &state);

    let response = visitor.get(&request.uri()).await;

    assert_eq!(response.status(), Status::SeeOther);
    let to = location(&response);
    let login = to.strip_prefix(PUBLIC_URL).unwrap_or(to).to_owned();
    assert!(login.starts_with("/login?"), "{to}");
    let authorize = visitor.get(&login).await;
    assert_eq!(authorize.status(), Status::SeeOther);
    let at_github = url::Url::parse(location(&authorize)).unwrap();
    let callback = visitor.get(&github_redirect(&at_github).await).await;
    let consent = follow_on_site(&visitor, callback).await;
    assert_eq!(consent.status(), Status::Ok, "the consent page");
    let page = consent.into_string().await.unwrap();
    assert!(page.contains("wiki"), "{page}");
    let back = back_at(&rp, &decide(&visitor, &page, "allow").await);
    assert_eq!(back["state"], state);
    assert!(back.contains_key("code"));
}

#[rocket::async_test]
async fn prompt_none_for_a_signed_out_visitor_is_login_required() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);

    let request = Authorize::new(&rp).with("prompt", "none");
    let response = app.browser().get(&request.uri()).await;

    assert_error_back(&rp, &response, "login_required");
}

#[rocket::async_test]
async fn prompt_none_before_consent_is_consent_required() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;

    let request = Authorize::new(&rp).with("prompt", "none");
    let response = browser.get(&request.uri()).await;

    assert_error_back(&rp, &response, "consent_required");
}

#[rocket::async_test]
async fn prompt_none_after_consent_brings_a_code_straight_back() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    super::code(&browser, &rp, &Authorize::new(&rp)).await;

    let request = Authorize::new(&rp).with("prompt", "none");
    let response = browser.get(&request.uri()).await;

    let back = back_at(&rp, &response);
    assert!(back.contains_key("code"), "{back:?}");
}

#[rocket::async_test]
async fn an_implicit_flow_request_goes_back_as_an_error_without_a_token() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    super::code(&browser, &rp, &Authorize::new(&rp)).await;

    for response_type in ["token", "id_token", "code id_token", "code token"] {
        let request = Authorize::new(&rp).with("response_type", response_type);
        let response = browser.get(&request.uri()).await;

        // `back_at` also checks that nothing travels in a fragment.
        assert_error_back(&rp, &response, "unsupported_response_type");
        assert!(!location(&response).contains("token="), "{response_type}");
    }
}

/// `max_age`: a sign-in older than it goes through GitHub again (or, with `prompt=none`, is
/// `login_required`); a fresh one is enough, however long its GitHub round trip took.
#[rocket::async_test]
async fn max_age_sends_an_older_sign_in_through_github_again() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    super::code(&browser, &rp, &Authorize::new(&rp)).await;
    app.clock.advance(std::time::Duration::from_secs(120));

    let quiet = Authorize::new(&rp)
        .with("max_age", "60")
        .with("prompt", "none");
    assert_error_back(&rp, &browser.get(&quiet.uri()).await, "login_required");

    let request = Authorize::new(&rp).with("max_age", "60");
    let response = browser.get(&request.uri()).await;
    assert_eq!(response.status(), Status::SeeOther);
    let login = location(&response).to_owned();
    assert!(login.starts_with("/login?next="), "{login}");
    let at_github = url::Url::parse(location(&browser.get(&login).await)).unwrap();
    let callback = browser.get(&github_redirect(&at_github).await).await;
    let back = follow_on_site(&browser, callback).await;
    assert!(back_at(&rp, &back).contains_key("code"));

    let recent = Authorize::new(&rp).with("max_age", "600");
    assert!(back_at(&rp, &browser.get(&recent.uri()).await).contains_key("code"));
}

/// A sign-in no older than `max_age` is enough: at its 60th second `max_age=60` brings a code
/// without a page (`prompt=none`), at its 61st it is `login_required`.
#[rocket::async_test]
async fn a_sign_in_as_old_as_max_age_is_enough_and_one_a_second_older_is_not() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    super::code(&browser, &rp, &Authorize::new(&rp)).await;
    let request = Authorize::new(&rp)
        .with("max_age", "60")
        .with("prompt", "none");

    app.clock.advance(std::time::Duration::from_secs(60));
    let back = back_at(&rp, &browser.get(&request.uri()).await);
    assert!(back.contains_key("code"), "{back:?}");
    app.clock.advance(std::time::Duration::from_secs(1));
    assert_error_back(&rp, &browser.get(&request.uri()).await, "login_required");
}

/// The sign-in `max_age` sends a person through is enough even if the browser comes back
/// later than `max_age` after it: `max_age=0` (sign in again, every time) then ends.
#[rocket::async_test]
async fn the_sign_in_max_age_asked_for_is_enough_however_late_the_browser_comes_back() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    super::code(&browser, &rp, &Authorize::new(&rp)).await;
    app.clock.advance(std::time::Duration::from_secs(1));

    let request = Authorize::new(&rp).with("max_age", "0");
    let response = browser.get(&request.uri()).await;
    let login = location(&response).to_owned();
    assert!(login.starts_with("/login?next="), "{login}");
    let at_github = url::Url::parse(location(&browser.get(&login).await)).unwrap();
    let callback = browser.get(&github_redirect(&at_github).await).await;
    app.clock.advance(std::time::Duration::from_secs(5));
    let back = follow_on_site(&browser, callback).await;

    assert!(back_at(&rp, &back).contains_key("code"));
}

/// `prompt=none` with another value contradicts itself (OpenID Connect Core 3.1.2.1).
#[rocket::async_test]
async fn prompt_none_with_another_prompt_is_an_invalid_request() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;
    super::code(&browser, &rp, &Authorize::new(&rp)).await;

    for prompt in ["none login", "login none", "none consent"] {
        let request = Authorize::new(&rp).with("prompt", prompt);
        assert_error_back(&rp, &browser.get(&request.uri()).await, "invalid_request");
    }
}
