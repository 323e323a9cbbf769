//! `POST /github/webhook`: GitHub says, the moment it happens, that someone left an
//! organisation or a team, and the access that membership gave them ends at once instead of
//! at the next membership recheck (`standing.rs`).
//!
//! Mounted only when `GITHUB_WEBHOOK_SECRET` is set. A delivery is believed only when its
//! `X-Hub-Signature-256` is the HMAC-SHA256 of the raw body with that secret; anything else
//! is a 401 and changes nothing. Each delivery id acts once: GitHub's redeliveries are
//! acknowledged and ignored; a body seen before under another id only sends the person
//! through GitHub again ([`act`]).
//!
//! What a removal ends is what the membership decided, and nothing else: every session of
//! the person when the global organisation list no longer admits them; otherwise the access
//! to each app whose rules no longer do (its tokens and consent). One transaction, one log
//! line, and a `user.signed_out` event when sessions ended. The removal is also recorded,
//! numbered by the store, for a sign-in that was asking GitHub at that very moment
//! (`access.rs`, `honour_later_removals`).

use ring::hmac;
use rocket::data::{Data, ToByteUnit};
use rocket::fairing::AdHoc;
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::serde::json::{json, Json, Value};
use rocket::{post, routes, State};
use rocket_db_pools::sqlx::{self, AnyConnection};
use serde::Deserialize;

use super::{app_rules, lists, Standing};
use crate::config::{AppConfig, ExposeSecret};
use crate::models::removals::{self, DeliverySeen};
use crate::models::{self, GithubId, Outbox};
use crate::ops::clock::Clock;
use crate::ops::logging::audit;
use crate::store::pool::Db;

/// GitHub's payloads run to tens of KiB (each names the organisation, the sender and more);
/// far above the forms' limit, far below this.
const MAX_BODY: u64 = 1024 * 1024;

/// A delivery id is remembered this long; GitHub offers redelivery for three days.
pub const DELIVERY_MEMORY_SECS: i64 = 7 * 24 * 60 * 60;

/// The key deliveries are checked with, made once from the secret.
struct WebhookKey(hmac::Key);

pub fn stage(config: &AppConfig) -> AdHoc {
    let key = config
        .webhook_secret
        .as_ref()
        .map(|secret| hmac::Key::new(hmac::HMAC_SHA256, secret.expose_secret().as_bytes()));
    AdHoc::on_ignite("GitHub webhook", |rocket| async move {
        match key {
            Some(key) => rocket.manage(WebhookKey(key)).mount("/", routes![delivery]),
            None => rocket,
        }
    })
}

