use std::sync::Arc;

use super::schedule::still_published;
use super::*;

/// RFC 8032, section 7.1, TEST 1: a published test vector, not a secret.
const SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The seed as `openssl genpkey -algorithm ed25519` writes it: PKCS#8 v1.
fn openssl_der() -> Vec<u8> {
    let mut der = hex("302e020100300506032b657004220420");
    der.extend(hex(SEED));
    der
}

#[test]
fn a_base64_setting_gives_the_rfc_public_key_and_its_thumbprint() {
    let key = SigningKey::from_setting(&STANDARD.encode(openssl_der())).unwrap();
    let AlgorithmParameters::OctetKeyPair(okp) = &key.jwk().algorithm else {
        panic!("not an OKP key: {:?}", key.jwk());
    };
    assert_eq!(okp.x, URL_SAFE_NO_PAD.encode(hex(PUBLIC)));
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, okp.x);
    assert_eq!(key.kid, thumbprint(&canonical));
}

#[test]
fn a_pem_setting_gives_the_same_key() {
    let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", openssl_der()));
    let from_pem = SigningKey::from_setting(&pem).unwrap();
    let from_b64 = SigningKey::from_setting(&STANDARD.encode(openssl_der())).unwrap();
    assert_eq!(from_pem.kid, from_b64.kid);
}

#[test]
fn other_pem_blocks_and_garbage_are_refused() {
    let public = pem::encode(&pem::Pem::new("PUBLIC KEY", openssl_der()));
    for bad in [public.as_str(), "not base64!", "aGVsbG8=", ""] {
        assert!(
            matches!(SigningKey::from_setting(bad), Err(KeyError::BadSetting)),
            "{bad:?}"
        );
    }
}

#[test]
fn generated_keys_differ_and_read_back() {
    for alg in [Alg::EdDsa, Alg::Rs256] {
        let (a, der) = SigningKey::generate(alg).unwrap();
        let (b, _) = SigningKey::generate(alg).unwrap();
        assert_ne!(a.kid, b.kid);
        assert_eq!(SigningKey::from_pkcs8(alg, &der).unwrap().kid, a.kid);
        assert!(
            SigningKey::from_stored(alg, &b.kid, &der).is_err(),
            "another kid"
        );
    }
}

#[test]
fn debug_shows_the_kid_and_alg_but_never_the_private_key() {
    let key = SigningKey::from_setting(&STANDARD.encode(openssl_der())).unwrap();
    let shown = format!("{key:?}");
    assert!(shown.contains(&key.kid), "{shown}");
    assert!(shown.contains("EdDsa"), "{shown}");
    assert!(!shown.to_lowercase().contains(&SEED[..16]), "{shown}");
    assert!(!shown.contains("pair"), "{shown}");
}

/// Each key's JWT verifies with its published JWK alone, by jsonwebtoken (what a relying
/// party uses), and names its `alg` and `kid`.
#[test]
fn a_signed_jwt_verifies_with_the_published_key_and_nothing_else() {
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Claims {
        sub: String,
        exp: i64,
    }
    let claims = Claims {
        sub: "583231".into(),
        exp: 4_000_000_000,
    };
    for (alg, algorithm) in [
        (Alg::EdDsa, jsonwebtoken::Algorithm::EdDSA),
        (Alg::Rs256, jsonwebtoken::Algorithm::RS256),
    ] {
        let (key, _) = SigningKey::generate(alg).unwrap();
        let (other, _) = SigningKey::generate(alg).unwrap();
        let jwt = key.sign_jwt("JWT", &claims).unwrap();
        let header = jsonwebtoken::decode_header(&jwt).unwrap();
        assert_eq!(header.alg, algorithm);
        assert_eq!(header.kid.as_deref(), Some(key.kid()));
        assert_eq!(
            key.jwk()
                .common
                .key_algorithm
                .map(|a| a.to_string())
                .as_deref(),
            Some(alg.as_str())
        );
        let mut validation = jsonwebtoken::Validation::new(algorithm);
        validation.validate_aud = false;
        let verify = |jwk: &Jwk| {
            let decoding = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
            jsonwebtoken::decode::<Claims>(&jwt, &decoding, &validation)
        };
        assert_eq!(verify(key.jwk()).unwrap().claims.sub, "583231");
        assert!(verify(other.jwk()).is_err(), "{alg:?}: another key's JWK");
    }
}

/// Its last token may be signed a refresh late, by an instance that had not read the store.
#[test]
fn a_retired_key_leaves_the_jwks_when_its_last_token_expires() {
    let kept = LONGEST_TOKEN_SECS + SCHEDULE_REFRESH_SECS;
    assert!(still_published(None, 1_000_000));
    assert!(still_published(Some(1_000), 1_000 + kept - 1));
    assert!(!still_published(Some(1_000), 1_000 + kept));
}

#[test]
fn spans_are_written_as_the_settings_write_them() {
    assert_eq!(span(30 * 86_400), "30d");
    assert_eq!(span(36 * 3_600), "36h");
    assert_eq!(span(90), "90s");
    assert_eq!(span(0), "0s");
    assert_eq!(when(0), "1970-01-01T00:00:00Z");
}

