//! The seeded refresh families (`family_seed.rs`) and how the report names them.

use sqlx::{AnyConnection, Connection, Executor, Row};

use crate::*;

#[test]
fn only_the_stores_after_the_first_get_families() {
    assert_eq!(families_of(0, 10_000), 0);
    assert_eq!(families_of(1, 10_000), 10_000);
    assert_eq!(families_of(2, 0), 0);
}

#[test]
fn the_report_names_the_families_where_there_are_some() {
    assert_eq!(rows_cell(1_000, 0), "1,000");
    assert_eq!(rows_cell(1_000_000, 10_000), "1,000,000 + 10,000 families");
    assert_eq!(store_place(1_000, 0), "1,000 rows");
    assert_eq!(
        store_place(1_000_000, 10_000),
        "1,000,000 rows + 10,000 refresh families"
    );
    let mut line = String::new();
    write_seeded_families(&mut line, &[(1_000, 0), (1_000_000, 10_000)]);
    assert!(
        line.starts_with(
            "- live refresh families seeded by SQL beside the people: 10,000 with 1,000,000 rows ("
        ),
        "{line}"
    );
    let mut none = String::new();
    write_seeded_families(&mut none, &[(1_000, 0), (1_000_000, 0)]);
    assert_eq!(none, "");
}

/// A migrated in-memory SQLite store with `people` seeded people and the apps `rp` and
/// `rp2` (confidential, as `bench-rp` is).
async fn store(people: u64) -> AnyConnection {
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect("sqlite::memory:").await.unwrap();
    gitlogin::store::pool::run_migrations(&mut conn)
        .await
        .unwrap();
    gitlogin::seed::people(&mut conn, people, NOW, "test")
        .await
        .unwrap();
    conn.execute(
        "INSERT INTO apps (name, client_id, secret_hash, id_token_alg, created_at)
         VALUES ('bench-rp', 'rp', 'x', 'RS256', 0), ('other', 'rp2', 'x', 'RS256', 0)",
    )
    .await
    .unwrap();
    conn
}

const NOW: i64 = 1_800_000_000;

async fn count(conn: &mut AnyConnection, query: &str) -> i64 {
    sqlx::query(query).fetch_one(conn).await.unwrap().get(0)
}

#[rocket::async_test]
async fn each_family_has_its_grant_consent_live_access_token_and_one_row() {
    let mut conn = store(5).await;
    families_in(&mut conn, "rp", 3, NOW).await.unwrap();
    let c = &mut conn;
    // The app's grants, one per person, in the person's session.
    let grants = "SELECT COUNT(*) FROM grants g JOIN apps a ON a.id = g.app_id
                  JOIN sessions s ON s.user_id = g.user_id AND s.sid = g.sid
                  WHERE a.client_id = 'rp' AND g.scope = 'openid offline_access'
                    AND g.user_id <= 3";
    assert_eq!(count(c, grants).await, 3);
    assert_eq!(count(c, "SELECT COUNT(*) FROM grants").await, 3);
    assert_eq!(count(c, "SELECT COUNT(*) FROM consents").await, 3);
    // One live access token per grant, and it is its family's.
    let live = format!(
        "SELECT COUNT(*) FROM tokens t JOIN refresh_families f ON f.access_hash = t.token_hash
         WHERE t.grant_id = f.grant_id AND t.kind = 'access' AND t.expires_at = {}
           AND f.generation = 2 AND f.access_used = 1 AND f.previous_hash <> ''
           AND f.expires_at > {NOW} AND length(f.lookup_hash) = 64",
        NOW + SEEDED_ACCESS_SECS
    );
    assert_eq!(count(c, &live).await, 3);
    assert_eq!(count(c, "SELECT COUNT(*) FROM tokens").await, 3);
    assert_eq!(count(c, "SELECT COUNT(*) FROM refresh_families").await, 3);
    let distinct = "SELECT COUNT(DISTINCT lookup_hash) + COUNT(DISTINCT secret_hash)
                    FROM refresh_families";
    assert_eq!(count(c, distinct).await, 6, "random, not shared");
}

#[rocket::async_test]
async fn another_apps_families_leave_the_first_ones_alone_and_stop_at_the_people() {
    let mut conn = store(4).await;
    families_in(&mut conn, "rp", 2, NOW).await.unwrap();
    families_in(&mut conn, "rp2", 10, NOW).await.unwrap();
    let c = &mut conn;
    let per_app = "SELECT COUNT(*) FROM refresh_families f JOIN grants g ON g.id = f.grant_id
                   JOIN apps a ON a.id = g.app_id WHERE a.client_id = ";
    assert_eq!(count(c, &format!("{per_app}'rp'")).await, 2);
    assert_eq!(
        count(c, &format!("{per_app}'rp2'")).await,
        4,
        "one per person"
    );
    let tokens_per_grant =
        "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM tokens GROUP BY grant_id)";
    assert_eq!(count(c, tokens_per_grant).await, 1);
    assert_eq!(count(c, "SELECT COUNT(*) FROM consents").await, 6);
}
