//! What the pages look like: the checks a reviewer would make by eye (one `h1`, `lang`,
//! labels, contrast, a visible focus ring, no sideways scrolling at 375 px), and
//! screenshots at a desktop and a phone width.
//!
//! Screenshots go to `target/screenshots/`. With `UPDATE_SCREENSHOTS=1` they are also copied
//! to `docs/screenshots/`, which README.md and docs/contributing.md show:
//!
//! ```sh
//! UPDATE_SCREENSHOTS=1 cargo test --test browser pages
//! ```

use std::path::PathBuf;

use serde_json::json;

use crate::apps::RunningApp;
use crate::browser::Browser;

/// A desktop and a phone.
const WIDTHS: [u32; 2] = [1280, 375];

#[rocket::async_test]
async fn every_page_is_readable_and_fits_a_phone_and_a_desktop() {
    let Some(mut browser) = Browser::start().await else {
        return;
    };
    let (app, _github) = RunningApp::with_fake_github().await;

    browser.goto(&app.at("/")).await;
    look_at(&browser, "home").await;

    browser.goto_error_page(&app.at("/no/such/page")).await;
    look_at(&browser, "error").await;

    browser
        .goto_error_page(&app.at("/login/callback?error=redirect_uri_mismatch&state=y"))
        .await;
    assert_eq!(browser.h1().await, "Bad Request");
    look_at(&browser, "error-400").await;

    browser.goto(&app.at("/about")).await;
    browser.click_button("Authorize").await;
    assert_eq!(browser.h1().await, "About The Octocat");
    look_at(&browser, "about").await;

    browser.goto(&app.at("/")).await;
    assert_eq!(browser.h1().await, "Hello, The Octocat");
    look_at(&browser, "home-signed-in").await;

    browser.click_button("Sign out").await;
    assert!(browser.text().await.contains("Signed out"));
    look_at(&browser, "home-signed-out").await;

    browser.finish().await;
}

#[rocket::async_test]
async fn the_demo_authorize_page_is_readable_and_fits_a_phone_and_a_desktop() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = RunningApp::demo().await;

    browser.goto(&app.at("/")).await;
    browser.click_link("Sign in with GitHub").await;
    assert_eq!(browser.h1().await, "Authorize gitlogin");
    look_at(&browser, "demo-authorize").await;

    browser.finish().await;
}

/// Checks the page at each width and saves a screenshot of it.
async fn look_at(browser: &Browser, name: &str) {
    for width in WIDTHS {
        browser.set_viewport(width, 800, width < 600).await;
        let problems = browser.script(CHECKS).await;
        let problems = problems.as_array().unwrap();
        assert!(
            problems.is_empty(),
            "{name} at {width}px:\n{}",
            problems
                .iter()
                .map(|p| p.as_str().unwrap_or_default())
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert_focus_is_visible(browser, &format!("{name} at {width}px")).await;

        let file = format!("{name}-{width}.png");
        let shot = screenshots_dir().join(&file);
        browser.screenshot(width, &shot).await;
        if std::env::var_os("UPDATE_SCREENSHOTS").is_some_and(|v| !v.is_empty()) {
            let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
            std::fs::create_dir_all(&docs).unwrap();
            std::fs::copy(&shot, docs.join(&file)).unwrap();
        }
    }
}

/// The most Tab presses one page gets to bring focus back around; no page here has nearly
/// this many controls.
const MAX_TAB_STOPS: usize = 50;

/// Presses Tab, as a keyboard user would, until focus leaves the page or comes back around,
/// and looks at the outline of every control it reaches on the way. Fails naming the
/// control without one, and naming any control on the page that Tab never reached.
async fn assert_focus_is_visible(browser: &Browser, on: &str) {
    browser.script("window.tabStops = [];").await;
    let mut reached = vec![];
    loop {
        assert!(
            reached.len() < MAX_TAB_STOPS,
            "{on}: Tab did not leave the page or come back around within {MAX_TAB_STOPS} presses: {}",
            reached.join(", ")
        );
        for kind in ["keyDown", "keyUp"] {
            browser
                .devtools(
                    "Input.dispatchKeyEvent",
                    json!({ "type": kind, "key": "Tab", "code": "Tab", "windowsVirtualKeyCode": 9 }),
                )
                .await;
        }
        let stop = browser.script(&format!("{DESCRIBE}{TAB_STOP}")).await;
        if stop.is_null() {
            break;
        }
        let element = stop["element"].as_str().unwrap().to_owned();
        assert!(
            stop["outlineStyle"] != "none" && stop["outlineWidth"].as_f64().unwrap() >= 2.0,
            "{on}: the focused {element}, tab stop {}, has no visible outline: {stop}",
            reached.len() + 1
        );
        reached.push(element);
    }
    assert!(!reached.is_empty(), "{on}: Tab focused nothing");
    let missed = browser.script(&format!("{DESCRIBE}{NOT_REACHED}")).await;
    assert_eq!(
        missed,
        json!([]),
        "{on}: Tab never reached these controls (reached {})",
        reached.join(", ")
    );
    browser.script("document.activeElement.blur();").await;
}

/// `describe(e)`: a control as a failure message names it, `<button> "Sign out"`.
const DESCRIBE: &str = r#"
const describe = (e) => {
  const label = (e.innerText || e.getAttribute('aria-label') || e.name || '').trim().replace(/\s+/g, ' ');
  return `<${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}> "${label.slice(0, 40)}"`;
};
"#;

/// The control Tab has just focused, named, with its outline; or `null` once focus has left
/// the page or come back to a control it reached before. Keeps the controls reached in
/// `window.tabStops`.
const TAB_STOP: &str = r#"
const e = document.activeElement;
if (!e || e === document.body || e === document.documentElement || window.tabStops.includes(e)) return null;
window.tabStops.push(e);
const s = getComputedStyle(e);
return { element: describe(e), outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth) };
"#;

