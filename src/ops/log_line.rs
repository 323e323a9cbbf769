//! One log line, as text or as JSON. Event and access lines are written as `what key=value
//! …` (values that may hold anything are quoted and escaped, `{:?}`), and JSON gives each
//! `key` its own field, so a log shipper can index them without parsing the message.

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// How lines are written (`LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl LogFormat {
    pub fn parse(value: &str) -> Option<LogFormat> {
        match value.trim() {
            "" | "text" => Some(LogFormat::Text),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }
}

/// `prefix` is what text lines start with (`info`, `event`, `access`, …); `fields` says
/// whether the message is made of `key=value` pairs worth splitting out.
pub fn render(
    format: LogFormat,
    prefix: &str,
    target: &str,
    message: &str,
    fields: bool,
) -> String {
    let now = OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default();
    match format {
        LogFormat::Text => format!("{now} {prefix}: {message}"),
        LogFormat::Json => {
            let mut line = Map::new();
            line.insert("timestamp".into(), now.into());
            line.insert("level".into(), prefix.into());
            line.insert("target".into(), target.into());
            line.insert("message".into(), message.into());
            if fields {
                let (event, pairs) = split_fields(message);
                if !event.is_empty() {
                    line.insert("event".into(), event.into());
                }
                for (key, value) in pairs {
                    line.entry(key).or_insert(value);
                }
            }
            Value::Object(line).to_string()
        }
    }
}

/// `sign-in ok github_id=1 login="a b"` as `("sign-in ok", [github_id: 1, login: "a b"])`.
fn split_fields(message: &str) -> (String, Vec<(String, Value)>) {
    let mut words = Vec::new();
    let mut pairs = Vec::new();
    let mut rest = message.trim();
    while !rest.is_empty() {
        let word_end = rest.find(' ').unwrap_or(rest.len());
        let Some((key, after)) = rest[..word_end]
            .split_once('=')
            .map(|(k, _)| (k, &rest[k.len() + 1..]))
        else {
            words.push(&rest[..word_end]);
            rest = rest[word_end..].trim_start();
            continue;
        };
        let (value, remaining) = if after.starts_with('"') {
            quoted(after)
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            let raw = &after[..end];
            let value = match (raw.parse::<i64>(), raw.parse::<f64>()) {
                (Ok(whole), _) => Value::from(whole),
                (_, Ok(number)) if number.is_finite() => Value::from(number),
                _ => Value::from(raw),
            };
            (value, &after[end..])
        };
        pairs.push((key.to_owned(), value));
        rest = remaining.trim_start();
    }
    (words.join(" "), pairs)
}

/// A `{:?}`-quoted string at the start of `text`, unescaped; and what follows it.
fn quoted(text: &str) -> (Value, &str) {
    let mut out = String::new();
    let mut chars = text.char_indices().skip(1);
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return (out.into(), &text[at + 1..]),
            '\\' => match chars.next().map(|(_, e)| e) {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some('0') => out.push('\0'),
                Some(other) => out.push(other),
                None => break,
            },
            c => out.push(c),
        }
    }
    (out.into(), "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_lines_split_into_fields_with_quoted_values_unescaped() {
        let (event, pairs) =
            split_fields(r#"sign-in failed reason=bad_state detail="a \"b\" c=d" n=3 ms=0.5"#);
        assert_eq!(event, "sign-in failed");
        assert_eq!(
            pairs,
            vec![
                ("reason".to_owned(), Value::from("bad_state")),
                ("detail".to_owned(), Value::from(r#"a "b" c=d"#)),
                ("n".to_owned(), Value::from(3)),
                ("ms".to_owned(), Value::from(0.5)),
            ]
        );
    }

    #[test]
    fn a_json_line_keeps_the_message_and_cannot_be_split_by_it() {
        let line = render(LogFormat::Json, "event", "t", "x login=\"a\\nb\"", true);
        assert_eq!(line.lines().count(), 1);
        let json: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(json["login"], "a\nb");
        assert_eq!(json["level"], "event");
        assert!(json["timestamp"].as_str().unwrap().ends_with('Z'));
    }
}
