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
        families: 0,
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
    for scenario in [
        Scenario::ClientCredentials,
        Scenario::Introspect,
        Scenario::Jwks,
        Scenario::Discovery,
    ] {
        assert!(settings(&[Scenario::Home, scenario], true).measures_postgres());
    }
}

#[test]
fn postgres_measures_every_scenario_but_health_home_and_the_tampered_cookie() {
    let sqlite_only = [Scenario::Health, Scenario::Home, Scenario::Tampered];
    let expected: Vec<Scenario> = Scenario::ALL
        .into_iter()
        .filter(|s| !sqlite_only.contains(s))
        .collect();
    assert_eq!(postgres::SCENARIOS.to_vec(), expected);
}

#[test]
fn run_sh_needs_postgres_for_exactly_the_postgres_scenarios() {
    let script = include_str!("../run.sh");
    let start = script.find("=~ ,(").expect("run.sh's --only pattern") + 5;
    let end = start + script[start..].find("),").unwrap();
    let mut in_script: Vec<&str> = script[start..end].split('|').collect();
    let mut names: Vec<&str> = postgres::SCENARIOS.iter().map(|s| s.name()).collect();
    in_script.sort();
    names.sort();
    assert_eq!(in_script, names);
}

#[test]
fn the_postgres_table_names_each_scenario_once_over_its_rows() {
    let settings = Settings::parse(std::iter::empty()).unwrap();
    let rate = |per_sec, scenarios: &[Scenario]| -> HashMap<Scenario, Figures> {
        let f = Figures {
            per_sec,
            ..Figures::default()
        };
        scenarios.iter().map(|&s| (s, f.clone())).collect()
    };
    // GET / is SQLite's alone; the second setup did not measure /about.
    let sqlite = rate(1000.0, &[Scenario::Home, Scenario::About, Scenario::Jwks]);
    let one = rate(500.0, &[Scenario::About, Scenario::Jwks]);
    let two = rate(2000.0, &[Scenario::Jwks]);
    let rows = postgres::table_rows(&settings, &sqlite, &[("one", &one), ("two", &two)]);
    let cells: Vec<[&str; 3]> = rows
        .iter()
        .map(|r| [r[0].as_str(), r[1].as_str(), r[3].as_str()])
        .collect();
    let jwks = Scenario::Jwks.label(&settings);
    let about = Scenario::About.label(&settings);
    assert_eq!(
        cells,
        [
            [about.as_str(), "SQLite, 1 instance", "100%"],
            ["", "one", "50%"],
            [jwks.as_str(), "SQLite, 1 instance", "100%"],
            ["", "one", "50%"],
            ["", "two", "200%"],
        ]
    );
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
