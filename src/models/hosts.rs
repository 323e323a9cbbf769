//! One sign-in in front of many hosts: the one-time tickets that carry a person from
//! gitlogin's host to a protected host, and the host sessions they become (children of the
//! main session, ending with it).

use rocket_db_pools::sqlx::{self, AnyConnection};

use super::{SessionRow, User};

/// A ticket's lifetime: the browser follows it at once.
pub const TICKET_LIFETIME_SECS: i64 = 60;

/// A ticket as issued: what it is for, and the browser it is for.
pub struct Ticket<'a> {
    /// The main session it carries.
    pub session_id_hash: &'a str,
    pub host: &'a str,
    /// The path on `host` to go on to.
    pub next: &'a str,
    /// The SHA-256 of the nonce cookie of the browser that asked.
    pub nonce_hash: &'a str,
}

/// A ticket as redeemed: the main session and where to go on to.
pub struct Redeemed {
    pub session_id_hash: String,
    pub next: String,
}

/// Issues `ticket` (stored as its hash, `ticket_hash`).
pub async fn issue_ticket(
    conn: &mut AnyConnection,
    ticket_hash: &str,
    ticket: &Ticket<'_>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO host_tickets (ticket_hash, session_id_hash, host, next, nonce_hash, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(ticket_hash)
    .bind(ticket.session_id_hash)
    .bind(ticket.host)
    .bind(ticket.next)
    .bind(ticket.nonce_hash)
    .bind(now + TICKET_LIFETIME_SECS)
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes the ticket, whatever comes next: single use. Its main session and where to go,
/// when it was issued for `host`, to the browser whose nonce cookie hashes to `nonce_hash`,
/// and has not expired. One `DELETE … RETURNING`: of two redemptions racing, only the one
/// whose statement took the row gets it.
pub async fn redeem_ticket(
    conn: &mut AnyConnection,
    ticket_hash: &str,
    host: &str,
    nonce_hash: Option<&str>,
    now: i64,
) -> sqlx::Result<Option<Redeemed>> {
    let taken: Option<(String, String, String, String, i64)> = sqlx::query_as(
        "DELETE FROM host_tickets WHERE ticket_hash = $1
         RETURNING session_id_hash, host, next, nonce_hash, expires_at",
    )
    .bind(ticket_hash)
    .fetch_optional(conn)
    .await?;
    Ok(taken
        .filter(|(_, for_host, _, for_nonce, expires_at)| {
            for_host == host && Some(for_nonce.as_str()) == nonce_hash && now < *expires_at
        })
        .map(|(session_id_hash, _, next, _, _)| Redeemed {
            session_id_hash,
            next,
        }))
}

/// The host session of main session `session_id_hash` on `host`, now named `id_hash`: one
/// per main session and host, so a second redemption replaces the first (whose cookie then
/// opens nothing) instead of adding a row that lives as long as the main session.
pub async fn replace_host_session(
    conn: &mut AnyConnection,
    id_hash: &str,
    session_id_hash: &str,
    host: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO host_sessions (id_hash, session_id_hash, host) VALUES ($1, $2, $3)
         ON CONFLICT (session_id_hash, host) DO UPDATE SET id_hash = excluded.id_hash",
    )
    .bind(id_hash)
    .bind(session_id_hash)
    .bind(host)
    .execute(conn)
    .await?;
    Ok(())
}

/// The main session and user behind a host session, if it was made for `host`.
pub async fn find_host_session(
    conn: &mut AnyConnection,
    id_hash: &str,
    host: &str,
) -> sqlx::Result<Option<(SessionRow, User)>> {
    let main: Option<String> = sqlx::query_scalar(
        "SELECT session_id_hash FROM host_sessions WHERE id_hash = $1 AND host = $2",
    )
    .bind(id_hash)
    .bind(host)
    .fetch_optional(&mut *conn)
    .await?;
    match main {
        Some(main) => super::find_session(conn, &main).await,
        None => Ok(None),
    }
}

/// Ends this person's host sessions on `hosts` (an app's, when they lost it).
pub async fn end_host_sessions(
    conn: &mut AnyConnection,
    user_id: i64,
    hosts: &[String],
) -> sqlx::Result<()> {
    for host in hosts {
        sqlx::query(
            "DELETE FROM host_sessions WHERE host = $1
             AND session_id_hash IN (SELECT id_hash FROM sessions WHERE user_id = $2)",
        )
        .bind(host)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Forgets tickets nobody followed.
pub async fn purge_tickets(conn: &mut AnyConnection, now: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM host_tickets WHERE expires_at <= $1")
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}
