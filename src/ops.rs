//! Running the app: the log (with its redaction and the audit lines), the clock, the metrics,
//! random tokens, the signals that stop it, and loopback servers for tests. The bottom layer:
//! everything may use it, it uses nothing of the app.

pub mod clock;
mod log_line;
pub mod logging;
pub mod metrics;
pub mod random;
pub mod signals;
// Servers on loopback for the tests and the benchmark, next to the fake GitHub.
#[cfg(any(debug_assertions, feature = "fake-github"))]
pub mod loopback;
