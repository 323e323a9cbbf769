//! The PostgreSQL section of the results.

use std::fmt::Write as _;

use super::{Postgres, SCENARIOS};
use crate::{
    figure_cells, markdown_row, table_head, thousands, write_bench_cpu, write_family_rows,
    Settings, Store,
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
             clients, in the same rounds, as above. \"app CPU each\" adds up the setup's \
             instances; \
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
        for scenario in SCENARIOS {
            let Some(baseline) = sqlite.figures.get(&scenario) else {
                continue;
            };
            let mut rows = vec![("SQLite, 1 instance", baseline)];
            for setup in &self.setups {
                if let Some(figures) = setup.figures.get(&scenario) {
                    rows.push((setup.label, figures));
                }
            }
            for (label, f) in rows {
                let cells = figure_cells(
                    scenario.label(settings),
                    label.to_owned(),
                    f,
                    vec![format!("{:.0}%", 100.0 * f.per_sec / baseline.per_sec)],
                    &[f.database_cpu, f.proxy_cpu],
                );
                let _ = writeln!(text, "{}", markdown_row(&cells));
            }
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
