//! The keys that sign tokens, and the JWT each one makes. Two algorithms: EdDSA (Ed25519)
//! signs identity tokens and the ID tokens of apps registered with `--id-token-alg EdDSA`;
//! RS256 (RSA 2048, PKCS#1 v1.5 with SHA-256) signs every other ID token, because it is the
//! one algorithm every OpenID Connect relying party supports.
//!
//! ring signs both, in constant time. ring cannot make RSA keys, so the `rsa` crate makes
//! them, and only that: its own private-key operations are not constant time (the Marvin
//! attack, RUSTSEC-2023-0071), and a key is generated once, never used by it afterwards.
//! Which key signs, and the JWKS, are the [`KeyRing`]'s (`keys/key_ring.rs`, with the schedule
//! of the store's keys in `keys/schedule.rs`); their rows in the store are `keys/store.rs`'s;
//! `keys/loader.rs` fills the ring at start-up, and `keys/rotation.rs` makes the store's new
//! keys on time.
//!
//! A layer of its own, below both of its users: identity tokens (`identity/tokens.rs`) and
//! the provider's ID tokens (`provider/id_token.rs`) sign with these keys, and each decides
//! its own tokens' lifetime.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, KeyAlgorithm,
    OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse, RSAKeyParameters, RSAKeyType,
};
use ring::rand::SystemRandom;
use ring::rsa::PublicKeyComponents;
use ring::signature::{Ed25519KeyPair, KeyPair, RsaKeyPair, RSA_PKCS1_SHA256};
use rocket_db_pools::sqlx;
use serde::Serialize;
use sha2::{Digest, Sha256};

pub(crate) mod key_ring;
pub(crate) mod loader;
pub(crate) mod rotation;
pub(crate) mod schedule;
pub(crate) mod store;
pub(crate) mod verify;

pub use self::key_ring::KeyRing;
use crate::config::ConfigError;
pub use crate::registry::IdTokenAlg as Alg;

/// How long a retired key stays published, and so how long any token signed with these keys
/// may live: a token outliving its key's place in the JWKS would stop verifying early. Each
/// kind of token checks, where its lifetime is set, that it lives no longer.
pub const LONGEST_TOKEN_SECS: i64 = 10 * 60;

/// How long an instance believes the signing schedule it read from the store (`schedule.rs`):
/// a key that signs at once is signed with everywhere within this, and a key it replaces may
/// sign this much past its retirement on an instance that had not read the store since.
pub const SCHEDULE_REFRESH_SECS: i64 = 10;

/// How long a key stays published after its retirement: until the last token it can have
/// signed, on the slowest instance to learn of it, has expired. Then its row is deleted.
pub const RETIRED_KEY_KEPT_SECS: i64 = LONGEST_TOKEN_SECS + SCHEDULE_REFRESH_SECS;

/// RSA keys are made this long: the size every relying party accepts.
const RSA_BITS: usize = 2048;

/// Why there is no key to sign with.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("SIGNING_KEY is not an Ed25519 private key: give a PEM \"PRIVATE KEY\" block, or its DER in base64 (`openssl genpkey -algorithm ed25519 -outform DER | base64 -w0`)")]
    BadSetting,
    #[error("the signing key {0:?} in the store is damaged; delete its row from signing_keys")]
    BadStoredKey(String),
    #[error("the system's random number generator failed")]
    Random,
    #[error("SIGNING_KEY is set, so the EdDSA signing key is managed outside gitlogin: to rotate it, put the new key in SIGNING_KEY and restart (tokens signed with the old key then stop verifying)")]
    ManagedOutside,
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("the store did not answer: {0}")]
    Store(#[from] sqlx::Error),
}

/// A private key, parsed once, with its public half as a JWK and its `kid` worked out once.
pub struct SigningKey {
    /// The RFC 7638 thumbprint of the public key: the same key always gets the same `kid`,
    /// whether it comes from `SIGNING_KEY` or the store.
    pub(crate) kid: String,
    alg: Alg,
    jwk: Jwk,
    pair: Pair,
}

enum Pair {
    Ed25519(Ed25519KeyPair),
    Rsa(RsaKeyPair),
}

