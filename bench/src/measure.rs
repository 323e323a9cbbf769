//! The rounds: each scenario on each store in turn, and the stores made ready for them.

// The other modules' items, through the crate root (main.rs re-exports them).
#[allow(unused_imports)]
use crate::*;
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

pub(crate) async fn measure(
    settings: &Settings,
    tools: Option<&postgres::Tools>,
    binary: &Path,
    work: &Path,
) -> Result<Report, String> {
    let started_at = utc_now();
    let mut stores = Vec::new();
    for (index, &rows) in settings.stores.iter().enumerate() {
        let families = families_of(index, settings.families);
        stores.push(prepare_store(settings, binary, work, (rows, families)).await?);
    }
    // Seeded like the first (baseline) store, so that its rows compare with them.
    let mut postgres = match tools {
        Some(tools) => {
            let rows = settings.stores[0];
            Some(postgres::Postgres::start(settings, tools, binary, work, rows).await?)
        }
        None => None,
    };

    if settings.hold {
        for store in &stores {
            eprintln!(
                "bench: {} rows: {} pid {} Cookie: {}",
                thousands(store.rows),
                store.app.url,
                store.app.pid(),
                store.session_cookie
            );
        }
        if let Some(postgres) = &postgres {
            eprint!("{}", postgres.describe());
        }
        eprintln!("bench: press Enter to start the load");
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    }

    let load_before = load_average();
    if load_before > 1.0 {
        eprintln!(
            "bench: the machine is busy (load average {load_before:.2}): the figures will be \
             lower and noisier than on an idle machine"
        );
    }
    let mut runs: Vec<Rounds> = vec![HashMap::new(); stores.len()];
    let setups = postgres.as_ref().map_or(0, |p| p.setups.len());
    let mut postgres_runs: Vec<Rounds> = vec![HashMap::new(); setups];
    for round in 1..=settings.rounds {
        for &scenario in &settings.scenarios {
            let progress = |what: &str| {
                eprintln!(
                    "bench: round {round}/{}: {} with {what} ...",
                    settings.rounds,
                    scenario.label(settings),
                )
            };
            for (store, runs) in stores.iter().zip(&mut runs) {
                progress(&format!("{} rows", thousands(store.rows)));
                let figures = load(settings, scenario, &store.target()).await?;
                runs.entry(scenario).or_default().push(figures);
            }
            let Some(postgres) = &postgres else {
                continue;
            };
            if !postgres::SCENARIOS.contains(&scenario) {
                continue;
            }
            for (setup, runs) in postgres.setups.iter().zip(&mut postgres_runs) {
                progress(setup.label);
                let figures = load(settings, scenario, &postgres.target(setup)).await?;
                runs.entry(scenario).or_default().push(figures);
            }
        }
    }
    for (store, runs) in stores.iter_mut().zip(runs) {
        store.figures = median_rounds(runs);
    }
    if let Some(postgres) = &mut postgres {
        for (setup, runs) in postgres.setups.iter_mut().zip(postgres_runs) {
            setup.figures = median_rounds(runs);
        }
    }
    let load = (load_before, load_average());

    let memory: Vec<(u64, u64)> = stores.iter().map(|s| peak_rss_kib(s.app.pid())).collect();
    for store in &mut stores {
        store.app.stop();
        store.github.stop();
    }
    let report = report(
        settings,
        &started_at,
        load,
        &stores,
        &memory,
        postgres.as_ref(),
    );
    if let Some(postgres) = postgres {
        postgres.stop();
    }
    Ok(report)
}

/// Each scenario's figures, one per round.
pub(crate) type Rounds = HashMap<Scenario, Vec<Figures>>;

/// Of several rounds, the one with the median rate, latencies and all.
pub(crate) fn median_rounds(runs: Rounds) -> HashMap<Scenario, Figures> {
    runs.into_iter()
        .filter_map(|(scenario, mut figures)| {
            figures.sort_by(|a, b| a.per_sec.total_cmp(&b.per_sec));
            let middle = figures.len() / 2;
            figures.into_iter().nth(middle).map(|f| (scenario, f))
        })
        .collect()
}

/// The 1-minute load average: work other than this benchmark shows up here, and lowers
/// every figure of the run.
pub(crate) fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

/// Warms up, then measures one scenario on one store or setup.
pub(crate) async fn load(
    settings: &Settings,
    scenario: Scenario,
    target: &Target<'_>,
) -> Result<Figures, String> {
    let seconds = settings.seconds;
    let rp = || {
        let not_here = || format!("{}: not measured here", scenario.name());
        target.relying_party.ok_or_else(not_here)
    };
    match scenario {
        Scenario::SignIn => {
            let clients = settings.sign_in_clients;
            // The warm-up fills the app's and the clients' connection pools.
            sign_in_load(target.url, clients, Duration::from_secs(2)).await;
            let before = CpuUse::now(target);
            let mut figures = sign_in_load(target.url, clients, Duration::from_secs(seconds)).await;
            figures.charge(&CpuUse::now(target).since(&before), target);
            return Ok(figures);
        }
        Scenario::Refresh => return refresh_load(settings, target, rp()?).await,
        Scenario::CodeExchange => return exchange_load(settings, target, rp()?).await,
        _ => {}
    }
    let request = wrk_request(scenario, target).await?;
    check_answer(scenario, target.url, &request).await?;
    wrk(target.url, &request, (settings.connections, 2)).await?;
    let before = CpuUse::now(target);
    let mut figures = wrk(target.url, &request, (settings.connections, seconds)).await?;
    figures.charge(&CpuUse::now(target).since(&before), target);
    Ok(figures)
}

