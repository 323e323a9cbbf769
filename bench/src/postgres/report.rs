//! The PostgreSQL section of the results.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::{Postgres, SCENARIOS};
use crate::{
    figure_cells, markdown_row, table_head, thousands, write_bench_cpu, write_family_rows, Figures,
    Scenario, Settings, Store,
};

impl Postgres {
    /// The PostgreSQL section of the results: how it was set up, and one table with the
    /// baseline SQLite store's figures for the same scenarios on top.
    pub fn report(&self, settings: &Settings, sqlite: &Store) -> String {
        let rows = thousands(sqlite.rows);
        let mut text = format!(
            "### PostgreSQL beside SQLite ({rows} rows)\n\n\
             {}; a throwaway cluster on loopback (`initdb`, `fsync=off` and \
             `full_page_writes=off`: commits reach the OS but are never flushed to disk), one \
             database per setup, each seeded by the app's own query with {rows} users and sessions like the \
             SQLite store. Instances have the default workers and pool; the instances of a \
             setup share its database, `ROCKET_SECRET_KEY` and `PUBLIC_URL`. nginx: \
             `worker_processes auto`, an `upstream` per setup (round-robin) with `keepalive 64` \
             and HTTP/1.1 to the instances, no access log. Same wrk, sign-in and provider \
             clients, and the same service and API (registered on each database), in the same \
             rounds, as above. Each scenario's rows start with the SQLite store's, under its \
             name. \"app CPU each\" adds up the setup's instances; \
             \"PostgreSQL CPU each\" is every server process; \"nginx CPU each\" the master \
             and its workers.\n\n",
            self.versions
        );
        text.push_str(&table_head(&[
            "scenario",
            "setup",
            "per s",
            "vs SQLite",
            "p50",
            "p99",
            "app CPU each",
            "PostgreSQL CPU each",
            "nginx CPU each",
            "errors",
        ]));
        let setups: Vec<(&str, &HashMap<Scenario, Figures>)> = self
            .setups
            .iter()
            .map(|setup| (setup.label, &setup.figures))
            .collect();
        for cells in table_rows(settings, &sqlite.figures, &setups) {
            let _ = writeln!(text, "{}", markdown_row(&cells));
        }
        let _ = writeln!(text);
        for setup in &self.setups {
            let place = format!("on {}", setup.label);
            write_bench_cpu(&mut text, &setup.figures, &place);
            write_family_rows(&mut text, &setup.figures, &place);
        }
        text
    }
}

/// The table's rows: for each of [`SCENARIOS`] the SQLite store measured, its SQLite row and
/// then each setup's that measured it, each against SQLite's rate. Only the first row of a
/// scenario names it, so that its group stands out in a long table.
pub(crate) fn table_rows(
    settings: &Settings,
    sqlite: &HashMap<Scenario, Figures>,
    setups: &[(&str, &HashMap<Scenario, Figures>)],
) -> Vec<Vec<String>> {
    let mut table = Vec::new();
    for scenario in SCENARIOS {
        let Some(baseline) = sqlite.get(&scenario) else {
            continue;
        };
        let mut rows = vec![("SQLite, 1 instance", baseline)];
        for &(label, figures) in setups {
            if let Some(figures) = figures.get(&scenario) {
                rows.push((label, figures));
            }
        }
        for (n, (label, f)) in rows.into_iter().enumerate() {
            table.push(figure_cells(
                if n == 0 {
                    scenario.label(settings)
                } else {
                    String::new()
                },
                label.to_owned(),
                f,
                vec![format!("{:.0}%", 100.0 * f.per_sec / baseline.per_sec)],
                &[f.database_cpu, f.proxy_cpu],
            ));
        }
    }
    table
}
