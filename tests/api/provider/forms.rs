//! gitlogin's own forms as a browser submits them: the consent page's, the logout
//! confirmation's.

use rocket::local::asynchronous::LocalResponse;

use super::form;
use crate::helpers::{attribute, Browser};

/// The `name` and `value` of each `<input>` of the form on `page` whose `action` is
/// `action`: what a browser submits, buttons aside. Empty if the page has no such form.
pub fn form_fields(page: &str, action: &str) -> Vec<(String, String)> {
    let Some(at) = page.find(&format!("action=\"{action}\"")) else {
        return Vec::new();
    };
    let start = page[..at].rfind("<form").unwrap_or(at);
    let end = page[at..].find("</form>").map_or(page.len(), |e| at + e);
    page[start..end]
        .split("<input")
        .skip(1)
        .filter_map(|tag| {
            let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
            let name = attribute(tag, "name")?;
            Some((name, attribute(tag, "value").unwrap_or_default()))
        })
        .collect()
}

/// The consent page's form as pressing `decision` (`allow` or `deny`) would send it: its
/// fields (`request`, `csrf_token`) and the decision.
pub async fn consent_fields(
    browser: &Browser<'_>,
    page: &str,
    decision: &str,
) -> Vec<(String, String)> {
    let mut fields = form_fields(page, "/oauth/authorize/consent");
    assert!(
        fields.iter().any(|(k, _)| k == "request"),
        "no consent form with a `request` field: {page}"
    );
    if !fields.iter().any(|(k, _)| k == "csrf_token") {
        fields.push(("csrf_token".into(), browser.csrf_token().await));
    }
    fields.retain(|(k, _)| k != "decision");
    fields.push(("decision".into(), decision.into()));
    fields
}

/// Presses `decision` on the consent page `page`, from this site.
pub async fn decide<'a>(browser: &Browser<'a>, page: &str, decision: &str) -> LocalResponse<'a> {
    let fields = consent_fields(browser, page, decision).await;
    browser
        .post_form("/oauth/authorize/consent", &form(&fields))
        .await
}
