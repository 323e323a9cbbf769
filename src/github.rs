//! GitHub's REST API, as far as signing in needs it: who is this token's owner, what is
//! their primary verified email, which organisations and teams are they in; and the token's
//! revocation once the sign-in is done with it.
//!
//! One `reqwest::Client` is built at start-up and shared by the token exchange and these
//! calls: it keeps connections alive, and its settings (timeouts, no redirects) are set once.
//! Every answer is read through [`read_capped`], the token exchange's too ([`CappedHttp`]), in
//! `http.rs`.
// GitHub's wire behaviour, written once, for demo mode, the tests and the benchmark.
#[cfg(any(debug_assertions, feature = "fake-github"))]
pub mod fake;
mod http;

pub use http::{http_client, CappedHttp, MAX_ANSWER_BYTES};
use http::{rate_limit, read_capped};

use reqwest::{header, StatusCode};
use serde::Deserialize;

use crate::config::allow_list::is_github_name;

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
    #[error("GitHub's TLS certificate is not trusted: {0}")]
    Untrusted(String),
    #[error("GitHub answered {0}")]
    Status(StatusCode),
    /// GitHub is limiting this app's (or this person's) requests; how many seconds to wait,
    /// when GitHub said.
    #[error("GitHub is limiting requests (wait: {0:?} s)")]
    RateLimited(Option<u64>),
    #[error("GitHub's answer was not what its API documents: {0}")]
    InvalidBody(String),
    #[error("GitHub's answer was larger than {MAX_ANSWER_BYTES} bytes")]
    TooLarge,
}

impl From<reqwest::Error> for GithubError {
    fn from(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            GithubError::Timeout
        } else if let Some(why) = certificate_problem(&e) {
            GithubError::Untrusted(why)
        } else if e.is_decode() || e.is_body() {
            GithubError::InvalidBody(e.to_string())
        } else {
            GithubError::Unreachable(e)
        }
    }
}

/// rustls's reason, when the connection failed on GitHub's certificate. It sits deep in
/// reqwest's chain of sources (hyper, then I/O, then rustls), whose types are private to
/// those crates, so it is recognised by what rustls says.
fn certificate_problem(e: &reqwest::Error) -> Option<String> {
    let mut source = std::error::Error::source(e);
    while let Some(error) = source {
        let text = error.to_string();
        if text.contains("invalid peer certificate") {
            return Some(text);
        }
        source = error.source();
    }
    None
}

