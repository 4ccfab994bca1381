//! A record as the typed values of its row, checked against the target's columns when it is written.

use chrono::{DateTime, Utc};
use serde::Serialize;
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
pub(crate) fn row_of<T: Serialize>(record: &T, columns: &[Column]) -> Result<Cells, Reject> {
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
