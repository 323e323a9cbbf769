//! One-shot messages shown on the next page ("Signed in as octocat").
//!
//! The cookie holds which message, never its text, and is private (encrypted and
//! authenticated), so nobody can make the site display words of their choosing.

use rocket::http::CookieJar;
use rocket::request::{FromRequest, Outcome, Request};
use serde::{Deserialize, Serialize};
use time::Duration;

use crate::web::cookies::CookiePolicy;

pub(crate) const COOKIE: &str = "gitlogin_flash";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Flash {
    SignedIn { login: String },
    SignedOut,
    Cancelled,
    Expired,
    SessionRevoked,
    OthersSignedOut,
    AccountDeleted,
}

impl Flash {
    pub fn message(&self) -> String {
        match self {
            Flash::SignedIn { login } => format!("Signed in as {login}"),
            Flash::SignedOut => "Signed out".into(),
            Flash::Cancelled => "GitHub sign-in was cancelled".into(),
            Flash::Expired => "That sign-in link expired, please try again".into(),
            Flash::SessionRevoked => "That session is signed out".into(),
            Flash::OthersSignedOut => "Signed out everywhere else".into(),
            Flash::AccountDeleted => {
                "Your account and all its sessions were deleted. Signing in again starts afresh."
                    .into()
            }
        }
    }

    /// Shows this message on the next page that renders flashes.
    pub fn set(&self, jar: &CookieJar<'_>, policy: &CookiePolicy) {
        let value = serde_json::to_string(self).unwrap_or_default();
        jar.add_private(policy.build(COOKIE, value, Duration::minutes(1)));
    }
}

/// The pending message, if any, already removed so it shows once.
#[derive(Debug, Default)]
pub struct FlashMessage(pub Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for FlashMessage {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let Some(policy) = req.rocket().state::<CookiePolicy>() else {
            return Outcome::Success(FlashMessage(None));
        };
        let jar = req.cookies();
        let Some(cookie) = jar.get_private(&policy.name(COOKIE)) else {
            return Outcome::Success(FlashMessage(None));
        };
        jar.remove_private(policy.removal(COOKIE));
        let flash: Option<Flash> = serde_json::from_str(cookie.value()).ok();
        Outcome::Success(FlashMessage(flash.map(|f| f.message())))
    }
}
