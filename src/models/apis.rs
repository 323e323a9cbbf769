//! The APIs in the registry: audiences, scopes, who gets each and which apps they accept
//! (migration 14 says what each column holds; what a grant may buy for them is
//! `grant_apis.rs`'s, the tokens issued `api_tokens.rs`'s). An API is an app with an
//! audience: its rows hang off the app's, and are written in the app's own transaction
//! (`apps::insert_app`).

use rocket_db_pools::sqlx::{self, AnyConnection, Connection};

use super::rule_rows::{rule_of_row, rule_row};
use crate::registry::{Api, Grantee, ScopeGrant};

/// Why an API, or who may call it, could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ApiWriteError {
    #[error("the audience {0:?} already belongs to the app {1:?}")]
    AudienceTaken(String, String),
    #[error("no app named {0:?}")]
    UnknownApp(String),
    #[error("{0:?} is not an API (gitlogin apps add NAME --api AUDIENCE)")]
    NotAnApi(String),
    #[error("{0:?} is not a service account (gitlogin apps add NAME --service)")]
    NotAService(String),
    #[error(transparent)]
    Store(#[from] sqlx::Error),
}

/// An API as stored, with the row id of its app.
#[derive(Debug, Clone)]
pub struct StoredApi {
    pub app_id: i64,
    pub api: Api,
}

/// Writes `api` for the app `app_id`, inside the caller's transaction: an audience already
/// registered, or an app named in `--accept` or `--grant-service` that does not exist, is
/// refused and the caller's transaction rolls back.
pub(super) async fn insert_api(
    conn: &mut AnyConnection,
    app_id: i64,
    api: &Api,
) -> Result<(), ApiWriteError> {
    if let Some(owner) = audience_owner(conn, &api.audience).await? {
        return Err(ApiWriteError::AudienceTaken(api.audience.clone(), owner));
    }
    sqlx::query("INSERT INTO apis (app_id, audience) VALUES ($1, $2)")
        .bind(app_id)
        .bind(&api.audience)
        .execute(&mut *conn)
        .await?;
    for scope in &api.scopes {
        sqlx::query("INSERT INTO api_scopes (api_id, scope) VALUES ($1, $2)")
            .bind(app_id)
            .bind(scope)
            .execute(&mut *conn)
            .await?;
    }
    for grant in &api.grants {
        // Two statements rather than a NULL bound: sqlx 0.7's `Any` sends a NULL that
        // PostgreSQL cannot read as a BIGINT.
        let insert = match &grant.to {
            Grantee::People(rule) => {
                let (kind, value) = rule_row(rule);
                sqlx::query(
                    "INSERT INTO api_scope_grants (api_id, scope, kind, value) VALUES ($1, $2, $3, $4)",
                )
                .bind(app_id)
                .bind(&grant.scope)
                .bind(kind)
                .bind(value)
            }
            Grantee::Service(name) => {
                let id = service_id_named(conn, name).await?;
                sqlx::query(
                    "INSERT INTO api_scope_grants (api_id, scope, kind, value, service_id)
                     VALUES ($1, $2, 'service', $3, $4)",
                )
                .bind(app_id)
                .bind(&grant.scope)
                .bind(id.to_string())
                .bind(id)
            }
        };
        insert.execute(&mut *conn).await?;
    }
    for name in &api.accepts {
        let client = app_id_named(conn, name).await?;
        insert_accept(conn, app_id, client).await?;
    }
    Ok(())
}

async fn insert_accept(conn: &mut AnyConnection, api_id: i64, client: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO api_accepts (api_id, client_app_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(api_id)
    .bind(client)
    .execute(conn)
    .await
    .map(drop)
}

/// The row id of the app called `name`; an unknown name is the operator's error.
async fn app_id_named(conn: &mut AnyConnection, name: &str) -> Result<i64, ApiWriteError> {
    sqlx::query_scalar("SELECT id FROM apps WHERE name = $1")
        .bind(name)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| ApiWriteError::UnknownApp(name.to_owned()))
}

/// The row id of the service account called `name`: a grant to an app that is none could
/// never be used.
async fn service_id_named(conn: &mut AnyConnection, name: &str) -> Result<i64, ApiWriteError> {
    let id = app_id_named(conn, name).await?;
    let service: i64 = sqlx::query_scalar("SELECT service FROM apps WHERE id = $1")
        .bind(id)
        .fetch_one(conn)
        .await?;
    match service {
        1 => Ok(id),
        _ => Err(ApiWriteError::NotAService(name.to_owned())),
    }
}

/// The name of the app whose API has `audience`, or one that reads the same once parsed
/// (`https://data.example`, `https://DATA.example/`): tokens are matched exactly, but an API
/// that normalises URLs before it compares would take one API's tokens for the other's.
async fn audience_owner(conn: &mut AnyConnection, audience: &str) -> sqlx::Result<Option<String>> {
    let registered: Vec<(String, String)> = sqlx::query_as(
        "SELECT apis.audience, apps.name FROM apis JOIN apps ON apps.id = apis.app_id",
    )
    .fetch_all(conn)
    .await?;
    let parsed = |uri: &str| url::Url::parse(uri).map(String::from).ok();
    Ok(registered
        .into_iter()
        .find(|(known, _)| {
            known == audience || parsed(known).is_some_and(|k| Some(k) == parsed(audience))
        })
        .map(|(_, name)| name))
}

