//! A record's fields as the SQL values of its row, serialized straight into a reused vector.
//!
//! Going through `serde_json::Value` (a map per record, a `String` per key) was most of the SQLite
//! target's own time. This serializer takes the flat records generated code writes: scalars,
//! text, `None`, enum codes. Anything else (a non-finite float, a nested value, an integer out
//! of range) makes it give up, and the target takes the general path, which explains the
//! problem in the reject exactly as before.

use std::fmt::{self, Display};

use rusqlite::types::Value as SqlValue;
use serde::ser::{self, Impossible, Serialize, SerializeStruct, Serializer};

use crate::serde_refuse::refuse;

/// Serializes `record` into `row`, one value per struct field in declaration order, with each
/// field's serde name in `names`. `false` when the record needs the general path.
pub(crate) fn fill_row<T: Serialize + ?Sized>(
    record: &T,
    row: &mut Vec<SqlValue>,
    names: &mut Vec<&'static str>,
) -> bool {
    row.clear();
    names.clear();
    record.serialize(RowSerializer { row, names }).is_ok()
}

/// Why the fast path gave up; the general path says it properly.
#[derive(Debug)]
pub(crate) struct GiveUp;

impl Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a flat record of scalar values")
    }
}

impl std::error::Error for GiveUp {}

impl ser::Error for GiveUp {
    fn custom<M: Display>(_: M) -> Self {
        GiveUp
    }
}

struct RowSerializer<'a> {
    row: &'a mut Vec<SqlValue>,
    names: &'a mut Vec<&'static str>,
}

impl<'a> Serializer for RowSerializer<'a> {
    type Ok = ();
    type Error = GiveUp;
    type SerializeSeq = Impossible<(), GiveUp>;
    type SerializeTuple = Impossible<(), GiveUp>;
    type SerializeTupleStruct = Impossible<(), GiveUp>;
    type SerializeTupleVariant = Impossible<(), GiveUp>;
    type SerializeMap = Impossible<(), GiveUp>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), GiveUp>;

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, GiveUp> {
        Ok(self)
    }

    refuse! {
        GiveUp;
        serialize_bool(bool) -> ();
        serialize_i8(i8) -> ();
        serialize_i16(i16) -> ();
        serialize_i32(i32) -> ();
        serialize_i64(i64) -> ();
        serialize_u8(u8) -> ();
        serialize_u16(u16) -> ();
        serialize_u32(u32) -> ();
        serialize_u64(u64) -> ();
        serialize_f32(f32) -> ();
        serialize_f64(f64) -> ();
        serialize_char(char) -> ();
        serialize_str(&str) -> ();
        serialize_bytes(&[u8]) -> ();
        serialize_none() -> ();
        serialize_unit() -> ();
        serialize_unit_struct(&'static str) -> ();
        serialize_unit_variant(&'static str, u32, &'static str) -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }

    fn serialize_some<V: Serialize + ?Sized>(self, _: &V) -> Result<(), GiveUp> {
        Err(GiveUp)
    }

    fn serialize_newtype_struct<V: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &V,
    ) -> Result<(), GiveUp> {
        Err(GiveUp)
    }

    fn serialize_newtype_variant<V: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &V,
    ) -> Result<(), GiveUp> {
        Err(GiveUp)
    }
}

impl SerializeStruct for RowSerializer<'_> {
    type Ok = ();
    type Error = GiveUp;

    fn serialize_field<V: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &V,
    ) -> Result<(), GiveUp> {
        self.names.push(key);
        self.row.push(value.serialize(FieldSerializer)?);
        Ok(())
    }

    fn end(self) -> Result<(), GiveUp> {
        Ok(())
    }
}

/// One field's value as an SQL value, the way the general path stores it: bools and integers
/// as INTEGER, floats as REAL, text (identifiers, enum codes, timestamps) as TEXT, absent as
/// NULL.
struct FieldSerializer;

impl Serializer for FieldSerializer {
    type Ok = SqlValue;
    type Error = GiveUp;
    type SerializeSeq = Impossible<SqlValue, GiveUp>;
    type SerializeTuple = Impossible<SqlValue, GiveUp>;
    type SerializeTupleStruct = Impossible<SqlValue, GiveUp>;
    type SerializeTupleVariant = Impossible<SqlValue, GiveUp>;
    type SerializeMap = Impossible<SqlValue, GiveUp>;
    type SerializeStruct = Impossible<SqlValue, GiveUp>;
    type SerializeStructVariant = Impossible<SqlValue, GiveUp>;

