//! Which server the store is: the one thing both the pool and SQLite's write queue ask.

use rocket_db_pools::sqlx::migrate::Migrator;
use rocket_db_pools::sqlx::{self, AnyConnection, Postgres};

/// Which server `DATABASE_URL` names. The SQL is shared; the schema and a few settings are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `sqlite:` or `postgres:` (also `postgresql:`); anything else is not a store we speak.
    pub fn of_url(url: &str) -> Option<Backend> {
        match url.split_once(':')?.0 {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" | "postgresql" => Some(Backend::Postgres),
            _ => None,
        }
    }

    /// The backend a connection talks to.
    pub fn of(conn: &AnyConnection) -> Backend {
        if conn.backend_name() == <Postgres as sqlx::Database>::NAME {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// Makes the caller's transaction SQLite's writer now, with a write that changes nothing.
    /// A transaction that reads first holds a snapshot, and once another connection of this
    /// process or another commits, SQLite cannot make it a writer: its first write fails at
    /// once (`SQLITE_BUSY_SNAPSHOT`, no busy wait), which an app saw as a 503 from the token
    /// endpoint while sign-ins to other apps were writing. Taken first, the lock waits its
    /// turn instead. PostgreSQL locks rows, and needs nothing.
    pub async fn write_first(tx: &mut AnyConnection) -> sqlx::Result<()> {
        if Backend::of(tx) == Backend::Sqlite {
            sqlx::query("UPDATE users SET id = id WHERE id = -1")
                .execute(tx)
                .await?;
        }
        Ok(())
    }

    /// Each backend has its own `migrations/` tree: the same tables in each one's types.
    pub(super) fn migrator(self) -> &'static Migrator {
        static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
        static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");
        match self {
            Backend::Sqlite => &SQLITE,
            Backend::Postgres => &POSTGRES,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_picks_the_backend() {
        assert_eq!(Backend::of_url("sqlite://x.db"), Some(Backend::Sqlite));
        assert_eq!(Backend::of_url("postgres://h/db"), Some(Backend::Postgres));
        assert_eq!(
            Backend::of_url("postgresql://h/db"),
            Some(Backend::Postgres)
        );
        assert_eq!(Backend::of_url("mysql://h/db"), None);
    }
}
