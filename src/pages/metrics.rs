//! `/metrics` for Prometheus, in its classic text format (`ops/metrics.rs` keeps the series).
//!
//! Off unless asked for: with `METRICS_TOKEN`, the app's own listener answers it to a request
//! that carries that Bearer token (compared in constant time) and 401 to any other; with
//! `METRICS_ADDRESS`, a listener of its own serves it alone, without a token, for a network
//! only Prometheus reaches. Neither set: 404, like any page that is not there.

use rocket::fairing::AdHoc;
use rocket::http::{ContentType, Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::{get, routes, Route, State};
use rocket_db_pools::sqlx::AnyPool;
use rocket_db_pools::Database;
use subtle::ConstantTimeEq;

use crate::config::{AppConfig, ExposeSecret};
use crate::ops::metrics;
use crate::store::pool::Db;

/// Prometheus' content type for the classic text format.
const TEXT_FORMAT: (&str, &str) = ("text", "plain; version=0.0.4; charset=utf-8");

pub(super) fn routes() -> Vec<Route> {
    routes![scrape]
}

/// The separate listener of `METRICS_ADDRESS`, started with the app and stopped with it.
pub(super) fn listener() -> AdHoc {
    AdHoc::on_liftoff("Metrics listener", |rocket| {
        Box::pin(async move {
            let Some(address) = rocket.state::<AppConfig>().and_then(|c| c.metrics_address) else {
                return;
            };
            let figment = rocket::Config::figment()
                .merge(("address", address.ip()))
                .merge(("port", address.port()))
                .merge(("log_level", "off"))
                .merge(("shutdown.ctrlc", false))
                .merge(("secret_key", crate::ops::random::secret_key()));
            // The app's pool, so that this listener reports its connections too.
            let Some(pool) = Db::fetch(rocket).map(|db| AnyPool::clone(db)) else {
                return;
            };
            let server = rocket::custom(figment)
                .manage(pool)
                .mount("/", routes![open_scrape]);
            let app_stops = rocket.shutdown();
            rocket::tokio::spawn(async move {
                let server = match server.ignite().await {
                    Ok(server) => server,
                    Err(e) => return rocket::error!("the metrics listener did not start: {e}"),
                };
                let stop = server.shutdown();
                rocket::tokio::spawn(async move {
                    app_stops.await;
                    stop.notify();
                });
                if let Err(e) = server.launch().await {
                    rocket::error!("the metrics listener on {address} stopped: {e}");
                }
            });
        })
    })
}

#[get("/metrics")]
fn scrape(_allowed: MetricsToken, db: &Db) -> (ContentType, String) {
    text(db)
}

#[get("/metrics")]
fn open_scrape(pool: &State<AnyPool>) -> (ContentType, String) {
    text(pool)
}

/// The series, with the store's connections as they are now.
fn text(pool: &AnyPool) -> (ContentType, String) {
    let in_use = pool.size().saturating_sub(pool.num_idle() as u32);
    metrics::store_connections_in_use(i64::from(in_use));
    let kind = ContentType::new(TEXT_FORMAT.0, TEXT_FORMAT.1);
    (kind, metrics::render())
}

/// A request that may read the metrics on the app's own listener.
struct MetricsToken;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for MetricsToken {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let config = req.guard::<&State<AppConfig>>().await;
        let Some(expected) = config.succeeded().and_then(|c| c.metrics_token.as_ref()) else {
            return Outcome::Error((Status::NotFound, ()));
        };
        let given = req
            .headers()
            .get_one("Authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .unwrap_or_default();
        if bool::from(given.as_bytes().ct_eq(expected.expose_secret().as_bytes())) {
            Outcome::Success(MetricsToken)
        } else {
            Outcome::Error((Status::Unauthorized, ()))
        }
    }
}

/// `WWW-Authenticate: Bearer` on a refused scrape's 401 (RFC 6750 §3).
pub(super) fn challenge() -> AdHoc {
    AdHoc::on_response("Metrics challenge", |req, res| {
        Box::pin(async move {
            if res.status() == Status::Unauthorized && req.uri().path() == "/metrics" {
                res.set_header(Header::new("WWW-Authenticate", "Bearer"));
            }
        })
    })
}
