//! The store: one SQLite pool, migrated at start-up.

use rocket::fairing::{self, AdHoc};
use rocket::{Build, Rocket};
use rocket_db_pools::{sqlx, Database};

/// The pool, configured under `databases.gitlogin` (`DATABASE_URL` maps onto its `url`).
#[derive(Database)]
#[database("gitlogin")]
pub struct Db(sqlx::SqlitePool);

/// Opens the pool, switches the file to WAL, and runs `migrations/` before the app serves.
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
    // WAL lets readers (page views) run while a sign-in writes. The mode is stored in the
    // file, so setting it once here covers every pooled connection. sqlx already turns
    // `foreign_keys` on, and rocket_db_pools sets the busy timeout to `connect_timeout`.
    let wal = sqlx::query("PRAGMA journal_mode = WAL")
        .execute(&db.0)
        .await;
    if let Err(e) = wal {
        rocket::error!("could not switch the store to WAL: {e}");
        return Err(rocket);
    }
    match sqlx::migrate!("./migrations").run(&db.0).await {
        Ok(()) => Ok(rocket),
        Err(e) => {
            rocket::error!("could not migrate the store: {e}");
            Err(rocket)
        }
    }
}
