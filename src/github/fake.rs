//! A fake GitHub: the OAuth App endpoints and the REST calls signing in makes, answering the
//! way GitHub's documentation on OAuth Apps and the REST API says github.com does, quirks
//! included (token errors with HTTP 200, single-use codes that expire, PKCE, `iss` on every
//! callback, the `User-Agent` rule, paginated `/user/orgs`, at most ten tokens per person,
//! tokens the app revokes). Each endpoint's file says what GitHub does there; when the fake
//! and GitHub's documentation disagree, the documentation is right.
//!
//! GitHub Enterprise Server has the same endpoints below other bases: web `https://HOST`, API
//! `https://HOST/api/v3`. It sends no `iss` on callbacks and takes no PKCE.
//!
//! One fake for everything that needs one: demo mode mounts it on the app's own origin
//! (`crate::demo`), the tests and the benchmark run it alone on loopback ([`FakeGithub::serve`]).
//! It is compiled into debug builds, and into release builds only with the `fake-github`
//! feature (the benchmark's); a release build never mounts it, because demo mode is decided
//! in `config` and only a debug build can be in it.

mod accounts;
mod api;
mod applications;
mod authorize;
mod faults;
mod token;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use rocket::{Build, Rocket, Shutdown};

use crate::ops::clock::Clock;
use crate::ops::loopback;

pub use accounts::{email, Account};
pub use faults::{Fault, Limit};

/// Who the next authorize signs in: the person signed in at GitHub in that browser.
#[derive(Debug, Clone)]
pub enum SignedIn {
    /// Nobody: the authorize request fails.
    Nobody,
    As(Account),
    /// One of [`Account::numbered`]`(1..=n)`, at random: many returning people.
    OneOf(u64),
}

/// Everything the fake remembers, and the switches tests turn.
pub struct World {
    /// The one OAuth App registered here.
    pub client_id: String,
    pub client_secret: String,
    /// Its callback URL. `None` takes any `redirect_uri`, for tests that give the app its
    /// address only after the fake is running.
    pub callback: Option<String>,
    pub signed_in: SignedIn,
    /// GitHub shows its consent page (a first-time authorization); otherwise it sends the
    /// person straight back, as it does for an app they authorized before.
    pub asks_consent: bool,
    /// The next decision is Cancel: the app gets `error=access_denied`.
    pub deny: bool,
    pub token_fault: Option<Fault>,
    pub user_fault: Option<Fault>,
    /// What `DELETE /applications/{client_id}/token` does instead of revoking.
    pub revoke_fault: Option<Fault>,
    /// GitHub revokes a person's oldest token for an app beyond ten.
    pub tokens_per_person: usize,
    /// `/user/emails` answers 404, as GitHub does when the token lacks `user:email`.
    pub emails_not_found: bool,
    /// What `/user/emails` does instead of answering (a 5xx, a delay...).
    pub emails_fault: Option<Fault>,
    /// Every account's `avatar_url`, instead of GitHub's avatar host (which a browser on a
    /// closed network cannot reach, and which the app's CSP allows next to the app only).
    pub avatar_url: Option<String>,
    /// Where the consent page finds `style.css` and `favicon.svg` (demo mode: the app's
    /// static files); without them it is a bare page.
    pub page_assets: Option<String>,
    /// The `iss` every callback carries: `{GITHUB_URL}/login/oauth` (RFC 9207).
    pub issuer: String,
    /// Where the authorize and token endpoints are mounted (`""` alone, `/demo/github` in
    /// demo mode): the consent page posts there.
    pub web_base: String,

    pub token_requests: usize,
    pub user_requests: usize,
    pub emails_requests: usize,
    pub orgs_requests: usize,
    pub revoke_requests: usize,
    /// Every code and token handed out, so tests can look for them where they must not be.
    pub issued_codes: Vec<String>,
    pub issued_tokens: Vec<String>,
    /// The tokens the app revoked, in order.
    pub revoked_tokens: Vec<String>,

