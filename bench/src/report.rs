//! The table of figures and the targets, printed and written to `bench/results.md`.

// The other modules' items, through the crate root (main.rs re-exports them).
#[allow(unused_imports)]
use crate::*;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

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
        let rate = |scenario| store.figures.get(&scenario).map(|f| f.per_sec);
        let (health, home) = (rate(Scenario::Health), rate(Scenario::Home));
        for scenario in Scenario::ALL {
            let Some(f) = store.figures.get(&scenario) else {
                continue;
            };
            let share = |of: Option<f64>| match (scenario, of) {
                (Scenario::SignIn, _) | (_, None) => String::new(),
                (_, Some(of)) => format!("{:.0}%", 100.0 * f.per_sec / of),
            };
            let growth = match base.figures.get(&scenario) {
                Some(b) if !is_base => {
                    format!("{:+.1}%", 100.0 * (f.per_sec - b.per_sec) / b.per_sec)
                }
                _ => String::new(),
            };
            rows.push(figure_cells(
                scenario.label(settings),
                rows_cell(store.rows, store.families),
                f,
                vec![share(health), share(home), growth],
                &[],
            ));
        }

        let base = (!is_base).then(|| Measured::of(base, memory[0].0));
        checks.extend(targets(&Measured::of(store, peak), base.as_ref(), settings));
    }

    let vs_base = format!("vs {}", thousands(base.rows));
    let mut table = table_head(&[
        "scenario",
        "rows",
        "per s",
        "vs /health",
        "vs GET /",
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
    let seeded: Vec<(u64, u64)> = stores.iter().map(|s| (s.rows, s.families)).collect();
    write_seeded_families(&mut table, &seeded);
    for store in stores {
        let place = format!("with {} rows", thousands(store.rows));
        write_bench_cpu(&mut table, &store.figures, &place);
        write_family_rows(&mut table, &store.figures, &place);
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
         `/about`, for {} s after a 2 s warm-up. Forward auth: `/auth/check` with the \
         session cookie and Caddy's `X-Forwarded-*` headers, without and with `app=` (an \
         app with an organisation rule; so every sign-in of the run also lists the \
         person's organisations). The provider: `bench-rp` (confidential, PKCE), consented \
         to once; userinfo with a Bearer token from one code flow; {} clients each \
         rotating a refresh family of its own (`openid offline_access`), and {} clients \
         each going authorize (`prompt=none`) -> `/oauth/token`, timed whole, for {} s \
         after a 2 s warm-up. {} round(s), the stores taking turns \
         scenario by scenario; the median round is shown. App: `target/release/gitlogin` \
         with `ROCKET_LOG_LEVEL=off` and default workers and pool. \"vs /health\" is \
         against the same store's `/health` in this run; \"app CPU each\" is the app's \
         CPU time (all threads) per request, sign-in, refresh or exchange. \"vs GET /\" \
         is against the same store's `GET /` (signed out) in this run.\n",
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
        settings.flow_clients,
        settings.flow_clients,
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

/// The table's "rows" cell for a store: its people, and its seeded refresh families.
pub(crate) fn rows_cell(rows: u64, families: u64) -> String {
    match families {
        0 => thousands(rows),
        _ => format!("{} + {} families", thousands(rows), thousands(families)),
    }
}

/// The line saying which of the stores, as `(rows, families)`, hold seeded refresh
/// families, if any does: what the provider's growth rows compare.
pub(crate) fn write_seeded_families(out: &mut String, stores: &[(u64, u64)]) {
    let seeded: Vec<String> = stores
        .iter()
        .filter(|&&(_, families)| families > 0)
        .map(|&(rows, families)| format!("{} with {} rows", thousands(families), thousands(rows)))
        .collect();
    if seeded.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "- live refresh families seeded by SQL beside the people: {} (`bench-rp`'s, one per \
         person, each with its grant, consent and live access token, as after a refresh); \
         only the load's own in the others",
        seeded.join(", ")
    );
}

/// The line saying what the refresh families left in the store at `place`, if refresh
/// grants were measured there.
pub(crate) fn write_family_rows(
    out: &mut String,
    figures: &HashMap<Scenario, Figures>,
    place: &str,
) {
    if let Some(rows) = figures
        .get(&Scenario::Refresh)
        .and_then(|f| f.family_rows.as_ref())
    {
        let _ = writeln!(
            out,
            "- refresh families {place}: {} families, refreshed {} to {} times each (the \
             first, after the load, alone up to {}); per family at most {} row(s) in \
             `refresh_families` and {} in `tokens`",
            rows.families,
            rows.least,
            rows.most,
            thousands(FAMILY_REFRESHES as u64),
            rows.family_rows,
            rows.token_rows
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
