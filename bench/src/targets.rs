//! The targets, checked against one store's figures in this run.

// The other modules' items, through the crate root (main.rs re-exports them).
#[allow(unused_imports)]
use crate::*;
use std::time::Duration;

/// The targets, checked against this run's figures; the report's target labels are
/// built from them.
pub(crate) const ABOUT_VS_HEALTH_MIN: f64 = 0.50;
pub(crate) const ABOUT_P99_MAX: Duration = Duration::from_millis(5);
pub(crate) const SIGN_INS_MIN: f64 = 1_500.0;
pub(crate) const GROWTH_MAX: f64 = 0.10;
pub(crate) const PEAK_RSS_MAX_KIB: u64 = 40 * 1024;
pub(crate) const START_MAX: Duration = Duration::from_millis(300);

/// The targets' rows for `store` (`base` is the baseline store; `peak` its app's peak RSS
/// in KiB): what each asks, this run's value, and whether it was met.
pub(crate) fn targets(
    store: &Store,
    base: &Store,
    peak: u64,
    settings: &Settings,
) -> Vec<Vec<String>> {
    let is_base = std::ptr::eq(store, base);
    let health = store.figures.get(&Scenario::Health).map(|f| f.per_sec);
    let mut checks = Vec::new();
    let rows_label = thousands(store.rows);
    let about = store.figures.get(&Scenario::About);
    if let (Some(about), Some(health)) = (about, health) {
        checks.push(check(
            format!(
                "/about >= {} of /health req/s ({rows_label} rows)",
                percent(ABOUT_VS_HEALTH_MIN)
            ),
            format!("{:.0}%", 100.0 * about.per_sec / health),
            about.per_sec >= ABOUT_VS_HEALTH_MIN * health,
        ));
    }
    if let Some(about) = about {
        checks.push(check(
            format!(
                "/about p99 < {} ms ({rows_label} rows)",
                ABOUT_P99_MAX.as_millis()
            ),
            millis(about.p99),
            about.p99 < ABOUT_P99_MAX,
        ));
    }
    if let Some(sign_ins) = store.figures.get(&Scenario::SignIn) {
        checks.push(check(
            format!(
                ">= {} sign-ins/s ({rows_label} rows)",
                thousands(SIGN_INS_MIN as u64)
            ),
            format!("{:.0}/s", sign_ins.per_sec),
            sign_ins.per_sec >= SIGN_INS_MIN,
        ));
    }
    for scenario in [Scenario::About, Scenario::SignIn] {
        let (Some(b), Some(f), false) = (
            base.figures.get(&scenario),
            store.figures.get(&scenario),
            is_base,
        ) else {
            continue;
        };
        let change = (f.per_sec - b.per_sec) / b.per_sec;
        checks.push(check(
            format!(
                "{} within {} of {} rows ({rows_label} rows)",
                scenario.label(settings),
                percent(GROWTH_MAX),
                thousands(base.rows)
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
                "{}, app CPU each, at most {} above {} rows ({rows_label} rows)",
                scenario.label(settings),
                percent(GROWTH_MAX),
                thousands(base.rows)
            ),
            format!("{:+.1}%", 100.0 * change),
            change <= GROWTH_MAX,
        ));
    }
    checks.push(check(
        format!(
            "peak RSS <= {} MB ({rows_label} rows)",
            PEAK_RSS_MAX_KIB / 1024
        ),
        format!("{:.1} MiB", peak as f64 / 1024.0),
        peak <= PEAK_RSS_MAX_KIB,
    ));
    let median = median(&store.starts);
    checks.push(check(
        format!(
            "start-up to first /health 200 < {} ms ({rows_label} rows, migrated)",
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
