//! The check's query, read strictly. The proxy's configuration writes it once and nobody
//! types it at run time, so anything unexpected is a mistake in that configuration, and a
//! mistake must close the gate, not open it: `?App=wiki`, `?ap=wiki` or a doubled `app`
//! read loosely would be a check with no app named, which the allow-lists alone answer.
//! So every parameter but `app` and `redirect`, and any given twice, is a 400 and a log line.

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};

use crate::ops::logging::audit;

/// `app` and `redirect`, each at most once, percent-decoded.
pub(super) struct CheckQuery {
    pub(super) app: Option<String>,
    pub(super) redirect: Option<String>,
}

/// The query was refused (and the reason logged).
#[derive(Debug)]
pub(super) struct BadQuery;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CheckQuery {
    type Error = BadQuery;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let segments = req.uri().query().into_iter().flat_map(|q| q.segments());
        match parse(segments) {
            Ok(query) => Outcome::Success(query),
            Err(why) => {
                audit!("forward auth refused: {why} in the query (the proxy's configuration)");
                Outcome::Error((Status::BadRequest, BadQuery))
            }
        }
    }
}

fn parse<'a>(segments: impl Iterator<Item = (&'a str, &'a str)>) -> Result<CheckQuery, String> {
    let mut query = CheckQuery {
        app: None,
        redirect: None,
    };
    for (name, value) in segments {
        let slot = match name {
            "app" => &mut query.app,
            "redirect" => &mut query.redirect,
            _ => return Err(format!("an unknown parameter {name:?}")),
        };
        if slot.replace(value.to_owned()).is_some() {
            return Err(format!("{name:?} given twice"));
        }
    }
    Ok(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_app_and_redirect_once_each_are_read() {
        let ok = parse([("app", "wiki"), ("redirect", "1")].into_iter()).unwrap();
        assert_eq!(ok.app.as_deref(), Some("wiki"));
        assert_eq!(ok.redirect.as_deref(), Some("1"));
        for bad in [
            vec![("App", "wiki")],
            vec![("ap", "wiki")],
            vec![("app", "wiki"), ("app", "wiki")],
            vec![("redirect", "1"), ("redirect", "0")],
            vec![("app", "wiki"), ("", "x")],
        ] {
            assert!(parse(bad.clone().into_iter()).is_err(), "{bad:?}");
        }
    }
}
