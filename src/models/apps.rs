//! The app registry's rows: an app, its redirect URIs, hosts and rules, written together in
//! one transaction and removed together (everything an app owns cascades from its row).

use rocket_db_pools::sqlx::{self, AnyConnection, Connection};

use super::apis::{self, ApiWriteError};
use super::rule_rows::{rule_of_row, rule_row};

use crate::registry::{IdTokenAlg, Registration, Rule};
use crate::store::nullable::Nullable;

/// A registered app, as stored.
#[derive(Debug, Clone)]
pub struct StoredApp {
    pub id: i64,
    pub name: String,
    pub client_id: String,
    /// `None` for a public app.
    pub secret_hash: Option<String>,
    pub id_token_alg: IdTokenAlg,
    /// May get tokens as itself (`client_credentials`).
    pub service: bool,
    /// May use the device authorization grant (RFC 8628).
    pub device: bool,
    pub created_at: i64,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// Kept with the redirect URIs, as their kind `backchannel`.
    pub backchannel_logout_uri: Option<String>,
    pub hosts: Vec<String>,
    pub rules: Vec<Rule>,
}

/// Why an app could not be written.
#[derive(Debug, thiserror::Error)]
pub enum AppWriteError {
    #[error("an app named {0:?} is already registered")]
    NameTaken(String),
    #[error("the host {0:?} already belongs to the app {1:?}")]
    HostTaken(String, String),
    #[error(transparent)]
    Api(#[from] ApiWriteError),
    #[error(transparent)]
    Store(#[from] sqlx::Error),
}

#[derive(sqlx::FromRow)]
struct AppRow {
    id: i64,
    name: String,
    client_id: String,
    #[sqlx(try_from = "Nullable<String>")]
    secret_hash: Option<String>,
    id_token_alg: String,
    service: i64,
    device: i64,
    created_at: i64,
}

/// Registers `app`, all of it or nothing: a taken name or host is refused before any write,
/// and the unique constraints refuse one taken in the meantime.
pub async fn insert_app(
    conn: &mut AnyConnection,
    app: &Registration,
    client_id: &str,
    secret_hash: Option<&str>,
    now: i64,
) -> Result<(), AppWriteError> {
    let mut tx = conn.begin().await?;
    if find_app(&mut tx, &app.name).await?.is_some() {
        return Err(AppWriteError::NameTaken(app.name.clone()));
    }
    for host in &app.hosts {
        if let Some(owner) = host_owner(&mut tx, host).await? {
            return Err(AppWriteError::HostTaken(host.clone(), owner));
        }
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO apps (name, client_id, secret_hash, id_token_alg, service, device, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(&app.name)
    .bind(client_id)
    .bind(secret_hash)
    .bind(app.id_token_alg.as_str())
    .bind(i64::from(app.service))
    .bind(i64::from(app.device))
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let uris = [
        ("login", &app.redirect_uris),
        ("logout", &app.post_logout_redirect_uris),
        (
            "backchannel",
            &Vec::from_iter(app.backchannel_logout_uri.clone()),
        ),
    ];
    for (kind, list) in uris {
        for uri in list {
            sqlx::query("INSERT INTO app_redirect_uris (app_id, kind, uri) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(kind)
                .bind(uri)
                .execute(&mut *tx)
                .await?;
        }
    }
    for host in &app.hosts {
        sqlx::query("INSERT INTO app_hosts (app_id, host) VALUES ($1, $2)")
            .bind(id)
            .bind(host)
            .execute(&mut *tx)
            .await?;
    }
    for rule in &app.rules {
        let (kind, value) = rule_row(rule);
        sqlx::query("INSERT INTO app_rules (app_id, kind, value) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(kind)
            .bind(value)
            .execute(&mut *tx)
            .await?;
    }
    if let Some(api) = &app.api {
        apis::insert_api(&mut tx, id, api).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Every app, by name.
pub async fn list_apps(conn: &mut AnyConnection) -> sqlx::Result<Vec<StoredApp>> {
    apps_named(conn, "SELECT name FROM apps ORDER BY name").await
}

/// The apps with an organisation or team rule: the only ones a change of memberships can
/// take from someone.
pub async fn apps_with_group_rules(conn: &mut AnyConnection) -> sqlx::Result<Vec<StoredApp>> {
    let query = "SELECT DISTINCT apps.name FROM apps JOIN app_rules ON app_rules.app_id = apps.id
                 WHERE app_rules.kind IN ('org', 'team') ORDER BY apps.name";
    apps_named(conn, query).await
}

/// The apps whose names `query` selects, in its order.
async fn apps_named(conn: &mut AnyConnection, query: &str) -> sqlx::Result<Vec<StoredApp>> {
    let names: Vec<String> = sqlx::query_scalar(query).fetch_all(&mut *conn).await?;
    let mut apps = Vec::with_capacity(names.len());
    for name in names {
        apps.extend(find_app(conn, &name).await?);
    }
    Ok(apps)
}

pub async fn find_app(conn: &mut AnyConnection, name: &str) -> sqlx::Result<Option<StoredApp>> {
    find_app_by(conn, "name", name).await
}

/// The app an OpenID Connect request names by its `client_id`.
pub async fn find_app_by_client_id(
    conn: &mut AnyConnection,
    client_id: &str,
) -> sqlx::Result<Option<StoredApp>> {
    find_app_by(conn, "client_id", client_id).await
}

/// The app of a grant, by its row id.
pub async fn find_app_by_id(conn: &mut AnyConnection, id: i64) -> sqlx::Result<Option<StoredApp>> {
    let client_id: Option<String> = sqlx::query_scalar("SELECT client_id FROM apps WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    match client_id {
        Some(client_id) => find_app_by_client_id(conn, &client_id).await,
        None => Ok(None),
    }
}

/// `column` is one of the two unique columns above, never a caller's text.
async fn find_app_by(
    conn: &mut AnyConnection,
    column: &'static str,
    value: &str,
) -> sqlx::Result<Option<StoredApp>> {
    // Names and client ids hold no control characters; anything else names no app. Refused
    // before the query: PostgreSQL rejects a NUL in text outright, which would read as a
    // store error (a 503) instead of "no such app".
    if value.chars().any(char::is_control) {
        return Ok(None);
    }
    let row: Option<AppRow> = sqlx::query_as(&format!(
        "SELECT id, name, client_id, secret_hash, id_token_alg, service, device, created_at
         FROM apps WHERE {column} = $1"
    ))
    .bind(value)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let uris: Vec<(String, String)> =
        sqlx::query_as("SELECT kind, uri FROM app_redirect_uris WHERE app_id = $1 ORDER BY uri")
            .bind(row.id)
            .fetch_all(&mut *conn)
            .await?;
    let of_kind = |kind: &str| -> Vec<String> {
        uris.iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, uri)| uri.clone())
            .collect()
    };
    let hosts = sqlx::query_scalar("SELECT host FROM app_hosts WHERE app_id = $1 ORDER BY host")
        .bind(row.id)
        .fetch_all(&mut *conn)
        .await?;
    let rules: Vec<(String, String)> =
        sqlx::query_as("SELECT kind, value FROM app_rules WHERE app_id = $1 ORDER BY kind, value")
            .bind(row.id)
            .fetch_all(&mut *conn)
            .await?;
    Ok(Some(StoredApp {
        id: row.id,
        name: row.name,
        client_id: row.client_id,
        secret_hash: row.secret_hash,
        // Only this module writes the column, with `as_str`.
        id_token_alg: IdTokenAlg::parse(&row.id_token_alg).unwrap_or(IdTokenAlg::Rs256),
        service: row.service == 1,
        device: row.device == 1,
        created_at: row.created_at,
        redirect_uris: of_kind("login"),
        post_logout_redirect_uris: of_kind("logout"),
        backchannel_logout_uri: of_kind("backchannel").pop(),
        hosts,
        rules: rules
            .iter()
            .filter_map(|(k, v)| rule_of_row(k, v))
            .collect(),
    }))
}

/// Replaces a confidential app's secret; false when there is no such app or it is public.
pub async fn set_secret_hash(
    conn: &mut AnyConnection,
    name: &str,
    hash: &str,
) -> sqlx::Result<bool> {
    let done =
        sqlx::query("UPDATE apps SET secret_hash = $1 WHERE name = $2 AND secret_hash IS NOT NULL")
            .bind(hash)
            .bind(name)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Decommissions an app: its row goes, and with it everything that references it; and the
/// host sessions and tickets of its hosts, which name a host rather than the app, so that a
/// host cookie opens nothing there even if the host is registered again.
pub async fn remove_app(conn: &mut AnyConnection, name: &str) -> sqlx::Result<bool> {
    let mut tx = conn.begin().await?;
    for table in ["host_sessions", "host_tickets"] {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE host IN (SELECT app_hosts.host FROM app_hosts
             JOIN apps ON apps.id = app_hosts.app_id WHERE apps.name = $1)"
        ))
        .bind(name)
        .execute(&mut *tx)
        .await?;
    }
    let done = sqlx::query("DELETE FROM apps WHERE name = $1")
        .bind(name)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// The name of the app `host` is registered for, if any.
pub async fn host_owner(conn: &mut AnyConnection, host: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT apps.name FROM app_hosts JOIN apps ON apps.id = app_hosts.app_id
         WHERE app_hosts.host = $1",
    )
    .bind(host)
    .fetch_optional(conn)
    .await
}
