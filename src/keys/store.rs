//! The signing keys' rows in the store: settled at start-up (`loader.rs` puts them in the
//! [`KeyRing`](super::KeyRing)), the first key of an algorithm made when it is needed, and new
//! ones added by the schedule (`rotation.rs`) and by `gitlogin rotate-key`. See `keys.rs` for
//! the keys themselves, `key_ring.rs` for which one signs and the JWKS.
//!
//! Each row says from when its key signs (`signs_from`) and from when it no longer does
//! (`retired_at`); adding a key sets the second on the keys it replaces, so that every
//! instance reads the same hand-over from the table, with no message between them.

use rocket_db_pools::sqlx::{self, AnyConnection, Connection as _};

use super::{Alg, KeyError, SigningKey, RETIRED_KEY_KEPT_SECS};
use crate::store::backend::Backend;
use crate::store::nullable::Nullable;

#[derive(sqlx::FromRow)]
struct KeyRow {
    kid: String,
    alg: String,
    private_key: Vec<u8>,
    signs_from: i64,
    #[sqlx(try_from = "Nullable<i64>")]
    retired_at: Option<i64>,
}

impl KeyRow {
    fn key(&self) -> Result<SigningKey, KeyError> {
        let alg = Alg::parse(&self.alg).ok_or_else(|| KeyError::BadStoredKey(self.kid.clone()))?;
        SigningKey::from_stored(alg, &self.kid, &self.private_key)
    }
}

/// At start-up, in one transaction: forget keys whose tokens have all expired, and make the
/// first key of each algorithm the store keeps that has none to sign with ([`usable`]):
/// EdDSA's when `SIGNING_KEY` is unset, RS256's when an app signs with it (else `apps add`
/// makes it when it registers the first such app). Returns every stored key, each published
/// (the forgetting has just run), with the seconds it starts and stops signing.
pub(super) async fn settle(
    conn: &mut AnyConnection,
    configured: bool,
    now: i64,
) -> Result<Vec<(SigningKey, i64, Option<i64>)>, KeyError> {
    let mut tx = conn.begin().await?;
    lock_keys(&mut tx, now).await?;
    for alg in [Alg::EdDsa, Alg::Rs256] {
        if alg == Alg::EdDsa && configured {
            continue;
        }
        let first_needed = alg == Alg::EdDsa || some_app_signs_with(&mut tx, alg).await?;
        if usable(&mut tx, alg, now).await?.is_none() && first_needed {
            let (key, der) = SigningKey::generate(alg)?;
            add_key(&mut tx, &key, &der, now, now).await?;
        }
    }
    let rows: Vec<KeyRow> = sqlx::query_as(
        "SELECT kid, alg, private_key, signs_from, retired_at FROM signing_keys
         ORDER BY signs_from, id",
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;

    rows.into_iter()
        .map(|row| Ok((row.key()?, row.signs_from, row.retired_at)))
        .collect()
}

/// Whether a registered app's ID tokens are signed with `alg`: then its key must be in the
/// JWKS before the app first reads it.
async fn some_app_signs_with(conn: &mut AnyConnection, alg: Alg) -> Result<bool, sqlx::Error> {
    let apps: i64 = sqlx::query_scalar("SELECT count(*) FROM apps WHERE id_token_alg = $1")
        .bind(alg.as_str())
        .fetch_one(conn)
        .await?;
    Ok(apps > 0)
}

/// The id of the key of `alg` that signs at `now`: of those whose time has come and that are
/// not retired, the one whose time came last.
async fn signing(conn: &mut AnyConnection, alg: Alg, now: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM signing_keys
         WHERE alg = $1 AND signs_from <= $2 AND (retired_at IS NULL OR retired_at > $2)
         ORDER BY signs_from DESC, id DESC LIMIT 1",
    )
    .bind(alg.as_str())
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// The id of the key of `alg` to sign with at `now`: the one that signs now, else the next to
/// sign, whose time has not come on this instance's clock but may have on the clock of the
/// instance that made it (a key made at once, by a clock a second ahead).
async fn usable(conn: &mut AnyConnection, alg: Alg, now: i64) -> Result<Option<i64>, sqlx::Error> {
    if let Some(id) = signing(conn, alg, now).await? {
        return Ok(Some(id));
    }
    sqlx::query_scalar(
        "SELECT id FROM signing_keys
         WHERE alg = $1 AND signs_from > $2 AND (retired_at IS NULL OR retired_at > signs_from)
         ORDER BY signs_from, id LIMIT 1",
    )
    .bind(alg.as_str())
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// The key of `alg` to sign with at `now` ([`usable`]), or a first one made now if the store
/// has none: in
/// one transaction that takes the table, so instances asking at once agree on one key. The
/// key is made before the table is taken (an RSA key takes a moment, and the lock stops
/// every writer), and thrown away if another instance stored one meanwhile.
pub async fn newest_or_first(
    conn: &mut AnyConnection,
    alg: Alg,
    now: i64,
) -> Result<SigningKey, KeyError> {
    let made = match usable(conn, alg, now).await? {
        Some(_) => None,
        None => Some(SigningKey::generate(alg)?),
    };
    let mut tx = conn.begin().await?;
    lock_keys(&mut tx, now).await?;
    let id = match (usable(&mut tx, alg, now).await?, made) {
        (Some(id), _) => id,
        (None, Some((key, der))) => add_key(&mut tx, &key, &der, now, now).await?,
        (None, None) => {
            let (key, der) = SigningKey::generate(alg)?;
            add_key(&mut tx, &key, &der, now, now).await?
        }
    };
    let row: KeyRow = sqlx::query_as(
        "SELECT kid, alg, private_key, signs_from, retired_at FROM signing_keys WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    row.key()
}

/// The stored key `kid`; `None` when its row is gone since the list naming it was read.
pub(super) async fn stored_key(
    conn: &mut AnyConnection,
    alg: Alg,
    kid: &str,
) -> Result<Option<SigningKey>, KeyError> {
    let der: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT private_key FROM signing_keys WHERE kid = $1")
            .bind(kid)
            .fetch_optional(conn)
            .await?;
    der.map(|der| SigningKey::from_stored(alg, kid, &der))
        .transpose()
}

/// When the newest key of `alg` was made; `None` when the store has no key of `alg` (the
/// algorithm is not in use, and the schedule leaves it so).
pub(super) async fn newest_made(
    conn: &mut AnyConnection,
    alg: Alg,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT created_at FROM signing_keys WHERE alg = $1 ORDER BY created_at DESC LIMIT 1",
    )
    .bind(alg.as_str())
    .fetch_optional(conn)
    .await
}

/// The earliest retirement of a stored key, past or to come.
pub(super) async fn first_retirement(conn: &mut AnyConnection) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT retired_at FROM signing_keys WHERE retired_at IS NOT NULL
         ORDER BY retired_at LIMIT 1",
    )
    .fetch_optional(conn)
    .await
}

