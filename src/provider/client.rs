//! Which app is calling the token or revocation endpoint, proven as RFC 6749 2.3.1 allows:
//! `client_secret_basic` (HTTP Basic of the form-encoded id and secret), `client_secret_post`
//! (both in the form), or, for a public app, its `client_id` alone (it proves itself with
//! PKCE instead).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rocket::request::{FromRequest, Outcome, Request};
use rocket_db_pools::sqlx::AnyConnection;
use subtle::ConstantTimeEq;

use super::oauth_error::OAuthError;
use crate::models::apps::{self, StoredApp};
use crate::ops::random::sha256_hex;

/// The `Authorization: Basic` credentials, if the request has any.
pub struct Basic(Option<Result<(String, String), ()>>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Basic {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let header = req.headers().get_one("Authorization");
        let basic = header.and_then(|h| scheme_value(h, "Basic"));
        Outcome::Success(Basic(header.map(|_| basic.and_then(decode).ok_or(()))))
    }
}

/// The credentials of an `Authorization` header of `scheme`, whose name is case-insensitive
/// (RFC 7235 2.1).
pub fn scheme_value<'h>(header: &'h str, scheme: &str) -> Option<&'h str> {
    let (name, value) = header.trim().split_once(' ')?;
    name.eq_ignore_ascii_case(scheme).then(|| value.trim())
}

/// `base64(urlencode(id) ":" urlencode(secret))`.
fn decode(value: &str) -> Option<(String, String)> {
    let pair = String::from_utf8(STANDARD.decode(value.trim()).ok()?).ok()?;
    let (id, secret) = pair.split_once(':')?;
    let unescape = |part: &str| -> String {
        url::form_urlencoded::parse(format!("x={part}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some((unescape(id), unescape(secret)))
}

/// How the calling app says who it is, read from the request: its `client_id`, and its
/// secret unless it is a public app.
#[derive(Debug, Clone)]
pub(crate) struct ClientAuth {
    pub(crate) id: String,
    pub(crate) secret: Option<String>,
}

impl ClientAuth {
    /// One method only: credentials given twice, or an id in the form that is not the one
    /// in the header, are refused before the store is asked.
    pub(crate) fn parse(
        basic: &Basic,
        form_id: Option<&str>,
        form_secret: Option<&str>,
    ) -> Result<ClientAuth, OAuthError> {
        let (id, secret) = match (&basic.0, form_secret) {
            (Some(Err(())), _) => return Err(OAuthError::InvalidClient),
            (Some(Ok(_)), Some(_)) => return Err(OAuthError::InvalidRequest),
            (Some(Ok((id, secret))), None) => (id.as_str(), Some(secret.as_str())),
            (None, secret) => (form_id.ok_or(OAuthError::InvalidClient)?, secret),
        };
        if form_id.is_some_and(|form_id| form_id != id) {
            return Err(OAuthError::InvalidRequest);
        }
        Ok(ClientAuth {
            id: id.to_owned(),
            secret: secret.map(str::to_owned),
        })
    }
}

/// The calling app, if `client` proves it: a secret for a public app, or none for a
/// confidential one, is refused.
pub(crate) async fn authenticate(
    conn: &mut AnyConnection,
    client: &ClientAuth,
) -> Result<StoredApp, OAuthError> {
    let app = apps::find_app_by_client_id(conn, &client.id)
        .await?
        .ok_or(OAuthError::InvalidClient)?;
    let proven = match (&app.secret_hash, &client.secret) {
        // The stored value is the secret's SHA-256; compared in constant time all the same.
        (Some(hash), Some(secret)) => {
            bool::from(sha256_hex(secret).as_bytes().ct_eq(hash.as_bytes()))
        }
        (None, None) => true,
        _ => false,
    };
    if proven {
        Ok(app)
    } else {
        Err(OAuthError::InvalidClient)
    }
}
