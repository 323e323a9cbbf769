//! Step 5: `POST /oauth/token`, called by the app's server. The `authorization_code` grant
//! trades a code for tokens; `refresh_token` trades a refresh token for new ones. Access and
//! refresh tokens are random and stored only as hashes, each belonging to a grant (one code's
//! family): a code used twice, or a refresh token used twice, means someone has a copy, and
//! the whole family is revoked (RFC 6749 4.1.2, OAuth 2.0 Security BCP 4.14).

use rocket::form::{Form, FromForm};
use rocket::http::Header;
use rocket::serde::json::{json, Json, Value};
use rocket::{post, routes, Route, State};
use rocket_db_pools::sqlx::AnyConnection;
use subtle::ConstantTimeEq;

use super::client::{self, Basic, OAuthError};
use super::id_token::{self, PersonClaims};
use super::once::Once;
use crate::auth::access::Standing;
use crate::auth::app_access;
use crate::config::AppConfig;
use crate::keys::KeyRing;
use crate::models::apps::StoredApp;
use crate::models::grants::{self, Grant};
use crate::models::{self, User};
use crate::ops::clock::Clock;
use crate::ops::random::{sha256_hex, token};
use crate::store::pool::Db;

/// An access token lives this long: an app that wants longer asks for `offline_access`.
pub(super) const ACCESS_TOKEN_SECS: i64 = 10 * 60;

/// A refresh token unused this long is dead.
const REFRESH_TOKEN_SECS: i64 = 30 * 24 * 3600;

pub fn routes() -> Vec<Route> {
    routes![token_endpoint]
}

/// The form, as sent: the parameters gitlogin reads, each at most once (`once.rs`).
#[derive(FromForm)]
struct TokenForm<'r> {
    grant_type: Once<'r>,
    code: Once<'r>,
    redirect_uri: Once<'r>,
    code_verifier: Once<'r>,
    refresh_token: Once<'r>,
    client_id: Once<'r>,
    client_secret: Once<'r>,
}

/// The form once no parameter of it was repeated.
struct TokenParams<'r> {
    grant_type: Option<&'r str>,
    code: Option<&'r str>,
    redirect_uri: Option<&'r str>,
    code_verifier: Option<&'r str>,
    refresh_token: Option<&'r str>,
    client_id: Option<&'r str>,
    client_secret: Option<&'r str>,
}

impl<'r> TokenForm<'r> {
    /// Refuses the whole request if any parameter came twice, before anything is read.
    fn params(&self) -> Result<TokenParams<'r>, OAuthError> {
        let once = |param: Once<'r>| param.get().map_err(|_| OAuthError::InvalidRequest);
        Ok(TokenParams {
            grant_type: once(self.grant_type)?,
            code: once(self.code)?,
            redirect_uri: once(self.redirect_uri)?,
            code_verifier: once(self.code_verifier)?,
            refresh_token: once(self.refresh_token)?,
            client_id: once(self.client_id)?,
            client_secret: once(self.client_secret)?,
        })
    }
}

/// The answer, never to be cached (RFC 6749 5.1).
#[derive(rocket::Responder)]
struct Tokens {
    body: Json<Value>,
    cache: Header<'static>,
}

#[post("/oauth/token", data = "<form>")]
async fn token_endpoint(
    form: Form<TokenForm<'_>>,
    basic: Basic,
    config: &State<AppConfig>,
    keys: &State<KeyRing>,
    clock: &State<Clock>,
    db: &Db,
) -> Result<Tokens, OAuthError> {
    let now = clock.now();
    let form = form.params()?;
    // One transaction: the code or refresh token is spent only if the new tokens are
    // stored and the ID token signed, so an app whose call failed can retry without its
    // retry looking like a replay. A revocation, though, is kept (`Refused::Revoke`).
    let _turn = db.write_turn().await;
    let mut tx = db.begin().await?;
    let exchanged = exchange(&mut tx, &form, &basic, config, keys, now).await;
    match exchanged {
        Ok(body) => {
            tx.commit().await?;
            Ok(Tokens {
                body: Json(body),
                cache: Header::new("Cache-Control", "no-store"),
            })
        }
        Err(Refused::Revoke(grant_id)) => {
            grants::delete_grant(&mut tx, grant_id).await?;
            tx.commit().await?;
            Err(OAuthError::InvalidGrant)
        }
        Err(Refused::Error(error)) => Err(error),
    }
}

/// Why no tokens are issued.
enum Refused {
    Error(OAuthError),
    /// A code or refresh token used twice, or a person the app's rules no longer admit: the
    /// whole grant goes, and the answer is `invalid_grant`.
    Revoke(i64),
}

impl<E: Into<OAuthError>> From<E> for Refused {
    fn from(error: E) -> Refused {
        Refused::Error(error.into())
    }
}

