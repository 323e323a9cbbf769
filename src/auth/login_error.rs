//! Everything that can stop a sign-in at the callback, and what the person sees for each.
//!
//! One enum, one `Responder`: the variant decides the status and the page; the detail goes
//! to the log (never the code, state, verifier or token), not to the browser.

use rocket::http::Status;
use rocket::request::Request;
use rocket::response::{self, Redirect, Responder};

use oauth2::basic::{BasicErrorResponse, BasicRequestTokenError};

use crate::access::SignInStopped;
use crate::config::AppConfig;
use crate::github::{GithubError, GithubUser};
use crate::web::cookies::CookiePolicy;
use crate::web::error_pages::ErrorPage;
use crate::web::flash::Flash;

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The person pressed "Cancel" at GitHub (`error=access_denied`).
    #[error("the person cancelled at GitHub")]
    Denied,
    /// GitHub sent another `error=` (`redirect_uri_mismatch`, `application_suspended`, ...).
    #[error("GitHub returned error {0:?}")]
    GithubRefused(String),
    /// No pending sign-in in this browser: it expired, was used already, or never started
    /// here (a callback URL planted by someone else: login CSRF).
    #[error("no pending sign-in in this browser")]
    Expired,
    /// The callback's `iss` names another authorization server than GitHub (RFC 9207).
    #[error("the callback's issuer is not GitHub's")]
    BadIssuer,
    /// The `state` is missing, empty or not the one this browser was given.
    #[error("the state does not match this browser's sign-in")]
    BadState,
    /// No `code` in the callback.
    #[error("the callback carried no code")]
    MissingCode,
    /// GitHub refused the code (used, expired, wrong verifier); it says so with HTTP 200.
    #[error("GitHub refused the code: {0}")]
    CodeRejected(String),
    /// The person is not on `ALLOWED_GITHUB_USERS` nor in an `ALLOWED_GITHUB_ORGS` org.
    /// `request_access` is set when an organisation could have let them in: GitHub's page
    /// where a member asks the organisation to approve this OAuth App.
    #[error("{login} is not on the allow-lists")]
    NotAllowed {
        login: String,
        request_access: Option<String>,
    },
    /// GitHub's token endpoint or API failed: unreachable, slow, 5xx or nonsense.
    #[error("{0}")]
    Github(#[from] GithubError),
    /// The store failed while recording the sign-in; nothing was written.
    #[error("{0}")]
    Store(#[from] rocket_db_pools::sqlx::Error),
}

impl LoginError {
    /// `login` is on neither list. Under an organisation list, the page links to where a
    /// member asks the organisation to approve this OAuth App.
    pub fn not_allowed(config: &AppConfig, login: String) -> LoginError {
        let crate::config::GithubSettings {
            web_url, client_id, ..
        } = &config.github;
        let request_access = (!config.access.orgs.is_empty())
            .then(|| format!("{web_url}/settings/connections/applications/{client_id}"));
        LoginError::NotAllowed {
            login,
            request_access,
        }
    }

    /// A stable word for the log line (`sign-in failed reason=bad_state`).
    pub fn reason(&self) -> &'static str {
        match self {
            LoginError::Denied => "denied",
            LoginError::GithubRefused(_) => "github_error",
            LoginError::Expired => "expired",
            LoginError::BadIssuer => "bad_issuer",
            LoginError::BadState => "bad_state",
            LoginError::MissingCode => "no_code",
            LoginError::CodeRejected(_) => "code_rejected",
            LoginError::NotAllowed { .. } => "not_allowed",
            LoginError::Github(GithubError::Timeout) => "upstream_timeout",
            LoginError::Github(GithubError::TooLarge) => "upstream_too_large",
            LoginError::Github(GithubError::Untrusted(_)) => "upstream_untrusted",
            LoginError::Github(GithubError::RateLimited(_)) => "upstream_rate_limited",
            LoginError::Github(_) => "upstream_error",
            LoginError::Store(_) => "store_unavailable",
        }
    }
}