/// A store of its own, migrated, in memory.
async fn store() -> rocket_db_pools::sqlx::AnyConnection {
    use rocket_db_pools::sqlx::Connection as _;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect("sqlite::memory:")
        .await
        .unwrap();
    crate::store::pool::run_migrations(&mut conn).await.unwrap();
    conn
}

/// Two instances that both found the newest key due, and both made a key beforehand: the
/// first to take the table stores its key, the second finds it there and stores nothing.
#[rocket::async_test]
async fn of_two_instances_finding_a_key_due_at_once_only_the_first_stores_one() {
    let mut conn = store().await;
    let start = 1_800_000_000;
    store::settle(&mut conn, false, start).await.unwrap();
    let made = || SigningKey::generate(Alg::EdDsa).unwrap();
    let (every, ahead) = (100, 10);

    let early = store::rotate_if_due(&mut conn, made(), every, ahead, start + every - 1);
    assert_eq!(early.await.unwrap(), None, "a second early");
    let first = store::rotate_if_due(&mut conn, made(), every, ahead, start + every).await;
    let second = store::rotate_if_due(&mut conn, made(), every, ahead, start + every).await;

    assert!(first.unwrap().is_some());
    assert_eq!(second.unwrap(), None);
    let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM signing_keys")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(keys, 2);
}

/// A key published ahead takes over at its second, and the key it replaces signs until then.
#[rocket::async_test]
async fn a_key_signs_from_its_second_and_the_one_it_replaces_until_then() {
    let mut conn = store().await;
    let start = 1_800_000_000;
    let slots = store::settle(&mut conn, false, start).await.unwrap();
    let old = slots[0].0.kid().to_owned();
    let new = store::rotate(&mut conn, Alg::EdDsa, start + 5, start + 50)
        .await
        .unwrap();
    let ring = KeyRing::new(None, vec![]);
    let signer = async |conn: &mut _, at| {
        let key = ring.signing_key(conn, Alg::EdDsa, at).await.unwrap();
        key.kid().to_owned()
    };

    assert_eq!(signer(&mut conn, start + 49).await, old);
    assert_eq!(signer(&mut conn, start + 50).await, new, "read 1 s before");
    assert_eq!(signer(&mut conn, start + 49).await, old, "not retired then");
}

/// A token costs no query: the ring remembers the schedule it read, reads the store again only
/// once its copy is [`SCHEDULE_REFRESH_SECS`] old, and parses again only a key it has not seen.
#[rocket::async_test]
async fn the_ring_reads_the_store_again_only_once_its_schedule_is_a_refresh_old() {
    let mut conn = store().await;
    let start = 1_800_000_000;
    let ring = KeyRing::new(None, vec![]);
    let first = ring
        .signing_key(&mut conn, Alg::EdDsa, start)
        .await
        .unwrap();
    assert_eq!(ring.signing_kids(start), [first.kid().to_owned()]);
    let reread = start + SCHEDULE_REFRESH_SECS;
    let same = ring
        .signing_key(&mut conn, Alg::EdDsa, reread)
        .await
        .unwrap();
    assert!(Arc::ptr_eq(&first, &same), "read again, not parsed again");
    // Gone from the store: only a ring that reads it again notices.
    sqlx::query("DELETE FROM signing_keys")
        .execute(&mut conn)
        .await
        .unwrap();

    let last = reread + SCHEDULE_REFRESH_SECS - 1;
    let remembered = ring.signing_key(&mut conn, Alg::EdDsa, last).await.unwrap();
    assert_eq!(remembered.kid(), first.kid(), "from memory");
    let read_again = ring
        .signing_key(&mut conn, Alg::EdDsa, last + 1)
        .await
        .unwrap();
    assert_ne!(read_again.kid(), first.kid(), "a first key made anew");
}

/// Each algorithm has its own keys in one schedule; and a key whose time has not come on this
/// clock (made at once by an instance whose clock is ahead) signs when no other can.
#[rocket::async_test]
async fn the_ring_signs_with_a_key_of_the_algorithm_asked_even_one_not_yet_due() {
    let mut conn = store().await;
    let start = 1_800_000_000;
    let rsa = store::newest_or_first(&mut conn, Alg::Rs256, start)
        .await
        .unwrap();
    let ahead = store::rotate(&mut conn, Alg::EdDsa, start, start + 2)
        .await
        .unwrap();
    let ring = KeyRing::new(None, vec![]);

    let ed = ring
        .signing_key(&mut conn, Alg::EdDsa, start)
        .await
        .unwrap();
    sqlx::query("DELETE FROM signing_keys")
        .execute(&mut conn)
        .await
        .unwrap();
    let rs = ring
        .signing_key(&mut conn, Alg::Rs256, start + 1)
        .await
        .unwrap();
    let ed_again = ring
        .signing_key(&mut conn, Alg::EdDsa, start + 1)
        .await
        .unwrap();

    assert_eq!((ed.kid(), ed.alg()), (ahead.as_str(), Alg::EdDsa));
    assert_eq!(ed_again.kid(), ahead, "from memory, no first key made");
    assert_eq!((rs.kid(), rs.alg()), (rsa.kid(), Alg::Rs256));
}
