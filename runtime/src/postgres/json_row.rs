//! A polled row's values as JSON, for the object its source's decode stage reads (column name -> value).

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use std::error::Error;

use serde_json::{Number, Value};
use tokio_postgres::types::{FromSql, Type};

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

/// The value of one column as JSON, whatever its type: what the page query's rows are read as
/// (`row.try_get::<_, PolledValue>(index)`), then finished by [`finish`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PolledValue(Value);

impl<'a> FromSql<'a> for PolledValue {
    fn from_sql(column_type: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn Error + Sync + Send>> {
        let value = match ColumnRead::of(column_type) {
            ColumnRead::Boolean => Value::Bool(bool::from_sql(column_type, raw)?),
            ColumnRead::Int2 => Value::from(i16::from_sql(column_type, raw)?),
            ColumnRead::Int4 => Value::from(i32::from_sql(column_type, raw)?),
            ColumnRead::Int8 => Value::from(i64::from_sql(column_type, raw)?),
            ColumnRead::Float4 => float(f64::from(f32::from_sql(column_type, raw)?)),
            ColumnRead::Float8 => float(f64::from_sql(column_type, raw)?),
            ColumnRead::Timestamptz => {
                Value::String(rfc3339(DateTime::<Utc>::from_sql(column_type, raw)?))
            }
            ColumnRead::Timestamp => Value::String(rfc3339(
                NaiveDateTime::from_sql(column_type, raw)?.and_utc(),
            )),
            // Selected as text (see `selected_as_text`), or text-like.
            _ => Value::String(String::from_sql(column_type, raw)?),
        };
        Ok(PolledValue(value))
    }

    fn from_sql_null(_: &Type) -> Result<Self, Box<dyn Error + Sync + Send>> {
        Ok(PolledValue(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// The JSON value of a column read as `read` (see [`ColumnRead`]): numerics and JSON columns, which the query
/// selects as text, become what they are. A value JSON cannot hold as it is (a NaN float, an infinite
/// timestamp) is a string saying what it is, which the decode stage rejects with the row as its original,
/// rather than a `null` that would pass for an absent value.
pub(crate) fn finish(
    read: ColumnRead,
    polled: Result<PolledValue, tokio_postgres::Error>,
) -> Value {
    match (read, polled) {
        (ColumnRead::Numeric, Ok(PolledValue(Value::String(text)))) => numeric(&text),
        (ColumnRead::Json, Ok(PolledValue(Value::String(text)))) => {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        }
        (_, Ok(PolledValue(value))) => value,
        (_, Err(error)) => Value::String(format!("<unreadable value: {error}>")),
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