pub(crate) fn per(total: Duration, count: u64) -> Duration {
    total / count.max(1).min(u32::MAX.into()) as u32
}

/// Makes a store with `rows` users and sessions (and up to `families` live refresh families
/// of `bench-rp`, one per person, if the run registers it), times start-ups on it, leaves
/// its app running, and signs the bench user in.
pub(crate) async fn prepare_store(
    settings: &Settings,
    binary: &Path,
    work: &Path,
    (rows, families): (u64, u64),
) -> Result<Store, String> {
    let db_path = work.join(format!("gitlogin-{rows}.db"));
    let github = start_github(rows).await;
    let env = AppEnv {
        database_url: format!("sqlite://{}?mode=rwc", db_path.display()),
        github_url: github.url.clone(),
        public_url: None,
        secret_key: gitlogin::ops::loopback::random_secret_key(),
        log_level: settings.app_log.clone(),
    };
    let launch = || App::launch(binary, &settings.root, &env, work);

    // The first start creates and migrates the store; seeding needs its tables.
    let mut app = launch()?;
    let first_start = app.wait_until_healthy().await?;
    app.stop();
    eprintln!("bench: seeding {} users and sessions ...", thousands(rows));
    seed(&env.database_url, rows).await?;
    let api_apps = apis::register_if_measured(settings, binary, &env.database_url)?;
    let relying_party = register_apps(settings, binary, &env.database_url)?;
    let families = match &relying_party {
        Some(rp) if families > 0 => {
            let families = families.min(rows);
            eprintln!(
                "bench: seeding {} refresh families ...",
                thousands(families)
            );
            seed_families(&env.database_url, &rp.client_id, families).await?;
            families
        }
        _ => 0,
    };

    let mut starts = Vec::new();
    for n in 0..settings.starts {
        let mut app = launch()?;
        starts.push(app.wait_until_healthy().await?);
        if n + 1 < settings.starts {
            app.stop();
            continue;
        }
        let session_cookie = bench_user_session(&app.url, &github).await?;
        let mut relying_party = relying_party;
        if let Some(rp) = &mut relying_party {
            rp.sign_in_and_consent(&app.url, &github).await?;
        }
        let api_calls = match &api_apps {
            Some(apps) => Some(apis::calls(&app.url, apps).await?),
            None => None,
        };
        return Ok(Store {
            api_calls,
            relying_party,
            database_url: env.database_url.clone(),
            rows,
            families,
            app,
            github,
            session_cookie,
            first_start,
            starts,
            figures: HashMap::new(),
        });
    }
    unreachable!("settings.starts is at least 1")
}

/// The apps forward auth and the provider's scenarios need, registered on the store at
/// `database_url` when the run measures them, before the bench user signs in (their
/// sign-in records the organisation `bench-wiki`'s rule names): `bench-rp`, if registered.
pub(crate) fn register_apps(
    settings: &Settings,
    binary: &Path,
    database_url: &str,
) -> Result<Option<RelyingParty>, String> {
    let measures = |s: &[Scenario]| s.iter().any(|s| settings.scenarios.contains(s));
    if measures(&[Scenario::ForwardAuthApp]) {
        register_wiki(binary, &settings.root, database_url)?;
    }
    let flows = [
        Scenario::Userinfo,
        Scenario::Refresh,
        Scenario::CodeExchange,
    ];
    match measures(&flows) {
        true => RelyingParty::register(binary, &settings.root, database_url).map(Some),
        false => Ok(None),
    }
}

/// Signs in as a GitHub account of its own (not one of the seeded ones), so that the About
/// page under load lists exactly one session; returns the `Cookie` header for it.
pub(crate) async fn bench_user_session(
    app_url: &str,
    github: &FakeGithub,
) -> Result<String, String> {
    session_as(app_url, github, bench_user()).await
}

/// Signs `account` in through the whole OAuth flow; returns the `Cookie` header for it.
pub(crate) async fn session_as(
    app_url: &str,
    github: &FakeGithub,
    account: SignedIn,
) -> Result<String, String> {
    let seeded = github.with(|w| std::mem::replace(&mut w.signed_in, account));
    let client = browser()?;
    let jar = sign_in(&client, app_url).await;
    github.with(|w| w.signed_in = seeded);
    let jar = jar?;
    let session = jar
        .get("gitlogin_session")
        .ok_or("the sign-in set no gitlogin_session cookie")?;
    Ok(format!("gitlogin_session={session}"))
}
