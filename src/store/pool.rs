//! The store: SQLite (one file, the default) or PostgreSQL (one server that several instances
//! share), chosen by the scheme of `DATABASE_URL`, behind one sqlx `AnyPool`, and migrated at
//! start-up. Everything above this file runs the same SQL on both (see `models.rs`).

use std::ops::Deref;
use std::str::FromStr;
use std::time::Duration;

use rocket::fairing::{self, AdHoc};
use rocket::figment::Figment;
use rocket::{Build, Ignite, Rocket};
use rocket_db_pools::sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use rocket_db_pools::sqlx::pool::PoolConnection;
use rocket_db_pools::sqlx::{self, Any, AnyConnection, AnyPool, ConnectOptions, Executor};
use rocket_db_pools::{Config, Database};

use super::backend::Backend;
use super::write_queue::WriteQueue;

/// The pool, configured under `databases.gitlogin` (`DATABASE_URL` maps onto its `url`).
#[derive(Database)]
#[database("gitlogin")]
pub struct Db(Store);

/// Opens the pool and runs the backend's migrations before the app serves.
pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Store", |rocket| async {
        rocket
            .attach(Db::init())
            .attach(AdHoc::try_on_ignite("Migrations", migrate))
    })
}

/// On PostgreSQL, sqlx holds an advisory lock while it migrates, so instances that start
/// together take turns and the second finds nothing left to do.
async fn migrate(rocket: Rocket<Build>) -> fairing::Result {
    let Some(db) = Db::fetch(&rocket) else {
        return Err(rocket);
    };
    let backend = db.backend();
    match backend.migrator().run(&*db.0).await {
        Ok(()) => Ok(rocket),
        Err(e) => {
            rocket::error!("could not migrate the store: {e}");
            Err(rocket)
        }
    }
}

/// The store alone, opened and migrated as the server opens it, for a command that works on
/// it and exits (`gitlogin rotate-key`, `gitlogin apps …`). Close it with [`close`].
pub async fn open_for_command(figment: Figment) -> Result<Rocket<Ignite>, String> {
    rocket::custom(figment)
        .attach(stage())
        .ignite()
        .await
        .map_err(|e| e.to_string())
}

/// Migrates the store `conn` is on, as start-up does: for the benchmark, which fills a store
/// before the app first starts on it.
pub async fn run_migrations(conn: &mut AnyConnection) -> Result<(), sqlx::migrate::MigrateError> {
    Backend::of(conn).migrator().run(conn).await
}

/// An `AnyPool` opened with our settings rather than rocket_db_pools' generic ones, which
/// cannot set SQLite's pragmas or choose per backend whether to test connections.
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    writes: WriteQueue,
}

impl Store {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Waits for this process's turn to write (see [`WriteQueue`]); the turn ends when the
    /// guard is dropped. Take it around every write transaction of a request.
    pub async fn write_turn(&self) -> Option<rocket::tokio::sync::MutexGuard<'_, ()>> {
        self.writes.turn().await
    }
}

impl Deref for Store {
    type Target = AnyPool;

    fn deref(&self) -> &AnyPool {
        &self.pool
    }
}

#[rocket::async_trait]
impl rocket_db_pools::Pool for Store {
    type Connection = PoolConnection<Any>;
    type Error = rocket_db_pools::Error<sqlx::Error>;

    async fn init(figment: &Figment) -> Result<Self, Self::Error> {
        let config: Config = figment.extract()?;
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(&config.url).ok_or_else(|| {
            rocket_db_pools::Error::Init(sqlx::Error::Configuration(
                "DATABASE_URL must start with sqlite: or postgres:".into(),
            ))
        })?;
        let wait = Duration::from_secs(config.connect_timeout);
        let url = match backend {
            Backend::Sqlite => create_if_missing(&config.url),
            Backend::Postgres => config.url.clone(),
        };
        let options = AnyConnectOptions::from_str(&url)
            .map_err(rocket_db_pools::Error::Init)?
            // Statements carry no secrets, but they are noise in the log.
            .disable_statement_logging();
        let mut pool = AnyPoolOptions::new()
            .max_connections(config.max_connections as u32)
            .min_connections(config.min_connections.unwrap_or_default())
            // A store that does not answer makes a 503 after this long, not a hang.
            .acquire_timeout(wait)
            .idle_timeout(config.idle_timeout.map(Duration::from_secs))
            // A PostgreSQL connection dies when the server restarts: test it before handing
            // it out, so the first requests after a restart do not fail. A connection to a
            // local SQLite file does not go stale, and the test cost a fifth of a page view.
            .test_before_acquire(backend == Backend::Postgres);
        if backend == Backend::Sqlite {
            let pragmas = sqlite_pragmas(wait);
            pool = pool.after_connect(move |conn, _| {
                let pragmas = pragmas.clone();
                Box::pin(async move { conn.execute(&*pragmas).await.map(drop) })
            });
        }
        let pool = pool
            .connect_with(options)
            .await
            .map_err(rocket_db_pools::Error::Init)?;
        Ok(Store {
            pool,
            backend,
            writes: WriteQueue::for_backend(backend),
        })
    }

    async fn get(&self) -> Result<Self::Connection, Self::Error> {
        self.pool
            .acquire()
            .await
            .map_err(rocket_db_pools::Error::Get)
    }

    /// rocket_db_pools calls this as soon as shutdown begins, while requests are still
    /// finishing: a sign-in that was waiting on GitHub would then find the pool closed when it
    /// came to record itself. `main` calls [`close`] after the last request instead.
    async fn close(&self) {}
}

/// Closes the pool once the server has stopped: SQLite then checkpoints its WAL into the file
/// and PostgreSQL sees its connections end cleanly.
pub async fn close(rocket: &Rocket<Ignite>) {
    if let Some(db) = Db::fetch(rocket) {
        db.pool.close().await;
    }
}

/// `cargo run` on a fresh checkout creates `gitlogin.db`; an explicit `mode=` is kept.
fn create_if_missing(url: &str) -> String {
    match url.split_once('?') {
        Some((_, query)) if query.split('&').any(|p| p.starts_with("mode=")) => url.to_owned(),
        Some(_) => format!("{url}&mode=rwc"),
        None => format!("{url}?mode=rwc"),
    }
}

/// Run on every new SQLite connection.
fn sqlite_pragmas(busy_timeout: Duration) -> String {
    format!(
        // Readers (page views) never wait for a writer (a sign-in).
        "PRAGMA journal_mode = WAL;
         -- With WAL, NORMAL cannot corrupt the file; a power cut may lose the last commits.
         -- FULL would cost an fsync per sign-in.
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         -- A locked store answers after this long (a 503) instead of hanging.
         PRAGMA busy_timeout = {};",
        busy_timeout.as_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_files_are_created_unless_a_mode_is_given() {
        assert_eq!(create_if_missing("sqlite://a.db"), "sqlite://a.db?mode=rwc");
        assert_eq!(
            create_if_missing("sqlite://a.db?cache=shared"),
            "sqlite://a.db?cache=shared&mode=rwc"
        );
        assert_eq!(
            create_if_missing("sqlite://a.db?mode=ro"),
            "sqlite://a.db?mode=ro"
        );
    }
}