/// The controls on the page, shown and enabled, that are not in `window.tabStops`.
const NOT_REACHED: &str = r#"
const controls = 'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"])';
return [...document.querySelectorAll(controls)]
  .filter((e) => !e.disabled && e.getClientRects().length > 0 && !window.tabStops.includes(e))
  .map(describe);
"#;

/// `target/screenshots`, next to the test binary's own `target/debug/deps`.
fn screenshots_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let target = exe
        .ancestors()
        .nth(3)
        .expect("the test binary is under target/");
    target.join("screenshots")
}

/// Returns a list of problems a reviewer would point out on the current page.
const CHECKS: &str = r#"
const problems = [];
const root = document.documentElement;
if (root.lang !== 'en') problems.push(`lang is "${root.lang}"`);
if (!document.title.trim()) problems.push('no title');
const h1s = document.querySelectorAll('h1').length;
if (h1s !== 1) problems.push(`${h1s} h1 elements`);
for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
  if (el.labels.length === 0 && !el.getAttribute('aria-label')) problems.push(`no label: ${el.outerHTML}`);
}
for (const el of document.querySelectorAll('a, button')) {
  if (!el.innerText.trim() && !el.getAttribute('aria-label')) problems.push(`no text: ${el.outerHTML}`);
}
for (const img of document.querySelectorAll('img')) {
  if (!img.hasAttribute('alt')) problems.push(`no alt: ${img.outerHTML}`);
  if (!(img.complete && img.naturalWidth > 0)) problems.push(`not loaded: ${img.outerHTML}`);
}

// WCAG AA contrast for every element that shows text of its own.
const rgb = (s) => { const v = s.match(/[\d.]+/g).map(Number); return { r: v[0], g: v[1], b: v[2], a: v.length > 3 ? v[3] : 1 }; };
const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
const background = (el) => {
  for (let e = el; e; e = e.parentElement) {
    const c = rgb(getComputedStyle(e).backgroundColor);
    if (c.a > 0) return c;
  }
  return { r: 255, g: 255, b: 255, a: 1 };
};
for (const el of document.body.querySelectorAll('*')) {
  const ownText = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
  if (!ownText || el.getClientRects().length === 0) continue;
  const style = getComputedStyle(el);
  const [a, b] = [luminance(rgb(style.color)), luminance(background(el))];
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  const size = parseFloat(style.fontSize);
  const large = size >= 24 || (parseInt(style.fontWeight, 10) >= 700 && size >= 18.66);
  if (ratio < (large ? 3 : 4.5)) {
    problems.push(`contrast ${ratio.toFixed(2)}:1 for "${el.textContent.trim().slice(0, 40)}"`);
  }
}
return problems;
"#;