impl<'r> Responder<'r, 'static> for LoginError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        // The detail is quoted: whatever GitHub or the store put in it stays inside the quotes.
        crate::ops::logging::audit!(
            "sign-in failed reason={} detail={:?}",
            self.reason(),
            self.to_string()
        );
        crate::ops::metrics::sign_in(self.reason());
        let page = match self {
            // Two outcomes are ordinary enough for a message on the home page.
            LoginError::Denied => return home_with(Flash::Cancelled, req),
            LoginError::Expired => return home_with(Flash::Expired, req),
            LoginError::GithubRefused(_) => ErrorPage::new(
                Status::BadRequest,
                "GitHub did not authorize this sign-in. Please try again, or ask the app's administrator to check its GitHub OAuth App.",
            ),
            LoginError::BadIssuer | LoginError::BadState | LoginError::MissingCode => ErrorPage::new(
                Status::BadRequest,
                "This sign-in response does not belong to a sign-in started in this browser, so it was ignored. Please sign in again.",
            ),
            LoginError::NotAllowed { login, request_access: None } => ErrorPage::new(
                Status::Forbidden,
                format!("This app only lets in the GitHub accounts and organisations its administrator has listed, and {login} is not one of them. Nothing about you was stored."),
            ),
            // GitHub hides the members of an organisation that restricts OAuth Apps from apps
            // it has not approved: a real member then looks like a stranger here.
            LoginError::NotAllowed { login, request_access: Some(href) } => ErrorPage::new(
                Status::Forbidden,
                format!("This app only lets in the GitHub accounts and organisations its administrator has listed, and GitHub did not show {login} as a member of any of them. If you are a member, the organisation may restrict which OAuth Apps can see its members: ask it to approve this app on GitHub, then sign in again. Nothing about you was stored."),
            )
            .with_link(href, "Request the organisation's approval on GitHub"),
            LoginError::CodeRejected(_) => ErrorPage::new(
                Status::BadRequest,
                "That sign-in expired, please try again.",
            ),
            LoginError::Github(GithubError::Timeout) => {
                ErrorPage::for_status(Status::GatewayTimeout)
            }
            LoginError::Github(GithubError::TooLarge) => ErrorPage::new(
                Status::BadGateway,
                "GitHub sent an answer too large to read. Please try again in a moment.",
            ),
            LoginError::Github(GithubError::Untrusted(_)) => ErrorPage::new(
                Status::BadGateway,
                "GitHub's certificate is not trusted here, so signing in cannot go on. If your GitHub Enterprise uses a private certificate authority, its operator sets GITHUB_CA_FILE.",
            ),
            LoginError::Github(GithubError::RateLimited(wait)) => ErrorPage::new(
                Status::ServiceUnavailable,
                format!("GitHub is limiting sign-ins through this app right now. Please try again {}.", when(wait)),
            )
            .with_retry_after(wait),
            LoginError::Github(_) => ErrorPage::for_status(Status::BadGateway),
            LoginError::Store(_) => ErrorPage::for_status(Status::ServiceUnavailable),
        };
        page.respond_to(req)
    }
}

/// Why access stopped a sign-in, as the person is told it.
pub(crate) fn stopped(stopped: SignInStopped, config: &AppConfig, user: &GithubUser) -> LoginError {
    match stopped {
        SignInStopped::NotAllowed => LoginError::not_allowed(config, user.login.clone()),
        SignInStopped::Github(e) => e.into(),
        SignInStopped::Store(e) => e.into(),
    }
}

/// "in 3 minutes", for a wait GitHub named in seconds.
fn when(wait: Option<u64>) -> String {
    match wait {
        None => "in a few minutes".to_owned(),
        Some(0..=1) => "in a moment".to_owned(),
        Some(seconds @ 2..=90) => format!("in {seconds} seconds"),
        Some(seconds) => format!("in {} minutes", seconds.div_ceil(60)),
    }
}

fn home_with(flash: Flash, req: &Request<'_>) -> response::Result<'static> {
    if let Some(policy) = req.rocket().state::<CookiePolicy>() {
        flash.set(req.cookies(), policy);
    }
    Redirect::to(rocket::uri!("/")).respond_to(req)
}

/// An error code from GitHub (the callback's `error=`, the token endpoint's `error`), reduced
/// to what such codes are made of, so it is safe to log.
pub(crate) fn error_code(raw: &str) -> String {
    raw.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect()
}

/// GitHub answers a bad code with HTTP 200 and `{"error": "bad_verification_code"}`, which
/// oauth2 reports as a body it could not parse as a token. Such a body (any JSON with an
/// `error`) means "this code is no good"; any other failure is GitHub's, not the person's.
pub(crate) fn classify_token_error(e: BasicRequestTokenError<GithubError>) -> LoginError {
    use oauth2::RequestTokenError as E;
    match e {
        E::ServerResponse(err) => LoginError::CodeRejected(error_code(err.error().as_ref())),
        E::Parse(_, body) => match serde_json::from_slice::<BasicErrorResponse>(&body) {
            Ok(err) => LoginError::CodeRejected(error_code(err.error().as_ref())),
            Err(_) => GithubError::InvalidBody("token response".into()).into(),
        },
        E::Request(e) => e.into(),
        E::Other(why) => GithubError::InvalidBody(why).into(),
    }
}
