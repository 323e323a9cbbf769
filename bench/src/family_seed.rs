//! Live refresh families, written by SQL straight into a store while its app is stopped, for
//! the growth row: issue 27 asks that the provider's paths cost the same with 10,000 live
//! families in the store as with a few.
//!
//! They go into every store but the first (`--families`, 10,000 by default; see
//! [`families_of`]), so that the comparison the table already makes, each store against the
//! first, reads as "a few people and a few families" against "1,000,000 people and 10,000
//! families": one growth row per path, beside the one the sessions' paths already had. A
//! third store (1,000 people with 10,000 families) would tell the two apart, but make every
//! round's SQLite measurements half as long again; and if both kinds of rows leave a cost
//! flat, so does each. Should a row grow, a run with `--families 0` says which of the two
//! it was. The PostgreSQL setups are seeded like the first store, and so get none.
//!
//! Each family is what one has after a refresh (src/provider/refresh_token.rs): a grant of
//! `bench-rp`, the app under load, with `openid offline_access` to a seeded person (one
//! family each, in their session's `sid`), that person's consent, the family's one row in
//! `refresh_families` at generation 2 (its predecessor's secret still kept, its access
//! token used), and that access token's one row in `tokens`. No code: a used code is purged
//! once expired. Being `bench-rp`'s, they sit in the very index ranges the measured
//! requests read (the app's grants, the tokens), where a cost that grows with an app's
//! families would show. The hashes are random, so no token opens them.

// The other modules' items, through the crate root (main.rs re-exports them).
#[allow(unused_imports)]
use crate::*;
use gitlogin::store::backend::Backend;
use sqlx::{AnyConnection, Connection};

/// The seeded access tokens live an hour, longer than `ACCESS_TOKEN_LIFETIME` allows (ten
/// minutes at most), so that the purge leaves them in the store for a whole run; the app
/// checks a token's expiry against the clock only.
pub(crate) const SEEDED_ACCESS_SECS: i64 = 3600;
/// A family unused this long is dead (src/provider/refresh_token.rs).
const FAMILY_SECS: i64 = 30 * 24 * 3600;

/// The families to seed into the store at `index` (0: the first, the baseline) of a run
/// asking for `families`: none in the first, so that every other store is compared with a
/// store without them.
pub(crate) fn families_of(index: usize, families: u64) -> u64 {
    if index == 0 {
        0
    } else {
        families
    }
}

/// Writes `families` live refresh families of the app `client_id` (which has no grants
/// yet) into the store at `url`, one for each of its first people, then settles the store
/// as `seed` does.
pub(crate) async fn seed_families(url: &str, client_id: &str, families: u64) -> Result<(), String> {
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(url)
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    families_in(&mut conn, client_id, families, unix_now())
        .await
        .map_err(|e| format!("seeding refresh families: {e}"))?;
    settle(conn, url).await
}

/// The four set-based statements, in one transaction: grants, consents, access tokens,
/// families. Each later one takes the app's grants that lack its row, so the tokens and the
/// families pair up with the grants just written, one each.
pub(crate) async fn families_in(
    conn: &mut AnyConnection,
    client_id: &str,
    families: u64,
    now: i64,
) -> sqlx::Result<()> {
    let mut tx = conn.begin().await?;
    for (statement, parameters) in family_statements(Backend::of(&tx)) {
        let query = sqlx::query(&statement).bind(client_id);
        let query = match parameters {
            1 => query,
            2 => query.bind(now),
            _ => query.bind(now).bind(families as i64),
        };
        query.execute(&mut *tx).await?;
    }
    tx.commit().await
}

/// The statements [`families_in`] runs, for `backend`, each with how many of these it takes:
/// `$1` the client id, `$2` the time, `$3` the number of families.
pub(crate) fn family_statements(backend: Backend) -> [(String, usize); 4] {
    let random_hash = match backend {
        Backend::Sqlite => "lower(hex(randomblob(32)))",
        Backend::Postgres => "encode(sha256(gen_random_uuid()::text::bytea), 'hex')",
    };
    // The app's grants, and so its families: the rows the requests under load read.
    let apps_grants = "FROM grants g JOIN apps a ON a.id = g.app_id WHERE a.client_id = $1";
    [
        // Used by a refresh a day after the person signed in and said yes.
        (
            "INSERT INTO grants (app_id, user_id, scope, nonce, auth_time, created_at, origin,
                                 last_used_at, sid)
             SELECT a.id, u.id, 'openid offline_access', '', $2 - 86400, $2 - 86400, 'browser',
                    $2, COALESCE((SELECT MIN(s.sid) FROM sessions s WHERE s.user_id = u.id), '')
             FROM apps a JOIN (SELECT id FROM users ORDER BY id LIMIT $3) u ON a.client_id = $1"
                .to_owned(),
            3,
        ),
        (
            format!(
                "INSERT INTO consents (app_id, user_id, scope, granted_at)
                 SELECT g.app_id, g.user_id, g.scope, g.created_at {apps_grants}
                 ON CONFLICT DO NOTHING"
            ),
            1,
        ),
        (
            format!(
                "INSERT INTO tokens (token_hash, grant_id, kind, issued_at, expires_at, used)
                 SELECT {random_hash}, g.id, 'access', $2, $2 + {SEEDED_ACCESS_SECS}, 0
                 {apps_grants} AND NOT EXISTS (SELECT 1 FROM tokens t WHERE t.grant_id = g.id)"
            ),
            2,
        ),
        (
            format!(
                "INSERT INTO refresh_families (lookup_hash, grant_id, generation, secret_hash,
                     previous_hash, rotated_at, access_hash, access_used, expires_at)
                 SELECT {random_hash}, g.id, 2, {random_hash}, {random_hash}, $2, t.token_hash,
                        1, $2 + {FAMILY_SECS}
                 FROM grants g JOIN apps a ON a.id = g.app_id
                      JOIN tokens t ON t.grant_id = g.id AND t.kind = 'access'
                 WHERE a.client_id = $1
                   AND NOT EXISTS (SELECT 1 FROM refresh_families f WHERE f.grant_id = g.id)"
            ),
            2,
        ),
    ]
}
