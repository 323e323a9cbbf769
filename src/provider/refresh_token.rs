//! Refresh tokens (RFC 6749 §6): replaced by a new one at every use, all the tokens of one
//! grant forming its family, and a token used twice taken for a stolen copy, which revokes
//! the family (RFC 9700 §4.14.2), with one exception: an answer lost on the way.
//!
//! A token is `<lookup id>.<generation>.<secret>`, and the family is one row
//! (`models/refresh_families.rs`) holding the SHA-256 of the lookup id, the current
//! generation and its secret's SHA-256. The lookup id, 256 random bits, is the family's and
//! stays the same from one token to the next, so that the row is found; the generation
//! counts rotations, so that any token older than the current one is known for a reuse
//! without a row of its own: a used token needs nothing kept, and a family stays one row
//! however long it lives. The secret, new at each generation, is what a token's holder
//! alone knows: no one derives the next token from the one they have. Any other token
//! naming the family (an older generation, whose secret is no longer kept, a newer one, or
//! a wrong secret) revokes it: no one who never held a token of the family knows its lookup
//! id, so whoever presents one has a copy. Only hashes are stored, as for every token. A
//! rotation also ends the access token issued before it ([`retire_earlier_access`]): the
//! family's live access token for userinfo is one row in `tokens` too.
//!
//! The exception (the rule of Element's provider, MAS's `token.rs`, narrowed in time): an
//! app whose refresh answer was lost presents its old token again. Within
//! [`LOST_ANSWER_SECS`] of the rotation, while the successor was never used (neither
//! refreshed, which would have moved the generation on, nor its access token accepted at
//! userinfo or introspection), it is honoured once: the app gets a new pair and the successor
//! is dead. Later, a copy stolen a generation back would no longer be good. Only the
//! predecessor's secret is kept for this, and only until it is made up for, so the second
//! such presentation, or the dropped successor (which only whoever intercepted the lost
//! answer holds), revokes the family. A successor whose access token is a JWT for an API
//! gets no such grace: the API may have used it without gitlogin seeing it.

use rocket_db_pools::sqlx::{self, AnyConnection};
use subtle::ConstantTimeEq;

use super::oauth_error::OAuthError;
use super::redeem::TokenFailure;
use crate::models::apps::StoredApp;
use crate::models::grants::{self, Grant};
use crate::models::refresh_families::{self, Current, Family};
use crate::ops::random::{sha256_hex, token};

/// A refresh token unused this long is dead.
const REFRESH_TOKEN_SECS: i64 = 30 * 24 * 3600;

/// How long after a rotation the token it replaced may come back once.
const LOST_ANSWER_SECS: i64 = 60;

/// A refresh token as presented.
struct Presented<'a> {
    lookup: &'a str,
    generation: i64,
    secret: &'a str,
}

