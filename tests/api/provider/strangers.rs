//! A stranger's authorization request waits in their own browser, not in the store: anyone
//! can send any number of authorize links, and none of them may cost a byte of disk. The
//! store keeps a request only while a signed-in person is shown the consent page, and only a
//! handful per session.

use rocket::http::Status;

use super::{assert_error_page, back_at, decide, register, signed_in, Authorize};
use crate::helpers::{location, query_param, Store, TestApp};

/// A request as long as gitlogin takes: `state` and `nonce` at their 1 KiB cap.
fn longest(rp: &super::Rp) -> Authorize {
    Authorize::new(rp)
        .with("state", &"s".repeat(1024))
        .with("nonce", &"n".repeat(1024))
}

#[rocket::async_test]
async fn thousands_of_cookieless_authorize_links_leave_the_store_as_it_was() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let request = longest(&rp).uri();
    let (rows, size) = (store_rows(&app).await, store_size(&app).await);

    for _ in 0..2000 {
        // No cookie jar: each one a new stranger.
        let response = app.client.get(request.clone()).dispatch().await;
        assert_eq!(response.status(), Status::SeeOther);
    }

    assert_eq!(store_rows(&app).await, rows, "rows written");
    assert_eq!(store_size(&app).await, size, "the store grew");
}

#[rocket::async_test]
async fn a_strangers_request_rides_in_their_own_cookie_which_no_other_browser_can_continue() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let stranger = app.browser();

    let response = stranger.get(&longest(&rp).uri()).await;

    assert_eq!(response.status(), Status::SeeOther);
    let cookie = response
        .headers()
        .get("Set-Cookie")
        .find(|c| c.starts_with("gitlogin_authorize="))
        .expect("no gitlogin_authorize cookie")
        .to_owned();
    // Lax, to come back from GitHub; host-only; for as long as a sign-in may take; and
    // within the 4 KiB a browser keeps of a cookie.
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=600"] {
        assert!(cookie.contains(attribute), "{attribute}: {cookie}");
    }
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
    let name_and_value = cookie.split(';').next().unwrap();
    assert!(
        name_and_value.len() <= 4096,
        "{} bytes",
        name_and_value.len()
    );
    // The link the sign-in goes on to, opened in another (signed-in) browser: it carries
    // nothing of the request.
    let next = query_param(location(&response), "next").unwrap();
    let other = signed_in(&app).await;
    assert_error_page(other.get(&next).await, "another browser").await;
    assert_eq!(app.count("authorize_requests").await, 0);
}

#[rocket::async_test]
async fn a_state_or_nonce_over_one_kib_goes_back_as_an_invalid_request() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);

    for field in ["state", "nonce"] {
        let request = Authorize::new(&rp).with(field, &"x".repeat(1025));
        let response = app.browser().get(&request.uri()).await;
        let query = back_at(&rp, &response);
        assert_eq!(query["error"], "invalid_request", "{field}");
        assert!(!query.contains_key("code"), "{field}");
    }
}

#[rocket::async_test]
async fn a_consent_page_opened_again_and_again_keeps_five_requests_for_its_session() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let browser = signed_in(&app).await;

    let mut pages = Vec::new();
    for _ in 0..20 {
        pages.push(browser.page(&longest(&rp).uri()).await);
    }

    assert_eq!(app.count("authorize_requests").await, 5);
    // The oldest were replaced: their Allow has nothing left to answer.
    let oldest = decide(&browser, &pages[0], "allow").await;
    assert_error_page(oldest, "the oldest page").await;
    let newest = decide(&browser, &pages[19], "allow").await;
    assert!(back_at(&rp, &newest).contains_key("code"));
}

#[rocket::async_test]
async fn a_continue_link_carries_only_its_own_request_and_only_for_ten_minutes() {
    let app = TestApp::spawn().await;
    let (wiki, billing) = (register(&app, "wiki", &[]), register(&app, "billing", &[]));
    let browser = app.browser();
    let first = continue_link(&browser, &wiki).await;
    let second = continue_link(&browser, &billing).await;

    // The second request replaced the first in the cookie: the first link finds nothing.
    assert_error_page(browser.get(&first).await, "the replaced request").await;
    // The second is still there (and, with nobody signed in, goes on to the sign-in).
    let on = browser.get(&second).await;
    assert_eq!(on.status(), Status::SeeOther);
    assert!(
        location(&on).starts_with("/login?next="),
        "{}",
        location(&on)
    );
    // A link is followed once: one alive a second short of its ten minutes, and one at its
    // tenth, refused even from a cookie kept past its `Max-Age` (copied, or a clock that lies).
    let third = continue_link(&browser, &billing).await;
    app.clock
        .advance(std::time::Duration::from_secs(10 * 60 - 1));
    let on = browser.get(&third).await;
    assert_eq!(on.status(), Status::SeeOther, "at 9 min 59 s");
    assert!(location(&on).starts_with("/login?next="), "at 9 min 59 s");
    let fourth = continue_link(&browser, &billing).await;
    app.clock.advance(std::time::Duration::from_secs(10 * 60));
    assert_error_page(browser.get(&fourth).await, "an expired request").await;
}

