//! SIGHUP. Many service managers send it to mean "reload", and its default action ends the
//! process at once, requests in flight included. gitlogin reads its configuration only at
//! start-up, so SIGHUP is caught and logged, and changes nothing. (SIGTERM and Ctrl-C start
//! Rocket's graceful shutdown: `Rocket.toml`, `[default.shutdown]`.)

/// Catches SIGHUP for as long as the process runs. Call it inside the runtime, before the
/// server starts.
pub fn ignore_hangup() {
    #[cfg(unix)]
    {
        use rocket::tokio::signal::unix::{signal, SignalKind};
        // Creating the stream installs the handler, at once; the task only reports.
        match signal(SignalKind::hangup()) {
            Ok(mut hangups) => {
                rocket::tokio::spawn(async move {
                    while hangups.recv().await.is_some() {
                        rocket::warn!("SIGHUP ignored: gitlogin reads its configuration only at start-up; restart it to apply a change");
                    }
                });
            }
            Err(e) => rocket::warn!("cannot catch SIGHUP ({e}); it will stop the server"),
        }
    }
}
