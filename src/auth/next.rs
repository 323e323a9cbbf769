//! `SafeNext`: where to send someone after they sign in, proven to stay on this site.
//!
//! `/login?next=...` is an open redirect waiting to happen: a link to
//! `/login?next=https://evil.example` would bounce a freshly signed-in person anywhere. A
//! `SafeNext` can only be built by [`SafeNext::parse`], so holding one proves the check ran.

use std::fmt;

use rocket::form::{self, FromFormField, ValueField};
use rocket::http::impl_from_uri_param_identity;
use rocket::http::uri::fmt::{Formatter, Query, UriDisplay};
use rocket::http::uri::Origin;
use rocket::http::RawStr;
use serde::{Deserialize, Serialize};

/// A local path (with optional query) such as `/about` or `/repos?page=2`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SafeNext(String);

/// Longer values are refused rather than carried through a cookie.
const MAX_LEN: usize = 1024;

impl SafeNext {
    /// Accepts `value` only if a browser would read it as a path on this site, both as given
    /// and after any further rounds of percent-decoding: it starts with exactly one `/`, has no
    /// `\` (browsers read it as `/`), no control characters (browsers drop tabs and newlines,
    /// so `/<TAB>/evil.example` becomes `//evil.example`), no `.` or `..` segment, and is a
    /// valid URI path.
    pub fn parse(value: &str) -> Option<SafeNext> {
        if value.len() > MAX_LEN || Origin::parse(value).is_err() {
            return None;
        }
        let mut current = value.to_owned();
        // Each round undoes one layer of percent-encoding; four is more than any browser does.
        for _ in 0..4 {
            if !looks_local(&current) {
                return None;
            }
            let decoded = RawStr::new(&current).percent_decode().ok()?.into_owned();
            if decoded == current {
                return Some(SafeNext(value.to_owned()));
            }
            current = decoded;
        }
        None
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn looks_local(path: &str) -> bool {
    let mut chars = path.chars();
    chars.next() == Some('/')
        && !matches!(chars.next(), Some('/'))
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
        && !has_dot_segment(path)
}

/// `.` or `..` as a path segment. Browsers and proxies resolve them, and `/.//evil.example`
/// or `/a/..//evil.example` resolves to `//evil.example`: another host.
fn has_dot_segment(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    path.split('/')
        .any(|segment| segment == "." || segment == "..")
}

impl Default for SafeNext {
    fn default() -> Self {
        SafeNext("/".into())
    }
}

impl TryFrom<String> for SafeNext {
    type Error = &'static str;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        SafeNext::parse(&value).ok_or("not a local path")
    }
}

impl From<SafeNext> for String {
    fn from(next: SafeNext) -> String {
        next.0
    }
}

/// As a query parameter, anything that is not a local path is an error, which the
/// `Option<SafeNext>` in the route turns into "go home".
#[rocket::async_trait]
impl<'v> FromFormField<'v> for SafeNext {
    fn from_value(field: ValueField<'v>) -> form::Result<'v, Self> {
        SafeNext::parse(field.value)
            .ok_or_else(|| form::Error::validation("not a local path").into())
    }
}

/// In a typed `uri!` (`uri!(crate::auth::login(next = ...))`): the path as the value of a
/// query parameter. `/` and `?` may stand there as they are (RFC 3986, section 3.4), so
/// `/login?next=/about` stays readable; what a form parser would split on or decode (`&`,
/// `=`, `+`, `%`) is escaped, so the value arrives as it was.
impl UriDisplay<Query> for SafeNext {
    fn fmt(&self, f: &mut Formatter<'_, Query>) -> fmt::Result {
        let mut value = String::with_capacity(self.0.len());
        for c in self.0.chars() {
            match c {
                '%' => value.push_str("%25"),
                '&' => value.push_str("%26"),
                '=' => value.push_str("%3D"),
                '+' => value.push_str("%2B"),
                c => value.push(c),
            }
        }
        f.write_raw(value)
    }
}

impl_from_uri_param_identity!([Query] SafeNext);

#[cfg(test)]
mod tests {
    use super::SafeNext;

    #[test]
    fn a_path_in_a_typed_uri_reads_as_itself_and_arrives_unchanged() {
        use rocket::http::uri::fmt::{Query, UriDisplay};
        let shown = |next: &str| {
            format!(
                "{}",
                &SafeNext::parse(next).unwrap() as &dyn UriDisplay<Query>
            )
        };
        assert_eq!(shown("/about"), "/about");
        assert_eq!(shown("/a/b?c=d&e=f+g"), "/a/b?c%3Dd%26e%3Df%2Bg");
        assert_eq!(shown("/search?q=%20x"), "/search?q%3D%2520x");
    }

    #[test]
    fn local_paths_are_kept() {
        for ok in [
            "/",
            "/about",
            "/a/b?c=d&e=f",
            "/search?q=%20x",
            "/caf%C3%A9",
            "/a/.b/c..d/...",
            "/search?q=../x",
        ] {
            assert_eq!(SafeNext::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn anything_that_could_leave_the_site_is_refused() {
        for bad in [
            "",
            "about",
            "https://evil.example",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "javascript:alert(1)",
            "%2F%2Fevil.example",
            "/%2Fevil.example",
            "/%5Cevil.example",
            "/%252F%252Fevil.example",
            "/.//evil.example",
            "/a/..//evil.example",
            "/..",
            "/./about",
            "/%2e%2e/%2fevil.example",
            "/%2E%2E",
            "/%252e%252e/x",
            "/\t/evil.example",
            "/%09/evil.example",
            "/a\nb",
            "/%FF",
            "/a b",
        ] {
            assert_eq!(SafeNext::parse(bad), None, "{bad:?} was accepted");
        }
        assert_eq!(SafeNext::parse(&format!("/{}", "a".repeat(2000))), None);
        // The limit is exact: 1,024 characters are kept, 1,025 are not.
        assert!(SafeNext::parse(&format!("/{}", "a".repeat(1023))).is_some());
        assert_eq!(SafeNext::parse(&format!("/{}", "a".repeat(1024))), None);
    }
}
