//! One writer at a time on SQLite, handed out in order.

use super::backend::Backend;

/// Hands this process's SQLite write transactions the store one at a time.
///
/// SQLite allows one writer. When several sign-ins commit at once, the others get
/// `SQLITE_BUSY` and SQLite's busy handler sleeps and retries in growing steps (1, 2, 5 …
/// 100 ms), which the benchmark saw as an 80 ms p99 with the CPU idle. Waiting here instead
/// wakes the next writer the moment the last one commits. Other processes (another instance,
/// the `rotate-key` command) are still covered by the busy timeout. PostgreSQL locks rows,
/// not the store, so there the queue lets everyone through.
pub(crate) struct WriteQueue(Option<rocket::tokio::sync::Mutex<()>>);

impl WriteQueue {
    pub fn for_backend(backend: Backend) -> WriteQueue {
        WriteQueue((backend == Backend::Sqlite).then(Default::default))
    }

    /// Waits for this process's turn to write; the turn ends when the guard is dropped.
    pub async fn turn(&self) -> Option<rocket::tokio::sync::MutexGuard<'_, ()>> {
        match &self.0 {
            Some(queue) => Some(queue.lock().await),
            None => None,
        }
    }
}
