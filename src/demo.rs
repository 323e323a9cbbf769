//! Demo mode: the fake GitHub (`github::fake`) mounted on the app's own origin, for when no
//! OAuth App is configured (debug builds only; `config` decides).
//!
//! The app points itself at it and runs the *same* sign-in code it runs against github.com:
//! consent page, state, PKCE, token exchange over HTTP, `/user`, `/user/emails`. The fake
//! keeps its codes and tokens in memory; it models GitHub's wire format, not its security.

use rocket::fairing::AdHoc;

use crate::config::{AppConfig, DEMO_API_BASE, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_WEB_BASE};
use crate::github::fake::{Account, FakeGithub, SignedIn};
use crate::ops::clock::Clock;

pub fn stage(config: &AppConfig, clock: &Clock) -> AdHoc {
    let fake = FakeGithub::new(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, clock.clone());
    fake.with(|w| {
        // Only codes for the app's own callback are ever handed out.
        w.callback = Some(config.callback_url());
        w.signed_in = SignedIn::As(Account::demo());
        w.asks_consent = true;
        // The app's CSP allows images from itself (and GitHub's avatar host, not reachable
        // from every demo machine).
        w.avatar_url = Some(format!("{}/static/demo-avatar.svg", config.public_url));
        w.page_assets = Some("/static".to_owned());
        w.issuer = format!("{}/login/oauth", config.github.web_url);
    });
    AdHoc::on_ignite("Demo GitHub", move |rocket| async move {
        fake.mount(rocket, DEMO_WEB_BASE, DEMO_API_BASE)
    })
}
