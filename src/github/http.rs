//! The HTTP client for everything the app asks of GitHub, and how each answer is read: capped
//! at [`MAX_ANSWER_BYTES`], and a rate limit recognised as one.

use std::time::Duration;

use reqwest::redirect;

use super::GithubError;
use crate::config::GithubSettings;

/// The most of one answer from GitHub that is read. GitHub's answers here are a few
/// kilobytes (a full page of 100 organisations is about 60 KiB); reading a larger one whole
/// would let a broken or hostile endpoint grow the process without bound.
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// Sent with every request: GitHub refuses API calls that carry no `User-Agent`.
const USER_AGENT: &str = concat!("gitlogin/", env!("CARGO_PKG_VERSION"));

/// The HTTP client for everything the app asks of GitHub.
pub fn http_client(settings: &GithubSettings) -> reqwest::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        // Never follow redirects: a redirect from the token endpoint could point the
        // exchange (and the client secret) at another host (SSRF).
        .redirect(redirect::Policy::none())
        .timeout(settings.timeout)
        .connect_timeout(Duration::from_secs(3).min(settings.timeout))
        .user_agent(USER_AGENT);
    // A private CA is trusted beside the bundled roots, never instead of them.
    if let Some(pem) = &settings.extra_roots {
        for root in reqwest::Certificate::from_pem_bundle(pem)? {
            builder = builder.add_root_certificate(root);
        }
    }
    builder.build()
}

/// GitHub's way of saying "not now": 403 or 429 with `Retry-After` (a secondary rate limit,
/// in seconds) or with `X-RateLimit-Remaining: 0` (the hourly limit, which resets at the unix
/// second `X-RateLimit-Reset`). Any other 403 is an ordinary refusal. The wait is capped at
/// an hour, the longest GitHub's limits last.
pub(super) fn rate_limit(response: &reqwest::Response) -> Option<GithubError> {
    if !matches!(response.status().as_u16(), 403 | 429) {
        return None;
    }
    let number = |name: &str| {
        let value = response.headers().get(name)?.to_str().ok()?;
        value.trim().parse::<u64>().ok()
    };
    let wait = if let Some(seconds) = number("retry-after") {
        Some(seconds)
    } else if number("x-ratelimit-remaining") == Some(0) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        number("x-ratelimit-reset").map(|reset| reset.saturating_sub(now))
    } else {
        return None;
    };
    Some(GithubError::RateLimited(wait.map(|w| w.min(3600))))
}

/// The body of one of GitHub's answers, or [`GithubError::TooLarge`] as soon as it grows past
/// [`MAX_ANSWER_BYTES`]: the rest is never read.
pub(super) async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, GithubError> {
    if response
        .content_length()
        .is_some_and(|length| length > MAX_ANSWER_BYTES as u64)
    {
        return Err(GithubError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(GithubError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The HTTP client oauth2 runs the token exchange with: the shared client, reading the
/// answer through [`read_capped`] (oauth2's own impl for reqwest would read any size whole).
pub struct CappedHttp(pub reqwest::Client);

impl<'c> oauth2::AsyncHttpClient<'c> for CappedHttp {
    type Error = GithubError;
    type Future = std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<oauth2::HttpResponse, GithubError>> + Send + 'c,
        >,
    >;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request)
                .map_err(|e| GithubError::InvalidBody(format!("token request: {e}")))?;
            let started = std::time::Instant::now();
            let sent = self.0.execute(request).await;
            let status = sent.as_ref().ok().map(|r| r.status().as_u16());
            crate::ops::metrics::github_call("token", status, started.elapsed());
            let response = sent?;
            if let Some(limited) = rate_limit(&response) {
                return Err(limited);
            }
            let mut answer = oauth2::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                answer = answer.header(name, value);
            }
            let body = read_capped(response).await?;
            answer
                .body(body)
                .map_err(|e| GithubError::InvalidBody(e.to_string()))
        })
    }
}
