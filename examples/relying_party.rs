//! A small app that signs people in through gitlogin with OpenID Connect, on its own host, as
//! a team's other apps do: the `openidconnect` crate does the protocol, this file only wires
//! it to two routes and a cookie. Register it, then run it:
//!
//! ```sh
//! gitlogin apps add rp --redirect-uri http://127.0.0.1:8002/callback --json
//! GITLOGIN_URL=http://localhost:8000 RP_CLIENT_ID=… RP_CLIENT_SECRET=… \
//!     RP_URL=http://127.0.0.1:8002 ROCKET_PORT=8002 cargo run --example relying_party
//! ```
//!
//! What it checks is what every relying party must: the `state` it sent comes back, the
//! answer names gitlogin as its issuer (`iss`, RFC 9207), the code is redeemed with the PKCE
//! verifier, and the ID token's signature (from gitlogin's JWKS), `iss`, `aud`, `exp` and
//! `nonce` are verified before anyone is believed.

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use rocket::http::{ContentType, Cookie, CookieJar, SameSite, Status};
use rocket::response::Redirect;
use rocket::{get, routes, Build, Rocket, State};

/// Where gitlogin is, and who this app is to it.
pub struct Settings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// This app's own address: its redirect URI is `{url}/callback`.
    pub url: String,
}

pub fn app(settings: Settings) -> Rocket<Build> {
    rocket::build()
        .manage(settings)
        .mount("/", routes![home, login, callback])
}

#[allow(dead_code)]
#[rocket::main]
async fn main() -> std::process::ExitCode {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("set {name}"));
    let settings = (|| {
        Ok::<_, String>(Settings {
            issuer: var("GITLOGIN_URL")?,
            client_id: var("RP_CLIENT_ID")?,
            client_secret: var("RP_CLIENT_SECRET")?,
            url: var("RP_URL")?,
        })
    })();
    let launched = match settings {
        Ok(settings) => app(settings).launch().await.map_err(|e| e.to_string()),
        Err(e) => Err(e),
    };
    match launched {
        Ok(_) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("relying_party: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The one page: who is signed in here, or a link to sign in.
#[get("/")]
fn home(jar: &CookieJar<'_>) -> (ContentType, String) {
    let body = match jar.get_private("rp_user") {
        Some(user) => format!("<h1>Signed in as {}</h1>", escape(user.value())),
        None => r#"<h1>Welcome</h1><a href="/login">Sign in with gitlogin</a>"#.to_owned(),
    };
    (ContentType::HTML, format!("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\"><title>Relying party</title></head><body>{body}</body></html>"))
}

/// gitlogin's client, configured by discovery.
async fn client(settings: &Settings) -> Result<Client, String> {
    let issuer = IssuerUrl::new(settings.issuer.clone()).map_err(|e| e.to_string())?;
    let metadata = CoreProviderMetadata::discover_async(issuer, &http()?)
        .await
        .map_err(|e| e.to_string())?;
    let redirect =
        RedirectUrl::new(format!("{}/callback", settings.url)).map_err(|e| e.to_string())?;
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(settings.client_id.clone()),
        Some(ClientSecret::new(settings.client_secret.clone())),
    )
    .set_redirect_uri(redirect))
}

type Client = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// openidconnect asks for a client that follows no redirects.
fn http() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())
}

/// To gitlogin, remembering the state, nonce and PKCE verifier in a private cookie.
#[get("/login")]
async fn login(
    settings: &State<Settings>,
    jar: &CookieJar<'_>,
) -> Result<Redirect, (Status, String)> {
    let client = client(settings).await.map_err(unavailable)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let pending = format!(
        "{}\n{}\n{}",
        state.secret(),
        nonce.secret(),
        verifier.secret()
    );
    // Lax, not Rocket's default Strict: a Strict cookie is not sent on the navigation back
    // from gitlogin, which comes from another site.
    jar.add_private(
        Cookie::build(("rp_pending", pending))
            .same_site(SameSite::Lax)
            .http_only(true),
    );
    Ok(Redirect::to(url.to_string()))
}

/// Back from gitlogin: checked, redeemed, verified, and only then signed in here.
#[get("/callback?<code>&<state>&<iss>")]
async fn callback(
    code: Option<&str>,
    state: Option<&str>,
    iss: Option<&str>,
    settings: &State<Settings>,
    jar: &CookieJar<'_>,
) -> Result<Redirect, (Status, String)> {
    let refused = |why: &str| (Status::BadRequest, why.to_owned());
    let pending = jar
        .get_private("rp_pending")
        .ok_or_else(|| refused("no sign-in under way"))?;
    jar.remove_private("rp_pending");
    let mut parts = pending.value().split('\n');
    let (Some(sent_state), Some(nonce), Some(verifier)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return Err(refused("a damaged sign-in cookie"));
    };
    if state != Some(sent_state) {
        return Err(refused("the state does not match"));
    }
    if iss != Some(settings.issuer.as_str()) {
        return Err(refused("the answer names another issuer"));
    }
    let code = code.ok_or_else(|| refused("no code"))?;
    let client = client(settings).await.map_err(unavailable)?;
    let tokens = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(|e| unavailable(e.to_string()))?
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
        .request_async(&http().map_err(unavailable)?)
        .await
        .map_err(|e| unavailable(e.to_string()))?;
    let id_token = tokens.id_token().ok_or_else(|| refused("no ID token"))?;
    let claims = id_token
        .claims(&client.id_token_verifier(), &Nonce::new(nonce.to_owned()))
        .map_err(|e| refused(&e.to_string()))?;
    let login = claims
        .preferred_username()
        .map(|name| name.as_str().to_owned())
        .unwrap_or_default();
    let user = format!("{login} (GitHub id {})", claims.subject().as_str());
    jar.add_private(
        Cookie::build(("rp_user", user))
            .same_site(SameSite::Lax)
            .http_only(true),
    );
    Ok(Redirect::to("/"))
}

fn unavailable(why: String) -> (Status, String) {
    (Status::BadGateway, why)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
