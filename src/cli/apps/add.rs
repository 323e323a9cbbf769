//! `gitlogin apps add`: an app, checked whole before the store is opened, written in one
//! transaction, its secret shown once.

use serde_json::json;

use super::Conn;
use crate::config::AppConfig;
use crate::models::apps;
use crate::ops::clock::Clock;
use crate::ops::random::{sha256_hex, token};
use crate::registry::api::RequestedApi;
use crate::registry::registration::Requested;
use crate::registry::Registration;

/// `apps add`'s arguments, as typed.
#[derive(clap::Args)]
pub(in crate::cli) struct AddArgs {
    name: String,
    /// Where the app may receive a sign-in (OpenID Connect); exact, https or loopback http.
    #[arg(long = "redirect-uri", value_name = "URL")]
    redirect_uris: Vec<String>,
    /// Where the app may send a person after signing out.
    #[arg(long = "post-logout-redirect-uri", value_name = "URL")]
    post_logout_redirect_uris: Vec<String>,
    /// Where the app takes logout tokens (OpenID Connect Back-Channel Logout); https, or
    /// http on a loopback host.
    #[arg(long = "backchannel-logout-uri", value_name = "URL")]
    backchannel_logout_uri: Option<String>,
    /// A host the app is served on behind the reverse proxy (forward auth).
    #[arg(long = "host", value_name = "HOST")]
    hosts: Vec<String>,
    /// The app cannot keep a secret (a single-page or native app): no secret, PKCE required.
    #[arg(long)]
    public: bool,
    /// How its ID tokens are signed.
    #[arg(long, value_name = "RS256|EdDSA")]
    id_token_alg: Option<String>,
    /// Who may use it, on top of the global allow-lists: LOGIN, LOGIN:ID or ID.
    #[arg(long = "allow-user", value_name = "LOGIN|LOGIN:ID|ID")]
    allow_users: Vec<String>,
    #[arg(long = "allow-org", value_name = "ORG")]
    allow_orgs: Vec<String>,
    #[arg(long = "allow-team", value_name = "ORG/TEAM")]
    allow_teams: Vec<String>,
    /// The app is also an API: the audience of its access tokens, an absolute https URI.
    #[arg(long = "api", value_name = "AUDIENCE")]
    api: Option<String>,
    /// A scope the API understands.
    #[arg(long = "scope", value_name = "SCOPE")]
    scopes: Vec<String>,
    /// Gives SCOPE only to the people and services the --grant-* flags name.
    #[arg(long = "grant-user", value_name = "SCOPE=LOGIN|LOGIN:ID|ID")]
    grant_users: Vec<String>,
    #[arg(long = "grant-org", value_name = "SCOPE=ORG")]
    grant_orgs: Vec<String>,
    #[arg(long = "grant-team", value_name = "SCOPE=ORG/TEAM")]
    grant_teams: Vec<String>,
    #[arg(long = "grant-service", value_name = "SCOPE=APP")]
    grant_services: Vec<String>,
    /// An app that may get tokens for this API.
    #[arg(long = "accept", value_name = "APP")]
    accepts: Vec<String>,
    /// A service account: it may get tokens as itself (client_credentials).
    #[arg(long)]
    service: bool,
    /// A command-line tool: it may sign people in with the device grant (RFC 8628).
    #[arg(long)]
    device: bool,
    /// Print one JSON object, {"client_id": …, "client_secret": …}, and nothing else.
    #[arg(long)]
    pub(super) json: bool,
}

impl AddArgs {
    /// The registration these arguments ask for, checked whole.
    pub(super) fn check(self) -> Result<Registration, String> {
        let api_flags = !self.scopes.is_empty()
            || !self.grant_users.is_empty()
            || !self.grant_orgs.is_empty()
            || !self.grant_teams.is_empty()
            || !self.grant_services.is_empty()
            || !self.accepts.is_empty();
        let api = match self.api {
            Some(audience) => Some(RequestedApi {
                audience,
                scopes: self.scopes,
                grant_users: self.grant_users,
                grant_orgs: self.grant_orgs,
                grant_teams: self.grant_teams,
                grant_services: self.grant_services,
                accepts: self.accepts,
            }),
            None if api_flags => {
                return Err(
                    "--scope, --grant-* and --accept describe an API: add --api AUDIENCE".into(),
                )
            }
            None => None,
        };
        Registration::check(Requested {
            name: self.name,
            redirect_uris: self.redirect_uris,
            post_logout_redirect_uris: self.post_logout_redirect_uris,
            backchannel_logout_uri: self.backchannel_logout_uri,
            hosts: self.hosts,
            public: self.public,
            id_token_alg: self.id_token_alg,
            allow_users: self.allow_users,
            allow_orgs: self.allow_orgs,
            allow_teams: self.allow_teams,
            api,
            service: self.service,
            device: self.device,
        })
        .map_err(|e| e.to_string())
    }
}

pub(super) async fn add(
    conn: &mut Conn,
    config: &AppConfig,
    app: &Registration,
    json: bool,
) -> Result<(), String> {
    // An identity token and an access token must never share an audience: an API that
    // accepted one would take it for the other.
    if let Some(api) = &app.api {
        if config.token_audiences.contains(&api.audience) {
            return Err(format!(
                "the audience {:?} is in TOKEN_AUDIENCES, for identity tokens: give the API another",
                api.audience
            ));
        }
    }
    let client_id = token();
    let secret = (!app.public).then(token);
    let hash = secret.as_deref().map(sha256_hex);
    apps::insert_app(
        conn,
        app,
        &client_id,
        hash.as_deref(),
        Clock::default().now(),
    )
    .await
    .map_err(|e| e.to_string())?;
    // The app's ID tokens need their key published before it first reads the JWKS (relying
    // parties fetch it once, at discovery): made now if this is the first app to need it.
    // An API's access tokens are RS256, the algorithm RFC 9068 §2.1 requires APIs to accept.
    let mut algs = vec![app.id_token_alg];
    if app.api.is_some() || app.service {
        algs.push(crate::registry::IdTokenAlg::Rs256);
    }
    for alg in algs {
        crate::keys::store::newest_or_first(conn, alg, Clock::default().now())
            .await
            .map_err(|e| e.to_string())?;
    }
    if json {
        println!(
            "{}",
            json!({ "client_id": client_id, "client_secret": secret })
        );
        return Ok(());
    }
    println!("client_id: {client_id}");
    match secret {
        Some(secret) => {
            println!("client_secret: {secret}");
            eprintln!("gitlogin: {} registered. The client_secret is shown only now: gitlogin keeps its hash, not the secret.", app.name);
        }
        None => eprintln!(
            "gitlogin: {} registered as a public app: no secret, PKCE required.",
            app.name
        ),
    }
    Ok(())
}
