//! The device authorization grant (RFC 8628), step 1: `POST /oauth/device_authorization`. A
//! command-line tool or a machine without a browser asks for a pair of codes: a device code
//! it keeps and polls the token endpoint with (`device_poll.rs`), and a short user code its
//! person types at `/device`, on any device where they can sign in (`device_page.rs`).
//! Errors are RFC 6749 §5.2's JSON, as the token endpoint's (RFC 8628 §3.2).

use rocket::form::{Form, FromForm};
use rocket::http::Header;
use rocket::serde::json::Json;
use rocket::{post, State};
use rocket_db_pools::sqlx::AnyConnection;
use serde::Serialize;

use super::client::{self, Basic, ClientAuth};
use super::oauth_error::OAuthError;
use super::once::Once;
use super::request::{self, AuthRequest, SCOPES};
use crate::config::AppConfig;
use crate::models::device_requests::{self, NewDeviceRequest};
use crate::ops::clock::Clock;
use crate::ops::random::{sha256_hex, token};
use crate::store::pool::Db;

/// A request waits this long for its person (RFC 8628 §3.2 `expires_in`).
pub(crate) const DEVICE_CODE_SECS: i64 = 10 * 60;

/// How long a device waits between polls at first (RFC 8628 §3.2 `interval`).
pub(crate) const INTERVAL_SECS: i64 = 5;

/// The user code's letters: no vowels (no words), nothing read two ways (RFC 8628 §6.1).
const ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";

/// Eight of them: 20^8, about 2^34.6 codes, against ten tries per person per ten minutes.
const USER_CODE_LEN: usize = 8;

#[derive(FromForm)]
pub(super) struct DeviceForm<'r> {
    client_id: Once<'r>,
    client_secret: Once<'r>,
    scope: Once<'r>,
    /// RFC 8707 §2: the APIs the tool wants tokens for.
    resource: Vec<&'r str>,
}

/// RFC 8628 §3.2's answer.
#[derive(Debug, Serialize)]
pub(crate) struct DeviceAuthorization {
    pub(crate) device_code: String,
    pub(crate) user_code: String,
    pub(crate) verification_uri: String,
    pub(crate) verification_uri_complete: String,
    pub(crate) expires_in: i64,
    pub(crate) interval: i64,
}

/// The answer, never to be cached: it holds a secret.
#[derive(rocket::Responder)]
pub(super) struct Answer {
    body: Json<DeviceAuthorization>,
    cache: Header<'static>,
}

#[post("/oauth/device_authorization", data = "<form>")]
pub(super) async fn device_authorization(
    form: Form<DeviceForm<'_>>,
    basic: Basic,
    config: &State<AppConfig>,
    clock: &State<Clock>,
    db: &Db,
) -> Result<Answer, OAuthError> {
    let once = |param: Once<'_>| {
        param
            .get()
            .map(|value| value.map(str::to_owned))
            .map_err(|_| OAuthError::InvalidRequest)
    };
    let (client_id, secret) = (once(form.client_id)?, once(form.client_secret)?);
    let client = ClientAuth::parse(&basic, client_id.as_deref(), secret.as_deref())?;
    let scope = once(form.scope)?;
    let _turn = db.write_turn().await;
    let mut conn = db.acquire().await?;
    let asked = Asked {
        client: &client,
        scope: scope.as_deref().unwrap_or(""),
        resources: &form.resource,
    };
    let body = authorize_device(&mut conn, config, clock.now(), asked).await?;
    Ok(Answer {
        body: Json(body),
        cache: Header::new("Cache-Control", "no-store"),
    })
}

/// What a device asks for.
pub(crate) struct Asked<'a> {
    pub(crate) client: &'a ClientAuth,
    pub(crate) scope: &'a str,
    pub(crate) resources: &'a [&'a str],
}

/// The step: the app authenticated and allowed the grant, its request checked as an
/// authorization request's would be (unknown scopes ignored, APIs by `resource`), and kept
/// with a fresh pair of codes. Only their hashes are stored.
pub(crate) async fn authorize_device(
    conn: &mut AnyConnection,
    config: &AppConfig,
    now: i64,
    asked: Asked<'_>,
) -> Result<DeviceAuthorization, OAuthError> {
    let app = client::authenticate(conn, asked.client).await?;
    if !app.device {
        return Err(OAuthError::UnauthorizedClient);
    }
    let words: Vec<&str> = asked.scope.split(' ').collect();
    let scope: Vec<&str> = SCOPES.into_iter().filter(|s| words.contains(s)).collect();
    let apis = request::asked_apis(conn, &app, asked.resources, &words)
        .await?
        .ok_or(OAuthError::InvalidTarget)?;
    let request = AuthRequest {
        app_id: app.id,
        client_id: app.client_id.clone(),
        redirect_uri: String::new(),
        scope: scope.join(" "),
        state: None,
        nonce: None,
        code_challenge: None,
        no_prompt: false,
        fresh_login: false,
        asked_at: now,
        max_age: None,
        apis,
        shown: Vec::new(),
    };
    let request = serde_json::to_string(&request).expect("a request serializes");
    let device_code = token();
    let device_code_hash = sha256_hex(&device_code);
    // A user code is short: another waiting request may hold the one drawn. Draw again.
    for _ in 0..5 {
        let user_code = user_code();
        let new = NewDeviceRequest {
            device_code_hash: &device_code_hash,
            user_code_hash: &sha256_hex(&user_code),
            app_id: app.id,
            request: &request,
            interval_secs: INTERVAL_SECS,
            expires_at: now + DEVICE_CODE_SECS,
        };
        if device_requests::insert(conn, &new).await? {
            let shown = format!("{}-{}", &user_code[..4], &user_code[4..]);
            let page = format!("{}/device", config.public_url);
            return Ok(DeviceAuthorization {
                device_code,
                verification_uri_complete: format!("{page}?user_code={shown}"),
                user_code: shown,
                verification_uri: page,
                expires_in: DEVICE_CODE_SECS,
                interval: INTERVAL_SECS,
            });
        }
    }
    // Five taken codes in a row would mean the store holds millions of waiting requests.
    let full = "no free user code after five draws".to_owned();
    Err(OAuthError::Store(rocket_db_pools::sqlx::Error::Protocol(
        full,
    )))
}

/// Eight letters of [`ALPHABET`], each drawn without bias.
fn user_code() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..USER_CODE_LEN)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// The code as a person typed it, as it is stored: upper case, without the dashes and spaces
/// they may have typed or pasted (RFC 8628 §6.1); `None` if it cannot be one.
pub(crate) fn normalize_user_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let letters = code.bytes().all(|b| ALPHABET.contains(&b));
    (code.len() == USER_CODE_LEN && letters).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_code_is_eight_letters_of_the_alphabet_typed_any_way() {
        let code = user_code();
        assert_eq!(normalize_user_code(&code).as_deref(), Some(code.as_str()));
        for typed in ["bcdf-ghjk", "BCDF GHJK", " bcdfghjk ", "BcDf-GhJk"] {
            assert_eq!(
                normalize_user_code(typed).as_deref(),
                Some("BCDFGHJK"),
                "{typed}"
            );
        }
        for typed in [
            "BCDF-GHJ",
            "BCDF-GHJKL",
            "ABCD-EFGH",
            "BCDF-GHJ1",
            "",
            "BCDF_GHJK",
        ] {
            assert_eq!(normalize_user_code(typed), None, "{typed}");
        }
    }
}
