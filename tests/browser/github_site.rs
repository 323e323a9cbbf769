//! The fake GitHub (`gitlogin::github::fake`) as a browser meets it: its consent page on
//! `localhost` while the app is on `127.0.0.1`. Different hosts are different sites, as
//! github.com and the app are, so the browser applies its SameSite rules to the trip back to
//! the app's callback. Two pages of that other site are the tests' own: one where an open
//! redirect would land, and one that breaks its own CSP.

use gitlogin::github::fake::{Account, FakeGithub};
use gitlogin::ops::clock::Clock;
use rocket::http::Header;
use rocket::response::content::RawHtml;
use rocket::{get, routes};

pub const CLIENT_ID: &str = "browser-test-client";
pub const CLIENT_SECRET: &str = "browser-test-secret";

pub struct GithubSite {
    /// `http://localhost:PORT`: what the browser sees.
    pub url: String,
    /// The same server at `http://127.0.0.1:PORT`, for the app's server-side calls.
    pub fake: FakeGithub,
}

impl GithubSite {
    pub async fn start() -> GithubSite {
        let fake = FakeGithub::new(CLIENT_ID, CLIENT_SECRET, Clock::default())
            .serve(|rocket| rocket.mount("/", routes![elsewhere, csp_canary]))
            .await;
        let url = fake.url.replace("127.0.0.1", "localhost");
        fake.with(|w| {
            w.asks_consent = true;
            // RFC 9207: the issuer is the `GITHUB_URL` the app knows, the browser's host.
            w.issuer = format!("{url}/login/oauth");
        });
        GithubSite { url, fake }
    }

    /// Registers the app's callback, and serves avatars from the app (its CSP allows images
    /// from itself and GitHub's avatar host only, and the avatar host is not on loopback).
    pub fn set_app(&self, app_url: &str) {
        self.fake.with(|w| {
            w.callback = Some(format!("{app_url}/login/callback"));
            w.avatar_url = Some(format!("{app_url}/static/demo-avatar.svg"));
        });
    }

    /// Who the next Authorize click signs in.
    pub fn sign_in_as(&self, account: Account) {
        self.fake.set_account(account);
    }

    /// How many codes were traded for tokens.
    pub fn tokens_issued(&self) -> usize {
        self.fake.with(|w| w.issued_tokens.len())
    }

    /// A page on this other site, where no sign-in should ever end.
    pub fn elsewhere(&self) -> String {
        format!("{}/elsewhere", self.url)
    }
}

/// Where an open redirect would land a person: a page on another site.
#[get("/elsewhere")]
fn elsewhere() -> RawHtml<&'static str> {
    RawHtml(concat!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Elsewhere</title>"#,
        r#"<link rel="icon" href="data:,"></head><body><h1>You left the app</h1></body></html>"#
    ))
}

/// A page that breaks its own CSP, so that a test can prove the console check sees it.
#[get("/csp-canary")]
fn csp_canary() -> WithCsp {
    WithCsp {
        page: RawHtml(concat!(
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>CSP canary</title>"#,
            r#"<link rel="icon" href="data:,"></head><body><h1>CSP canary</h1>"#,
            r#"<p style="color: red">An inline style the CSP refuses.</p></body></html>"#
        )),
        csp: Header::new("Content-Security-Policy", "default-src 'none'"),
    }
}

#[derive(rocket::Responder)]
struct WithCsp {
    page: RawHtml<&'static str>,
    csp: Header<'static>,
}
