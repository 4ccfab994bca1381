//! A target's path with `{field}` placeholders, and the idempotency key of a record: both made of the
//! values of a record's fields, as text that fits a URL and a header.

use serde_json::{Map, Value};

use crate::outcome::Reject;

/// A path such as `/orders/{order_id}/confirmations`: literal text and field names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTemplate {
    parts: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Field(String),
}

impl PathTemplate {
    /// Parses `path`; an error says what is malformed (the compiler checks the same, E0816).
    pub fn parse(path: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = path;
        while let Some(open) = rest.find(['{', '}']) {
            if rest[open..].starts_with('}') {
                return Err(format!("path {path:?} has a `}}` without its `{{`"));
            }
            let Some(close) = rest[open..].find('}') else {
                return Err(format!("path {path:?} has a `{{` without its `}}`"));
            };
            let field = &rest[open + 1..open + close];
            if field.is_empty() || field.contains('{') {
                return Err(format!("path {path:?} has an empty or nested placeholder"));
            }
            if open > 0 {
                parts.push(Piece::Literal(rest[..open].to_string()));
            }
            parts.push(Piece::Field(field.to_string()));
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Piece::Literal(rest.to_string()));
        }
        Ok(PathTemplate { parts })
    }

    /// Whether the path names fields (then each record has a path of its own).
    pub fn has_fields(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Piece::Field(_)))
    }

    /// The fields the path names.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Piece::Field(f) => Some(f.as_str()),
            Piece::Literal(_) => None,
        })
    }

    /// The path of `record`: each placeholder replaced by its field's value, percent-encoded as one path
    /// segment (a `/` in an order number does not make a new segment). A field that is missing or null
    /// leaves no path: a reject.
    pub fn path_of(&self, record: &Map<String, Value>) -> Result<String, Reject> {
        let mut path = String::new();
        for part in &self.parts {
            match part {
                Piece::Literal(text) => path.push_str(text),
                Piece::Field(field) => match record.get(field).and_then(value_text) {
                    Some(text) => path.push_str(&percent_encode(&text)),
                    None => {
                        return Err(Reject::new("the record has no value for its HTTP path")
                            .with_detail(format!("field {field} is missing or null")))
                    }
                },
            }
        }
        Ok(path)
    }
}

/// The idempotency key of a record: the values of its key fields, each percent-encoded, joined by `/`, so
/// that the same record sends the same key in every retry and after every restart, and two records with
/// different keys never share one. `None` when the target has no key fields or a key field is null.
pub fn idempotency_key(record: &Map<String, Value>, key_fields: &[&str]) -> Option<String> {
    if key_fields.is_empty() {
        return None;
    }
    let mut parts = Vec::with_capacity(key_fields.len());
    for field in key_fields {
        parts.push(percent_encode(&value_text(record.get(*field)?)?));
    }
    Some(parts.join("/"))
}

/// The key of a batch: its first and last record's keys and how many records it holds. A retry sends the
/// same batch (a target keeps its pending records in order), hence the same key.
pub fn batch_key(first: &str, last: &str, records: usize) -> String {
    format!("{first}..{last}#{records}")
}

/// A field's value as text: a string as it is, a number or boolean as JSON writes it; `None` for null, an
/// array or an object.
fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// Every byte but RFC 3986's unreserved characters as `%XX`: the result is one URL path segment and a
/// header value of visible ASCII.
pub(super) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    #[test]
    fn placeholders_take_the_record_s_values_as_one_segment_each() {
        let template = PathTemplate::parse("/orders/{order}/lines/{line}").unwrap();
        let record = object(json!({"order": "A/7 ü", "line": 3}));
        assert_eq!(
            template.path_of(&record).unwrap(),
            "/orders/A%2F7%20%C3%BC/lines/3"
        );
        let missing = template
            .path_of(&object(json!({"order": null, "line": 1})))
            .unwrap_err();
        assert_eq!(
            missing.detail.as_deref(),
            Some("field order is missing or null")
        );
        assert!(!PathTemplate::parse("/orders").unwrap().has_fields());
        assert!(PathTemplate::parse("/orders/{order").is_err());
        assert!(PathTemplate::parse("/orders/}").is_err());
        assert!(PathTemplate::parse("/orders/{}").is_err());
    }

    #[test]
    fn idempotency_keys_are_the_key_values_and_tell_records_apart() {
        let record = object(json!({"plant": "P/1", "order": 42, "qty": 1.5}));
        assert_eq!(
            idempotency_key(&record, &["plant", "order"]).as_deref(),
            Some("P%2F1/42")
        );
        let other = object(json!({"plant": "P", "order": "1/42"}));
        assert_ne!(
            idempotency_key(&record, &["plant", "order"]),
            idempotency_key(&other, &["plant", "order"])
        );
        assert_eq!(idempotency_key(&record, &[]), None);
        assert_eq!(batch_key("a", "z", 26), "a..z#26");
    }
}