    codes: HashMap<String, authorize::Grant>,
    tokens: HashMap<String, Account>,
    /// Each account's live tokens, oldest first: GitHub keeps at most ten.
    tokens_of: HashMap<i64, VecDeque<String>>,
    clock: Clock,
}

/// A handle on a fake GitHub; clones share it.
#[derive(Clone)]
pub struct FakeGithub {
    /// `http://127.0.0.1:PORT` once [`FakeGithub::serve`] started it.
    pub url: String,
    shared: Arc<Mutex<World>>,
    shutdown: Option<Shutdown>,
}

impl FakeGithub {
    /// A fake with one OAuth App registered, `octocat` signed in, and no consent page.
    pub fn new(client_id: &str, client_secret: &str, clock: Clock) -> FakeGithub {
        let world = World {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            callback: None,
            signed_in: SignedIn::As(Account::octocat()),
            asks_consent: false,
            deny: false,
            token_fault: None,
            user_fault: None,
            revoke_fault: None,
            tokens_per_person: 10,
            emails_not_found: false,
            emails_fault: None,
            avatar_url: None,
            page_assets: None,
            issuer: String::new(),
            web_base: String::new(),
            token_requests: 0,
            user_requests: 0,
            emails_requests: 0,
            orgs_requests: 0,
            revoke_requests: 0,
            issued_codes: Vec::new(),
            issued_tokens: Vec::new(),
            revoked_tokens: Vec::new(),
            codes: HashMap::new(),
            tokens: HashMap::new(),
            tokens_of: HashMap::new(),
            clock,
        };
        FakeGithub {
            url: String::new(),
            shared: Arc::new(Mutex::new(world)),
            shutdown: None,
        }
    }

    /// Mounts the fake on `rocket`: github.com's endpoints at `web_base`, api.github.com's
    /// at `api_base`.
    pub fn mount(&self, rocket: Rocket<Build>, web_base: &str, api_base: &str) -> Rocket<Build> {
        self.with(|w| w.web_base = web_base.trim_end_matches('/').to_owned());
        rocket
            .manage(self.clone())
            .mount(web_base, authorize::routes())
            .mount(web_base, token::routes())
            .mount(api_base, api::routes())
            .mount(api_base, applications::routes())
    }

    /// Runs the fake alone on a free port of 127.0.0.1, both hosts on one server, as the
    /// tests and the benchmark do; `extra` may mount more on it (pages of "another site").
    pub async fn serve(self, extra: impl FnOnce(Rocket<Build>) -> Rocket<Build>) -> FakeGithub {
        let rocket = extra(self.mount(rocket::custom(loopback::figment(0)), "/", "/"));
        let listening = loopback::launch(rocket)
            .await
            .expect("the fake GitHub did not start");
        let url = format!("http://127.0.0.1:{}", listening.port);
        self.with(|w| w.issuer = format!("{url}/login/oauth"));
        FakeGithub {
            url,
            shutdown: Some(listening.shutdown),
            ..self
        }
    }

    /// Stops a fake that [`FakeGithub::serve`] started.
    pub fn stop(&self) {
        if let Some(shutdown) = &self.shutdown {
            shutdown.clone().notify();
        }
    }

    /// Reads or changes the fake's state.
    pub fn with<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        f(&mut self.lock())
    }

    /// Who is signed in at GitHub from now on.
    pub fn set_account(&self, account: Account) {
        self.with(|w| w.signed_in = SignedIn::As(account));
    }

    /// How many requests reached the token endpoint and the API (revocations included), together.
    pub fn calls(&self) -> usize {
        self.with(|w| {
            w.token_requests
                + w.user_requests
                + w.emails_requests
                + w.orgs_requests
                + w.revoke_requests
        })
    }

    /// A poisoned lock only means a test panicked mid-change; the state stays usable.
    fn lock(&self) -> MutexGuard<'_, World> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// 128 random bits in hex: the fake's codes and tokens (GitHub's own formats are opaque to the app).
fn random_hex() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
