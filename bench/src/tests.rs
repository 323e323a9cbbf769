use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::*;

#[test]
fn reads_wrk_output() {
    let text = "Running 10s test @ http://127.0.0.1:8000/health
  2 threads and 64 connections
  Latency Distribution
 50%  812.00us
 75%    1.20ms
 90%    2.00ms
 99%    4.50ms
  256000 requests in 10.00s, 50.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 3
Requests/sec:  25600.50
Transfer/sec:      5.00MB
";
    let f = parse_wrk(text).unwrap();
    assert_eq!(f.per_sec, 25600.5);
    assert_eq!(f.p50, Duration::from_micros(812));
    assert_eq!(f.p99, Duration::from_micros(4500));
    assert_eq!(f.errors, 6);
    assert_eq!(f.count, 256000);
    assert!(parse_wrk("wrk: connection refused").is_none());
}

#[test]
fn tampering_changes_one_character() {
    let cookie = "gitlogin_session=abc%2Bdefghij";
    let tampered = tamper(cookie);
    assert_ne!(tampered, cookie);
    assert_eq!(tampered.len(), cookie.len());
    assert!(tampered.starts_with("gitlogin_session=abc%2B"));
}

#[test]
fn results_keep_the_findings() {
    let path = std::env::temp_dir().join(format!("bench-results-{}.md", std::process::id()));
    let intro = "# Benchmark results\n\nEverything above `## Findings` is replaced.\n";
    write_results(&path, &format!("{intro}| run 1 |\n")).unwrap();
    let first = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{first}\n## Findings\n\nWhy.\n")).unwrap();
    write_results(&path, &format!("{intro}| run 2 |\n")).unwrap();
    let second = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    assert_eq!(second, format!("{intro}| run 2 |\n\n## Findings\n\nWhy.\n"));
}

#[test]
fn reads_cpu_times_from_proc_stat() {
    // utime 3, stime 1, cutime 5, cstime 7 ticks of 10 ms.
    let stat = "4242 (postgres: a (b) c) S 4100 4242 4100 0 -1 4194560 212 0 0 0 3 1 5 7 20";
    assert_eq!(stat_cpu(stat, &[11, 12]), Duration::from_millis(40));
    assert_eq!(
        stat_cpu(stat, &[11, 12, 13, 14]),
        Duration::from_millis(160)
    );
    assert_eq!(stat_cpu("", &[11, 12]), Duration::ZERO);
}

#[test]
fn postgres_rows_follow_the_flags() {
    let settings = |scenarios: &[Scenario], postgres| Settings {
        seconds: 1,
        connections: 1,
        sign_in_clients: 1,
        flow_clients: 1,
        stores: vec![1_000],
        starts: 1,
        rounds: 1,
        scenarios: scenarios.to_vec(),
        hold: false,
        postgres,
        app_log: "off".into(),
        root: PathBuf::new(),
        results: PathBuf::new(),
    };
    assert!(settings(&Scenario::ALL, true).measures_postgres());
    assert!(settings(&[Scenario::SignIn], true).measures_postgres());
    assert!(!settings(&Scenario::ALL, false).measures_postgres());
    assert!(!settings(&[Scenario::Health, Scenario::Home], true).measures_postgres());
}

#[test]
fn the_median_round_counts() {
    let round = |per_sec| Figures {
        per_sec,
        ..Figures::default()
    };
    let runs = HashMap::from([(Scenario::About, vec![round(3.0), round(1.0), round(2.0)])]);
    assert_eq!(median_rounds(runs)[&Scenario::About].per_sec, 2.0);
}

#[test]
fn formats_table_rows() {
    assert_eq!(table_head(&["a", "b"]), "| a | b |\n|---|---|\n");
    let f = Figures {
        per_sec: 1234.4,
        p50: Duration::from_millis(1),
        p99: Duration::from_millis(2),
        errors: 3,
        app_cpu: Duration::from_micros(56),
        database_cpu: Some(Duration::from_micros(7)),
        ..Figures::default()
    };
    let cells = figure_cells(
        "what".into(),
        "where".into(),
        &f,
        vec!["50%".into()],
        &[f.database_cpu, f.proxy_cpu],
    );
    assert_eq!(
        markdown_row(&cells),
        "| what | where | 1234 | 50% | 1.00 ms | 2.00 ms | 56 µs | 7 µs |  | 3 |"
    );
}

#[test]
fn formats_figures() {
    assert_eq!(thousands(1_000_000), "1,000,000");
    assert_eq!(thousands(999), "999");
    assert_eq!(percent(GROWTH_MAX), "10%");
    assert_eq!(percentile(&[Duration::from_millis(1)], 0.99).as_millis(), 1);
}

#[test]
fn the_provider_and_forward_auth_rows_bring_home_along() {
    let only = |names: &str| {
        let args = ["--only", names].map(String::from).into_iter();
        Settings::parse(args).unwrap().scenarios
    };
    assert_eq!(only("refresh"), [Scenario::Home, Scenario::Refresh]);
    assert_eq!(only("home,jwks"), [Scenario::Home, Scenario::Jwks]);
    assert_eq!(only("about"), [Scenario::About]);
    let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(only(&names.join(",")), Scenario::ALL);
    assert!(Settings::parse(["--flow-clients", "0"].map(String::from).into_iter()).is_err());
}

#[test]
fn reads_a_refresh_tokens_generation() {
    assert_eq!(generation("lookup.1.secret"), 1);
    assert_eq!(generation("lookup.1001.secret"), 1001);
    assert_eq!(generation("an-old-token-without-dots"), 0);
}

