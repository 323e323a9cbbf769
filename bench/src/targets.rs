//! Issue 27's targets, checked against one store's figures in this run.

// The other modules' items, through the crate root (main.rs re-exports them).
#[allow(unused_imports)]
use crate::*;
use std::collections::HashMap;
use std::time::Duration;

/// The least share of `GET /` (signed out) each scenario must reach, in requests per second
/// on the same store in the same run: `GET /` is the cheapest page, so a share says what the
/// scenario costs beyond serving a request at all, and the machine's other load moves both
/// alike.
pub(crate) const SHARES_OF_HOME: [(Scenario, f64); 5] = [
    (Scenario::ForwardAuth, 0.80),
    (Scenario::About, 0.60),
    (Scenario::Userinfo, 0.50),
    (Scenario::Jwks, 0.90),
    (Scenario::Discovery, 0.90),
];
/// A refresh grant's app CPU at most this: 1,000 grants per second per core.
pub(crate) const REFRESH_CPU_MAX: Duration = Duration::from_micros(1_000);
pub(crate) const GROWTH_MAX: f64 = 0.10;
pub(crate) const PEAK_RSS_MAX_KIB: u64 = 25 * 1024;
pub(crate) const START_MAX: Duration = Duration::from_millis(300);

/// What the targets read of one store: its figures, its app's peak RSS and start-ups.
pub(crate) struct Measured<'a> {
    pub(crate) rows: u64,
    /// Live refresh families seeded beside the people.
    pub(crate) families: u64,
    pub(crate) figures: &'a HashMap<Scenario, Figures>,
    /// VmHWM, KiB.
    pub(crate) peak_kib: u64,
    pub(crate) starts: &'a [Duration],
}

impl<'a> Measured<'a> {
    pub(crate) fn of(store: &'a Store, peak_kib: u64) -> Measured<'a> {
        Measured {
            rows: store.rows,
            families: store.families,
            figures: &store.figures,
            peak_kib,
            starts: &store.starts,
        }
    }
}

/// The targets' rows for `store`: what each asks, this run's value, and whether it was met.
/// `base` is the baseline store, for the growth targets; `None` when `store` is it. A
/// target whose scenarios this run did not measure has no row.
pub(crate) fn targets(
    store: &Measured,
    base: Option<&Measured>,
    settings: &Settings,
) -> Vec<Vec<String>> {
    let place = store_place(store.rows, store.families);
    let figures = |scenario| store.figures.get(&scenario);
    let mut checks = Vec::new();
    if let Some(home) = figures(Scenario::Home) {
        for (scenario, least) in SHARES_OF_HOME {
            let Some(f) = figures(scenario) else {
                continue;
            };
            checks.push(check(
                format!(
                    "{} >= {} of GET / req/s ({place})",
                    scenario.label(settings),
                    percent(least)
                ),
                format!("{:.0}%", 100.0 * f.per_sec / home.per_sec),
                f.per_sec >= least * home.per_sec,
            ));
        }
    }
    if let Some(refresh) = figures(Scenario::Refresh) {
        checks.push(check(
            format!(
                "{}: app CPU each <= {} (1,000/s per core) ({place})",
                Scenario::Refresh.label(settings),
                micros(REFRESH_CPU_MAX)
            ),
            micros(refresh.app_cpu),
            refresh.app_cpu <= REFRESH_CPU_MAX,
        ));
    }
    if let (Some(health), Some(about)) = (figures(Scenario::Health), figures(Scenario::About)) {
        checks.push(check(
            format!("GET /health p99 <= GET /about p99 ({place})"),
            format!("{} vs {}", millis(health.p99), millis(about.p99)),
            health.p99 <= about.p99,
        ));
    }
    if let Some(base) = base {
        checks.extend(growth(store, base, settings));
    }
    checks.push(check(
        format!("peak RSS <= {} MiB ({place})", PEAK_RSS_MAX_KIB / 1024),
        format!("{:.1} MiB", store.peak_kib as f64 / 1024.0),
        store.peak_kib <= PEAK_RSS_MAX_KIB,
    ));
    let median = median(store.starts);
    checks.push(check(
        format!(
            "start-up to first /health 200 < {} ms ({place}, migrated)",
            START_MAX.as_millis()
        ),
        format!(
            "{} median of {}, max {}",
            millis(median),
            store.starts.len(),
            millis(store.starts.iter().max().copied().unwrap_or_default())
        ),
        median < START_MAX,
    ));
    checks
}

/// The paths whose cost must not grow with the store: those that read sessions and people,
/// and the provider's, which read grants, tokens and refresh families.
pub(crate) const GROWTH_SCENARIOS: [Scenario; 5] = [
    Scenario::About,
    Scenario::SignIn,
    Scenario::Userinfo,
    Scenario::Refresh,
    Scenario::CodeExchange,
];

/// How the targets name a store: its people, and its live refresh families if it has any.
pub(crate) fn store_place(rows: u64, families: u64) -> String {
    match families {
        0 => format!("{} rows", thousands(rows)),
        _ => format!(
            "{} rows + {} refresh families",
            thousands(rows),
            thousands(families)
        ),
    }
}

/// [`GROWTH_SCENARIOS`] on `store` within [`GROWTH_MAX`] of the same on `base`, in requests
/// per second and in app CPU each. With families seeded in `store` alone, the provider's
/// rows say whether 10,000 live families cost anything.
fn growth(store: &Measured, base: &Measured, settings: &Settings) -> Vec<Vec<String>> {
    let place = store_place(store.rows, store.families);
    let base_place = store_place(base.rows, base.families);
    let mut checks = Vec::new();
    for scenario in GROWTH_SCENARIOS {
        let (Some(b), Some(f)) = (base.figures.get(&scenario), store.figures.get(&scenario)) else {
            continue;
        };
        let change = (f.per_sec - b.per_sec) / b.per_sec;
        checks.push(check(
            format!(
                "{} within {} of {base_place} ({place})",
                scenario.label(settings),
                percent(GROWTH_MAX),
            ),
            format!("{:+.1}%", 100.0 * change),
            change.abs() <= GROWTH_MAX,
        ));
        // The same comparison in app CPU per request, which other work on the machine
        // moves far less than requests per second: a cost that grows with rows shows
        // here first.
        let b_cpu = b.app_cpu.as_secs_f64().max(1e-9);
        let change = (f.app_cpu.as_secs_f64() - b_cpu) / b_cpu;
        checks.push(check(
            format!(
                "{}, app CPU each, at most {} above {base_place} ({place})",
                scenario.label(settings),
                percent(GROWTH_MAX),
            ),
            format!("{:+.1}%", 100.0 * change),
            change <= GROWTH_MAX,
        ));
    }
    checks
}
