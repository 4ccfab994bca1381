//! Reading a polled document: the records at a path into it, and the order of watermark values.

use std::cmp::Ordering;

use serde_json::Value;

/// The array at `path` (`data.items`: keys separated by dots; empty: the document itself), or why there
/// is none.
pub fn select<'a>(document: &'a Value, path: &str) -> Result<&'a [Value], String> {
    let mut at = document;
    if !path.is_empty() {
        for (depth, key) in path.split('.').enumerate() {
            at = match at {
                Value::Object(map) => map.get(key).ok_or_else(|| {
                    let walked = path.split('.').take(depth).collect::<Vec<_>>().join(".");
                    let keys: Vec<&str> = map.keys().map(String::as_str).take(20).collect();
                    let within = if walked.is_empty() {
                        "the document".to_string()
                    } else {
                        format!("`{walked}`")
                    };
                    format!(
                        "the response has no `{path}`: {within} has no key `{key}` (it has: {})",
                        keys.join(", ")
                    )
                })?,
                other => {
                    return Err(format!(
                    "the response has no `{path}`: the value before `{key}` is {}, not an object",
                    kind(other)
                ))
                }
            };
        }
    }
    match at {
        Value::Array(items) => Ok(items),
        other => Err(format!(
            "`{}` in the response is {}, not an array of records",
            if path.is_empty() {
                "the document"
            } else {
                path
            },
            kind(other)
        )),
    }
}

/// How two watermark values order: numbers by value, texts by their characters (ISO 8601 instants of one
/// format order so); `None` when they cannot be compared (a number and a text, null, an object).
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => Some(x.cmp(&y)),
            _ => x.as_f64()?.partial_cmp(&y.as_f64()?),
        },
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Whether `value` can be a watermark: a number or a text.
pub fn is_orderable(value: &Value) -> bool {
    matches!(value, Value::Number(_) | Value::String(_))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a text",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_are_selected_by_a_dotted_path_and_a_missing_one_says_what_is_there() {
        let document = json!({"data": {"items": [{"id": 1}], "count": 1}});
        assert_eq!(
            select(&document, "data.items").unwrap(),
            &[json!({"id": 1})]
        );
        let missing = select(&document, "data.rows").unwrap_err();
        assert_eq!(
            missing,
            "the response has no `data.rows`: `data` has no key `rows` (it has: count, items)"
        );
        assert!(select(&document, "data.count")
            .unwrap_err()
            .contains("a number, not an array"));
        assert_eq!(select(&json!([1, 2]), "").unwrap().len(), 2);
    }

    #[test]
    fn watermarks_order_numbers_by_value_and_texts_by_characters() {
        assert_eq!(compare(&json!(9), &json!(10)), Some(Ordering::Less));
        assert_eq!(compare(&json!(1.5), &json!(1)), Some(Ordering::Greater));
        assert_eq!(
            compare(
                &json!("2026-12-07T10:00:00Z"),
                &json!("2026-12-07T09:59:59Z")
            ),
            Some(Ordering::Greater)
        );
        assert_eq!(compare(&json!(1), &json!("1")), None);
    }
}
