//! The table of figures and the targets, printed and written to `bench/results.md`.

// The other modules' items, through the crate root (main.rs re-exports them).
#[allow(unused_imports)]
use crate::*;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// The targets, checked against this run's figures; the report's target labels are
/// built from them.
pub(crate) const ABOUT_VS_HEALTH_MIN: f64 = 0.50;
pub(crate) const ABOUT_P99_MAX: Duration = Duration::from_millis(5);
pub(crate) const SIGN_INS_MIN: f64 = 1_500.0;
pub(crate) const GROWTH_MAX: f64 = 0.10;
pub(crate) const PEAK_RSS_MAX_KIB: u64 = 40 * 1024;
pub(crate) const START_MAX: Duration = Duration::from_millis(300);

pub(crate) fn report(
    settings: &Settings,
    started_at: &str,
    load: (f64, f64),
    stores: &[Store],
    memory: &[(u64, u64)],
    postgres: Option<&postgres::Postgres>,
) -> Report {
    let base = &stores[0];
    let mut rows = Vec::new();
    let mut checks = Vec::new();
    for (store, &(peak, _)) in stores.iter().zip(memory) {
        let is_base = std::ptr::eq(store, base);
        let health = store.figures.get(&Scenario::Health).map(|f| f.per_sec);
        for scenario in Scenario::ALL {
            let Some(f) = store.figures.get(&scenario) else {
                continue;
            };
            let ratio = match (scenario, health) {
                (Scenario::SignIn, _) | (_, None) => String::new(),
                (_, Some(health)) => format!("{:.0}%", 100.0 * f.per_sec / health),
            };
            let growth = match base.figures.get(&scenario) {
                Some(b) if !is_base => {
                    format!("{:+.1}%", 100.0 * (f.per_sec - b.per_sec) / b.per_sec)
                }
                _ => String::new(),
            };
            rows.push(figure_cells(
                scenario.label(settings),
                thousands(store.rows),
                f,
                vec![ratio, growth],
                &[],
            ));
        }

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
    }

    let vs_base = format!("vs {}", thousands(base.rows));
    let mut table = table_head(&[
        "scenario",
        "rows",
        "per s",
        "vs /health",
        &vs_base,
        "p50",
        "p99",
        "app CPU each",
        "errors",
    ]);
    for row in &rows {
        let _ = writeln!(table, "{}", markdown_row(row));
    }
    let _ = writeln!(table);
    let _ = writeln!(table, "| target | this run | met |\n|---|---|---|");
    for row in &checks {
        let _ = writeln!(table, "{}", markdown_row(row));
    }
    let _ = writeln!(table);
    for store in stores {
        let _ = writeln!(
            table,
            "- first start on an empty store ({} rows before seeding), migrations included: {}",
            thousands(store.rows),
            millis(store.first_start)
        );
    }
    for (store, &(peak, now)) in stores.iter().zip(memory) {
        let _ = writeln!(
            table,
            "- app memory with {} rows: peak (VmHWM) {:.1} MiB, at the end (VmRSS) {:.1} MiB",
            thousands(store.rows),
            peak as f64 / 1024.0,
            now as f64 / 1024.0
        );
    }
    for store in stores {
        let place = format!("with {} rows", thousands(store.rows));
        write_bench_cpu(&mut table, &store.figures, &place);
    }

    if let Some(postgres) = postgres {
        let _ = write!(table, "\n{}", postgres.report(settings, base));
    }

    let args: Vec<String> = std::env::args().skip(1).collect();
    let setup = format!(
        "`bench/run.sh{}{}`, {started_at}, on {} ({} cores), commit {}; 1-minute load \
         average {:.2} before the load and {:.2} after (other work on the machine lowers \
         every figure).\n\n\
         Each GET scenario: `wrk --threads 2 --connections {} --duration {}s --latency` \
         after a 2 s warm-up. Sign-ins: {} clients in the bench process, each going \
         `/login` -> fake authorize -> callback (token, `/user`, `/user/emails`) -> \
         `/about`, for {} s after a 2 s warm-up. {} round(s), the stores taking turns \
         scenario by scenario; the median round is shown. App: `target/release/gitlogin` \
         with `ROCKET_LOG_LEVEL=off` and default workers and pool. \"vs /health\" is \
         against the same store's `/health` in this run; \"app CPU each\" is the app's \
         CPU time (all threads) per request or sign-in.\n",
        if args.is_empty() { "" } else { " " },
        args.join(" "),
        host_name(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        git_revision(&settings.root),
        load.0,
        load.1,
        settings.connections,
        settings.seconds,
        settings.sign_in_clients,
        settings.seconds,
        settings.rounds,
    );
    let markdown = format!(
        "# Benchmark results\n\n\
         Written by `bench/run.sh` (the `bench` binary); everything above `## Findings` is \
         replaced on each run.\n\n{setup}\n{table}"
    );
    Report {
        table: format!("\n{setup}\n{table}"),
        markdown,
    }
}

pub(crate) fn check(what: String, value: String, met: bool) -> Vec<String> {
    vec![what, value, if met { "yes" } else { "**no**" }.to_owned()]
}

pub(crate) fn markdown_row<S: std::borrow::Borrow<str>>(cells: &[S]) -> String {
    format!("| {} |", cells.join(" | "))
}

/// A table's header row and the separator under it.
pub(crate) fn table_head(header: &[&str]) -> String {
    format!(
        "{}\n|{}\n",
        markdown_row(header),
        "---|".repeat(header.len())
    )
}

/// A table row: what was measured and where, the rate, `versus` (how it compares), the
/// latencies, the CPU each request took in the app and then in `more_cpu` (blank where
/// there is none), and the errors.
pub(crate) fn figure_cells(
    what: String,
    place: String,
    f: &Figures,
    versus: Vec<String>,
    more_cpu: &[Option<Duration>],
) -> Vec<String> {
    let mut cells = vec![what, place, format!("{:.0}", f.per_sec)];
    cells.extend(versus);
    cells.extend([millis(f.p50), millis(f.p99), micros(f.app_cpu)]);
    cells.extend(more_cpu.iter().map(|d| d.map_or(String::new(), micros)));
    cells.push(f.errors.to_string());
    cells
}

/// The line saying how much CPU this process spent on each sign-in at `place`, if sign-ins
/// were measured there.
pub(crate) fn write_bench_cpu(out: &mut String, figures: &HashMap<Scenario, Figures>, place: &str) {
    if let Some(f) = figures.get(&Scenario::SignIn) {
        let _ = writeln!(
            out,
            "- this process (driver and fake GitHub) used {} of CPU per sign-in {place}",
            micros(f.bench_cpu)
        );
    }
}

/// Replaces the figures in `results.md`, keeping its `## Findings` section.
pub(crate) fn write_results(path: &Path, markdown: &str) -> Result<(), String> {
    let findings = std::fs::read_to_string(path)
        .ok()
        // The heading on a line of its own; the introduction names it in passing.
        .and_then(|old| old.find("\n## Findings\n").map(|i| old[i + 1..].to_owned()));
    let mut text = markdown.to_owned();
    if let Some(findings) = findings {
        text.push('\n');
        text.push_str(&findings);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}
