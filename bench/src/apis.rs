//! The provider's scenarios for APIs: a service's `client_credentials` grant (which signs an
//! RS256 JWT access token and records it: the cost of issuing one) and an API's
//! introspection of such a token. Both are form POSTs, with the app's credentials in the
//! form (`client_secret_post`), sent by wrk through a small Lua script.

// The other modules' items, through the crate root (main.rs re-exports them).
#[allow(unused_imports)]
use crate::*;
use std::path::Path;
use std::process::Command;

/// The API the bench's service calls.
const AUDIENCE: &str = "https://data.bench.example";

/// One form POST, as wrk sends it again and again.
#[derive(Clone)]
pub(crate) struct Post {
    pub(crate) path: &'static str,
    pub(crate) body: String,
}

/// What the two scenarios send, once a store's app runs.
pub(crate) struct ApiCalls {
    pub(crate) grant: Post,
    pub(crate) introspect: Post,
}

/// The scenarios that need the service and the API registered.
pub(crate) const API_SCENARIOS: [Scenario; 2] = [Scenario::ClientCredentials, Scenario::Introspect];

/// [`register`], if the run measures one of [`API_SCENARIOS`]; nothing otherwise.
pub(crate) fn register_if_measured(
    settings: &Settings,
    binary: &Path,
    database_url: &str,
) -> Result<Option<[(String, String); 2]>, String> {
    match API_SCENARIOS.iter().any(|s| settings.scenarios.contains(s)) {
        true => register(binary, &settings.root, database_url).map(Some),
        false => Ok(None),
    }
}

/// A service, `bench-service`, and the API `bench-data` that accepts it, registered with
/// the release binary on `database_url`: the two apps' credentials.
pub(crate) fn register(
    binary: &Path,
    root: &Path,
    database_url: &str,
) -> Result<[(String, String); 2], String> {
    let service = add_app(binary, root, database_url, &["bench-service", "--service"])?;
    let api_args = [
        "bench-data",
        "--api",
        AUDIENCE,
        "--scope",
        "read",
        "--accept",
        "bench-service",
    ];
    Ok([service, add_app(binary, root, database_url, &api_args)?])
}

/// `gitlogin apps add ARGS --json` with the release binary on `database_url`, as an
/// operator registers an app: its client id and secret.
pub(crate) fn add_app(
    binary: &Path,
    root: &Path,
    database_url: &str,
    args: &[&str],
) -> Result<(String, String), String> {
    // The command reads the whole configuration, as the server does.
    let output = Command::new(binary)
        .current_dir(root)
        .env("DATABASE_URL", database_url)
        .env("GITHUB_CLIENT_ID", FAKE_CLIENT_ID)
        .env("GITHUB_CLIENT_SECRET", FAKE_CLIENT_SECRET)
        .env(
            "ROCKET_SECRET_KEY",
            gitlogin::ops::loopback::random_secret_key(),
        )
        .args(["apps", "add"])
        .args(args)
        .arg("--json")
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    match (field(&text, "client_id"), field(&text, "client_secret")) {
        (Some(id), Some(secret)) if output.status.success() => Ok((id, secret)),
        _ => Err(format!(
            "apps add {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        )),
    }
}

/// The two scenarios' requests: the grant as the service makes it, and the API's
/// introspection of one token issued now.
pub(crate) async fn calls(
    app_url: &str,
    [service, api]: &[(String, String); 2],
) -> Result<ApiCalls, String> {
    let grant = Post {
        path: "/oauth/token",
        body: format!(
            "grant_type=client_credentials&resource={}&client_id={}&client_secret={}",
            encode(AUDIENCE),
            service.0,
            service.1
        ),
    };
    let answer = post(app_url, &grant).await?;
    let token = field(&answer, "access_token").ok_or(format!("no token: {answer}"))?;
    let introspect = Post {
        path: "/oauth/introspect",
        body: format!("token={token}&client_id={}&client_secret={}", api.0, api.1),
    };
    Ok(ApiCalls { grant, introspect })
}

/// `post` sent once: its answer, which must be a 200.
pub(crate) async fn post(app_url: &str, post: &Post) -> Result<String, String> {
    let response = browser()?
        .post(format!("{app_url}{}", post.path))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(post.body.clone())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let text = response.text().await.map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!("{}: {status} {text}", post.path));
    }
    Ok(text)
}

/// A JSON string field of `text`, found by hand: the answers are flat objects of plain
/// base64url strings.
pub(crate) fn field(text: &str, name: &str) -> Option<String> {
    let start = text.find(&format!("\"{name}\":\""))? + name.len() + 4;
    let end = start + text[start..].find('"')?;
    Some(text[start..end].to_owned())
}

pub(crate) fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
