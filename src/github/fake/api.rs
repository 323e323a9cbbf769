//! api.github.com's part: `/user`, `/user/emails`, `/user/orgs` and `/user/teams`, for a bearer
//! token the token endpoint issued, and only with the headers GitHub insists on.
//!
//! As on GitHub: `Authorization: Bearer TOKEN` (or `token TOKEN`) and a `User-Agent`, without
//! which GitHub answers 403; a bad or revoked token is 401 `{"message":"Bad credentials"}`.
//! `/user/emails` needs the `user:email` scope (404 without it) and lists addresses, the
//! primary not always first and not always verified. `/user/orgs` (private memberships only
//! with `read:org`) and `/user/teams` (`read:org`; each team with its `slug` and its
//! `organization`'s `login`) are paged: `per_page` up to 100, the next page in a `Link`
//! header. An exhausted rate limit is 403 or 429 with `X-RateLimit-Remaining: 0` and
//! `X-RateLimit-Reset`, a secondary one with `Retry-After`.

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::{get, routes, Route, State};
use serde_json::{json, Value};

use super::faults::{apply, Answer};
use super::{Account, FakeGithub};

pub(super) fn routes() -> Vec<Route> {
    routes![user, user_emails, user_orgs, user_teams]
}

/// The account behind the request's token.
struct Caller(Account);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Caller {
    type Error = &'static str;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let h = req.headers();
        if h.get_one("User-Agent").is_none_or(str::is_empty) {
            return Outcome::Error((Status::Forbidden, "no User-Agent"));
        }
        if h.get_one("Accept") != Some("application/vnd.github+json") {
            return Outcome::Error((Status::UnsupportedMediaType, "Accept"));
        }
        let token = h
            .get_one("Authorization")
            .and_then(|a| a.strip_prefix("Bearer ").or(a.strip_prefix("token ")));
        let Some(fake) = req.rocket().state::<FakeGithub>() else {
            return Outcome::Error((Status::InternalServerError, "no fake"));
        };
        match token.and_then(|t| fake.with(|w| w.tokens.get(t).cloned())) {
            Some(account) => Outcome::Success(Caller(account)),
            None => Outcome::Error((Status::Unauthorized, "Bad credentials")),
        }
    }
}

#[get("/user")]
async fn user(caller: Caller, fake: &State<FakeGithub>) -> Answer {
    let (fault, avatar) = fake.with(|w| {
        w.user_requests += 1;
        (w.user_fault, w.avatar_url.clone())
    });
    if let Some(answer) = apply(fault).await {
        return answer;
    }
    Answer::json(Status::Ok, caller.0.user_json(avatar.as_deref())).padded(fault)
}

#[get("/user/emails")]
async fn user_emails(caller: Caller, fake: &State<FakeGithub>) -> Answer {
    let (not_found, fault) = fake.with(|w| {
        w.emails_requests += 1;
        (w.emails_not_found, w.emails_fault)
    });
    if let Some(answer) = apply(fault).await {
        return answer;
    }
    if not_found {
        let body = json!({ "message": "Not Found", "status": "404" });
        return Answer::json(Status::NotFound, body);
    }
    Answer::json(Status::Ok, Value::Array(caller.0.emails))
}

/// Paginated like GitHub's: `per_page` (default 30, at most 100) and `page` (from 1).
#[get("/user/orgs?<per_page>&<page>")]
fn user_orgs(
    caller: Caller,
    per_page: Option<usize>,
    page: Option<usize>,
    fake: &State<FakeGithub>,
) -> Answer {
    fake.with(|w| w.orgs_requests += 1);
    let per_page = per_page.unwrap_or(30).clamp(1, 100);
    let page = page.unwrap_or(1).max(1);
    let orgs: Vec<Value> = caller
        .0
        .orgs
        .iter()
        .enumerate()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|(i, login)| json!({ "login": login, "id": 1000 + i }))
        .collect();
    Answer::json(Status::Ok, Value::Array(orgs))
}

/// The caller's teams, paginated like `/user/orgs`; each names its organisation.
#[get("/user/teams?<per_page>&<page>")]
fn user_teams(caller: Caller, per_page: Option<usize>, page: Option<usize>) -> Answer {
    let per_page = per_page.unwrap_or(30).clamp(1, 100);
    let page = page.unwrap_or(1).max(1);
    let teams: Vec<Value> = caller
        .0
        .teams
        .iter()
        .enumerate()
        .skip((page - 1) * per_page)
        .take(per_page)
        .filter_map(|(i, team)| {
            let (org, slug) = team.split_once('/')?;
            Some(json!({
                "id": 2000 + i,
                "slug": slug,
                "name": slug,
                "organization": { "login": org, "id": 1000 + i },
            }))
        })
        .collect();
    Answer::json(Status::Ok, Value::Array(teams))
}