#[test]
fn reads_the_consent_forms_fields_as_tera_escapes_them() {
    let page = r#"<form method="post" action="/oauth/authorize/consent">
    <input type="hidden" name="csrf_token" value="c5rf">
    <input type="hidden" name="request" value="a&#x2F;b&amp;c">"#;
    assert_eq!(input_value(page, "csrf_token").as_deref(), Some("c5rf"));
    assert_eq!(input_value(page, "request").as_deref(), Some("a/b&c"));
    assert_eq!(input_value(page, "decision"), None);
}

/// The targets' rows for `figures` (1,000 rows, 20 MiB, one 100 ms start), by what each asks.
fn checked(
    figures: &[(Scenario, Figures)],
    peak_kib: u64,
    base: Option<&Measured>,
) -> HashMap<String, (String, String)> {
    let settings = Settings::parse(std::iter::empty()).unwrap();
    let figures: HashMap<Scenario, Figures> = figures.iter().cloned().collect();
    let starts = [Duration::from_millis(100)];
    let store = Measured {
        rows: 1_000,
        figures: &figures,
        peak_kib,
        starts: &starts,
    };
    targets(&store, base, &settings)
        .into_iter()
        .map(|row| (row[0].clone(), (row[1].clone(), row[2].clone())))
        .collect()
}

fn rate(per_sec: f64) -> Figures {
    Figures {
        per_sec,
        ..Figures::default()
    }
}

#[test]
fn each_share_is_of_get_home_on_the_same_store_met_at_its_value_and_not_below() {
    let rows = checked(
        &[
            (Scenario::Home, rate(10_000.0)),
            (Scenario::ForwardAuth, rate(8_000.0)),
            (Scenario::About, rate(5_999.0)),
            (Scenario::Userinfo, rate(5_000.0)),
            (Scenario::Jwks, rate(9_000.0)),
            (Scenario::Discovery, rate(8_999.0)),
        ],
        20 * 1024,
        None,
    );
    let met = |what: &str| rows[what].1.as_str();
    let share = "of GET / req/s (1,000 rows)";
    assert_eq!(
        met(&format!("GET /auth/check (session, no app) >= 80% {share}")),
        "yes"
    );
    assert_eq!(
        met(&format!("GET /about (session) >= 60% {share}")),
        "**no**"
    );
    assert_eq!(
        met(&format!("GET /oauth/userinfo (Bearer) >= 50% {share}")),
        "yes"
    );
    assert_eq!(
        met(&format!("GET /.well-known/jwks.json >= 90% {share}")),
        "yes"
    );
    let discovery = &rows[&format!("GET /.well-known/openid-configuration >= 90% {share}")];
    assert_eq!(
        discovery,
        &("90%".to_owned(), "**no**".to_owned()),
        "89.99%"
    );
}

#[test]
fn without_get_home_there_is_no_share_and_nothing_unmeasured_is_checked() {
    let rows = checked(&[(Scenario::Jwks, rate(9_000.0))], 20 * 1024, None);
    let mut asked: Vec<&str> = rows.keys().map(String::as_str).collect();
    asked.sort();
    assert_eq!(
        asked,
        [
            "peak RSS <= 25 MiB (1,000 rows)",
            "start-up to first /health 200 < 300 ms (1,000 rows, migrated)",
        ]
    );
}

#[test]
fn health_p99_may_equal_about_p99_and_refreshes_may_cost_a_millisecond_of_cpu() {
    let latency = |p99| Figures {
        p99: Duration::from_micros(p99),
        ..Figures::default()
    };
    let cpu = |micros| Figures {
        app_cpu: Duration::from_micros(micros),
        ..Figures::default()
    };
    let health = "GET /health p99 <= GET /about p99 (1,000 rows)";
    let refresh =
        "refresh grants, 8 clients: app CPU each <= 1000 µs (1,000/s per core) (1,000 rows)";
    let met = |health_p99, refresh_cpu| {
        let rows = checked(
            &[
                (Scenario::Health, latency(health_p99)),
                (Scenario::About, latency(9_600)),
                (Scenario::Refresh, cpu(refresh_cpu)),
            ],
            20 * 1024,
            None,
        );
        (rows[health].1.clone(), rows[refresh].1.clone())
    };
    assert_eq!(met(9_600, 1_000), ("yes".to_owned(), "yes".to_owned()));
    assert_eq!(
        met(9_601, 1_001),
        ("**no**".to_owned(), "**no**".to_owned())
    );
}

#[test]
fn peak_rss_is_met_at_25_mib_and_not_a_kib_above() {
    let rss = "peak RSS <= 25 MiB (1,000 rows)";
    assert_eq!(
        checked(&[], 25 * 1024, None)[rss],
        ("25.0 MiB".to_owned(), "yes".to_owned())
    );
    assert_eq!(checked(&[], 25 * 1024 + 1, None)[rss].1, "**no**");
}

#[test]
fn growth_is_checked_against_the_base_store_only() {
    let figures = HashMap::from([(Scenario::About, rate(1_000.0))]);
    let base = Measured {
        rows: 1_000_000,
        figures: &figures,
        peak_kib: 0,
        starts: &[],
    };
    let about = |per_sec| checked(&[(Scenario::About, rate(per_sec))], 0, Some(&base));
    let within = "GET /about (session) within 10% of 1,000,000 rows (1,000 rows)";
    assert_eq!(about(900.0)[within].1, "yes");
    assert_eq!(about(899.0)[within].1, "**no**");
    assert!(!checked(&[(Scenario::About, rate(1.0))], 0, None).contains_key(within));
}
