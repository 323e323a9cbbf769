//! Reading what the app answered: a redirect's target, one query parameter, a form's fields.

use rocket::http::Status;
use rocket::local::asynchronous::LocalResponse;

use super::PUBLIC_URL;

pub fn location<'r>(response: &'r LocalResponse<'_>) -> &'r str {
    response
        .headers()
        .get_one("Location")
        .expect("no Location header")
}

/// Asserts a 303 to `to`.
pub fn assert_redirect(response: &LocalResponse<'_>, to: &str) {
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(location(response), to);
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The value of the hidden `csrf_token` input in `page`, found by its name (the attributes may
/// come in any order), or `None` when the page has no such field.
pub fn csrf_token_in(page: &str) -> Option<String> {
    input_value(page, "csrf_token")
}

/// The `value` of the first `<input>` in `page` whose `name` is `name`.
fn input_value(page: &str, name: &str) -> Option<String> {
    page.split("<input").skip(1).find_map(|tag| {
        let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
        (attribute(tag, "name")? == name).then(|| attribute(tag, "value").unwrap_or_default())
    })
}

/// An attribute's value in the inside of an HTML tag (`name="x" value="y"`), unescaped as
/// Tera escapes it.
pub fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag
        .match_indices(&format!("{name}=\""))
        .find(|(at, _)| *at == 0 || tag.as_bytes()[at - 1].is_ascii_whitespace())?
        .0
        + name.len()
        + 2;
    let value = &tag[start..start + tag[start..].find('"')?];
    Some(
        value
            .replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&#x2F;", "/")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

/// One query parameter of a URL, a `Location` header or a path with a query (relative ones
/// are read against `PUBLIC_URL`), decoded; `None` when it is absent.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let base = url::Url::parse(PUBLIC_URL).unwrap();
    let url = base.join(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}
