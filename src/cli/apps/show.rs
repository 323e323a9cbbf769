//! `gitlogin apps list` and `apps show`: what is registered, never a secret.

use serde_json::{json, Map, Value};

use super::{find, Conn};
use crate::config::allow_list::AllowedUser;
use crate::models::apis::{self, StoredApi};
use crate::models::apps::{self, StoredApp};
use crate::registry::{Grantee, Rule};

/// One line per app, or with `json` one array of objects a script can read.
pub(super) async fn list(conn: &mut Conn, json: bool) -> Result<(), String> {
    let all = apps::list_apps(conn).await.map_err(|e| e.to_string())?;
    if json {
        let mut objects = Vec::with_capacity(all.len());
        for app in &all {
            let api = apis::api_of(conn, app.id)
                .await
                .map_err(|e| e.to_string())?;
            objects.push(as_json(app, api.as_ref()));
        }
        println!("{}", Value::Array(objects));
        return Ok(());
    }
    if all.is_empty() {
        eprintln!("gitlogin: no apps registered (gitlogin apps add NAME …)");
    }
    for app in &all {
        println!(
            "{}\t{}\t{}\t{} redirect URIs\t{} hosts",
            app.name,
            app.client_id,
            kind(app),
            app.redirect_uris.len(),
            app.hosts.len()
        );
    }
    Ok(())
}

/// An app for `apps list --json`: for an API, its grants map each scope to the rules it is
/// given by, each as `{"user"|"org"|"team"|"service": value}`.
fn as_json(app: &StoredApp, api: Option<&StoredApi>) -> Value {
    let mut object = json!({
        "name": app.name,
        "client_id": app.client_id,
        "public": app.secret_hash.is_none(),
        "service": app.service,
        "device": app.device,
        "redirect_uris": app.redirect_uris,
        "backchannel_logout_uri": app.backchannel_logout_uri,
        "hosts": app.hosts,
    });
    if let Some(StoredApi { api, .. }) = api {
        let mut grants = Map::new();
        for grant in &api.grants {
            let (kind, value) = grantee(&grant.to);
            // A removed service is `null`: the scope stays withheld, from everyone.
            let value = Some(value).filter(|v| !v.is_empty());
            let rules = grants.entry(grant.scope.clone()).or_insert(json!([]));
            if let Value::Array(rules) = rules {
                rules.push(json!({ kind: value }));
            }
        }
        object["audience"] = json!(api.audience);
        object["scopes"] = json!(api.scopes);
        object["grants"] = Value::Object(grants);
        object["accepts"] = json!(api.accepts);
    }
    object
}

pub(super) async fn show(conn: &mut Conn, name: &str) -> Result<(), String> {
    let app = find(conn, name).await?;
    println!("name: {}", app.name);
    println!("client_id: {}", app.client_id);
    println!("type: {}", kind(&app));
    println!("id_token_alg: {}", app.id_token_alg.as_str());
    let created = time::OffsetDateTime::from_unix_timestamp(app.created_at)
        .map_or_else(|_| app.created_at.to_string(), |t| t.date().to_string());
    println!("registered: {created}");
    let backchannel = Vec::from_iter(app.backchannel_logout_uri.clone());
    let lines = [
        ("redirect_uri", &app.redirect_uris),
        ("post_logout_redirect_uri", &app.post_logout_redirect_uris),
        ("backchannel_logout_uri", &backchannel),
        ("host", &app.hosts),
    ];
    for (label, values) in lines {
        for value in values {
            println!("{label}: {value}");
        }
    }
    for rule in &app.rules {
        println!("allow: {}", describe(rule));
    }
    if app.rules.is_empty() {
        println!("allow: everyone who may sign in to gitlogin");
    }
    if app.service {
        println!("service: may get tokens as itself (client_credentials)");
    }
    if app.device {
        println!("device: may sign people in with a code typed at /device (RFC 8628)");
    }
    if let Some(StoredApi { api, .. }) = apis::api_of(conn, app.id)
        .await
        .map_err(|e| e.to_string())?
    {
        println!("audience: {}", api.audience);
        for scope in &api.scopes {
            let given: Vec<String> = api
                .grants
                .iter()
                .filter(|g| &g.scope == scope)
                .map(|g| match &g.to {
                    Grantee::People(rule) => describe(rule),
                    Grantee::Service(name) if name.is_empty() => "a removed service".to_owned(),
                    Grantee::Service(name) => format!("service {name}"),
                })
                .collect();
            if given.is_empty() {
                println!("scope: {scope} (everyone the API admits, every service it accepts)");
            } else {
                println!("scope: {scope} (only {})", given.join(", "));
            }
        }
        for client in &api.accepts {
            println!("accepts: {client}");
        }
        if api.accepts.is_empty() {
            println!(
                "accepts: no app yet (gitlogin apps accept {} APP)",
                app.name
            );
        }
    }
    Ok(())
}

fn kind(app: &StoredApp) -> &'static str {
    if app.secret_hash.is_some() {
        "confidential"
    } else {
        "public"
    }
}

fn describe(rule: &Rule) -> String {
    match rule {
        Rule::User(AllowedUser::Id(id)) => format!("user id {id}"),
        Rule::User(AllowedUser::Login(login)) => format!("user {login}"),
        Rule::Org(org) => format!("org {org}"),
        Rule::Team(team) => format!("team {team}"),
    }
}

/// A grant's kind and value, as the `--grant-*` flag that gave it was typed.
fn grantee(to: &Grantee) -> (&'static str, String) {
    match to {
        Grantee::People(Rule::User(AllowedUser::Id(id))) => ("user", id.to_string()),
        Grantee::People(Rule::User(AllowedUser::Login(login))) => ("user", login.clone()),
        Grantee::People(Rule::Org(org)) => ("org", org.clone()),
        Grantee::People(Rule::Team(team)) => ("team", team.clone()),
        Grantee::Service(name) => ("service", name.clone()),
    }
}
