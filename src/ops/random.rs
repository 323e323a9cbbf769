//! What every secret the app hands out is made of: 256 random bits, base64url; and the
//! SHA-256 stored in its place, so that a copy of the store cannot be replayed. 256 random
//! bits cannot be guessed, so a fast hash is enough: no password hashing is needed.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// 32 random bytes, base64url: session ids, CSRF tokens, OAuth states, client secrets.
pub fn token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The SHA-256 of `secret`, in hex: what the store keeps in its place (also of a webhook's
/// raw body, by which a replay under a new delivery id is known).
pub fn sha256_hex(secret: impl AsRef<[u8]>) -> String {
    hex(&Sha256::digest(secret.as_ref()))
}

/// Lower-case hex, as digests and signatures are written in headers and columns. Built in
/// one allocation: every signed-in request hashes its cookie or token with it.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * bytes.len());
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// A fresh Rocket `secret_key` (512 random bits, base64), for a process whose cookies
/// nobody else needs to read: a test's server, a command that serves nothing.
pub fn secret_key() -> String {
    let mut key = [0u8; 64];
    rand::thread_rng().fill_bytes(&mut key);
    STANDARD.encode(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lower_case_two_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(hex(&[]), "");
        // FIPS 180-2's first example.
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
