//! The store: one SQLite pool with settings chosen here, migrated at start-up.

use std::ops::Deref;
use std::str::FromStr;
use std::time::Duration;

use rocket::fairing::{self, AdHoc};
use rocket::figment::Figment;
use rocket::{Build, Rocket};
use rocket_db_pools::sqlx::pool::PoolConnection;
use rocket_db_pools::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use rocket_db_pools::sqlx::{self, ConnectOptions, Sqlite, SqlitePool};
use rocket_db_pools::{Config, Database};

/// The pool, configured under `databases.gitlogin` (`DATABASE_URL` maps onto its `url`).
#[derive(Database)]
#[database("gitlogin")]
pub struct Db(Store);

/// Opens the pool and runs `migrations/` before the app serves.
pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Store", |rocket| async {
        rocket
            .attach(Db::init())
            .attach(AdHoc::try_on_ignite("Migrations", migrate))
    })
}

async fn migrate(rocket: Rocket<Build>) -> fairing::Result {
    let Some(db) = Db::fetch(&rocket) else {
        return Err(rocket);
    };
    match sqlx::migrate!("./migrations").run(&***db).await {
        Ok(()) => Ok(rocket),
        Err(e) => {
            rocket::error!("could not migrate the store: {e}");
            Err(rocket)
        }
    }
}

/// A `SqlitePool` opened with our settings rather than rocket_db_pools' generic ones, which
/// cannot set SQLite's pragmas or skip the per-checkout ping.
pub struct Store(SqlitePool);

impl Deref for Store {
    type Target = SqlitePool;

    fn deref(&self) -> &SqlitePool {
        &self.0
    }
}

#[rocket::async_trait]
impl rocket_db_pools::Pool for Store {
    type Connection = PoolConnection<Sqlite>;
    type Error = rocket_db_pools::Error<sqlx::Error>;

    async fn init(figment: &Figment) -> Result<Self, Self::Error> {
        let config: Config = figment.extract()?;
        let wait = Duration::from_secs(config.connect_timeout);
        let options = SqliteConnectOptions::from_str(&config.url)
            .map_err(rocket_db_pools::Error::Init)?
            .create_if_missing(true)
            // Readers (page views) never wait for a writer (a sign-in).
            .journal_mode(SqliteJournalMode::Wal)
            // With WAL, NORMAL cannot corrupt the file; a power cut may lose the last commits.
            // FULL would cost an fsync per sign-in.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // A locked store answers after this long (a 503) instead of hanging.
            .busy_timeout(wait)
            // Statements carry no secrets, but they are noise in the log.
            .disable_statement_logging();
        let pool = SqlitePoolOptions::new()
            .max_connections(config.max_connections as u32)
            .min_connections(config.min_connections.unwrap_or_default())
            .acquire_timeout(wait)
            .idle_timeout(config.idle_timeout.map(Duration::from_secs))
            // A connection to a local file does not go stale; pinging it before every
            // checkout cost a fifth of a page view's time in the benchmark.
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(rocket_db_pools::Error::Init)?;
        Ok(Store(pool))
    }

    async fn get(&self) -> Result<Self::Connection, Self::Error> {
        self.0.acquire().await.map_err(rocket_db_pools::Error::Get)
    }

    async fn close(&self) {
        self.0.close().await;
    }
}

/// Hands this process's write transactions the store one at a time.
///
/// SQLite allows one writer. When several sign-ins commit at once, the others get
/// `SQLITE_BUSY` and SQLite's busy handler sleeps and retries in growing steps (1, 2, 5 …
/// 100 ms), which the benchmark saw as an 80 ms p99 with the CPU idle. Waiting here instead
/// wakes the next writer the moment the last one commits. Other processes (another instance,
/// the `rotate-key` command) are still covered by the busy timeout.
#[derive(Default)]
pub struct WriteQueue(rocket::tokio::sync::Mutex<()>);

impl WriteQueue {
    /// Waits for this process's turn to write; the turn ends when the guard is dropped.
    pub async fn turn(&self) -> rocket::tokio::sync::MutexGuard<'_, ()> {
        self.0.lock().await
    }
}
