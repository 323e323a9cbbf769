//! `TestApp::spawn()`: the app with a fresh store (a SQLite file in a temp dir, or a new
//! database in the test PostgreSQL, whichever the test crate names in its `STORE`), pointed at
//! its own fake GitHub, and driven through HTTP by one or more `Browser`s that keep their own
//! cookies and never follow redirects.

use std::collections::HashMap;
use std::sync::Mutex;

use rocket::figment::Figment;
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use tempfile::TempDir;

use gitlogin::ops::clock::Clock;

use gitlogin::github::fake::FakeGithub;
pub use gitlogin::ops::loopback::{free_port, random_secret_key};

// `#[path]`: found beside this file from both crates that include it (`tests/postgres` by path).
#[path = "helpers/outside.rs"]
mod outside;
#[path = "helpers/pages.rs"]
mod pages;
pub use outside::{assert_refuses_to_start, not_installed, private_ca};
pub use pages::{assert_redirect, attribute, csrf_token_in, encode, location, query_param};

/// Where the app believes it is reached.
pub const PUBLIC_URL: &str = "http://app.test";

/// The OAuth App registered at the tests' fake GitHub.
pub const CLIENT_ID: &str = "test-client-id";
pub const CLIENT_SECRET: &str = "test-client-secret";

/// A fake GitHub of the test's own on 127.0.0.1, with the tests' OAuth App registered and
/// `octocat` signed in, sending returning people straight back.
pub async fn fake_github() -> FakeGithub {
    FakeGithub::new(CLIENT_ID, CLIENT_SECRET, Clock::default())
        .serve(|rocket| rocket)
        .await
}

/// The store a test crate runs its suites against: `tests/api` SQLite, `tests/postgres`
/// PostgreSQL. Each crate root says which in `const STORE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    Sqlite,
    Postgres,
}

impl Store {
    /// A new, empty store of this kind; its URL, and the temp dir that holds it (SQLite).
    pub async fn create(self) -> (String, TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = match self {
            Store::Sqlite => format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("gitlogin.db").display()
            ),
            Store::Postgres => {
                crate::pg_cluster::create_database(crate::pg_cluster::shared()).await
            }
        };
        (url, dir)
    }
}

pub struct TestApp {
    pub client: Client,
    pub github: FakeGithub,
    pub clock: Clock,
    /// A second pool on the app's store, for looking at rows. sqlx 0.7's `Any` cannot decode
    /// NULL into an `Option`, so the tests' queries ask questions whose answers are not NULL.
    pub db: AnyPool,
    /// The app's `DATABASE_URL`, for a second instance on the same store.
    pub db_url: String,
    _dir: TempDir,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|f| f).await
    }

    /// Spawns with extra settings layered over the test defaults.
    pub async fn spawn_with(customize: impl FnOnce(Figment) -> Figment) -> TestApp {
        TestApp::spawn_with_clock(Clock::frozen(), customize).await
    }

    /// [`TestApp::spawn_with`] on `clock`: instances that share one clock see the same
    /// second, so a test can put both at the exact second of an expiry.
    pub async fn spawn_with_clock(
        clock: Clock,
        customize: impl FnOnce(Figment) -> Figment,
    ) -> TestApp {
        let (fresh_store, dir) = crate::STORE.create().await;
        // The fake's codes expire on the app's clock.
        let github = FakeGithub::new(CLIENT_ID, CLIENT_SECRET, clock.clone())
            .serve(|rocket| rocket)
            .await;
        let figment = gitlogin::config::figment()
            .merge(("github_client_id", CLIENT_ID))
            .merge(("github_client_secret", CLIENT_SECRET))
            .merge(("github_url", &github.url))
            .merge(("github_api_url", &github.url))
            .merge(("github_timeout", 2))
            .merge(("public_url", PUBLIC_URL))
            .merge(("databases.gitlogin.url", &fresh_store))
            .merge(("databases.gitlogin.connect_timeout", 2))
            .merge(("secret_key", random_secret_key()))
            .merge(("log_level", "off"));
        let figment = customize(figment);
        let public_url: String = figment.extract_inner("public_url").unwrap();
        github.with(|w| w.callback = Some(format!("{public_url}/login/callback")));
        // A test may point the app at another app's store: look at the rows where it writes.
        let db_url: String = figment.extract_inner("databases.gitlogin.url").unwrap();
        let rocket = gitlogin::app_with_clock(figment, clock.clone()).unwrap();
        let client = Client::untracked(rocket).await.unwrap();
        sqlx::any::install_default_drivers();
        let db = AnyPoolOptions::new()
            .max_connections(2)
            .connect(&db_url)
            .await
            .unwrap();
        TestApp {
            client,
            github,
            clock,
            db,
            db_url,
            _dir: dir,
        }
    }

    /// A new browser with an empty cookie jar.
    pub fn browser(&self) -> Browser<'_> {
        Browser {
            app: self,
            cookies: Mutex::new(HashMap::new()),
        }
    }

    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&self.db)
            .await
            .unwrap()
    }
}

