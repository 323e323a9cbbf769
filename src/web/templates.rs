//! The pages' templates, compiled into the binary, so that it renders its pages wherever it
//! is started (a package, a container, `cargo install`). A `templates/` folder in the working
//! directory (or Rocket's `template_dir`) still overrides any of them, file by file: branding
//! is one copied template away.
//!
//! Rendered with Tera directly: rocket_dyn_templates refuses to start without its folder.
//! Every template is registered under its `.html.tera` name, because Tera decides whether to
//! escape by that name (or the file's path), and these pages show what GitHub says about
//! people: a name like `<script>` must come out as text.

use std::path::Path;

use rocket::http::{ContentType, Status};
use rocket::request::Request;
use rocket::response::{self, Responder};
use rocket_dyn_templates::tera::{Context, Tera};
use serde::Serialize;

/// Every template, as the repository's `templates/` holds it.
const EMBEDDED: [(&str, &str); 11] = [
    (
        "base.html.tera",
        include_str!("../../templates/base.html.tera"),
    ),
    (
        "home.html.tera",
        include_str!("../../templates/home.html.tera"),
    ),
    (
        "about.html.tera",
        include_str!("../../templates/about.html.tera"),
    ),
    (
        "account.html.tera",
        include_str!("../../templates/account.html.tera"),
    ),
    (
        "signout.html.tera",
        include_str!("../../templates/signout.html.tera"),
    ),
    (
        "error.html.tera",
        include_str!("../../templates/error.html.tera"),
    ),
    (
        "consent.html.tera",
        include_str!("../../templates/consent.html.tera"),
    ),
    (
        "end_session.html.tera",
        include_str!("../../templates/end_session.html.tera"),
    ),
    (
        "device.html.tera",
        include_str!("../../templates/device.html.tera"),
    ),
    (
        "device_confirm.html.tera",
        include_str!("../../templates/device_confirm.html.tera"),
    ),
    (
        "device_done.html.tera",
        include_str!("../../templates/device_done.html.tera"),
    ),
];

/// The templates, parsed once at start-up. Managed.
pub struct Templates(Tera);

impl Templates {
    /// The embedded templates, each replaced by the file of the same name in `dir` if there
    /// is one. A broken override stops start-up, naming the file.
    pub fn load(dir: &Path) -> Result<Templates, String> {
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html.tera"]);
        let mut templates = Vec::new();
        for (name, embedded) in EMBEDDED {
            let file = dir.join(name);
            let text = if file.is_file() {
                std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?
            } else {
                embedded.to_owned()
            };
            templates.push((name, text));
        }
        // All at once, so that an override may extend an embedded base and the reverse.
        tera.add_raw_templates(templates).map_err(|e| {
            format!(
                "the templates in {} do not parse: {}",
                dir.display(),
                describe(&e)
            )
        })?;
        Ok(Templates(tera))
    }
}

/// Tera's error and its causes, on one line.
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A page to render with the managed [`Templates`] as it is sent.
pub struct Page {
    name: &'static str,
    context: Result<Context, String>,
}

impl Page {
    pub fn render(name: &'static str, context: impl Serialize) -> Page {
        let context = Context::from_serialize(context).map_err(|e| describe(&e));
        Page { name, context }
    }
}

impl<'r> Responder<'r, 'static> for Page {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let rendered = match (req.rocket().state::<Templates>(), self.context) {
            (Some(templates), Ok(context)) => templates
                .0
                .render(self.name, &context)
                .map_err(|e| describe(&e)),
            (None, _) => Err("no templates".to_owned()),
            (_, Err(e)) => Err(e),
        };
        match rendered {
            Ok(html) => (ContentType::HTML, html).respond_to(req),
            Err(e) => {
                rocket::error!("the page {} did not render: {e}", self.name);
                Err(Status::InternalServerError)
            }
        }
    }
}
