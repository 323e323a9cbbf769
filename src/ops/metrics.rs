//! What the app counts and times, for Prometheus (`/metrics`, see `pages/metrics.rs`).
//!
//! One registry for the process, reachable from every layer without being passed around:
//! the counters are bumped where each decision is made (the same places that write the log's
//! event lines), with the same words. Labels take only bounded values: a route's template,
//! a status code, a reason word, a configured audience, a fixed GitHub endpoint name.

use std::sync::LazyLock;
use std::time::Duration;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

struct Metrics {
    registry: Registry,
    sign_ins: IntCounterVec,
    sign_outs: IntCounter,
    tokens: IntCounterVec,
    forward_auth: IntCounterVec,
    events: IntCounterVec,
    logouts: IntCounterVec,
    requests: HistogramVec,
    github: HistogramVec,
    live_sessions: IntGauge,
    store_connections: IntGauge,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let registry = Registry::new();
    let counter = |name: &str, help: &str, labels: &[&str]| {
        let counter = IntCounterVec::new(Opts::new(name, help), labels).expect("a valid metric");
        registry
            .register(Box::new(counter.clone()))
            .expect("registered once");
        counter
    };
    // Page views take milliseconds; a sign-in waits on GitHub for up to GITHUB_TIMEOUT.
    let buckets = vec![
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ];
    let histogram = |name: &str, help: &str, labels: &[&str]| {
        let opts = HistogramOpts::new(name, help).buckets(buckets.clone());
        let histogram = HistogramVec::new(opts, labels).expect("a valid metric");
        registry
            .register(Box::new(histogram.clone()))
            .expect("registered once");
        histogram
    };
    let gauge = |name: &str, help: &str| {
        let gauge = IntGauge::new(name, help).expect("a valid metric");
        registry
            .register(Box::new(gauge.clone()))
            .expect("registered once");
        gauge
    };
    let sign_outs =
        IntCounter::new("gitlogin_sign_outs_total", "Sign-outs.").expect("a valid metric");
    registry
        .register(Box::new(sign_outs.clone()))
        .expect("registered once");
    Metrics {
        sign_ins: counter(
            "gitlogin_sign_ins_total",
            "Sign-ins by result: ok, or the reason word the log gives for a failure.",
            &["result"],
        ),
        sign_outs,
        tokens: counter(
            "gitlogin_identity_tokens_issued_total",
            "Identity tokens issued, by audience.",
            &["audience"],
        ),
        forward_auth: counter(
            "gitlogin_forward_auth_answers_total",
            "Answers of /auth/check, by status.",
            &["status"],
        ),
        events: counter(
            "gitlogin_events_total",
            "Deliveries of events to EVENTS_URL, by result: delivered, retried or dropped.",
            &["result"],
        ),
        logouts: counter(
            "gitlogin_backchannel_logout_deliveries_total",
            "Attempts to deliver back-channel logout tokens to apps, by outcome: delivered, refused (the app answered 400), retried or dropped.",
            &["outcome"],
        ),
        requests: histogram(
            "gitlogin_http_request_duration_seconds",
            "Time to answer a request, by route and status.",
            &["route", "status"],
        ),
        github: histogram(
            "gitlogin_github_request_duration_seconds",
            "Time GitHub took to answer, by endpoint and status (0: no answer).",
            &["endpoint", "status"],
        ),
        live_sessions: gauge(
            "gitlogin_live_sessions",
            "Sessions in the store, as the last purge left them.",
        ),
        store_connections: gauge(
            "gitlogin_store_connections_in_use",
            "Store connections handed out when the metrics were read.",
        ),
        registry,
    }
});

/// `result` is `ok` or a failure's reason word (`LoginError::reason`).
pub fn sign_in(result: &str) {
    METRICS.sign_ins.with_label_values(&[result]).inc();
}

pub fn sign_out() {
    METRICS.sign_outs.inc();
}

/// `audience` is one of `TOKEN_AUDIENCES`: the only ones a token is issued for.
pub fn token_issued(audience: &str) {
    METRICS.tokens.with_label_values(&[audience]).inc();
}

pub fn forward_auth(status: u16) {
    METRICS
        .forward_auth
        .with_label_values(&[&status.to_string()])
        .inc();
}

/// `result` is `delivered`, `retried` or `dropped`.
pub fn event_delivery(result: &str) {
    METRICS.events.with_label_values(&[result]).inc();
}

/// `outcome` is `delivered`, `refused`, `retried` or `dropped`.
pub fn backchannel_logout(outcome: &str) {
    METRICS.logouts.with_label_values(&[outcome]).inc();
}

/// `route` is the matched route's template (`/about`, `/static/<name>`), never the path asked.
pub fn request(route: &str, status: u16, took: Duration) {
    let status = status.to_string();
    METRICS
        .requests
        .with_label_values(&[route, &status])
        .observe(took.as_secs_f64());
}

/// `endpoint` is a fixed name (`token`, `user`, `user_emails`, `user_orgs`).
pub fn github_call(endpoint: &str, status: Option<u16>, took: Duration) {
    let status = status.unwrap_or(0).to_string();
    METRICS
        .github
        .with_label_values(&[endpoint, &status])
        .observe(took.as_secs_f64());
}

pub fn live_sessions(count: i64) {
    METRICS.live_sessions.set(count);
}

pub fn store_connections_in_use(count: i64) {
    METRICS.store_connections.set(count);
}

/// Every series, in Prometheus' classic text format (what `promtool check metrics` reads).
pub fn render() -> String {
    let mut out = Vec::new();
    // Only fails on a writer that fails; a Vec does not.
    let _ = TextEncoder::new().encode(&METRICS.registry.gather(), &mut out);
    String::from_utf8(out).unwrap_or_default()
}
