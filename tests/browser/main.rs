//! End-to-end tests in headless Chromium: the app on a real socket, a fake GitHub on
//! another site, and a browser clicking through both, asserting what the pages show.
//!
//! Needs Debian's `chromium` and `chromium-driver`. Without them each test returns early and
//! one line on stderr says how to install them; with `CI` set, that is a failure instead.

mod apps;
mod browser;
mod github_site;

mod console;
mod demo;
mod login_csrf;
mod many_hosts;
mod next_redirects;
mod pages;
mod relying_party;
mod sign_in;
mod sign_out;
