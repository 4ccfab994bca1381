//! Topic templates of an MQTT target: `plant/{line}/{machine}/orders` takes each `{field}` from the
//! record. A record whose field is missing, not a scalar, empty, or would change the topic's shape (a
//! value with `/`, `+` or `#`) is rejected with the reason, so a record never lands on a wrong topic.

use crate::outcome::Reject;

/// The reason of every record a template cannot place.
pub const NO_TOPIC: &str = "no topic for the record";

#[derive(Debug, Clone, PartialEq, Eq)]
enum TemplatePiece {
    Text(String),
    Field(String),
}

/// A parsed topic template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicTemplate {
    text: String,
    parts: Vec<TemplatePiece>,
}

impl TopicTemplate {
    /// Parses a template. Refused: an empty template, a `+` or `#` (a topic to publish to has no
    /// wildcards), a NUL character, an unclosed `{`, a stray `}`, an empty `{}`.
    pub fn parse(text: &str) -> Result<TopicTemplate, String> {
        if text.is_empty() {
            return Err("a topic cannot be empty".into());
        }
        if text.contains(['+', '#']) {
            return Err(format!(
                "topic {text:?} has a wildcard; a message is published to one topic, without `+` or `#`"
            ));
        }
        if text.contains('\0') {
            return Err(format!("topic {text:?} contains a NUL character"));
        }
        let mut parts = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            match rest.find(['{', '}']) {
                None => {
                    parts.push(TemplatePiece::Text(rest.to_string()));
                    rest = "";
                }
                Some(at) if rest.as_bytes()[at] == b'}' => {
                    return Err(format!("topic {text:?} has a `}}` without its `{{`"));
                }
                Some(at) => {
                    if at > 0 {
                        parts.push(TemplatePiece::Text(rest[..at].to_string()));
                    }
                    let after = &rest[at + 1..];
                    let Some(end) = after.find('}') else {
                        return Err(format!("topic {text:?} has a `{{` without its `}}`"));
                    };
                    let field = &after[..end];
                    if field.is_empty() || field.contains('{') {
                        return Err(format!(
                            "topic {text:?}: `{{...}}` must name one field of the record"
                        ));
                    }
                    parts.push(TemplatePiece::Field(field.to_string()));
                    rest = &after[end + 1..];
                }
            }
        }
        Ok(TopicTemplate {
            text: text.to_string(),
            parts,
        })
    }

    /// The template as it was written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The fields the template takes from the record, in order (a field may appear twice).
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|part| match part {
            TemplatePiece::Field(name) => Some(name.as_str()),
            TemplatePiece::Text(_) => None,
        })
    }

    /// Whether the template takes nothing from the record (one topic for every record).
    pub fn is_fixed(&self) -> bool {
        self.fields().next().is_none()
    }

    /// The topic for `record` (the record serialized as JSON). A string value is taken as it is, a
    /// number or boolean as its JSON text.
    pub fn render(&self, record: &serde_json::Value) -> Result<String, Reject> {
        let mut topic = String::with_capacity(self.text.len() + 16);
        for part in &self.parts {
            match part {
                TemplatePiece::Text(text) => topic.push_str(text),
                TemplatePiece::Field(name) => topic.push_str(&level_value(record, name)?),
            }
        }
        if topic.len() > usize::from(u16::MAX) {
            return Err(Reject::new(NO_TOPIC).with_detail(format!(
                "the topic would be {} bytes long; MQTT allows at most 65535",
                topic.len()
            )));
        }
        Ok(topic)
    }
}

/// The text field `name` of `record` puts into a topic.
fn level_value(record: &serde_json::Value, name: &str) -> Result<String, Reject> {
    let refuse = |why: String| Err(Reject::new(NO_TOPIC).with_detail(why));
    let text = match record.get(name) {
        None | Some(serde_json::Value::Null) => {
            return refuse(format!("field {name:?} of the topic has no value"))
        }
        Some(serde_json::Value::String(text)) => text.clone(),
        Some(serde_json::Value::Number(number)) => number.to_string(),
        Some(serde_json::Value::Bool(flag)) => flag.to_string(),
        Some(other) => {
            return refuse(format!(
                "field {name:?} of the topic is not a single value: {other}"
            ))
        }
    };
    if text.is_empty() {
        return refuse(format!("field {name:?} of the topic is empty"));
    }
    if let Some(bad) = text.chars().find(|c| matches!(c, '/' | '+' | '#' | '\0')) {
        let what = match bad {
            '/' => "`/` would add a topic level",
            '\0' => "a NUL character is not allowed in a topic",
            _ => "a wildcard is not allowed in a topic",
        };
        return refuse(format!("field {name:?} of the topic is {text:?}: {what}"));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_fill_the_topic() {
        let template = TopicTemplate::parse("plant/{line}/{machine}/orders").unwrap();
        assert_eq!(template.fields().collect::<Vec<_>>(), ["line", "machine"]);
        let topic = template
            .render(&json!({"line": 3, "machine": "m1", "qty": 2}))
            .unwrap();
        assert_eq!(topic, "plant/3/m1/orders");
        let flag = TopicTemplate::parse("x/{ok}-{n}").unwrap();
        assert_eq!(
            flag.render(&json!({"ok": true, "n": 1.5})).unwrap(),
            "x/true-1.5"
        );
        let fixed = TopicTemplate::parse("plant/orders").unwrap();
        assert!(fixed.is_fixed());
        assert_eq!(fixed.render(&json!({})).unwrap(), "plant/orders");
    }

    #[test]
    fn a_record_that_would_land_elsewhere_is_rejected() {
        let template = TopicTemplate::parse("plant/{line}/orders").unwrap();
        for (record, expected) in [
            (json!({}), "field \"line\" of the topic has no value"),
            (json!({"line": null}), "has no value"),
            (json!({"line": [1]}), "is not a single value"),
            (json!({"line": {"a": 1}}), "is not a single value"),
            (json!({"line": ""}), "is empty"),
            (json!({"line": "a/b"}), "`/` would add a topic level"),
            (json!({"line": "+"}), "a wildcard is not allowed"),
            (json!({"line": "x#"}), "a wildcard is not allowed"),
        ] {
            let reject = template.render(&record).unwrap_err();
            assert_eq!(reject.reason, NO_TOPIC);
            let detail = reject.detail.unwrap();
            assert!(detail.contains(expected), "{record}: {detail}");
        }
    }

    #[test]
    fn malformed_templates_are_refused() {
        for (text, expected) in [
            ("", "cannot be empty"),
            ("plant/+/x", "wildcard"),
            ("plant/#", "wildcard"),
            ("plant/{line", "without its `}`"),
            ("plant/line}", "without its `{`"),
            ("plant/{}", "must name one field"),
            ("plant/{a{b}", "must name one field"),
        ] {
            let error = TopicTemplate::parse(text).unwrap_err();
            assert!(error.contains(expected), "{text:?}: {error}");
        }
    }
}
