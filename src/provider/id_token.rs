//! The ID token (OpenID Connect Core 2): who signed in, for which app, signed with the key of
//! the app's algorithm, and the claims its scopes allow.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256, Sha512};

use rocket_db_pools::sqlx::{self, AnyConnection};

use crate::keys::{Alg, KeyError, KeyRing, LONGEST_TOKEN_SECS};
use crate::models::apps::StoredApp;
use crate::models::grants::Grant;
use crate::models::{self, User};
use crate::registry::Rule;

/// The `typ` of an ID token: `JWT`, the one relying-party libraries take (the `openidconnect`
/// crate refuses any other). Identity tokens have a type of their own (`identity/tokens.rs`).
pub const TYP: &str = "JWT";

/// How long an ID token is valid: it is read once, at sign-in, so minutes are plenty.
pub const ID_TOKEN_LIFETIME_SECS: i64 = 10 * 60;

// A retired key leaves the JWKS once the longest-lived token it signed has expired.
const _: () = assert!(ID_TOKEN_LIFETIME_SECS <= LONGEST_TOKEN_SECS);

/// The `groups` an app learns: the person's organisations and teams (`org/team-slug`) that
/// the app's own rules name, which is what the consent page says it receives. The global
/// org list decides who may sign in to gitlogin at all; which of those organisations someone
/// is in is not any one app's business unless its rules name them. An app without org or
/// team rules learns no groups.
pub async fn groups(
    conn: &mut AnyConnection,
    app: &StoredApp,
    user: &User,
) -> sqlx::Result<Vec<String>> {
    let named: Vec<&String> = app
        .rules
        .iter()
        .filter_map(|rule| match rule {
            Rule::Org(group) | Rule::Team(group) => Some(group),
            Rule::User(_) => None,
        })
        .collect();
    let memberships = models::memberships(conn, user.id).await?;
    Ok(memberships
        .into_iter()
        .filter(|group| named.contains(&group))
        .collect())
}

/// The claims of `profile`, `email` and `groups` (also what userinfo answers).
#[derive(Debug, Clone, Serialize, Default)]
pub struct PersonClaims {
    /// The GitHub id as a string: it never changes, unlike the login.
    pub sub: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
}

impl PersonClaims {
    /// What `grant`'s scopes allow the app to learn about `user`.
    pub fn of(user: &User, grant: &Grant, groups: Vec<String>) -> PersonClaims {
        let profile = grant.has_scope("profile");
        // GitHub gives gitlogin only the primary verified address.
        let email = user.email.clone().filter(|_| grant.has_scope("email"));
        PersonClaims {
            sub: user.github_id.0.to_string(),
            preferred_username: profile.then(|| user.login.clone()),
            name: user.name.clone().filter(|_| profile),
            picture: user.avatar_url.clone().filter(|_| profile),
            email_verified: email.as_ref().map(|_| true),
            email,
            groups: grant.has_scope("groups").then_some(groups),
        }
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
    auth_time: i64,
    /// The gitlogin session it was issued in, the same for every app signed in from there:
    /// a back-channel logout names it (Back-Channel Logout 1.0 §2.1).
    sid: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    nonce: &'a str,
    at_hash: String,
    #[serde(flatten)]
    person: &'a PersonClaims,
}

/// What an ID token is about.
pub struct Subject<'a> {
    pub app: &'a StoredApp,
    pub grant: &'a Grant,
    pub person: &'a PersonClaims,
    /// The access token issued with it, whose hash it carries.
    pub access_token: &'a str,
}

/// Signs the ID token for `subject`, with the key of its app's algorithm.
pub async fn sign(
    keys: &KeyRing,
    conn: &mut rocket_db_pools::sqlx::AnyConnection,
    issuer: &str,
    subject: Subject<'_>,
    now: i64,
) -> Result<String, KeyError> {
    let key = keys
        .signing_key(conn, subject.app.id_token_alg, now)
        .await?;
    let claims = Claims {
        iss: issuer,
        aud: &subject.app.client_id,
        iat: now,
        exp: now + ID_TOKEN_LIFETIME_SECS,
        auth_time: subject.grant.auth_time,
        sid: &subject.grant.sid,
        nonce: &subject.grant.nonce,
        at_hash: at_hash(key.alg(), subject.access_token),
        person: subject.person,
    };
    key.sign_jwt(TYP, &claims)
}

/// The left half of the access token's hash, base64url (Core 3.1.3.6), with the hash of the
/// signing algorithm: SHA-256 for RS256, SHA-512 for Ed25519.
fn at_hash(alg: Alg, access_token: &str) -> String {
    let digest = match alg {
        Alg::Rs256 => Sha256::digest(access_token.as_bytes()).to_vec(),
        Alg::EdDsa => Sha512::digest(access_token.as_bytes()).to_vec(),
    };
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}
