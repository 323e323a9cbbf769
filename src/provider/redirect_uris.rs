//! Where an app may be sent back to. Byte for byte what it registered: no prefix, case,
//! trailing-slash, port or encoding leeway, since a redirect URI that is almost the
//! registered one is an attacker's. One exception, RFC 8252 §7.3: a native app (a public
//! one) receives its code on a loopback port the operating system picks at each run, so its
//! loopback URIs match with any port, every other byte still equal.

use crate::models::apps::StoredApp;

/// The loopback origins without their port, as RFC 8252 §7.3 and §8.3 name them.
const LOOPBACK: [&str; 3] = ["http://127.0.0.1", "http://[::1]", "http://localhost"];

/// Whether `app` may be sent back to `asked`.
pub(crate) fn registered(app: &StoredApp, asked: &str) -> bool {
    let public = app.secret_hash.is_none();
    app.redirect_uris
        .iter()
        .any(|known| known == asked || (public && same_but_port(known, asked)))
}

/// Whether a code sent to `uri` goes to whatever listens on a port of this machine. Any
/// program there can, so for a public app nothing proves the listener is the app (RFC 8252
/// §8.6): such a request gets its code only from the consent page.
pub(crate) fn is_loopback(uri: &str) -> bool {
    without_port(uri).is_some()
}

/// Whether `known` and `asked` are loopback URIs that differ in their port alone.
fn same_but_port(known: &str, asked: &str) -> bool {
    matches!((without_port(known), without_port(asked)), (Some(k), Some(a)) if k == a)
}

/// A loopback URI split around its port: its origin's scheme and host, and everything after
/// the port (the path and query). `None` for any other URI, including look-alikes such as
/// `http://127.0.0.1.evil.example/` or `http://localhost@evil.example/`, whose host does not
/// end where a loopback host does.
fn without_port(uri: &str) -> Option<(&str, &str)> {
    LOOPBACK.into_iter().find_map(|origin| {
        let after = uri.strip_prefix(origin)?;
        let rest = match after.strip_prefix(':') {
            Some(port_and_rest) => {
                let digits = port_and_rest.len()
                    - port_and_rest
                        .trim_start_matches(|c: char| c.is_ascii_digit())
                        .len();
                let port = &port_and_rest[..digits];
                // As a browser writes it: 1 to 65535, no leading zero.
                if port.starts_with('0') || port.parse::<u16>().is_err() {
                    return None;
                }
                &port_and_rest[digits..]
            }
            None => after,
        };
        (rest.is_empty() || rest.starts_with(['/', '?'])).then_some((origin, rest))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loopback_uri_matches_itself_on_any_port_and_nothing_else_does() {
        for (known, asked) in [
            ("http://127.0.0.1/cb", "http://127.0.0.1:51004/cb"),
            ("http://127.0.0.1:8000/cb", "http://127.0.0.1:1/cb"),
            ("http://[::1]/cb?x=1", "http://[::1]:65535/cb?x=1"),
            ("http://localhost/", "http://localhost:8080/"),
            ("http://localhost", "http://localhost:8080"),
        ] {
            assert!(same_but_port(known, asked), "{known} {asked}");
        }
        for (known, asked) in [
            ("http://127.0.0.1/cb", "http://127.0.0.1.evil.example/cb"),
            ("http://127.0.0.1/cb", "http://127.0.0.1:80.evil.example/cb"),
            ("http://localhost/cb", "http://localhost@evil.example/cb"),
            (
                "http://localhost/cb",
                "http://localhost:8080@evil.example/cb",
            ),
            ("http://127.0.0.1/cb", "http://127.0.0.1:8080/cb/"),
            ("http://127.0.0.1/cb", "http://127.0.0.1:8080/other"),
            ("http://127.0.0.1/cb", "https://127.0.0.1:8080/cb"),
            ("http://127.0.0.1/cb", "http://localhost:8080/cb"),
            ("http://127.0.0.1/cb", "http://127.0.0.1:/cb"),
            ("http://127.0.0.1/cb", "http://127.0.0.1:08080/cb"),
            ("http://127.0.0.1/cb", "http://127.0.0.1:65536/cb"),
            ("http://127.0.0.1/cb", "http://127.0.0.1:-1/cb"),
            ("https://app.example/cb", "https://app.example:8443/cb"),
        ] {
            assert!(!same_but_port(known, asked), "{known} {asked}");
        }
    }
}
