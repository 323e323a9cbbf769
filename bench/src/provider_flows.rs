//! The provider's flows under load, from clients in this process (each one an app's server,
//! with its own HTTP connection): refresh grants, each client rotating a token family of its
//! own, and code exchanges, each client running authorize (`prompt=none`: consent was given
//! when the store was made ready, so no page) then the code's redemption. All as one person,
//! `flow_user` (relying_party.rs). Like sign-ins,
//! each is timed whole and charged the app's CPU over what completed.

// The other modules' items, through the crate root (main.rs re-exports them).
#[allow(unused_imports)]
use crate::*;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a refresh client asks for: `offline_access` gets a refresh token.
const REFRESH_SCOPE: &str = "openid offline_access";
/// What a code-exchange client asks for: an app that signs people in.
const SIGN_IN_SCOPE: &str = "openid profile email";
/// The first family is refreshed on alone to this many before its rows are counted.
pub(crate) const FAMILY_REFRESHES: i64 = 1_000;

/// `flow_clients` refresh families, each got by a code flow of its own (not timed), then
/// rotated as fast as the app allows: a warm-up, the measurement, then what the store
/// holds per family (the first refreshed on, alone, to [`FAMILY_REFRESHES`]).
pub(crate) async fn refresh_load(
    settings: &Settings,
    target: &Target<'_>,
    rp: &RelyingParty,
) -> Result<Figures, String> {
    let warm = families(settings.flow_clients, target, rp).await?;
    let shared = Arc::new(rp.clone());
    let rotate = move |(client, token): (reqwest::Client, String), url: String| {
        let rp = shared.clone();
        async move {
            match rp.refresh(&client, &url, &token).await {
                Ok(answer) => match field(&answer, "refresh_token") {
                    Some(next) => ((client, next), Ok(())),
                    None => ((client, token), Err(format!("no refresh_token: {answer}"))),
                },
                Err(e) => ((client, token), Err(e)),
            }
        }
    };
    client_loop(
        warm,
        (target.url, OnError::Stop),
        Duration::from_secs(2),
        rotate.clone(),
    )
    .await;
    let measured = families(settings.flow_clients, target, rp).await?;
    let before = CpuUse::now(target);
    let length = Duration::from_secs(settings.seconds);
    let (mut figures, ends) =
        client_loop(measured, (target.url, OnError::Stop), length, rotate).await;
    figures.charge(&CpuUse::now(target).since(&before), target);

    let tokens: Vec<String> = ends.into_iter().map(|(_, token)| token).collect();
    if let Some(first) = tokens.first() {
        let client = browser()?;
        let mut token = first.clone();
        while generation(&token) <= FAMILY_REFRESHES {
            let answer = rp.refresh(&client, target.url, &token).await?;
            token = field(&answer, "refresh_token").ok_or(format!("no token: {answer}"))?;
        }
        let mut tokens = tokens;
        tokens[0] = token;
        figures.family_rows = Some(family_rows(target.database_url, &tokens).await?);
    }
    Ok(figures)
}

/// `flow_clients` people's apps redeeming codes back to back: authorize, then the token
/// endpoint, timed together.
pub(crate) async fn exchange_load(
    settings: &Settings,
    target: &Target<'_>,
    rp: &RelyingParty,
) -> Result<Figures, String> {
    let shared = Arc::new(rp.clone());
    let exchange = move |client: reqwest::Client, url: String| {
        let rp = shared.clone();
        async move {
            let code = rp.code(&client, &url, SIGN_IN_SCOPE, true).await;
            let result = match code {
                Ok(code) => rp.redeem(&client, &url, &code).await.map(drop),
                Err(e) => Err(e),
            };
            (client, result)
        }
    };
    let clients = || -> Result<Vec<reqwest::Client>, String> {
        (0..settings.flow_clients).map(|_| browser()).collect()
    };
    let warm_up = Duration::from_secs(2);
    let place = (target.url, OnError::GoOn);
    client_loop(clients()?, place, warm_up, exchange.clone()).await;
    let before = CpuUse::now(target);
    let length = Duration::from_secs(settings.seconds);
    let (mut figures, _) = client_loop(clients()?, place, length, exchange).await;
    figures.charge(&CpuUse::now(target).since(&before), target);
    Ok(figures)
}

/// `count` clients, each with a refresh token of a new family of its own.
async fn families(
    count: usize,
    target: &Target<'_>,
    rp: &RelyingParty,
) -> Result<Vec<(reqwest::Client, String)>, String> {
    let mut families = Vec::new();
    for _ in 0..count {
        let answer = rp.tokens(target, REFRESH_SCOPE).await?;
        let token = field(&answer, "refresh_token").ok_or(format!("no token: {answer}"))?;
        families.push((browser()?, token));
    }
    Ok(families)
}

/// A refresh token's generation: `<lookup id>.<generation>.<secret>`
/// (src/provider/refresh_token.rs), 1 for a family's first.
pub(crate) fn generation(token: &str) -> i64 {
    token
        .split('.')
        .nth(1)
        .and_then(|g| g.parse().ok())
        .unwrap_or(0)
}

/// Whether a client goes on after a failed step. A refresh client cannot: its token may
/// have been spent, or its family revoked.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnError {
    Stop,
    GoOn,
}

/// One task per state, each running `step` on its own state over and over until `length`
/// has passed: steps per second and each step's latency. Failed steps are counted.
pub(crate) async fn client_loop<S, F, Fut>(
    states: Vec<S>,
    (app_url, on_error): (&str, OnError),
    length: Duration,
    step: F,
) -> (Figures, Vec<S>)
where
    S: Send + 'static,
    F: Fn(S, String) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = (S, Result<(), String>)> + Send,
{
    let started = Instant::now();
    let deadline = started + length;
    let tasks: Vec<_> = states
        .into_iter()
        .map(|mut state| {
            let (step, app_url) = (step.clone(), app_url.to_owned());
            rocket::tokio::spawn(async move {
                let (mut times, mut errors) = (Vec::new(), Vec::new());
                while Instant::now() < deadline {
                    let start = Instant::now();
                    let (next, result) = step(state, app_url.clone()).await;
                    state = next;
                    match result {
                        Ok(()) => times.push(start.elapsed()),
                        Err(e) => errors.push(e),
                    }
                    if !errors.is_empty() && on_error == OnError::Stop {
                        break;
                    }
                }
                (state, times, errors)
            })
        })
        .collect();
    let (mut times, mut errors, mut states) = (Vec::new(), Vec::new(), Vec::new());
    for task in tasks {
        if let Ok((state, t, error)) = task.await {
            states.push(state);
            times.extend(t);
            errors.extend(error);
        }
    }
    let figures = Figures::of_steps("steps", times, &errors, started.elapsed());
    (figures, states)
}
