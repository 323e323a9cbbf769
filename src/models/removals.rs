//! What GitHub's webhook has told the store (migrations 10 and 13): the deliveries acted on,
//! by id and by the SHA-256 of their body, and the memberships they ended, numbered in the
//! order the store received them.

use rocket_db_pools::sqlx::{self, AnyConnection};

use super::User;

/// What the store knew of a delivery before it came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliverySeen {
    /// Neither its id nor its body.
    New,
    /// Its id: GitHub redelivering it, or a replay exactly as captured.
    SameId,
    /// Its body, under another id: a replay under a made-up id, or GitHub telling of a second
    /// removal of the same person (whose payload is the same, with no id or time in it).
    SameBody,
}

/// Records a delivery acted on, by its id and its body's SHA-256.
pub async fn record_delivery(
    conn: &mut AnyConnection,
    delivery_id: &str,
    body_sha256: &str,
    now: i64,
) -> sqlx::Result<DeliverySeen> {
    let done = sqlx::query(
        "INSERT INTO webhook_deliveries (delivery_id, body_sha256, received_at) VALUES ($1, $2, $3)
         ON CONFLICT (delivery_id) DO NOTHING",
    )
    .bind(delivery_id)
    .bind(body_sha256)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(DeliverySeen::SameId);
    }
    let bodies: i64 =
        sqlx::query_scalar("SELECT count(*) FROM webhook_deliveries WHERE body_sha256 = $1")
            .bind(body_sha256)
            .fetch_one(conn)
            .await?;
    Ok(if bodies > 1 {
        DeliverySeen::SameBody
    } else {
        DeliverySeen::New
    })
}

/// Forgets the deliveries, and the removals they recorded, received at `until` or before:
/// GitHub redelivers for days, not weeks, and a sign-in is in flight for seconds.
pub async fn forget_deliveries(conn: &mut AnyConnection, until: i64) -> sqlx::Result<()> {
    for table in ["webhook_deliveries", "membership_removals"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE received_at <= $1"))
            .bind(until)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Records that GitHub said this membership (`org`, or a team as `org/team-slug`) ended.
pub async fn record_removal(
    conn: &mut AnyConnection,
    github_id: i64,
    group: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO membership_removals (github_id, org, received_at) VALUES ($1, $2, $3)")
        .bind(github_id)
        .bind(group)
        .bind(now)
        .execute(conn)
        .await
        .map(drop)
}

/// The number of the newest removal recorded (0: none).
pub async fn newest_removal(conn: &mut AnyConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM membership_removals")
        .fetch_one(conn)
        .await
}

/// The memberships a sign-in asked GitHub for (those that decide something), and the newest
/// removal the store had recorded before it asked.
#[derive(Debug, Clone, Default)]
pub struct AskedMemberships {
    pub groups: Vec<String>,
    pub removals_seen: i64,
}

impl AskedMemberships {
    /// Drops each membership a removal recorded after `removals_seen` ended (leaving an
    /// organisation leaves its teams), and returns what it dropped.
    pub async fn honour_removals(
        &mut self,
        conn: &mut AnyConnection,
        github_id: i64,
    ) -> sqlx::Result<Vec<String>> {
        let removed: Vec<String> = sqlx::query_scalar(
            "SELECT org FROM membership_removals WHERE github_id = $1 AND id > $2 ORDER BY id",
        )
        .bind(github_id)
        .bind(self.removals_seen)
        .fetch_all(conn)
        .await?;
        let ended = |group: &String| {
            removed.iter().any(|r| {
                group == r
                    || group
                        .strip_prefix(r.as_str())
                        .is_some_and(|t| t.starts_with('/'))
            })
        };
        let dropped = self.groups.iter().filter(|g| ended(g)).cloned().collect();
        self.groups.retain(|g| !ended(g));
        Ok(dropped)
    }
}

/// The user with this GitHub id, their row held until the transaction ends (an `UPDATE` that
/// changes nothing: SQLite has no `FOR UPDATE`). On PostgreSQL a sign-in recording their
/// memberships at the same moment then either commits first, and this transaction sees (and
/// ends) what it recorded, or waits for this one and sees its removal.
pub async fn hold_user(conn: &mut AnyConnection, github_id: i64) -> sqlx::Result<Option<User>> {
    sqlx::query_as(
        "UPDATE users SET memberships_verified_at = memberships_verified_at WHERE github_id = $1
         RETURNING id, github_id, login, name, email, avatar_url,
                   created_at, updated_at, last_login_at, memberships_verified_at",
    )
    .bind(github_id)
    .fetch_optional(conn)
    .await
}

/// Makes the person's memberships due for a recheck: the next request that rests on one
/// sends them through GitHub first. True when the account is known here.
pub async fn recheck_memberships(conn: &mut AnyConnection, github_id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE users SET memberships_verified_at = 0 WHERE github_id = $1")
        .bind(github_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
