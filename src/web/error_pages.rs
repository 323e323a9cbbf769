//! The site's own error pages: a sentence a person can act on and a way home, for errors
//! the handlers return and for Rocket's catchers alike. Never a stack trace.

use std::borrow::Cow;

use rocket::http::Status;
use rocket::request::Request;
use rocket::response::{self, Responder};
use rocket::Catcher;
use rocket_dyn_templates::context;

use super::templates::Page;

use crate::config::AppConfig;

/// An HTML error page with a status and a message written for people.
#[derive(Debug)]
pub struct ErrorPage {
    pub status: Status,
    pub message: Cow<'static, str>,
    /// Where the person can do something about it, and the link's words.
    pub link: Option<(String, &'static str)>,
    /// Seconds, for a `Retry-After` header.
    pub retry_after: Option<u64>,
}

impl ErrorPage {
    pub fn new(status: Status, message: impl Into<Cow<'static, str>>) -> ErrorPage {
        ErrorPage {
            status,
            message: message.into(),
            link: None,
            retry_after: None,
        }
    }

    pub fn with_link(self, href: String, text: &'static str) -> ErrorPage {
        ErrorPage {
            link: Some((href, text)),
            ..self
        }
    }

    pub fn with_retry_after(self, seconds: Option<u64>) -> ErrorPage {
        ErrorPage {
            retry_after: seconds,
            ..self
        }
    }

    /// The store did not answer a handler's query: logged, and the 503 page.
    pub fn store_unavailable(e: rocket_db_pools::sqlx::Error) -> ErrorPage {
        rocket::error!("the store did not answer: {e}");
        ErrorPage::for_status(Status::ServiceUnavailable)
    }

    /// The sentence for a status when nobody wrote a more specific one.
    pub fn for_status(status: Status) -> ErrorPage {
        let message = match status.code {
            400 => "That request did not make sense to us.",
            401 => "You need to sign in to see that page.",
            403 => "That request was refused. If you were signing out or changing a setting, go back, reload the page and try again.",
            404 => "There is no page at this address.",
            405 => "That page does not accept this kind of request.",
            413 => "That request was too large.",
            414 | 431 => "That address was too long.",
            422 => "That form was missing something it needs.",
            502 => "GitHub gave an answer we could not use. Please try again in a moment.",
            503 => "The app's store is not answering right now. Please try again in a moment.",
            504 => "GitHub did not answer in time. Please try again in a moment.",
            _ if status.class() == rocket::http::StatusClass::ClientError => {
                "That request could not be handled."
            }
            _ => "Something went wrong on our side. Please try again in a moment.",
        };
        ErrorPage::new(status, message)
    }
}

impl<'r> Responder<'r, 'static> for ErrorPage {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let demo = req.rocket().state::<AppConfig>().is_some_and(|c| c.demo);
        let page = Page::render(
            "error.html.tera",
            context! {
                demo,
                code: self.status.code,
                reason: self.status.reason().unwrap_or("Error"),
                message: self.message,
                link: self.link.as_ref().map(|(href, text)| context! { href, text }),
            },
        );
        let mut response = (self.status, page).respond_to(req)?;
        if let Some(seconds) = self.retry_after {
            response.set_raw_header("Retry-After", seconds.to_string());
        }
        Ok(response)
    }
}

#[rocket::catch(default)]
fn any_error(status: Status, _req: &Request<'_>) -> ErrorPage {
    ErrorPage::for_status(status)
}

pub fn catchers() -> Vec<Catcher> {
    rocket::catchers![any_error]
}
