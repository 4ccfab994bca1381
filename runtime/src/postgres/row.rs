//! A record as the typed values of its row, checked against the target's columns when it is written.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::outcome::Reject;
use crate::target::{Column, SqlType};

/// One value of a row, already of its column's type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Null,
    Text(String),
    Integer(i64),
    Real(f64),
    Boolean(bool),
    Timestamp(DateTime<Utc>),
}

/// The cells of one row, in the order of the target's columns.
pub(crate) type Cells = Vec<Cell>;

/// The row of `record` for `columns`: each field (by its serialized name) converted to its column's type. A
/// value that does not fit (a NULL for a NOT NULL column, a timestamp that is not RFC 3339) is a [`Reject`]
/// naming the column. The record has passed `check_writable` (it serializes, its floats are finite).
pub(crate) fn row_of<T: Serialize + ?Sized>(
    record: &T,
    columns: &[Column],
) -> Result<Cells, Reject> {
    let value = serde_json::to_value(record)
        .map_err(|e| Reject::new("record cannot be serialized").with_detail(e.to_string()))?;
    let Value::Object(mut fields) = value else {
        return Err(Reject::new("record cannot be written to a table")
            .with_detail("the record is not a structure of fields"));
    };
    columns
        .iter()
        .map(|column| cell(column, fields.remove(column.name).unwrap_or(Value::Null)))
        .collect()
}

/// The row of a record that is JSON text already (what a store-and-forward queue hands its forwarder): read
/// straight from the text into the cells, without building a [`Value`] of it first. A record the direct
/// reader does not take as it is (a value of another type than its column's, a NULL for a NOT NULL column,
/// text that is not an object) goes the general way, [`row_of`], which is the judge of every row and of every
/// reject's wording; `direct_and_general_readers_agree` compares the two.
pub(crate) fn row_of_json(json: &RawValue, columns: &[Column]) -> Result<Cells, Reject> {
    match read_cells(json.get(), columns) {
        Some(cells) => Ok(cells),
        None => row_of(json, columns),
    }
}

/// The cells of the JSON object `text`, or `None` when [`row_of`] must decide. As a [`Value`] holds an
/// object, a key given twice keeps its last value and keys that are no column are ignored.
fn read_cells(text: &str, columns: &[Column]) -> Option<Cells> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let cells = CellsSeed { columns }.deserialize(&mut deserializer).ok()?;
    deserializer.end().ok()?;
    let complete = cells
        .iter()
        .zip(columns)
        .all(|(cell, column)| column.nullable || *cell != Cell::Null);
    complete.then_some(cells)
}

/// Reads a JSON object into the cells of `columns`.
struct CellsSeed<'c> {
    columns: &'c [Column],
}

impl<'de> DeserializeSeed<'de> for CellsSeed<'_> {
    type Value = Cells;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Cells, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for CellsSeed<'_> {
    type Value = Cells;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a record's fields")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Cells, A::Error> {
        let mut cells = vec![Cell::Null; self.columns.len()];
        while let Some(column) = map.next_key_seed(ColumnOfKey {
            columns: self.columns,
        })? {
            match column {
                Some(index) => {
                    cells[index] = map.next_value_seed(CellSeed(self.columns[index].sql_type))?
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(cells)
    }
}

/// A key of the object: the index of the column of that name, if one has it.
struct ColumnOfKey<'c> {
    columns: &'c [Column],
}

impl<'de> DeserializeSeed<'de> for ColumnOfKey<'_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for ColumnOfKey<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.columns.iter().position(|c| c.name == key))
    }
}

/// One value, read as its column's type takes it (as [`cell`] converts a [`Value`]); any other value is an
/// error here, which sends the record to [`row_of`].
struct CellSeed(SqlType);

