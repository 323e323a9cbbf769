//! The store: the pool over SQLite or PostgreSQL and its migrations (`pool.rs`), one
//! connection per request (`request_conn.rs`), and the one trap of sqlx 0.7's `Any` driver
//! (`nullable.rs`). The queries themselves are in `models.rs`, one layer up.

pub mod pool;

pub(crate) mod nullable;
pub(crate) mod request_conn;
pub(crate) mod write_queue;

pub(crate) use pool::stage;
