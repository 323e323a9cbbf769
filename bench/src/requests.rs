//! What wrk sends for each of its scenarios, and the answer each must give, checked once
//! before the load: a benchmark of the wrong answer measures nothing.

// The other modules' items, through the crate root (main.rs re-exports them).
#[allow(unused_imports)]
use crate::*;

/// One request, as wrk sends it again and again.
pub(crate) struct WrkRequest {
    pub(crate) path: String,
    /// Whole header lines, `Name: value`.
    pub(crate) headers: Vec<String>,
    /// A form POST's body, sent through wrk's Lua script; `None` for a GET.
    pub(crate) post: Option<Post>,
}

/// The request `scenario` loads `target` with. Userinfo's Bearer token is issued now, by a
/// code flow of its own, so that it outlives the measurement (`ACCESS_TOKEN_LIFETIME`,
/// 10 minutes by default, is shorter than a whole run).
pub(crate) async fn wrk_request(
    scenario: Scenario,
    target: &Target<'_>,
) -> Result<WrkRequest, String> {
    let cookie = |value: &str| vec![format!("Cookie: {value}")];
    let get = |path: &str, headers: Vec<String>| WrkRequest {
        path: path.to_owned(),
        headers,
        post: None,
    };
    let not_here = || format!("{}: not measured here", scenario.name());
    Ok(match scenario {
        Scenario::Health => get("/health", vec![]),
        Scenario::Home => get("/", vec![]),
        Scenario::About => get("/about", cookie(target.session_cookie)),
        Scenario::Tampered => get("/about", cookie(&tamper(target.session_cookie))),
        Scenario::ClientCredentials | Scenario::Introspect => {
            let calls = target.api_calls.ok_or_else(not_here)?;
            let post = match scenario {
                Scenario::ClientCredentials => &calls.grant,
                _ => &calls.introspect,
            };
            WrkRequest {
                path: post.path.to_owned(),
                headers: vec![],
                post: Some(post.clone()),
            }
        }
        Scenario::ForwardAuth | Scenario::ForwardAuthApp => {
            let (path, headers) = check_request(scenario == Scenario::ForwardAuthApp, target);
            get(&path, headers)
        }
        Scenario::Userinfo => {
            let rp = target.relying_party.ok_or_else(not_here)?;
            let answer = rp.tokens(target, "openid profile email").await?;
            let token = field(&answer, "access_token").ok_or(format!("no token: {answer}"))?;
            get(
                "/oauth/userinfo",
                vec![format!("Authorization: Bearer {token}")],
            )
        }
        Scenario::Jwks => get("/.well-known/jwks.json", vec![]),
        Scenario::Discovery => get("/.well-known/openid-configuration", vec![]),
        Scenario::SignIn | Scenario::Refresh | Scenario::CodeExchange => {
            return Err(format!("{}: not a wrk scenario", scenario.name()))
        }
    })
}

/// Sends `request` once and checks the answer `scenario` must give.
pub(crate) async fn check_answer(
    scenario: Scenario,
    app_url: &str,
    request: &WrkRequest,
) -> Result<(), String> {
    if let Some(post) = &request.post {
        return apis::post(app_url, post).await.map(drop);
    }
    let mut get = browser()?.get(format!("{app_url}{}", request.path));
    for line in &request.headers {
        if let Some((name, value)) = line.split_once(": ") {
            get = get.header(name, value);
        }
    }
    let response = get.send().await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let admitted = check_admits(scenario == Scenario::ForwardAuthApp, &response);
    let body = response.text().await.unwrap_or_default();
    let ok = match scenario {
        Scenario::About => status == 200 && body.contains(BENCH_USER_LOGIN),
        Scenario::Tampered => status == 303 && location.starts_with("/login"),
        Scenario::ForwardAuth | Scenario::ForwardAuthApp => admitted,
        Scenario::Userinfo => status == 200 && body.contains(&format!("\"{FLOW_USER_LOGIN}\"")),
        Scenario::Jwks => status == 200 && body.contains("\"keys\""),
        Scenario::Discovery => status == 200 && body.contains("\"userinfo_endpoint\""),
        _ => status == 200,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{}: unexpected answer {status} {location} {}",
            scenario.name(),
            body.chars().take(200).collect::<String>()
        ))
    }
}
