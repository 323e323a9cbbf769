//! Back-channel logout's sender (OpenID Connect Back-Channel Logout 1.0 §2.5): each logout
//! the outbox holds (`models/logouts.rs`) is POSTed to its app's back-channel logout URI as
//! a freshly signed logout token (`logout_token.rs`), by a [`Courier`] in a task of its own,
//! whether or not `EVENTS_URL` is set. So an app that was down when a person's access ended
//! is told when it is back, and with several instances one at a time tells it.
//!
//! §2.8: a 200 or 204 is a delivery, and a 400 is the app refusing the token, which a retry
//! would not change: logged once, not retried. Anything else, a refused connection, or no
//! answer within [`TIMEOUT`] is tried again on the outbox's schedule. A redirect is not
//! followed: the URI was registered, and its answer is the app's.

use std::time::Duration;

use rocket::fairing::AdHoc;
use rocket::{Orbit, Rocket};
use rocket_db_pools::sqlx::{self, AnyPool};
use rocket_db_pools::Database;

use super::logout_token;
use crate::config::AppConfig;
use crate::events::courier::{self, Attempt, Courier, Messenger};
use crate::keys::KeyRing;
use crate::models::apps;
use crate::models::deliveries::Queue;
use crate::models::logouts;
use crate::models::Outbox;
use crate::ops::clock::Clock;
use crate::ops::metrics;
use crate::store::pool::Db;

/// The longest an app may take to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Starts the sender at lift-off.
pub(crate) fn stage() -> AdHoc {
    AdHoc::on_liftoff("Back-channel logout sender", |rocket| {
        Box::pin(async move {
            match courier_of(rocket) {
                Some(Ok(courier)) => {
                    rocket::tokio::spawn(courier.run(rocket.shutdown()));
                }
                Some(Err(e)) => rocket::error!("back-channel logouts will not be sent: {e}"),
                None => rocket::error!("back-channel logouts will not be sent: no store or keys"),
            }
        })
    })
}

/// The sender, owned, so that it can run in its own task.
fn courier_of(rocket: &Rocket<Orbit>) -> Option<Result<Courier<Logouts>, reqwest::Error>> {
    let pool: &AnyPool = Db::fetch(rocket)?;
    let keys = rocket.state::<KeyRing>()?.clone();
    let issuer = rocket.state::<AppConfig>()?.public_url.clone();
    let clock = rocket.state::<Clock>().cloned().unwrap_or_default();
    let http = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("gitlogin/", env!("CARGO_PKG_VERSION")))
        .build();
    Some(http.map(|http| Courier {
        pool: pool.clone(),
        clock: clock.clone(),
        outbox: rocket.state::<Outbox>().cloned().unwrap_or_default(),
        messenger: Logouts {
            keys,
            issuer,
            clock,
            http,
        },
    }))
}

/// What signs logout tokens, and the client that POSTs them.
struct Logouts {
    keys: KeyRing,
    issuer: String,
    clock: Clock,
    http: reqwest::Client,
}

impl Messenger for Logouts {
    const QUEUE: Queue = Queue::Logouts;
    const NAME: &'static str = "backchannel logout";

    fn timeout(&self) -> Duration {
        TIMEOUT
    }

    /// Signs a token for the logout `id` and POSTs it as a form (§2.5). The log line names
    /// the app and the session, never the token.
    async fn deliver(&self, pool: &AnyPool, id: &str) -> sqlx::Result<(Attempt, String)> {
        let mut conn = pool.acquire().await?;
        let Some(logout) = logouts::logout(&mut conn, id).await? else {
            return Ok((Attempt::Gone, String::new()));
        };
        // Removed since, or its URI with it: it is told nothing.
        let app = apps::find_app_by_id(&mut conn, logout.app_id).await?;
        let Some((app, uri)) = app.and_then(|app| {
            let uri = app.backchannel_logout_uri.clone()?;
            Some((app, uri))
        }) else {
            return Ok((Attempt::Gone, String::new()));
        };
        let what = format!("app={:?} sid={}", app.name, logout.sid);
        let now = self.clock.now();
        let signed = logout_token::sign(&self.keys, &mut conn, &self.issuer, &app, &logout, now);
        let token = match signed.await {
            Ok(token) => token,
            Err(e) => return Ok((Attempt::Failed(format!("not signed: {e}")), what)),
        };
        drop(conn);
        let answer = self
            .http
            .post(uri)
            .form(&[("logout_token", token)])
            .send()
            .await;
        let attempt = match answer.map(|answer| answer.status().as_u16()) {
            Ok(200 | 204) => Attempt::Delivered,
            Ok(400) => Attempt::Refused("answered 400".into()),
            Ok(status) => Attempt::Failed(format!("answered {status}")),
            Err(e) => Attempt::Failed(courier::failure(&e)),
        };
        Ok((attempt, what))
    }

    fn count(&self, outcome: &'static str) {
        metrics::backchannel_logout(outcome);
    }
}
