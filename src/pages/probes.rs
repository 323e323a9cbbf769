//! What a load balancer, a container runtime or an orchestrator asks:
//!
//! - `/livez`: the process answers. It touches nothing, so a liveness probe on it never
//!   restarts a healthy instance while the database is down (which the app rides out: every
//!   page that needs the store answers 503 and recovers by itself).
//! - `/readyz`: the store answers too; 503 otherwise, so traffic goes to another instance.
//! - `/health`: the same question as `/readyz`, as JSON, kept for what already polls it.

use rocket::http::Status;
use rocket::serde::json::{json, Json, Value};
use rocket::{get, routes, Route};

use crate::models;
use crate::store::pool::Db;

pub(super) fn routes() -> Vec<Route> {
    routes![livez, readyz, health]
}

#[get("/livez")]
fn livez() -> &'static str {
    "ok\n"
}

#[get("/readyz")]
async fn readyz(db: &Db) -> (Status, &'static str) {
    if store_answers(db).await {
        (Status::Ok, "ok\n")
    } else {
        (Status::ServiceUnavailable, "the store does not answer\n")
    }
}

#[get("/health")]
async fn health(db: &Db) -> (Status, Json<Value>) {
    if store_answers(db).await {
        (Status::Ok, Json(json!({ "status": "ok" })))
    } else {
        let body = json!({ "status": "unavailable" });
        (Status::ServiceUnavailable, Json(body))
    }
}

/// Whether the store answers a query that reads a table. The pool gives up after
/// `connect_timeout`, so a locked or missing store answers instead of hanging.
async fn store_answers(db: &Db) -> bool {
    match db.acquire().await {
        Ok(mut conn) => models::ping(&mut conn).await.is_ok(),
        Err(_) => false,
    }
}