/// The API of the app `app_id`, if it is one.
pub async fn api_of(conn: &mut AnyConnection, app_id: i64) -> sqlx::Result<Option<StoredApi>> {
    let audience: Option<String> =
        sqlx::query_scalar("SELECT audience FROM apis WHERE app_id = $1")
            .bind(app_id)
            .fetch_optional(&mut *conn)
            .await?;
    match audience {
        Some(audience) => load(conn, app_id, audience).await.map(Some),
        None => Ok(None),
    }
}

/// The API registered for `audience`, compared exactly (RFC 8707 §2).
pub async fn api_by_audience(
    conn: &mut AnyConnection,
    audience: &str,
) -> sqlx::Result<Option<StoredApi>> {
    // As for app names: no control characters in a stored audience, and PostgreSQL refuses
    // a NUL outright, which would read as a store error.
    if audience.chars().any(char::is_control) {
        return Ok(None);
    }
    let app_id: Option<i64> = sqlx::query_scalar("SELECT app_id FROM apis WHERE audience = $1")
        .bind(audience)
        .fetch_optional(&mut *conn)
        .await?;
    match app_id {
        Some(app_id) => load(conn, app_id, audience.to_owned()).await.map(Some),
        None => Ok(None),
    }
}

async fn load(conn: &mut AnyConnection, app_id: i64, audience: String) -> sqlx::Result<StoredApi> {
    let scopes =
        sqlx::query_scalar("SELECT scope FROM api_scopes WHERE api_id = $1 ORDER BY scope")
            .bind(app_id)
            .fetch_all(&mut *conn)
            .await?;
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT g.scope, g.kind, g.value, COALESCE(s.name, '') FROM api_scope_grants g
         LEFT JOIN apps s ON s.id = g.service_id WHERE g.api_id = $1
         ORDER BY g.scope, g.kind, g.value",
    )
    .bind(app_id)
    .fetch_all(&mut *conn)
    .await?;
    let grants = rows
        .into_iter()
        .map(|(scope, kind, value, service)| {
            // An empty service name (the service was removed, or a row this version cannot
            // read) names no app: the scope stays withheld, never open to everyone.
            let nobody = || Grantee::Service(String::new());
            let to = match kind.as_str() {
                "service" => Grantee::Service(service),
                kind => rule_of_row(kind, &value).map_or_else(nobody, Grantee::People),
            };
            ScopeGrant { scope, to }
        })
        .collect();
    let accepts = sqlx::query_scalar(
        "SELECT apps.name FROM api_accepts JOIN apps ON apps.id = api_accepts.client_app_id
         WHERE api_accepts.api_id = $1 ORDER BY apps.name",
    )
    .bind(app_id)
    .fetch_all(conn)
    .await?;
    let api = Api {
        audience,
        scopes,
        grants,
        accepts,
    };
    Ok(StoredApi { app_id, api })
}

/// Whether the API `api_id` accepts the app `client_app_id`.
pub async fn accepts(
    conn: &mut AnyConnection,
    api_id: i64,
    client_app_id: i64,
) -> sqlx::Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM api_accepts WHERE api_id = $1 AND client_app_id = $2")
            .bind(api_id)
            .bind(client_app_id)
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}

/// Lets the app `client` get tokens for the API `api` (both by name).
pub async fn accept(
    conn: &mut AnyConnection,
    api: &str,
    client: &str,
) -> Result<(), ApiWriteError> {
    let mut tx = conn.begin().await?;
    let api_id = api_id_named(&mut tx, api).await?;
    let client_id = app_id_named(&mut tx, client).await?;
    insert_accept(&mut tx, api_id, client_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Stops the app `client` getting tokens for the API `api`, and ends at once everything it
/// holds for it: its tokens, what its grants may still buy for the API (a refresh token
/// would otherwise buy new ones the day it is accepted again), and the people's consents to
/// it, who are asked again. Returns whether it was accepted, and how many live tokens ended.
pub async fn reject(
    conn: &mut AnyConnection,
    api: &str,
    client: &str,
) -> Result<(bool, u64), ApiWriteError> {
    let mut tx = conn.begin().await?;
    let api_id = api_id_named(&mut tx, api).await?;
    let client_id = app_id_named(&mut tx, client).await?;
    let between = |sql: &'static str| sqlx::query(sql).bind(api_id).bind(client_id);
    let accepted = between("DELETE FROM api_accepts WHERE api_id = $1 AND client_app_id = $2")
        .execute(&mut *tx)
        .await?;
    let tokens = between("DELETE FROM api_tokens WHERE api_id = $1 AND client_app_id = $2")
        .execute(&mut *tx)
        .await?;
    between(
        "DELETE FROM grant_apis WHERE api_id = $1
         AND grant_id IN (SELECT id FROM grants WHERE app_id = $2)",
    )
    .execute(&mut *tx)
    .await?;
    between("DELETE FROM api_consents WHERE api_id = $1 AND app_id = $2")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok((accepted.rows_affected() == 1, tokens.rows_affected()))
}

/// The row id of the API app called `name`; an app that is no API is the operator's error.
async fn api_id_named(conn: &mut AnyConnection, name: &str) -> Result<i64, ApiWriteError> {
    let id = app_id_named(conn, name).await?;
    let is_api: Option<i64> = sqlx::query_scalar("SELECT app_id FROM apis WHERE app_id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    is_api.ok_or_else(|| ApiWriteError::NotAnApi(name.to_owned()))
}
