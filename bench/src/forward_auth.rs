//! Forward auth's scenarios: `GET /auth/check` as a reverse proxy sends it for each request
//! to a service it protects (src/identity/forward_auth.rs), with the bench user's session
//! cookie, once for no app (the allow-lists alone decide) and once naming `bench-wiki`, an
//! app registered with a host and an organisation rule that the bench user meets: their
//! account at the fake GitHub is in [`BENCH_ORG`], which their sign-in recorded because the
//! rule names it. So the app is registered before the bench user signs in.

// The other modules' items, through the crate root (main.rs re-exports them).
#[allow(unused_imports)]
use crate::*;
use std::path::Path;

/// The app behind the proxy, and where it is served.
pub(crate) const WIKI_APP: &str = "bench-wiki";
const WIKI_HOST: &str = "wiki.bench.example";
/// The organisation the bench user is in, and `bench-wiki`'s rule names.
pub(crate) const BENCH_ORG: &str = "bench-org";

/// Registers `bench-wiki` with the release binary on `database_url`.
pub(crate) fn register_wiki(binary: &Path, root: &Path, database_url: &str) -> Result<(), String> {
    let args = [WIKI_APP, "--host", WIKI_HOST, "--allow-org", BENCH_ORG];
    add_app(binary, root, database_url, &args).map(drop)
}

/// The path and headers of a check, as Caddy's `forward_auth` sends them (nginx's
/// `auth_request` sends `X-Original-URI` and `Host` instead: the same work for the app).
pub(crate) fn check_request(app: bool, target: &Target<'_>) -> (String, Vec<String>) {
    let (path, host) = match app {
        true => (format!("/auth/check?app={WIKI_APP}"), WIKI_HOST.to_owned()),
        false => ("/auth/check".to_owned(), host_of(target.url)),
    };
    let headers = vec![
        format!("Cookie: {}", target.session_cookie),
        "X-Forwarded-Method: GET".to_owned(),
        "X-Forwarded-Proto: https".to_owned(),
        format!("X-Forwarded-Host: {host}"),
        "X-Forwarded-Uri: /reports/2026?page=2".to_owned(),
    ];
    (path, headers)
}

/// What a 200 from the check must say: who, and for `bench-wiki` the group its rule names.
pub(crate) fn check_admits(app: bool, response: &reqwest::Response) -> bool {
    let header = |name: &str| {
        let value = response.headers().get(name).and_then(|v| v.to_str().ok());
        value.unwrap_or_default().to_owned()
    };
    response.status() == 200
        && header("X-Auth-Request-User") == BENCH_USER_LOGIN
        && (!app
            || header("X-Auth-Request-Groups")
                .split(',')
                .any(|g| g == BENCH_ORG))
}

fn host_of(url: &str) -> String {
    url.split("://").nth(1).unwrap_or(url).to_owned()
}