async fn exchange(
    conn: &mut AnyConnection,
    form: &TokenParams<'_>,
    basic: &Basic,
    config: &AppConfig,
    keys: &KeyRing,
    now: i64,
) -> Result<Value, Refused> {
    let app = client::authenticate(conn, basic, form.client_id, form.client_secret).await?;
    let grant = match form.grant_type {
        Some("authorization_code") => redeem_code(conn, &app, form, now).await?,
        Some("refresh_token") => use_refresh_token(conn, &app, form, now).await?,
        Some(_) => return Err(OAuthError::UnsupportedGrantType.into()),
        None => return Err(OAuthError::InvalidRequest.into()),
    };
    let user = models::user_by_id(conn, grant.user_id)
        .await?
        .ok_or(OAuthError::InvalidGrant)?;
    // The app's rules again: at every refresh, a person taken off them loses the app. A
    // membership due for a recheck stops the refresh without revoking: the app sends the
    // person to authorize again, and the sign-in that does is the recheck.
    match app_access::admits(conn, config, &app, &user, now).await? {
        Standing::Admitted => {}
        Standing::Unverified => return Err(OAuthError::InvalidGrant.into()),
        Standing::Refused => return Err(Refused::Revoke(grant.id)),
    }
    Ok(issue(conn, config, keys, &app, &grant, &user, now).await?)
}

/// The code's grant, if `app` may redeem it now with this redirect URI and verifier.
async fn redeem_code(
    conn: &mut AnyConnection,
    app: &StoredApp,
    form: &TokenParams<'_>,
    now: i64,
) -> Result<Grant, Refused> {
    let code = form.code.ok_or(OAuthError::InvalidRequest)?;
    let (row, unused) = grants::redeem_code(conn, app.id, &sha256_hex(code))
        .await?
        .ok_or(OAuthError::InvalidGrant)?;
    if !unused {
        crate::ops::logging::audit!("code replayed app={:?}: its grant is revoked", app.name);
        return Err(Refused::Revoke(row.grant.id));
    }
    let verifier_ok = match (row.code_challenge.as_str(), form.code_verifier) {
        ("", None) => true,
        ("", Some(_)) | (_, None) => false,
        (challenge, Some(verifier)) => {
            bool::from(s256(verifier).as_bytes().ct_eq(challenge.as_bytes()))
        }
    };
    let good =
        row.expires_at > now && form.redirect_uri == Some(row.redirect_uri.as_str()) && verifier_ok;
    Ok(good.then_some(row.grant).ok_or(OAuthError::InvalidGrant)?)
}

/// The refresh token's grant, if it is `app`'s, live and unused; marked used. A reuse
/// revokes its family.
async fn use_refresh_token(
    conn: &mut AnyConnection,
    app: &StoredApp,
    form: &TokenParams<'_>,
    now: i64,
) -> Result<Grant, Refused> {
    let presented = form.refresh_token.ok_or(OAuthError::InvalidRequest)?;
    let (row, unused) = grants::use_refresh_token(conn, app.id, &sha256_hex(presented))
        .await?
        .ok_or(OAuthError::InvalidGrant)?;
    if !unused {
        crate::ops::logging::audit!(
            "refresh token reused app={:?}: its grant is revoked",
            app.name
        );
        return Err(Refused::Revoke(row.grant.id));
    }
    if row.expires_at <= now {
        return Err(OAuthError::InvalidGrant.into());
    }
    Ok(row.grant)
}

/// A new access token (and refresh token, with `offline_access`), and the ID token.
async fn issue(
    conn: &mut AnyConnection,
    config: &AppConfig,
    keys: &KeyRing,
    app: &StoredApp,
    grant: &Grant,
    user: &User,
    now: i64,
) -> Result<Value, OAuthError> {
    let access = token();
    grants::insert_token(
        conn,
        grant.id,
        "access",
        &sha256_hex(&access),
        now + ACCESS_TOKEN_SECS,
    )
    .await?;
    let mut body = json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_SECS,
        "scope": grant.scope,
    });
    if grant.has_scope("offline_access") {
        let refresh = token();
        let expires = now + REFRESH_TOKEN_SECS;
        grants::insert_token(conn, grant.id, "refresh", &sha256_hex(&refresh), expires).await?;
        body["refresh_token"] = json!(refresh);
    }
    if grant.has_scope("openid") {
        let groups = id_token::groups(conn, app, user).await?;
        let person = PersonClaims::of(user, grant, groups);
        let issuer = &config.public_url;
        let subject = id_token::Subject {
            app,
            grant,
            person: &person,
            access_token: &access,
        };
        let signed = id_token::sign(keys, conn, issuer, subject, now).await?;
        body["id_token"] = json!(signed);
    }
    Ok(body)
}

/// PKCE's S256: base64url of the SHA-256 of the verifier.
fn s256(verifier: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()))
}