impl<'de> DeserializeSeed<'de> for CellSeed {
    type Value = Cell;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Cell, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CellSeed {
    type Value = Cell;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a value of a {} column", type_name(self.0))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Cell, E> {
        Ok(Cell::Null)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Cell, E> {
        match self.0 {
            SqlType::Boolean => Ok(Cell::Boolean(b)),
            _ => Err(E::custom("not its column's type")),
        }
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Cell, E> {
        match self.0 {
            SqlType::Integer => Ok(Cell::Integer(n)),
            SqlType::Real => Ok(Cell::Real(n as f64)),
            _ => Err(E::custom("not its column's type")),
        }
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Cell, E> {
        match self.0 {
            SqlType::Integer => i64::try_from(n)
                .map(Cell::Integer)
                .map_err(|_| E::custom("out of range")),
            SqlType::Real => Ok(Cell::Real(n as f64)),
            _ => Err(E::custom("not its column's type")),
        }
    }

    fn visit_f64<E: de::Error>(self, x: f64) -> Result<Cell, E> {
        match self.0 {
            SqlType::Real => Ok(Cell::Real(x)),
            _ => Err(E::custom("not its column's type")),
        }
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Cell, E> {
        match self.0 {
            SqlType::Text => Ok(Cell::Text(text.to_string())),
            SqlType::Timestamp => DateTime::parse_from_rfc3339(text)
                .map(|instant| Cell::Timestamp(instant.with_timezone(&Utc)))
                .map_err(|_| E::custom("not a timestamp")),
            _ => Err(E::custom("not its column's type")),
        }
    }
}

fn cell(column: &Column, value: Value) -> Result<Cell, Reject> {
    let mismatch = |value: &Value| {
        Reject::new("value does not fit its column").with_detail(format!(
            "column {} holds {}, the record has {value}",
            column.name,
            type_name(column.sql_type)
        ))
    };
    let cell = match (column.sql_type, value) {
        (_, Value::Null) => Cell::Null,
        (SqlType::Text, Value::String(text)) => Cell::Text(text),
        (SqlType::Integer, Value::Number(n)) => match n.as_i64() {
            Some(n) => Cell::Integer(n),
            None => return Err(mismatch(&Value::Number(n))),
        },
        (SqlType::Real, Value::Number(n)) => match n.as_f64() {
            Some(n) => Cell::Real(n),
            None => return Err(mismatch(&Value::Number(n))),
        },
        (SqlType::Boolean, Value::Bool(b)) => Cell::Boolean(b),
        (SqlType::Timestamp, Value::String(text)) => match DateTime::parse_from_rfc3339(&text) {
            Ok(instant) => Cell::Timestamp(instant.with_timezone(&Utc)),
            Err(_) => return Err(mismatch(&Value::String(text))),
        },
        (_, other) => return Err(mismatch(&other)),
    };
    if cell == Cell::Null && !column.nullable {
        return Err(
            Reject::new("a required value is missing").with_detail(format!(
                "column {} is NOT NULL and the record has no value",
                column.name
            )),
        );
    }
    Ok(cell)
}

/// The PostgreSQL type a column of `sql_type` is created with.
pub(crate) fn type_name(sql_type: SqlType) -> &'static str {
    match sql_type {
        SqlType::Text => "text",
        SqlType::Integer => "bigint",
        SqlType::Real => "double precision",
        SqlType::Boolean => "boolean",
        SqlType::Timestamp => "timestamp with time zone",
    }
}

/// The name of the array type the batch of a column of `sql_type` is sent as (see `upsert.rs`).
pub(crate) fn array_type(sql_type: SqlType) -> &'static str {
    match sql_type {
        SqlType::Text => "text[]",
        SqlType::Integer => "int8[]",
        SqlType::Real => "float8[]",
        SqlType::Boolean => "bool[]",
        SqlType::Timestamp => "timestamptz[]",
    }
}

/// The key of a row (its cells in the key columns), hashable: floats by their bits.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) enum KeyPart<'a> {
    Null,
    Text(&'a str),
    Integer(i64),
    Real(u64),
    Boolean(bool),
    Timestamp(DateTime<Utc>),
}

impl<'a> From<&'a Cell> for KeyPart<'a> {
    fn from(cell: &'a Cell) -> Self {
        match cell {
            Cell::Null => KeyPart::Null,
            Cell::Text(text) => KeyPart::Text(text),
            Cell::Integer(n) => KeyPart::Integer(*n),
            Cell::Real(x) => KeyPart::Real(x.to_bits()),
            Cell::Boolean(b) => KeyPart::Boolean(*b),
            Cell::Timestamp(t) => KeyPart::Timestamp(*t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: &[Column] = &[
        Column {
            name: "machine",
            sql_type: SqlType::Text,
            nullable: false,
        },
        Column {
            name: "count",
            sql_type: SqlType::Integer,
            nullable: false,
        },
        Column {
            name: "load",
            sql_type: SqlType::Real,
            nullable: true,
        },
        Column {
            name: "running",
            sql_type: SqlType::Boolean,
            nullable: true,
        },
        Column {
            name: "at",
            sql_type: SqlType::Timestamp,
            nullable: true,
        },
    ];

    #[derive(Serialize)]
    struct Record {
        count: i64,
        machine: Option<String>,
        load: Option<f64>,
        running: bool,
        at: String,
    }

    fn record() -> Record {
        Record {
            count: 3,
            machine: Some("M-1".into()),
            load: None,
            running: true,
            at: "2026-12-06T21:00:00.5+01:00".into(),
        }
    }

    #[test]
    fn fields_land_in_column_order_with_their_column_types() {
        let row = row_of(&record(), COLUMNS).unwrap();
        let at = DateTime::parse_from_rfc3339("2026-12-06T20:00:00.5Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            row,
            [
                Cell::Text("M-1".into()),
                Cell::Integer(3),
                Cell::Null,
                Cell::Boolean(true),
                Cell::Timestamp(at),
            ]
        );
    }

    /// Values every column is given in turn: each type's, ones that fit no column, extremes, escapes.
    const VALUES: &[&str] = &[
        r#""M-1""#,
        r#""a\"b\u00e9\ud83d\ude00""#,
        "3",
        "-7",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775809",
        "18446744073709551616",
        "1.5",
        "-0.0",
        "1e300",
        "2.0",
        "0.1",
        "true",
        "false",
        "null",
        "[1,2]",
        r#"{"a":[null]}"#,
        r#""2026-12-06T21:00:00.5+01:00""#,
        r#""2026-03-29T02:30:00Z""#,
        r#""2026-13-01T00:00:00Z""#,
        r#""yesterday""#,
        r#""""#,
    ];

    /// Values that fit each of [`COLUMNS`].
    const FITTING: [&[&str]; 5] = [
        &[r#""M-1""#, r#""a\"b\u00e9\ud83d\ude00""#, r#""""#],
        &[
            "3",
            "-7",
            "9223372036854775807",
            "-9223372036854775808",
            "0",
        ],
        &[
            "1.5",
            "-0.0",
            "1e300",
            "2",
            "0.1",
            "null",
            "18446744073709551615",
        ],
        &["true", "false", "null"],
        &[
            r#""2026-12-06T21:00:00.5+01:00""#,
            r#""2026-03-29T02:30:00Z""#,
            r#""1969-12-31T23:59:59.999999999-00:30""#,
            "null",
        ],
    ];

    /// The JSON text of record `i`: its columns' values picked from [`FITTING`] or [`VALUES`] by different
    /// strides, in
    /// column order or reversed, some keys missing, escaped, given twice or beside keys that are no column.
    fn record_text(i: usize) -> String {
        let names = ["machine", "count", "load", "running", "at"];
        let mut fields: Vec<String> = names
            .iter()
            .enumerate()
            .filter(|(c, _)| !(i / 7 + c).is_multiple_of(11))
            .map(|(c, name)| {
                // Mostly a value of the column's type, so that whole records fit too.
                let choices = match (i / 3 + c) % 4 {
                    0 => VALUES,
                    _ => FITTING[c],
                };
                let value = choices[(i * [1, 3, 5, 7, 11][c] + c * i / 13) % choices.len()];
                let key = match (i + c) % 17 {
                    0 => name.replacen('a', "\\u0061", 1),
                    _ => name.to_string(),
                };
                format!("\"{key}\":{value}")
            })
            .collect();
        if i % 2 == 1 {
            fields.reverse();
        }
        if i.is_multiple_of(5) {
            fields.push(format!("\"extra\":{}", VALUES[i % VALUES.len()]));
        }
        if i.is_multiple_of(9) {
            fields.push(format!("\"count\":{}", VALUES[(i / 9) % VALUES.len()]));
        }
        let separator = if i.is_multiple_of(3) { " , " } else { "," };
        format!("{{{}}}", fields.join(separator))
    }

    #[test]
    fn direct_and_general_readers_agree() {
        let mut direct = 0;
        let texts = (0..20_000).map(record_text).chain(
            [
                "[]",
                "3",
                "null",
                r#""text""#,
                "{}",
                r#"{"machine":"M-1","count":1} "#,
            ]
            .map(String::from),
        );
        for text in texts {
            let json = RawValue::from_string(text.clone()).unwrap();
            let value: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(
                row_of_json(&json, COLUMNS),
                row_of(&value, COLUMNS),
                "{text}"
            );
            direct += usize::from(read_cells(&text, COLUMNS).is_some());
        }
        // Both ways are exercised: the direct one takes the records whose values fit.
        assert!((1_000..19_000).contains(&direct), "{direct} read directly");
    }

    #[test]
    fn a_value_that_does_not_fit_names_its_column() {
        let missing = row_of(
            &Record {
                machine: None,
                ..record()
            },
            COLUMNS,
        )
        .unwrap_err();
        assert_eq!(missing.reason, "a required value is missing");
        assert!(missing.detail.unwrap().contains("column machine"));
        let bad_time = row_of(
            &Record {
                at: "yesterday".into(),
                ..record()
            },
            COLUMNS,
        )
        .unwrap_err();
        assert!(bad_time
            .detail
            .unwrap()
            .contains("column at holds timestamp with time zone"));
    }
}
