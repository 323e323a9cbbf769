//! `/static/…`: the stylesheet and images, compiled into the binary. A folder (`STATIC_DIR`,
//! or `static/` in the working directory when there is one) is served first, so that a file
//! put there replaces the built-in one of the same name; anything else falls through to the
//! built-in files, and then to the 404 page.

use rocket::http::ContentType;
use rocket::{get, routes, Route};

/// Every file of the repository's `static/`.
const EMBEDDED: [(&str, &[u8]); 4] = [
    ("style.css", include_bytes!("../../static/style.css")),
    ("favicon.svg", include_bytes!("../../static/favicon.svg")),
    (
        "github-mark.svg",
        include_bytes!("../../static/github-mark.svg"),
    ),
    (
        "demo-avatar.svg",
        include_bytes!("../../static/demo-avatar.svg"),
    ),
];

/// Ranked after Rocket's `FileServer` (rank 10), which forwards when it has no such file.
pub(super) fn routes() -> Vec<Route> {
    routes![embedded]
}

#[get("/<name>", rank = 11)]
fn embedded(name: &str) -> Option<(ContentType, &'static [u8])> {
    let (_, bytes) = EMBEDDED.iter().find(|(file, _)| *file == name)?;
    let kind = match name.rsplit_once('.') {
        Some((_, "css")) => ContentType::CSS,
        Some((_, "svg")) => ContentType::SVG,
        _ => ContentType::Binary,
    };
    Some((kind, bytes))
}