/// The headers GitHub sends with every delivery.
struct Delivery<'r> {
    event: &'r str,
    id: &'r str,
    signature: Option<&'r str>,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Delivery<'r> {
    type Error = &'static str;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let h = req.headers();
        // The id keys the store: GitHub's are GUIDs; anything unlike one is not GitHub's.
        let id = h.get_one("X-GitHub-Delivery").filter(|id| {
            (1..=64).contains(&id.len())
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
        match (h.get_one("X-GitHub-Event"), id) {
            (Some(event), Some(id)) => Outcome::Success(Delivery {
                event,
                id,
                signature: h.get_one("X-Hub-Signature-256"),
            }),
            _ => Outcome::Error((Status::BadRequest, "no X-GitHub-Event or X-GitHub-Delivery")),
        }
    }
}

/// A membership GitHub says has ended: `org`, or a team as `org/team-slug`.
struct Removal {
    github_id: i64,
    group: String,
}

#[post("/github/webhook", data = "<body>")]
async fn delivery(
    delivery: Delivery<'_>,
    body: Data<'_>,
    key: &State<WebhookKey>,
    config: &State<AppConfig>,
    clock: &State<Clock>,
    outbox: &State<Outbox>,
    db: &Db,
) -> (Status, Json<Value>) {
    let answer = |status, result: &str| (status, Json(json!({ "result": result })));
    let body = match body.open(MAX_BODY.bytes()).into_bytes().await {
        Ok(body) if body.is_complete() => body.into_inner(),
        Ok(_) => return answer(Status::PayloadTooLarge, "body too large"),
        Err(_) => return answer(Status::BadRequest, "body unreadable"),
    };
    if !signed(&key.0, delivery.signature, &body) {
        audit!("webhook refused: bad signature delivery={}", delivery.id);
        return answer(Status::Unauthorized, "bad signature");
    }
    let removal = match removal(delivery.event, &body) {
        Ok(Some(removal)) => removal,
        Ok(None) => return answer(Status::Ok, "ignored"),
        Err(_) => return answer(Status::BadRequest, "payload not as GitHub documents it"),
    };
    let delivered = (delivery.id, &body[..]);
    match act(db, config, outbox, delivered, &removal, clock.now()).await {
        Ok(result) => answer(Status::Ok, result),
        Err(e) => {
            rocket::error!("webhook: the store did not answer: {e}");
            // Not acknowledged: GitHub shows the failed delivery, to be redelivered.
            answer(Status::ServiceUnavailable, "store unavailable")
        }
    }
}

/// `sha256=<hex>`, checked in constant time by ring.
fn signed(key: &hmac::Key, signature: Option<&str>, body: &[u8]) -> bool {
    let Some(hex) = signature.and_then(|s| s.strip_prefix("sha256=")) else {
        return false;
    };
    let Some(tag) = decode_hex(hex) else {
        return false;
    };
    hmac::verify(key, body, &tag).is_ok()
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The membership an event ends, if it ends one. Only two do: `organization`
/// `member_removed`, and `membership` `removed` with `scope: team`; every other event (and
/// action) is acknowledged and ignored.
fn removal(event: &str, body: &[u8]) -> serde_json::Result<Option<Removal>> {
    #[derive(Deserialize)]
    struct Account {
        id: i64,
    }
    #[derive(Deserialize)]
    struct Org {
        login: String,
    }
    #[derive(Deserialize)]
    struct Membership {
        user: Account,
    }
    #[derive(Deserialize)]
    struct Team {
        slug: String,
    }
    #[derive(Deserialize)]
    struct Payload {
        action: String,
        organization: Option<Org>,
        // organization.member_removed
        membership: Option<Membership>,
        // membership.removed
        scope: Option<String>,
        member: Option<Account>,
        team: Option<Team>,
    }
    if !matches!(event, "organization" | "membership") {
        return Ok(None);
    }
    let payload: Payload = serde_json::from_slice(body)?;
    let org = payload.organization.map(|o| o.login.to_ascii_lowercase());
    let found = match (event, payload.action.as_str()) {
        ("organization", "member_removed") => org.zip(payload.membership.map(|m| m.user.id)),
        ("membership", "removed") if payload.scope.as_deref() == Some("team") => {
            let team = payload.team.map(|t| t.slug.to_ascii_lowercase());
            org.zip(team)
                .map(|(org, team)| format!("{org}/{team}"))
                .zip(payload.member.map(|m| m.id))
        }
        _ => return Ok(None),
    };
    match found {
        Some((group, github_id)) => Ok(Some(Removal { github_id, group })),
        None => Err(serde::de::Error::custom("no organisation, team or member")),
    }
}

/// The removal, in one transaction: acted on once per delivery id, and at most once per body.
///
/// GitHub signs the body only, and a removal's body names no delivery and no time: anyone who
/// once saw a delivery (a logging proxy, a request bin while setting up, the organisation's
/// delivery log) could replay it under a new id and end the person's access again whenever
/// they liked. But a genuine second removal (removed, re-added, removed) has the very same
/// body. So a body already acted on does not end anything by itself: it makes the person's
/// memberships due for a recheck, and their next request asks GitHub, which knows which it
/// was. The bodies are remembered as long as the delivery ids.
async fn act(
    db: &Db,
    config: &AppConfig,
    outbox: &Outbox,
    delivery: (&str, &[u8]),
    removal: &Removal,
    now: i64,
) -> sqlx::Result<&'static str> {
    let (delivery_id, body) = delivery;
    let _turn = db.write_turn().await;
    let mut tx = db.begin().await?;
    match removals::record_delivery(
        &mut tx,
        delivery_id,
        &crate::ops::random::sha256_hex(body),
        now,
    )
    .await?
    {
        DeliverySeen::SameId => {
            // Ended inside the write turn, as every answer here is: a dropped transaction
            // would keep SQLite's write lock until its rollback runs, a moment later.
            tx.rollback().await?;
            return Ok("duplicate delivery: ignored");
        }
        DeliverySeen::SameBody => {
            let known = removals::recheck_memberships(&mut tx, removal.github_id).await?;
            tx.commit().await?;
            audit!(
                "webhook body seen before, memberships to be rechecked github_id={} delivery={delivery_id}",
                removal.github_id
            );
            return Ok(if known {
                "body seen before: memberships to be rechecked"
            } else {
                "nobody here has that account"
            });
        }
        DeliverySeen::New => {}
    }
    // Recorded even for an account not seen yet: its first sign-in may be asking GitHub now.
    removals::record_removal(&mut tx, removal.github_id, &removal.group, now).await?;
    let Some(user) = removals::hold_user(&mut tx, removal.github_id).await? else {
        tx.commit().await?;
        return Ok("nobody here has that account");
    };
    models::forget_membership(&mut tx, user.id, &removal.group).await?;
    let (sessions, apps) = end_what_it_decided(&mut tx, config, outbox, &user, now).await?;
    tx.commit().await?;
    outbox.ring();
    audit!(
        "access ended by GitHub webhook github_id={} group={:?} sessions={sessions} apps={apps:?}",
        removal.github_id,
        removal.group
    );
    Ok("removed")
}

/// With the membership gone: every session when the global lists no longer admit the
/// person, else each app whose rules no longer do. A membership merely due for a recheck
/// still counts here: the webhook ends only what this removal decided.
async fn end_what_it_decided(
    conn: &mut AnyConnection,
    config: &AppConfig,
    outbox: &Outbox,
    user: &models::User,
    now: i64,
) -> sqlx::Result<(u64, Vec<String>)> {
    let always = i64::MAX;
    let global = lists::standing(conn, &config.access, user, always, now).await?;
    if global == Standing::Refused {
        let ended = models::end_sessions(conn, outbox, GithubId(user.github_id.0)).await?;
        return Ok((ended, Vec::new()));
    }
    let apps = app_rules::end_lost_apps(conn, config, user, now).await?;
    Ok((0, apps))
}
