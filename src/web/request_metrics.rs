//! Times every request for the metrics, by the matched route's template and the status
//! (`unmatched` for what no route took), and notes how many store connections are in use.

use std::time::Instant;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Data, Request, Response};
use rocket_db_pools::Database;

use crate::ops::metrics;
use crate::store::pool::Db;

pub(crate) struct RequestMetrics;

/// When the request arrived, in its local cache.
struct Arrived(Instant);

#[rocket::async_trait]
impl Fairing for RequestMetrics {
    fn info(&self) -> Info {
        Info {
            name: "Request metrics",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        req.local_cache(|| Arrived(Instant::now()));
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let arrived = req.local_cache(|| Arrived(Instant::now()));
        let route = req
            .route()
            .map_or_else(|| "unmatched".to_owned(), |route| route.uri.to_string());
        metrics::request(&route, res.status().code, arrived.0.elapsed());
        if let Some(db) = Db::fetch(req.rocket()) {
            let in_use = db.size().saturating_sub(db.num_idle() as u32);
            metrics::store_connections_in_use(i64::from(in_use));
        }
    }
}
