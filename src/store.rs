//! The store: which server it is and its migrations (`backend.rs`), the pool over SQLite or
//! PostgreSQL (`pool.rs`), one connection per request (`request_conn.rs`), SQLite's one writer
//! at a time (`write_queue.rs`), and the one trap of sqlx 0.7's `Any` driver (`nullable.rs`).
//! The queries themselves are in `models.rs`, one layer up.

pub mod backend;
pub mod pool;

pub(crate) mod nullable;
pub(crate) mod request_conn;
pub(crate) mod write_queue;

pub(crate) use pool::stage;
