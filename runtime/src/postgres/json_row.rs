//! A polled row as the JSON object its source's decode stage reads: column name -> JSON value.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde_json::{Map, Number, Value};
use tokio_postgres::types::Type;
use tokio_postgres::Row;

/// How the value of one column is read from a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnRead {
    Boolean,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    /// Text-like types, read as they are.
    Text,
    /// An instant: RFC 3339 text in UTC.
    Timestamptz,
    /// A `timestamp without time zone`, taken to be UTC (the convention of plant historians; documented).
    Timestamp,
    /// `numeric`, selected as text: a JSON number when f64 reads it back to the same value, else text.
    Numeric,
    /// `json`/`jsonb`, selected as text: embedded as the JSON it is.
    Json,
    /// Any other type (date, uuid, interval, arrays...), selected as its text.
    Other,
}

impl ColumnRead {
    pub fn of(column_type: &Type) -> Self {
        match *column_type {
            Type::BOOL => ColumnRead::Boolean,
            Type::INT2 => ColumnRead::Int2,
            Type::INT4 => ColumnRead::Int4,
            Type::INT8 => ColumnRead::Int8,
            Type::FLOAT4 => ColumnRead::Float4,
            Type::FLOAT8 => ColumnRead::Float8,
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => ColumnRead::Text,
            Type::TIMESTAMPTZ => ColumnRead::Timestamptz,
            Type::TIMESTAMP => ColumnRead::Timestamp,
            Type::NUMERIC => ColumnRead::Numeric,
            Type::JSON | Type::JSONB => ColumnRead::Json,
            _ => ColumnRead::Other,
        }
    }

    /// Whether the page query selects the column as text (`::text`) rather than in its own type.
    pub fn selected_as_text(self) -> bool {
        matches!(
            self,
            ColumnRead::Numeric | ColumnRead::Json | ColumnRead::Other
        )
    }
}

/// The first `names.len()` columns of `row` as a JSON object's text. A value JSON cannot hold as it is (a NaN
/// float, an infinite timestamp) becomes a string saying what it is, which the decode stage rejects with the
/// row as its original, rather than a `null` that would pass for an absent value.
pub(crate) fn row_to_json(row: &Row, names: &[String], reads: &[ColumnRead]) -> String {
    let mut object = Map::with_capacity(names.len());
    for (index, (name, read)) in names.iter().zip(reads).enumerate() {
        object.insert(name.clone(), value(row, index, *read));
    }
    Value::Object(object).to_string()
}

fn value(row: &Row, index: usize, read: ColumnRead) -> Value {
    let unreadable = |e: tokio_postgres::Error| Value::String(format!("<unreadable value: {e}>"));
    let result = match read {
        ColumnRead::Boolean => row
            .try_get::<_, Option<bool>>(index)
            .map(|v| v.map(Value::Bool)),
        ColumnRead::Int2 => row
            .try_get::<_, Option<i16>>(index)
            .map(|v| v.map(Value::from)),
        ColumnRead::Int4 => row
            .try_get::<_, Option<i32>>(index)
            .map(|v| v.map(Value::from)),
        ColumnRead::Int8 => row
            .try_get::<_, Option<i64>>(index)
            .map(|v| v.map(Value::from)),
        ColumnRead::Float4 => row
            .try_get::<_, Option<f32>>(index)
            .map(|v| v.map(|x| float(f64::from(x)))),
        ColumnRead::Float8 => row.try_get::<_, Option<f64>>(index).map(|v| v.map(float)),
        ColumnRead::Text | ColumnRead::Other => row
            .try_get::<_, Option<String>>(index)
            .map(|v| v.map(Value::String)),
        ColumnRead::Timestamptz => row
            .try_get::<_, Option<DateTime<Utc>>>(index)
            .map(|v| v.map(|t| Value::String(rfc3339(t)))),
        ColumnRead::Timestamp => row
            .try_get::<_, Option<NaiveDateTime>>(index)
            .map(|v| v.map(|t| Value::String(rfc3339(t.and_utc())))),
        ColumnRead::Numeric => row
            .try_get::<_, Option<String>>(index)
            .map(|v| v.map(|text| numeric(&text))),
        ColumnRead::Json => row
            .try_get::<_, Option<String>>(index)
            .map(|v| v.map(|text| serde_json::from_str(&text).unwrap_or(Value::String(text)))),
    };
    match result {
        Ok(Some(value)) => value,
        Ok(None) => Value::Null,
        Err(error) => unreadable(error),
    }
}

fn rfc3339(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A float as a JSON number; NaN and the infinities (which JSON lacks) as their names.
fn float(x: f64) -> Value {
    Number::from_f64(x)
        .map(Value::Number)
        .unwrap_or_else(|| Value::String(x.to_string()))
}

/// A `numeric`'s text as a JSON number when it is an i64, or when f64 holds it to the digit (its shortest
/// form reads back as the same decimal); as text otherwise (more digits than f64 has, NaN), so that no digit
/// is lost on the way to the decode stage.
pub(crate) fn numeric(text: &str) -> Value {
    if let Ok(n) = text.parse::<i64>() {
        return Value::from(n);
    }
    if let Ok(x) = text.parse::<f64>() {
        if x.is_finite() && same_decimal(&x.to_string(), text) {
            if let Some(n) = Number::from_f64(x) {
                return Value::Number(n);
            }
        }
    }
    Value::String(text.to_string())
}

/// Whether two plain decimal texts (no exponent) are the same number: trailing zeros of the fraction and a
/// trailing point do not count.
fn same_decimal(a: &str, b: &str) -> bool {
    fn canonical(text: &str) -> &str {
        if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.')
        } else {
            text
        }
    }
    canonical(a) == canonical(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerics_are_numbers_only_when_no_digit_is_lost() {
        assert_eq!(numeric("42"), Value::from(42));
        assert_eq!(numeric("-1.50"), serde_json::json!(-1.5));
        assert_eq!(numeric("0.1"), serde_json::json!(0.1));
        assert_eq!(
            numeric("12345678901234567890"),
            Value::from("12345678901234567890")
        );
        assert_eq!(
            numeric("0.12345678901234567890123"),
            Value::from("0.12345678901234567890123")
        );
        assert_eq!(numeric("NaN"), Value::from("NaN"));
    }

    #[test]
    fn floats_json_cannot_hold_keep_their_name() {
        assert_eq!(float(f64::NAN), Value::from("NaN"));
        assert_eq!(float(f64::INFINITY), Value::from("inf"));
        assert_eq!(float(2.5), serde_json::json!(2.5));
    }
}
