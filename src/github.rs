//! GitHub's REST API, as far as signing in needs it: who is this token's owner, and what is
//! their primary verified email.
//!
//! One `reqwest::Client` is built at start-up and shared by the token exchange and these
//! calls: it keeps connections alive, and its settings (timeouts, no redirects) are set once.

use std::time::Duration;

use reqwest::{header, redirect, StatusCode};
use serde::Deserialize;

use crate::config::GithubSettings;

/// Sent with every request: GitHub refuses API calls that carry no `User-Agent`.
const USER_AGENT: &str = concat!("gitlogin/", env!("CARGO_PKG_VERSION"));

/// The HTTP client for everything the app asks of GitHub.
pub fn http_client(settings: &GithubSettings) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        // Never follow redirects: a redirect from the token endpoint could point the
        // exchange (and the client secret) at another host (SSRF).
        .redirect(redirect::Policy::none())
        .timeout(settings.timeout)
        .connect_timeout(Duration::from_secs(3).min(settings.timeout))
        .user_agent(USER_AGENT)
        .build()
}

/// The REST API below `GITHUB_API_URL`.
pub struct GithubApi {
    http: reqwest::Client,
    base: String,
}

/// What `GET /user` says about the token's owner. `name` and `email` are often `null`:
/// `email` is only the public address.
#[derive(Debug, Clone, Deserialize)]
pub struct GithubUser {
    pub id: i64,
    pub login: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub avatar_url: Option<String>,
}

/// One entry of `GET /user/emails`. The primary address is not always listed first.
#[derive(Debug, Deserialize)]
struct GithubEmail {
    email: String,
    primary: bool,
    verified: bool,
}

/// Why a call to GitHub's API failed. Each variant becomes its own status in `LoginError`.
#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    #[error("GitHub did not answer in time")]
    Timeout,
    #[error("GitHub could not be reached: {0}")]
    Unreachable(#[source] reqwest::Error),
    #[error("GitHub answered {0}")]
    Status(StatusCode),
    #[error("GitHub's answer was not what its API documents: {0}")]
    InvalidBody(String),
}

impl From<reqwest::Error> for GithubError {
    fn from(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            GithubError::Timeout
        } else if e.is_decode() || e.is_body() {
            GithubError::InvalidBody(e.to_string())
        } else {
            GithubError::Unreachable(e)
        }
    }
}

impl GithubApi {
    pub fn new(http: reqwest::Client, base: &str) -> GithubApi {
        GithubApi {
            http,
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// `GET /user`, then `GET /user/emails` when the public email is `null`, so that the
    /// stored email is the person's primary verified one. The token is only borrowed: it is
    /// used for these two calls and never kept.
    pub async fn signed_in_user(&self, token: &str) -> Result<GithubUser, GithubError> {
        let mut user: GithubUser = self.get(token, "/user").await?;
        if user.id <= 0 || user.login.is_empty() || user.login.len() > 100 {
            return Err(GithubError::InvalidBody("implausible id or login".into()));
        }
        user.avatar_url = user.avatar_url.filter(|url| is_web_url(url));
        if user.email.is_none() {
            let emails: Vec<GithubEmail> = self.get(token, "/user/emails").await?;
            user.email = emails
                .into_iter()
                .find(|e| e.primary && e.verified)
                .map(|e| e.email);
        }
        Ok(user)
    }

    /// The logins of the organisations the token's owner belongs to (`GET /user/orgs`, which
    /// shows private memberships only with the `read:org` scope). Pages are fetched by number
    /// rather than by following `Link` headers, so every request stays on `GITHUB_API_URL`.
    pub async fn organisations(&self, token: &str) -> Result<Vec<String>, GithubError> {
        #[derive(Deserialize)]
        struct Org {
            login: String,
        }
        const PER_PAGE: usize = 100;
        let mut orgs = Vec::new();
        for page in 1..=10 {
            let path = format!("/user/orgs?per_page={PER_PAGE}&page={page}");
            let batch: Vec<Org> = self.get(token, &path).await?;
            let last = batch.len() < PER_PAGE;
            orgs.extend(batch.into_iter().map(|o| o.login));
            if last {
                break;
            }
        }
        Ok(orgs)
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
    ) -> Result<T, GithubError> {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .header(header::ACCEPT, "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(GithubError::Status(response.status()));
        }
        Ok(response.json().await?)
    }
}

/// Avatars are shown in an `<img>`: only plain web URLs get that far.
fn is_web_url(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "https" | "http"))
}
