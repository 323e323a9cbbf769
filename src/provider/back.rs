//! The redirect back to the app, success or error: always to the registered redirect URI
//! (request.rs checked it), always with the request's `state`, and always with `iss` (RFC
//! 9207), so that an app talking to several providers can tell which one answered and is not
//! fooled into sending our code to another (a mix-up attack). Never in a fragment.

use rocket::response::Redirect;

#[derive(Debug, Clone)]
pub struct Back {
    redirect_uri: String,
    state: Option<String>,
}

impl Back {
    pub fn to(redirect_uri: &str, state: Option<&str>) -> Back {
        Back {
            redirect_uri: redirect_uri.to_owned(),
            state: state.map(str::to_owned),
        }
    }

    pub fn with_code(&self, code: &str, issuer: &str) -> Redirect {
        self.with(&[("code", code)], issuer)
    }

    /// An error code of OAuth 2.0 or OpenID Connect (`access_denied`, `login_required`, …).
    pub fn with_error(&self, error: &str, issuer: &str) -> Redirect {
        self.with(&[("error", error)], issuer)
    }

    fn with(&self, fields: &[(&str, &str)], issuer: &str) -> Redirect {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(fields);
        if let Some(state) = &self.state {
            query.append_pair("state", state);
        }
        query.append_pair("iss", issuer);
        Redirect::to(append_query(&self.redirect_uri, &query.finish()))
    }
}

/// `query` appended to a URI the app registered (`redirect_uri`, `post_logout_redirect_uri`):
/// after its own query, if it has one. Appended to the URI as registered, not re-serialised:
/// a parser could normalise it into something the app did not register. An empty `query`
/// leaves the URI as it is.
pub(super) fn append_query(registered: &str, query: &str) -> String {
    if query.is_empty() {
        return registered.to_owned();
    }
    let separator = if registered.contains('?') { '&' } else { '?' };
    format!("{registered}{separator}{query}")
}
