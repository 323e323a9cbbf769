//! Servers on 127.0.0.1 for tests and the benchmark: the fake GitHub, the app itself, the
//! upstreams behind a proxy. Quiet (no log, no signal handling) and on a port the caller
//! picks or the kernel picks (`0`).

use std::sync::Mutex;

use rocket::figment::Figment;
use rocket::{Build, Rocket, Shutdown};

/// A launched server: the port it listens on, and the handle that stops it.
pub struct Listening {
    pub port: u16,
    pub shutdown: Shutdown,
}

/// Rocket's settings for such a server, with a fresh secret key (a release build refuses to
/// launch without one).
pub fn figment(port: u16) -> Figment {
    rocket::Config::figment()
        .merge(("address", "127.0.0.1"))
        .merge(("port", port))
        .merge(("log_level", "off"))
        .merge(("cli_colors", false))
        .merge(("shutdown.ctrlc", false))
        .merge(("secret_key", random_secret_key()))
}

/// Launches `rocket` in the background and returns once it listens, or `None` if it could
/// not start (its port taken, say). It runs until stopped or until the runtime ends.
pub async fn launch(rocket: Rocket<Build>) -> Option<Listening> {
    let (tx, rx) = rocket::tokio::sync::oneshot::channel();
    let tx = Mutex::new(Some(tx));
    let rocket = rocket.attach(rocket::fairing::AdHoc::on_liftoff("port", move |r| {
        let listening = Listening {
            port: r.config().port,
            shutdown: r.shutdown(),
        };
        Box::pin(async move {
            if let Some(tx) = tx.lock().unwrap_or_else(|e| e.into_inner()).take() {
                let _ = tx.send(listening);
            }
        })
    }));
    rocket::tokio::spawn(async move {
        let _ = rocket.launch().await;
    });
    // A failed launch drops the fairing, and with it the sender.
    rx.await.ok()
}

/// A port that was free a moment ago, for a server that must know its address before it
/// starts (its `PUBLIC_URL` names it). Someone may take it in between: retry on failure.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("no free port on 127.0.0.1")
}

/// A fresh `secret_key` for each server: never a committed one.
pub use super::random::secret_key as random_secret_key;
