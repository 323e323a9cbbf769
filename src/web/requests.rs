//! Every request: an id, one access line, and its duration for the metrics.
//!
//! The id is the trusted proxy's `X-Request-Id` when there is one (so a request can be
//! followed from the proxy's log to ours), else a fresh one; it goes back in the answer's
//! `X-Request-Id`. The client's address is the connection's peer, or, when the peer is one
//! of `TRUSTED_PROXIES`, the address the proxy says it forwarded for: anyone else could
//! write any address in that header. The line names the path without its query, which can
//! hold a one-time code.

use std::net::IpAddr;
use std::time::Instant;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Data, Request, Response};

use crate::config::AppConfig;
use crate::ops::logging::ACCESS;
use crate::ops::metrics;

pub(crate) struct Requests;

/// What the fairing remembers of a request, in its local cache.
struct Seen {
    arrived: Instant,
    id: String,
    client: Option<IpAddr>,
}

#[rocket::async_trait]
impl Fairing for Requests {
    fn info(&self) -> Info {
        Info {
            name: "Requests",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        let arrived = Instant::now();
        let trusted = req
            .rocket()
            .state::<AppConfig>()
            .map_or(&[][..], |c| &c.trusted_proxies);
        let peer = req.remote().map(|address| address.ip());
        let from_proxy = peer.is_some_and(|peer| trusted.contains(&peer));
        let id = from_proxy
            .then(|| {
                req.headers()
                    .get_one("X-Request-Id")
                    .filter(|id| plausible_id(id))
            })
            .flatten()
            .map_or_else(fresh_id, str::to_owned);
        let client = if from_proxy {
            forwarded_for(req).or(peer)
        } else {
            peer
        };
        req.local_cache(|| Seen {
            arrived,
            id,
            client,
        });
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let seen = req.local_cache(|| Seen {
            arrived: Instant::now(),
            id: fresh_id(),
            client: None,
        });
        let took = seen.arrived.elapsed();
        let route = req
            .route()
            .map_or_else(|| "unmatched".to_owned(), |route| route.uri.to_string());
        metrics::request(&route, res.status().code, took);
        res.set_header(Header::new("X-Request-Id", seen.id.clone()));
        let client = seen
            .client
            .map_or_else(|| "-".to_owned(), |ip| ip.to_string());
        log::info!(
            target: ACCESS,
            "request method={} path={:?} status={} duration_ms={:.3} request_id={} client={client}",
            req.method(),
            req.uri().path().as_str(),
            res.status().code,
            took.as_secs_f64() * 1e3,
            seen.id,
        );
    }
}

/// The address a trusted proxy forwarded for: the last `X-Forwarded-For` entry, the one the
/// proxy itself added.
fn forwarded_for(req: &Request<'_>) -> Option<IpAddr> {
    let header = req.headers().get("X-Forwarded-For").last()?;
    header.rsplit(',').next()?.trim().parse().ok()
}

/// An id worth passing on: short, and made of characters that cannot split a log line.
fn plausible_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

/// 16 random base64url characters (96 bits): unique enough, short enough to read.
fn fresh_id() -> String {
    crate::ops::random::token()[..16].to_owned()
}