#[rocket::async_test]
async fn a_consent_page_is_answered_only_by_the_session_it_was_shown_to() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let (shown, other) = (signed_in(&app).await, signed_in(&app).await);
    let page = shown.page(&Authorize::new(&rp).uri()).await;

    let mut fields = super::consent_fields(&shown, &page, "allow").await;
    let csrf = other.csrf_token().await;
    fields.retain(|(k, _)| k != "csrf_token");
    fields.push(("csrf_token".into(), csrf));
    let elsewhere = other
        .post_form("/oauth/authorize/consent", &super::form(&fields))
        .await;

    assert_error_page(elsewhere, "another session").await;
    assert!(back_at(&rp, &decide(&shown, &page, "allow").await).contains_key("code"));
}

/// A `state` and `nonce` within their caps, but made of characters that JSON writes twice,
/// would make a cookie that browsers drop: the app hears so at once, rather than its user
/// finding, after the sign-in, that the request was lost.
#[rocket::async_test]
async fn a_request_too_long_to_carry_goes_back_as_an_invalid_request() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    let quotes = "\"".repeat(1024);
    let request = Authorize::new(&rp)
        .with("state", &quotes)
        .with("nonce", &quotes);

    let response = app.browser().get(&request.uri()).await;

    let query = back_at(&rp, &response);
    assert_eq!(query["error"], "invalid_request", "{query:?}");
    let set_cookie: Vec<&str> = response.headers().get("Set-Cookie").collect();
    assert!(set_cookie.is_empty(), "{set_cookie:?}");
}

/// The longest request carried makes a cookie that browsers keep: at most 4,096 bytes of
/// name and value as sent, percent-encoding included, however its random ciphertext falls.
/// (Each quote is two bytes of JSON; with a nonce of 1,024 of them the limit falls inside
/// `state`'s cap.)
#[rocket::async_test]
async fn the_longest_request_carried_makes_a_cookie_that_fits_a_browser() {
    let app = TestApp::spawn().await;
    let rp = register(&app, "wiki", &[]);
    // The cookie's `name=value` length for a `state` of `quotes` quotes; `None` if not carried.
    let carried = |quotes: usize| {
        let request = Authorize::new(&rp)
            .with("state", &"\"".repeat(quotes))
            .with("nonce", &"\"".repeat(1024));
        let app = &app;
        async move {
            let response = app.browser().get(&request.uri()).await;
            let cookie = response
                .headers()
                .get("Set-Cookie")
                .find(|c| c.starts_with("gitlogin_authorize="))
                .map(|c| c.split(';').next().unwrap().len());
            cookie
        }
    };
    assert!(carried(0).await.is_some());
    assert!(carried(1024).await.is_none());
    // The largest count carried, by halving the range.
    let (mut carries, mut refused) = (0, 1024);
    while refused - carries > 1 {
        let middle = (carries + refused) / 2;
        match carried(middle).await {
            Some(_) => carries = middle,
            None => refused = middle,
        }
    }

    // Sent many times over, for the ciphertext's many draws of `/`.
    for _ in 0..50 {
        let longest = carried(carries).await.unwrap();
        assert!(longest <= 4096, "{longest} bytes would be dropped");
        // The margin is for the percent-encoding only, not a needlessly low limit; and it is
        // the one `carry` counts (a `/` in 16 characters, four times the expected share, so
        // the longest cookies carried measure about 3,720 to 3,780 bytes), not a thinner one.
        assert!(
            longest > 3700,
            "refused at {longest} bytes, well under the limit"
        );
        assert!(
            longest < 3900,
            "{longest} bytes: the margin is thinner than carry says"
        );
    }
}

/// The path a stranger's request for `rp` goes on to after the sign-in.
async fn continue_link(browser: &crate::helpers::Browser<'_>, rp: &super::Rp) -> String {
    let response = browser.get(&Authorize::new(rp).uri()).await;
    let next = query_param(location(&response), "next").unwrap();
    next
}

/// Every row of every table.
async fn store_rows(app: &TestApp) -> i64 {
    let tables = match crate::STORE {
        Store::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
        Store::Postgres => {
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'"
        }
    };
    let tables: Vec<String> = sqlx::query_scalar(tables).fetch_all(&app.db).await.unwrap();
    let mut rows = 0;
    for table in tables {
        rows += app.count(&format!("\"{table}\"")).await;
    }
    rows
}

/// The bytes the store takes on disk: the SQLite file and its write-ahead log, or
/// PostgreSQL's tables with their indexes and TOAST (not the whole database directory, where
/// the server keeps caches of its own catalogue).
async fn store_size(app: &TestApp) -> i64 {
    match crate::STORE {
        Store::Sqlite => {
            let path = app.db_url.trim_start_matches("sqlite://");
            let path = path.split('?').next().unwrap();
            let size = |path: String| std::fs::metadata(path).map_or(0, |m| m.len() as i64);
            size(path.to_owned()) + size(format!("{path}-wal"))
        }
        Store::Postgres => sqlx::query_scalar(
            "SELECT sum(pg_total_relation_size(c.oid))::bigint
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind = 'r'",
        )
        .fetch_one(&app.db)
        .await
        .unwrap(),
    }
}