/// For [`TestApp::spawn_with`]: a pool of one connection that gives up after 1 s, so a
/// request that keeps its connection (or a sign-in that holds one) makes the next request
/// answer 503 instead of being served.
pub fn pool_of_one(figment: Figment) -> Figment {
    figment
        .merge(("databases.gitlogin.max_connections", 1))
        .merge(("databases.gitlogin.connect_timeout", 1))
}

/// One person's browser: a cookie jar, and requests that do not follow redirects. The jar is
/// kept here because Rocket's local client tracks one jar per client, and a test has several
/// people on one app (the real-socket tests use reqwest's cookie store instead).
pub struct Browser<'a> {
    pub app: &'a TestApp,
    cookies: Mutex<HashMap<String, String>>,
}

impl<'a> Browser<'a> {
    pub async fn get(&self, uri: &str) -> LocalResponse<'a> {
        let request = self.app.client.get(uri.to_owned());
        self.send(request).await
    }

    /// `GET uri`, and the text of the page it answers with.
    pub async fn page(&self, uri: &str) -> String {
        self.get(uri).await.into_string().await.unwrap()
    }

    /// A form POST as a same-origin page of the app would send it.
    pub async fn post_form(&self, uri: &str, body: &str) -> LocalResponse<'a> {
        let request = self
            .app
            .client
            .post(uri.to_owned())
            .header(ContentType::Form)
            .header(Header::new("Origin", PUBLIC_URL))
            .header(Header::new("Sec-Fetch-Site", "same-origin"))
            .body(body);
        self.send(request).await
    }

    /// Sends `request` with this browser's cookies and keeps whatever it sets or removes.
    pub async fn send(
        &self,
        request: rocket::local::asynchronous::LocalRequest<'a>,
    ) -> LocalResponse<'a> {
        let jar: Vec<_> = self
            .cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| rocket::http::Cookie::new(k.clone(), v.clone()))
            .collect();
        let response = request.cookies(jar).dispatch().await;
        let mut cookies = self.cookies.lock().unwrap();
        for header in response.headers().get("Set-Cookie") {
            let cookie = rocket::http::Cookie::parse_encoded(header.to_owned()).unwrap();
            let removed = cookie.max_age().is_some_and(|a| a.is_zero())
                || cookie
                    .expires_datetime()
                    .is_some_and(|t| t < time::OffsetDateTime::now_utc());
            if removed {
                cookies.remove(cookie.name());
            } else {
                cookies.insert(cookie.name().to_owned(), cookie.value().to_owned());
            }
        }
        response
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().unwrap().get(name).cloned()
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.cookies
            .lock()
            .unwrap()
            .insert(name.to_owned(), value.to_owned());
    }

    /// `GET /login?next=...`; returns GitHub's authorize URL it redirected to.
    pub async fn start_login(&self, next: Option<&str>) -> url::Url {
        let uri = match next {
            Some(next) => format!("/login?next={}", encode(next)),
            None => "/login".to_owned(),
        };
        let response = self.get(&uri).await;
        assert_eq!(response.status(), Status::SeeOther);
        url::Url::parse(location(&response)).unwrap()
    }

    /// Sign in from start to finish; returns the callback's response.
    pub async fn sign_in(&self, next: Option<&str>) -> LocalResponse<'a> {
        let authorize = self.start_login(next).await;
        let callback = github_redirect(&authorize).await;
        self.get(&callback).await
    }

    /// The CSRF token in the sign-out form of the home page.
    pub async fn csrf_token(&self) -> String {
        let page = self.page("/").await;
        csrf_token_in(&page)
            .unwrap_or_else(|| panic!("no csrf_token field on the home page: {page}"))
    }

    /// Presses "Sign out" on the home page: `POST /logout` with the page's CSRF token.
    pub async fn sign_out(&self) -> LocalResponse<'a> {
        let csrf = self.csrf_token().await;
        self.post_form("/logout", &format!("csrf_token={}", encode(&csrf)))
            .await
    }
}

/// What GitHub does with the authorize URL: sends the browser back to the app. Returns the
/// callback's path and query (the app under test has no socket; the fake does).
pub async fn github_redirect(authorize: &url::Url) -> String {
    let back = github_redirect_at(authorize).await;
    assert!(back
        .as_str()
        .starts_with(&format!("{PUBLIC_URL}/login/callback")));
    format!("{}?{}", back.path(), back.query().unwrap_or_default())
}

/// [`github_redirect`] for an app at another `PUBLIC_URL`: the whole URL GitHub sent back to.
pub async fn github_redirect_at(authorize: &url::Url) -> url::Url {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // Every wait a test makes is bounded: a broken sign-in fails fast, saying where.
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap();
    let response = http.get(authorize.as_str()).send().await.unwrap();
    assert_eq!(
        response.status(),
        302,
        "the fake GitHub refused to authorize"
    );
    let back = response.headers()["location"].to_str().unwrap();
    url::Url::parse(back).unwrap()
}