impl GithubApi {
    pub fn new(http: reqwest::Client, base: &str) -> GithubApi {
        GithubApi {
            http,
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// `GET /user`, then `GET /user/emails` for the primary verified address. The public
    /// email of `/user` may be another, so it stands in only when `/user/emails` refuses
    /// outright (404 without the `user:email` scope, 403 when a policy forbids it); after any
    /// other failure there GitHub said nothing about which address is verified, and the sign-in
    /// goes on with no email at all rather than call the public one verified (apps receive
    /// `email_verified: true` with any email). The token is only borrowed: it is used for these
    /// calls and never kept.
    pub async fn signed_in_user(&self, token: &str) -> Result<GithubUser, GithubError> {
        let mut user: GithubUser = self.get(token, "/user").await?;
        // Parse, don't trust: the id keys the store, and the login reaches pages, headers
        // and log lines.
        if user.id <= 0 || !is_github_name(&user.login) {
            return Err(GithubError::InvalidBody("implausible id or login".into()));
        }
        user.avatar_url = user.avatar_url.filter(|url| is_web_url(url));
        match self.get::<Vec<GithubEmail>>(token, "/user/emails").await {
            Ok(emails) => {
                user.email = emails
                    .into_iter()
                    .find(|e| e.primary && e.verified)
                    .map(|e| e.email);
            }
            Err(GithubError::Status(status)) if matches!(status.as_u16(), 403 | 404) => {}
            Err(GithubError::RateLimited(wait)) => return Err(GithubError::RateLimited(wait)),
            Err(other) => {
                rocket::warn!("GitHub's /user/emails failed, signing in without an email: {other}");
                user.email = None;
            }
        }
        user.email = user.email.filter(|email| plausible_email(user.id, email));
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

    /// The teams of the token's owner, as `org/team-slug` (`GET /user/teams`, `read:org`),
    /// paged as [`GithubApi::organisations`] is.
    pub async fn teams(&self, token: &str) -> Result<Vec<String>, GithubError> {
        #[derive(Deserialize)]
        struct Team {
            slug: String,
            organization: Org,
        }
        #[derive(Deserialize)]
        struct Org {
            login: String,
        }
        const PER_PAGE: usize = 100;
        let mut teams = Vec::new();
        for page in 1..=10 {
            let path = format!("/user/teams?per_page={PER_PAGE}&page={page}");
            let batch: Vec<Team> = self.get(token, &path).await?;
            let last = batch.len() < PER_PAGE;
            teams.extend(
                batch
                    .into_iter()
                    .map(|t| format!("{}/{}", t.organization.login, t.slug)),
            );
            if last {
                break;
            }
        }
        Ok(teams)
    }

    /// `DELETE /applications/{client_id}/token`: the token stops working at GitHub. It is
    /// authenticated as the OAuth App (HTTP Basic with its id and secret), not with the token.
    /// GitHub answers 204; 404 or 422 means the token was not (or no longer) live.
    pub async fn revoke_token(
        &self,
        client_id: &str,
        client_secret: &str,
        token: &str,
    ) -> Result<(), GithubError> {
        let started = std::time::Instant::now();
        let sent = self
            .http
            .delete(format!("{}/applications/{client_id}/token", self.base))
            .basic_auth(client_id, Some(client_secret))
            .header(header::ACCEPT, "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .json(&serde_json::json!({ "access_token": token }))
            .send()
            .await;
        let status = sent.as_ref().ok().map(|r| r.status().as_u16());
        crate::ops::metrics::github_call("revoke_token", status, started.elapsed());
        let response = sent?;
        if response.status() != StatusCode::NO_CONTENT {
            return Err(GithubError::Status(response.status()));
        }
        Ok(())
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
    ) -> Result<T, GithubError> {
        let started = std::time::Instant::now();
        let sent = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .header(header::ACCEPT, "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .send()
            .await;
        let status = sent.as_ref().ok().map(|r| r.status().as_u16());
        crate::ops::metrics::github_call(endpoint_name(path), status, started.elapsed());
        let response = sent?;
        if let Some(limited) = rate_limit(&response) {
            return Err(limited);
        }
        if !response.status().is_success() {
            return Err(GithubError::Status(response.status()));
        }
        let body = read_capped(response).await?;
        serde_json::from_slice(&body).map_err(|e| GithubError::InvalidBody(e.to_string()))
    }
}

/// The metrics' name for an API path: a fixed word, whatever the query.
fn endpoint_name(path: &str) -> &'static str {
    match path.split('?').next() {
        Some("/user") => "user",
        Some("/user/emails") => "user_emails",
        Some("/user/orgs") => "user_orgs",
        Some("/user/teams") => "user_teams",
        _ => "other",
    }
}

/// Avatars are shown in an `<img>`: only plain web URLs get that far.
fn is_web_url(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "https" | "http"))
}

/// An address reaches headers (`X-Forwarded-Email`), tokens and pages: one with a control
/// character (a CR/LF that would split a header, say) is not an address GitHub verified, and
/// is dropped, with a log line saying whose.
fn plausible_email(github_id: i64, email: &str) -> bool {
    let plausible = !email.chars().any(char::is_control);
    if !plausible {
        rocket::warn!(
            "GitHub gave github_id={github_id} an email with control characters: dropped"
        );
    }
    plausible
}
