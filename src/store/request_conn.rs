//! One store connection per request, shared by the guards and the handler that need it.
//!
//! Each checkout from sqlx's pool costs more than it looks: sqlx tests a connection when it
//! goes back (a round trip), and on SQLite every round trip is a hand-off to the thread that
//! owns the connection. Without this, `/about` would check out twice, once in the session
//! guard and once in the handler; the guard parks its connection here and the handler picks
//! it up.
//!
//! So a handler behind the session guard takes `RequestConn`, never a second checkout of its
//! own: that would hold two connections at once, and with every connection held by such a
//! request, none could get its second.

use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, PoisonError};

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use rocket_db_pools::sqlx::pool::PoolConnection;
use rocket_db_pools::sqlx::{self, Any, AnyConnection};
use rocket_db_pools::Database;

use crate::store::pool::Db;

/// A connection checked out for this request. Take it as a handler argument, or in a guard
/// with [`RequestConn::of`] and hand it on with [`RequestConn::park`].
pub struct RequestConn(PoolConnection<Any>);

/// Where a guard leaves the connection for whoever needs it next. Dropped, and the
/// connection returned to the pool, when the request ends.
struct Parked(Mutex<Option<PoolConnection<Any>>>);

impl RequestConn {
    /// The connection an earlier guard parked, or a new checkout (which waits at most the
    /// pool's `connect_timeout`).
    pub async fn of(req: &Request<'_>) -> Result<RequestConn, sqlx::Error> {
        let db = Db::fetch(req.rocket()).ok_or(sqlx::Error::PoolClosed)?;
        checkout(parked(req), db).await.map(RequestConn)
    }

    /// Leaves the connection for the rest of this request.
    pub fn park(self, req: &Request<'_>) {
        *parked(req).0.lock().unwrap_or_else(PoisonError::into_inner) = Some(self.0);
    }
}

fn parked<'r>(req: &'r Request<'_>) -> &'r Parked {
    req.local_cache(|| Parked(Mutex::new(None)))
}

async fn checkout(parked: &Parked, db: &Db) -> Result<PoolConnection<Any>, sqlx::Error> {
    let parked = parked
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    match parked {
        Some(conn) => Ok(conn),
        None => db.acquire().await,
    }
}

/// The request's connection, checked out only when the handler first asks: for a handler
/// whose commonest answer needs no store (forward auth, for a session the guard answered
/// from memory). The same rules as [`RequestConn`]: never a second checkout of its own.
pub struct OnDemand<'r> {
    parked: &'r Parked,
    db: Option<&'r Db>,
    conn: Option<PoolConnection<Any>>,
}

impl OnDemand<'_> {
    /// The connection: the one a guard parked, or a new checkout, kept for the next ask.
    pub async fn get(&mut self) -> Result<&mut AnyConnection, sqlx::Error> {
        let conn = match self.conn.take() {
            Some(conn) => conn,
            None => checkout(self.parked, self.db.ok_or(sqlx::Error::PoolClosed)?).await?,
        };
        Ok(&mut **self.conn.insert(conn))
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for OnDemand<'r> {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(OnDemand {
            parked: parked(req),
            db: Db::fetch(req.rocket()),
            conn: None,
        })
    }
}

/// As a handler argument: a store that does not answer is a 503.
#[rocket::async_trait]
impl<'r> FromRequest<'r> for RequestConn {
    type Error = sqlx::Error;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        match RequestConn::of(req).await {
            Ok(conn) => Outcome::Success(conn),
            Err(e) => {
                rocket::error!("no store connection: {e}");
                Outcome::Error((Status::ServiceUnavailable, e))
            }
        }
    }
}

impl Deref for RequestConn {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.0
    }
}

impl DerefMut for RequestConn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.0
    }
}