impl<'a> Presented<'a> {
    /// `None` for anything not of the shape. A token without a dot is one issued before
    /// families (migration 16): its family's generation 0, the whole token its lookup id
    /// and its secret empty.
    fn parse(token: &'a str) -> Option<Presented<'a>> {
        if !token.contains('.') {
            let generation = 0;
            return Some(Presented {
                lookup: token,
                generation,
                secret: "",
            });
        }
        let mut parts = token.splitn(3, '.');
        let (lookup, generation, secret) = (parts.next()?, parts.next()?, parts.next()?);
        let generation = generation.parse::<u32>().ok()?.into();
        let whole = !lookup.is_empty() && !secret.is_empty();
        whole.then_some(Presented {
            lookup,
            generation,
            secret,
        })
    }
}

/// The token to issue next in a family, its generation already claimed.
pub(super) struct Next {
    lookup: String,
    generation: i64,
}

/// The refresh token's grant, if it is `app`'s and live, and the family's next token,
/// claimed: the presented one is spent. Any other token of the family revokes it.
pub(super) async fn use_refresh_token(
    conn: &mut AnyConnection,
    app: &StoredApp,
    presented: &str,
    now: i64,
) -> Result<(Grant, Next), TokenFailure> {
    let token = Presented::parse(presented).ok_or(OAuthError::InvalidGrant)?;
    let lookup_hash = sha256_hex(token.lookup);
    let family = refresh_families::find(conn, &lookup_hash)
        .await?
        .filter(|family| family.grant.app_id == app.id && family.expires_at > now)
        .ok_or(OAuthError::InvalidGrant)?;
    let secret_hash = sha256_hex(token.secret);
    let from = family.generation;
    let claimed = if token.generation == from && same(&secret_hash, &family.secret_hash) {
        refresh_families::advance(conn, &lookup_hash, from, &family.secret_hash, false).await?
    } else if token.generation + 1 == from && lost_answer(&family, &secret_hash, now) {
        // The successor dies: its refresh token by the generation moving on, its access
        // token here (already gone: the app revoked it, so it had the answer).
        grants::delete_token(conn, &family.access_hash).await?
            && refresh_families::advance(conn, &lookup_hash, from, "", true).await?
    } else {
        false
    };
    if !claimed {
        crate::ops::logging::audit!(
            "refresh token reused app={:?}: its grant is revoked",
            app.name
        );
        return Err(TokenFailure::Revoke(family.grant.id));
    }
    let next = Next {
        lookup: token.lookup.to_owned(),
        generation: from + 1,
    };
    Ok((family.grant, next))
}

/// Whether a token with this secret is the current one's predecessor, whose answer may have
/// been lost.
fn lost_answer(family: &Family, secret_hash: &str, now: i64) -> bool {
    !family.previous_hash.is_empty()
        && same(secret_hash, &family.previous_hash)
        && !family.access_hash.is_empty()
        && family.access_used == 0
        && now - family.rotated_at < LOST_ANSWER_SECS
}

fn same(hash: &str, stored: &str) -> bool {
    hash.as_bytes().ct_eq(stored.as_bytes()).into()
}

/// Issues `grant_id`'s next refresh token (`next`, claimed by [`use_refresh_token`]; `None`
/// begins a family), beside the access token `access_hash` (`""`: a JWT), which replaces
/// the family's earlier ones ([`retire_earlier_access`]).
pub(super) async fn issue(
    conn: &mut AnyConnection,
    grant_id: i64,
    next: Option<Next>,
    access_hash: &str,
    now: i64,
) -> sqlx::Result<String> {
    let Next { lookup, generation } = match next {
        Some(next) => {
            retire_earlier_access(conn, grant_id, access_hash).await?;
            next
        }
        None => Next {
            lookup: token(),
            generation: 1,
        },
    };
    let secret = token();
    let (lookup_hash, secret_hash) = (sha256_hex(&lookup), sha256_hex(&secret));
    let current = Current {
        grant_id,
        lookup_hash: &lookup_hash,
        generation,
        secret_hash: &secret_hash,
        access_hash,
    };
    refresh_families::record(conn, &current, (now, now + REFRESH_TOKEN_SECS)).await?;
    Ok(format!("{lookup}.{generation}.{secret}"))
}

/// A rotation retires the pair it replaces, the access token with the refresh token, so that
/// a family holds one live access token for userinfo however often it is refreshed, not one
/// row a refresh until each expires. RFC 6749 §6 leaves the old access token to the server;
/// RFC 9700 §4.14.2 (and the OAuth 2.1 draft's §4.3.1) has "the previous refresh token"
/// invalidated at each rotation, and RFC 7009 §2.1 a revoked refresh token take "all access
/// tokens based on the same authorization grant" with it: the access token a rotation
/// replaces goes the same way, as in Ory's fosite (`handler/oauth2/flow_refresh.go` revokes
/// the previous request's access token). Only this grant's go: the person's other grants,
/// in this app or another, are other families. A JWT for an API (`access_hash` empty)
/// replaces nothing: one refresh token buys a token for each resource of the grant (RFC 8707
/// §2.2), and a token for an API must not end the one for userinfo.
async fn retire_earlier_access(
    conn: &mut AnyConnection,
    grant_id: i64,
    access_hash: &str,
) -> sqlx::Result<()> {
    if access_hash.is_empty() {
        return Ok(());
    }
    grants::delete_access_tokens_but(conn, grant_id, access_hash).await
}

/// The grant of the family `token` belongs to, whatever its generation: revoking any of
/// them ends the grant (RFC 7009 §2.1).
pub(super) async fn grant_of(conn: &mut AnyConnection, token: &str) -> sqlx::Result<Option<Grant>> {
    let Some(token) = Presented::parse(token) else {
        return Ok(None);
    };
    let family = refresh_families::find(conn, &sha256_hex(token.lookup)).await?;
    Ok(family.map(|family| family.grant))
}

/// Userinfo or introspection accepted `grant`'s opaque access token `access_hash`. If it
/// was issued beside a refresh token whose predecessor may still come back, the app has its
/// answer: noted, once. Every other call only reads, so that serving a token costs no write.
pub(super) async fn access_used(
    conn: &mut AnyConnection,
    grant: &Grant,
    access_hash: &str,
    now: i64,
) -> sqlx::Result<()> {
    if !grant.has_scope("offline_access") {
        return Ok(());
    }
    let Some(family) = refresh_families::of_grant(conn, grant.id).await? else {
        return Ok(());
    };
    let may_come_back = !family.previous_hash.is_empty()
        && now - family.rotated_at < LOST_ANSWER_SECS
        && family.access_used == 0;
    if may_come_back && family.access_hash == access_hash {
        refresh_families::note_access_used(conn, grant.id, access_hash).await?;
    }
    Ok(())
}
