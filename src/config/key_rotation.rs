//! `SIGNING_KEY_ROTATION` and `SIGNING_KEY_PUBLISH_AHEAD`: how often the store's signing keys
//! are replaced, and how long a new key is published before it signs (`keys/rotation.rs`
//! makes them, `keys/key_ring.rs` switches to them).

use super::parse::{parse_duration, parse_duration_or_zero};
use super::ConfigError;

/// The shortest `SIGNING_KEY_ROTATION`: every key made is kept for a token lifetime after it
/// retires, so a shorter one would only fill the JWKS.
pub const SHORTEST_ROTATION_SECS: i64 = 10;

/// When the store's keys change by themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRotation {
    /// Seconds from one key of an algorithm to the next; `None` (`off`): only
    /// `gitlogin rotate-key` makes keys.
    pub every: Option<i64>,
    /// Seconds a new key is in the JWKS before it signs: a relying party that caches the JWKS
    /// for less than this knows the key before it meets a token signed with it.
    pub publish_ahead: i64,
}

/// Both settings as written. A key must start signing before the next one is made, or keys
/// would pile up in the JWKS unused: the lead must be shorter than the rotation.
pub(super) fn parse(rotation: &str, ahead: &str) -> Result<KeyRotation, ConfigError> {
    let publish_ahead = parse_duration_or_zero("SIGNING_KEY_PUBLISH_AHEAD", ahead)?;
    if rotation.trim().eq_ignore_ascii_case("off") {
        return Ok(KeyRotation {
            every: None,
            publish_ahead,
        });
    }
    let every = parse_duration("SIGNING_KEY_ROTATION", rotation)?;
    if every < SHORTEST_ROTATION_SECS {
        return Err(ConfigError::Other(format!(
            "SIGNING_KEY_ROTATION is {rotation:?}: give a duration of at least 10s, or off"
        )));
    }
    if publish_ahead >= every {
        return Err(ConfigError::Other(format!(
            "SIGNING_KEY_PUBLISH_AHEAD ({ahead:?}) must be shorter than SIGNING_KEY_ROTATION \
             ({rotation:?}): each key must sign before the next one is made"
        )));
    }
    Ok(KeyRotation {
        every: Some(every),
        publish_ahead,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rotation(every: Option<i64>, publish_ahead: i64) -> KeyRotation {
        KeyRotation {
            every,
            publish_ahead,
        }
    }

    /// The error's line, from the variable it names on.
    fn named(parsed: Result<KeyRotation, ConfigError>) -> String {
        let line = parsed.unwrap_err().to_string();
        line.trim_start_matches("invalid configuration: ")
            .to_owned()
    }

    #[test]
    fn a_rotation_is_a_duration_of_at_least_ten_seconds_or_off() {
        assert_eq!(
            parse("30d", "1d").unwrap(),
            rotation(Some(30 * 86400), 86400)
        );
        assert_eq!(parse("10s", "0s").unwrap(), rotation(Some(10), 0));
        assert_eq!(parse("off", "1d").unwrap(), rotation(None, 86400));
        assert_eq!(parse(" OFF ", "0m").unwrap(), rotation(None, 0));
        for bad in ["9s", "0s", "never", "", "30"] {
            let err = named(parse(bad, "0s"));
            assert!(err.starts_with("SIGNING_KEY_ROTATION"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn the_lead_is_a_duration_shorter_than_the_rotation() {
        assert_eq!(parse("1h", "59m").unwrap(), rotation(Some(3600), 3540));
        for (every, bad) in [("1h", "1h"), ("1h", "2h"), ("30d", "soon"), ("off", "-1s")] {
            let err = named(parse(every, bad));
            assert!(
                err.starts_with("SIGNING_KEY_PUBLISH_AHEAD"),
                "{bad:?}: {err}"
            );
            assert_eq!(err.lines().count(), 1, "{err}");
        }
    }
}
