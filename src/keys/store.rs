//! The signing keys' rows in the store: settled at start-up (`loader.rs` puts them in the
//! [`KeyRing`](super::KeyRing)), the first key of an algorithm made when it is needed, and a
//! new one added by `gitlogin rotate-key`. See `keys.rs` for the keys themselves, `key_ring.rs`
//! for which one signs and the JWKS.

use jsonwebtoken::jwk::Jwk;
use rocket_db_pools::sqlx::{self, AnyConnection, Connection as _};

use super::{Alg, KeyError, SigningKey, LONGEST_TOKEN_SECS};
use crate::store::backend::Backend;

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: i64,
    kid: String,
    alg: String,
    private_key: Vec<u8>,
}

impl KeyRow {
    fn key(&self) -> Result<SigningKey, KeyError> {
        let alg = Alg::parse(&self.alg).ok_or_else(|| KeyError::BadStoredKey(self.kid.clone()))?;
        SigningKey::from_stored(alg, &self.kid, &self.private_key)
    }
}

/// At start-up, in one transaction: forget keys whose tokens have all expired; for each
/// algorithm the store keeps, sign with the newest key and retire the older ones as of
/// `now`. The first EdDSA key is generated here when `SIGNING_KEY` is unset; the first RS256
/// key when an app signs with it, else when `apps add` registers the first such app.
/// Returns the keys that sign now, and the public half of every stored key by `kid`.
pub(super) async fn settle(
    conn: &mut AnyConnection,
    configured: bool,
    now: i64,
) -> Result<(Vec<SigningKey>, Vec<(String, Jwk)>), KeyError> {
    let mut tx = conn.begin().await?;
    lock_keys(&mut tx, now).await?;
    let mut signing = Vec::new();
    for alg in [Alg::EdDsa, Alg::Rs256] {
        if alg == Alg::EdDsa && configured {
            continue;
        }
        let id = match newest(&mut tx, alg).await? {
            Some(id) => id,
            None if alg == Alg::EdDsa || some_app_signs_with(&mut tx, alg).await? => {
                let (key, der) = SigningKey::generate(alg)?;
                insert_key(&mut tx, &key, &der, now).await?
            }
            None => continue,
        };
        sqlx::query(
            "UPDATE signing_keys SET retired_at = $1
             WHERE retired_at IS NULL AND alg = $2 AND id <> $3",
        )
        .bind(now)
        .bind(alg.as_str())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        signing.push(id);
    }
    let rows: Vec<KeyRow> =
        sqlx::query_as("SELECT id, kid, alg, private_key FROM signing_keys ORDER BY id DESC")
            .fetch_all(&mut *tx)
            .await?;
    tx.commit().await?;

    let mut current = Vec::new();
    let mut known = Vec::new();
    for row in rows {
        let key = row.key()?;
        known.push((row.kid, key.jwk().clone()));
        if signing.contains(&row.id) {
            current.push(key);
        }
    }
    Ok((current, known))
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

/// The id of the newest key of `alg` that is not retired.
async fn newest(conn: &mut AnyConnection, alg: Alg) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM signing_keys WHERE retired_at IS NULL AND alg = $1
         ORDER BY id DESC LIMIT 1",
    )
    .bind(alg.as_str())
    .fetch_optional(conn)
    .await
}

/// The newest key of `alg` not retired, or a first one made now if the store has none: in
/// one transaction that takes the table, so instances asking at once agree on one key. The
/// key is made before the table is taken (an RSA key takes a moment, and the lock stops
/// every writer), and thrown away if another instance stored one meanwhile.
pub async fn newest_or_first(
    conn: &mut AnyConnection,
    alg: Alg,
    now: i64,
) -> Result<SigningKey, KeyError> {
    let made = match newest(conn, alg).await? {
        Some(_) => None,
        None => Some(SigningKey::generate(alg)?),
    };
    let mut tx = conn.begin().await?;
    lock_keys(&mut tx, now).await?;
    let id = match (newest(&mut tx, alg).await?, made) {
        (Some(id), _) => id,
        (None, Some((key, der))) => insert_key(&mut tx, &key, &der, now).await?,
        (None, None) => {
            let (key, der) = SigningKey::generate(alg)?;
            insert_key(&mut tx, &key, &der, now).await?
        }
    };
    let row: KeyRow =
        sqlx::query_as("SELECT id, kid, alg, private_key FROM signing_keys WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    row.key()
}

/// Takes the table for this start-up's transaction, so that instances starting together take
/// turns: otherwise each could find no key, generate its own "first" one and retire the
/// other's. On SQLite, the first statement being a write takes the store's write lock.
async fn lock_keys(tx: &mut AnyConnection, now: i64) -> Result<(), sqlx::Error> {
    if Backend::of(tx) == Backend::Postgres {
        // Conflicts with itself and with writers, not with readers of the JWKS.
        sqlx::query("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM signing_keys WHERE retired_at <= $1")
        .bind(now - LONGEST_TOKEN_SECS)
        .execute(tx)
        .await
        .map(drop)
}

/// Returns the new row's id. Looked up by `kid` rather than with `INSERT … RETURNING` and
/// `fetch_one`: SQLite commits an autocommit statement only when it has run to the end, and
/// `fetch_one` stops after the first row, so `rotate-key` (which exits right after) could
/// lose the key.
async fn insert_key(
    conn: &mut AnyConnection,
    key: &SigningKey,
    der: &[u8],
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO signing_keys (kid, alg, private_key, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&key.kid)
    .bind(key.alg().as_str())
    .bind(der)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query_scalar("SELECT id FROM signing_keys WHERE kid = $1")
        .bind(&key.kid)
        .fetch_one(conn)
        .await
}

/// Adds a new key of `alg` that the next start-up will sign with; returns its `kid`.
pub async fn rotate(conn: &mut AnyConnection, alg: Alg, now: i64) -> Result<String, KeyError> {
    let (key, der) = SigningKey::generate(alg)?;
    insert_key(conn, &key, &der, now).await?;
    Ok(key.kid)
}