/// Deletes the keys whose last token has expired: they verify nothing any more, and their
/// private halves are kept not a moment longer than needed. A plain `DELETE … WHERE`, so any
/// number of instances may run it at once.
pub(super) async fn forget_expired(conn: &mut AnyConnection, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM signing_keys WHERE retired_at <= $1")
        .bind(now - RETIRED_KEY_KEPT_SECS)
        .execute(conn)
        .await
        .map(drop)
}

/// Takes the table for this transaction, so that instances take turns: otherwise each could
/// find no key, or a key due for replacement, and make its own. On SQLite, the first
/// statement being a write takes the store's write lock.
async fn lock_keys(tx: &mut AnyConnection, now: i64) -> Result<(), sqlx::Error> {
    if Backend::of(tx) == Backend::Postgres {
        // Conflicts with itself and with writers, not with readers of the JWKS.
        sqlx::query("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
    }
    forget_expired(tx, now).await
}

/// Stores `key`, signing from `signs_from`, and retires at that second every other key of its
/// algorithm that would sign then or later. Returns the new row's id. Looked up by `kid`
/// rather than with `INSERT … RETURNING` and `fetch_one`: SQLite commits an autocommit
/// statement only when it has run to the end, and `fetch_one` stops after the first row.
async fn add_key(
    conn: &mut AnyConnection,
    key: &SigningKey,
    der: &[u8],
    now: i64,
    signs_from: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO signing_keys (kid, alg, private_key, created_at, signs_from)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&key.kid)
    .bind(key.alg().as_str())
    .bind(der)
    .bind(now)
    .bind(signs_from)
    .execute(&mut *conn)
    .await?;
    let id: i64 = sqlx::query_scalar("SELECT id FROM signing_keys WHERE kid = $1")
        .bind(&key.kid)
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE signing_keys SET retired_at = $1
         WHERE alg = $2 AND id <> $3 AND (retired_at IS NULL OR retired_at > $1)",
    )
    .bind(signs_from)
    .bind(key.alg().as_str())
    .bind(id)
    .execute(conn)
    .await?;
    Ok(id)
}

/// `gitlogin rotate-key`: a new key of `alg`, published now, signing from `signs_from`;
/// returns its `kid`.
pub async fn rotate(
    conn: &mut AnyConnection,
    alg: Alg,
    now: i64,
    signs_from: i64,
) -> Result<String, KeyError> {
    let (key, der) = SigningKey::generate(alg)?;
    let mut tx = conn.begin().await?;
    lock_keys(&mut tx, now).await?;
    add_key(&mut tx, &key, &der, now, signs_from).await?;
    tx.commit().await?;
    Ok(key.kid)
}

/// The schedule's new key, `made` beforehand by an instance that found the newest key of its
/// algorithm `every` old: stored, signing `ahead` from now, unless the newest key, looked at
/// again once the table is taken, is younger than that (another instance, or `rotate-key`,
/// made one meanwhile) or there is none. Returns the `kid` stored, if one was.
pub(super) async fn rotate_if_due(
    conn: &mut AnyConnection,
    made: (SigningKey, Vec<u8>),
    every: i64,
    ahead: i64,
    now: i64,
) -> Result<Option<String>, KeyError> {
    let (key, der) = made;
    let mut tx = conn.begin().await?;
    lock_keys(&mut tx, now).await?;
    let due = newest_made(&mut tx, key.alg())
        .await?
        .is_some_and(|made_at| made_at + every <= now);
    if !due {
        tx.rollback().await?;
        return Ok(None);
    }
    add_key(&mut tx, &key, &der, now, now + ahead).await?;
    tx.commit().await?;
    Ok(Some(key.kid))
}