impl std::fmt::Debug for SigningKey {
    // By hand, so that the private key can never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// PKCS#8: for Ed25519, v1 (what `openssl genpkey` writes) or v2 (what ring writes).
    pub fn from_pkcs8(alg: Alg, der: &[u8]) -> Option<SigningKey> {
        match alg {
            Alg::EdDsa => {
                let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).ok()?;
                let x = URL_SAFE_NO_PAD.encode(pair.public_key().as_ref());
                let kid = thumbprint(&format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#));
                let params = AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                    key_type: OctetKeyPairType::OctetKeyPair,
                    curve: EllipticCurve::Ed25519,
                    x,
                });
                Some(SigningKey::new(alg, kid, params, Pair::Ed25519(pair)))
            }
            Alg::Rs256 => {
                let pair = RsaKeyPair::from_pkcs8(der).ok()?;
                let public = PublicKeyComponents::<Vec<u8>>::from(pair.public());
                let n = URL_SAFE_NO_PAD.encode(&public.n);
                let e = URL_SAFE_NO_PAD.encode(&public.e);
                let kid = thumbprint(&format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#));
                let params = AlgorithmParameters::RSA(RSAKeyParameters {
                    key_type: RSAKeyType::RSA,
                    n,
                    e,
                });
                Some(SigningKey::new(alg, kid, params, Pair::Rsa(pair)))
            }
        }
    }

    fn new(alg: Alg, kid: String, params: AlgorithmParameters, pair: Pair) -> SigningKey {
        let jwk = Jwk {
            common: CommonParameters {
                public_key_use: Some(PublicKeyUse::Signature),
                key_algorithm: Some(match alg {
                    Alg::EdDsa => KeyAlgorithm::EdDSA,
                    Alg::Rs256 => KeyAlgorithm::RS256,
                }),
                key_id: Some(kid.clone()),
                ..CommonParameters::default()
            },
            algorithm: params,
        };
        SigningKey {
            kid,
            alg,
            jwk,
            pair,
        }
    }

    /// `SIGNING_KEY` (Ed25519): a PEM `PRIVATE KEY` block, or the same DER in base64, which
    /// fits on the one line an env file allows.
    pub fn from_setting(value: &str) -> Result<SigningKey, KeyError> {
        let value = value.trim();
        let der = if value.starts_with("-----BEGIN") {
            let block = pem::parse(value).map_err(|_| KeyError::BadSetting)?;
            if block.tag() != "PRIVATE KEY" {
                return Err(KeyError::BadSetting);
            }
            block.into_contents()
        } else {
            let compact: String = value.split_whitespace().collect();
            STANDARD.decode(compact).map_err(|_| KeyError::BadSetting)?
        };
        SigningKey::from_pkcs8(Alg::EdDsa, &der).ok_or(KeyError::BadSetting)
    }

    /// A new key from the system's random number generator, and its PKCS#8 bytes to store.
    pub fn generate(alg: Alg) -> Result<(SigningKey, Vec<u8>), KeyError> {
        let der = match alg {
            Alg::EdDsa => Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
                .map_err(|_| KeyError::Random)?
                .as_ref()
                .to_vec(),
            Alg::Rs256 => {
                use rsa::pkcs8::EncodePrivateKey;
                let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, RSA_BITS)
                    .map_err(|_| KeyError::Random)?;
                key.to_pkcs8_der()
                    .map_err(|_| KeyError::Random)?
                    .as_bytes()
                    .to_vec()
            }
        };
        let key = SigningKey::from_pkcs8(alg, &der).ok_or(KeyError::Random)?;
        Ok((key, der))
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// The public half: `kty`, its parameters, `kid`, `alg` and `use: sig`.
    pub fn jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// `claims` as a signed JWT (JWS compact serialisation), with this key's `alg` and `kid`
    /// and the token's kind, `typ`, in the header.
    pub fn sign_jwt(&self, typ: &'static str, claims: &impl Serialize) -> Result<String, KeyError> {
        #[derive(Serialize)]
        struct Header<'a> {
            alg: &'static str,
            typ: &'static str,
            kid: &'a str,
        }
        let header = Header {
            alg: self.alg.as_str(),
            typ,
            kid: &self.kid,
        };
        let signing_input = format!("{}.{}", base64_json(&header), base64_json(claims));
        let signature = match &self.pair {
            Pair::Ed25519(pair) => pair.sign(signing_input.as_bytes()).as_ref().to_vec(),
            Pair::Rsa(pair) => {
                let mut signature = vec![0; pair.public().modulus_len()];
                pair.sign(
                    &RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    signing_input.as_bytes(),
                    &mut signature,
                )
                .map_err(|_| KeyError::Random)?;
                signature
            }
        };
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }

    /// A key read back from the store, which must be the one its row says it is.
    pub(crate) fn from_stored(alg: Alg, kid: &str, der: &[u8]) -> Result<SigningKey, KeyError> {
        SigningKey::from_pkcs8(alg, der)
            .filter(|key| key.kid == kid)
            .ok_or_else(|| KeyError::BadStoredKey(kid.to_owned()))
    }
}

/// A second on the app's clock, as the log and `rotate-key` show it: RFC 3339, UTC.
pub(crate) fn when(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

/// `2592000` as `30d`, `90` as `90s`: a duration as the settings write it.
pub(crate) fn span(secs: i64) -> String {
    [("d", 86_400), ("h", 3_600), ("m", 60)]
        .into_iter()
        .find(|(_, unit)| secs > 0 && secs % unit == 0)
        .map_or_else(
            || format!("{secs}s"),
            |(name, unit)| format!("{}{name}", secs / unit),
        )
}

/// The SHA-256 of a key's required members, given in lexical order and without spaces
/// (RFC 7638), base64url.
fn thumbprint(canonical: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// A JWT's header or claims: JSON, base64url. Plain structs of strings and numbers always
/// serialise.
fn base64_json(value: &impl Serialize) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default())
}

#[cfg(test)]
mod tests;