    fn serialize_bool(self, v: bool) -> Result<SqlValue, GiveUp> {
        Ok(SqlValue::Integer(i64::from(v)))
    }
    fn serialize_i8(self, v: i8) -> Result<SqlValue, GiveUp> {
        Ok(SqlValue::Integer(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<SqlValue, GiveUp> {
        Ok(SqlValue::Integer(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<SqlValue, GiveUp> {
        Ok(SqlValue::Integer(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<SqlValue, GiveUp> {
        Ok(SqlValue::Integer(v))
    }
    fn serialize_u8(self, v: u8) -> Result<SqlValue, GiveUp> {
        Ok(SqlValue::Integer(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<SqlValue, GiveUp> {
        Ok(SqlValue::Integer(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<SqlValue, GiveUp> {
        Ok(SqlValue::Integer(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<SqlValue, GiveUp> {
        i64::try_from(v).map(SqlValue::Integer).map_err(|_| GiveUp)
    }
    fn serialize_f32(self, v: f32) -> Result<SqlValue, GiveUp> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<SqlValue, GiveUp> {
        // Non-finite floats are rejected by the general path, with the field named.
        if v.is_finite() {
            Ok(SqlValue::Real(v))
        } else {
            Err(GiveUp)
        }
    }
    fn serialize_char(self, v: char) -> Result<SqlValue, GiveUp> {
        Ok(SqlValue::Text(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<SqlValue, GiveUp> {
        Ok(SqlValue::Text(v.to_string()))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<SqlValue, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_none(self) -> Result<SqlValue, GiveUp> {
        Ok(SqlValue::Null)
    }
    fn serialize_some<V: Serialize + ?Sized>(self, value: &V) -> Result<SqlValue, GiveUp> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<SqlValue, GiveUp> {
        Ok(SqlValue::Null)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<SqlValue, GiveUp> {
        Ok(SqlValue::Null)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<SqlValue, GiveUp> {
        Ok(SqlValue::Text(variant.to_string()))
    }
    fn serialize_newtype_struct<V: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &V,
    ) -> Result<SqlValue, GiveUp> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<V: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &V,
    ) -> Result<SqlValue, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, GiveUp> {
        Err(GiveUp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Serialize)]
    #[allow(dead_code)]
    enum State {
        #[serde(rename = "RUNNING")]
        Running,
    }

    #[derive(Serialize)]
    struct Row {
        #[serde(rename = "Machine Code")]
        machine: String,
        count: i64,
        load: f64,
        active: bool,
        note: Option<String>,
        state: State,
    }

    fn row(record: &impl Serialize) -> Option<(Vec<SqlValue>, Vec<&'static str>)> {
        let (mut values, mut names) = (Vec::new(), Vec::new());
        fill_row(record, &mut values, &mut names).then_some((values, names))
    }

    #[test]
    fn a_flat_record_is_its_row_in_field_order() {
        let record = Row {
            machine: "M-1".into(),
            count: -3,
            load: 1.5,
            active: true,
            note: None,
            state: State::Running,
        };
        let (values, names) = row(&record).expect("a flat record");
        assert_eq!(
            names,
            ["Machine Code", "count", "load", "active", "note", "state"]
        );
        assert_eq!(
            values,
            [
                SqlValue::Text("M-1".into()),
                SqlValue::Integer(-3),
                SqlValue::Real(1.5),
                SqlValue::Integer(1),
                SqlValue::Null,
                SqlValue::Text("RUNNING".into()),
            ]
        );
    }

    #[test]
    fn gives_up_where_the_general_path_must_explain() {
        #[derive(Serialize)]
        struct Nested {
            inner: Vec<i64>,
        }
        #[derive(Serialize)]
        struct Big {
            n: u64,
        }
        #[derive(Serialize)]
        struct NotFinite {
            load: f64,
        }
        assert!(row(&Nested { inner: vec![1] }).is_none());
        assert!(row(&Big { n: u64::MAX }).is_none());
        assert!(row(&NotFinite { load: f64::NAN }).is_none());
        assert!(row(&5_i64).is_none(), "not a struct");
    }
}
