//! A record's fields bound straight to the parameters of the SQLite target's prepared insert.
//!
//! Going through `serde_json::Value` (a map per record, a `String` per key) was most of the SQLite
//! target's own time, and a row of owned values after it still copied every text twice (into
//! the row, then into SQLite). This serializer binds each field of the flat records generated
//! code writes (scalars, text, `None`, enum codes) as it is serialized, borrowing its text, and
//! does not bind a text again when the parameter already holds it: SQLite keeps a parameter's
//! value across executions until it is bound anew, and consecutive records often repeat a text
//! (the same part, machine or operator; provenance's source, flow and mapping on every record).
//! Anything else (a non-finite float, a nested value, an integer out of range, a field that is
//! not the next column) makes it give up, and the target takes the general path, which binds
//! every parameter again and explains the problem in the reject exactly as before.

use std::fmt::{self, Display};

use rusqlite::types::ToSql;
use rusqlite::Statement;
use serde::ser::{self, Impossible, Serialize, SerializeStruct, Serializer};

use super::Column;
use crate::serde_refuse::refuse;

/// What each parameter of one prepared statement holds, as far as this module bound it: the text
/// it was last bound to, or nothing known (bound to something else, or by the general path).
#[derive(Default)]
pub(crate) struct BoundTexts {
    slots: Vec<BoundText>,
}

#[derive(Default)]
struct BoundText {
    /// The parameter holds exactly `text` (its buffer is kept either way, for the next text).
    holds: bool,
    text: String,
    /// The field name last found equal to the parameter's column: a record type names its
    /// fields with the same `&'static str` every time, so comparing the reference (address
    /// and length) is enough after the first record, and the text is compared only otherwise.
    key: Option<&'static str>,
}

impl BoundTexts {
    /// Nothing is known about any parameter any more: the general path has bound them all.
    pub(crate) fn forget(&mut self) {
        for slot in &mut self.slots {
            slot.holds = false;
        }
    }
}

/// Binds `record`'s fields to `statement`'s parameters 1 to `columns.len()`, the field named
/// `columns[i].name` to parameter `i + 1`. `false` when the record needs the general path; the
/// parameters bound so far are then unspecified, and the general path binds every one.
pub(crate) fn bind_row<T: Serialize + ?Sized>(
    record: &T,
    statement: &mut Statement<'_>,
    columns: &[Column],
    bound: &mut BoundTexts,
) -> bool {
    if bound.slots.len() != columns.len() {
        bound.slots = (0..columns.len()).map(|_| BoundText::default()).collect();
    }
    let binder = RowBinder {
        statement,
        columns,
        slots: &mut bound.slots,
        next: 0,
    };
    let bound_all = record.serialize(binder).is_ok();
    if !bound_all {
        // A parameter the failed attempt bound no longer holds what its slot says.
        bound.forget();
    }
    bound_all
}

/// Why the fast path gave up; the general path says it properly.
#[derive(Debug)]
pub(crate) struct GiveUp;

impl Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a flat record of scalar values in the table's column order")
    }
}

impl std::error::Error for GiveUp {}

impl ser::Error for GiveUp {
    fn custom<M: Display>(_: M) -> Self {
        GiveUp
    }
}

struct RowBinder<'r, 's> {
    statement: &'r mut Statement<'s>,
    columns: &'r [Column],
    slots: &'r mut [BoundText],
    /// How many fields have been bound: the next one is `columns[next]`.
    next: usize,
}

impl<'r, 's> Serializer for RowBinder<'r, 's> {
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

impl SerializeStruct for RowBinder<'_, '_> {
    type Ok = ();
    type Error = GiveUp;

    fn serialize_field<V: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &V,
    ) -> Result<(), GiveUp> {
        // The field must be the next column: a record whose fields are not the table's columns
        // in order (another struct, a skipped field) goes the general way, which finds each
        // column by name.
        let index = self.next;
        let (Some(column), Some(slot)) = (self.columns.get(index), self.slots.get_mut(index))
        else {
            return Err(GiveUp);
        };
        if !slot.key.is_some_and(|known| std::ptr::eq(known, key)) {
            if column.name != key {
                return Err(GiveUp);
            }
            slot.key = Some(key);
        }
        self.next += 1;
        value.serialize(FieldBinder {
            statement: self.statement,
            parameter: index + 1,
            slot,
        })
    }

    fn skip_field(&mut self, _: &'static str) -> Result<(), GiveUp> {
        Err(GiveUp)
    }

    fn end(self) -> Result<(), GiveUp> {
        if self.next == self.columns.len() {
            Ok(())
        } else {
            Err(GiveUp)
        }
    }
}

/// Binds one field's value to its parameter, the way the general path stores it: bools and
/// integers as INTEGER, floats as REAL, text (identifiers, enum codes, timestamps) as TEXT,
/// absent as NULL.
struct FieldBinder<'r, 's> {
    statement: &'r mut Statement<'s>,
    /// 1-based, as SQLite counts parameters.
    parameter: usize,
    slot: &'r mut BoundText,
}

impl FieldBinder<'_, '_> {
    fn bind<V: ToSql>(self, value: V) -> Result<(), GiveUp> {
        self.slot.holds = false;
        self.statement
            .raw_bind_parameter(self.parameter, value)
            .map_err(|_| GiveUp)
    }

    fn bind_text(self, text: &str) -> Result<(), GiveUp> {
        if self.slot.holds && self.slot.text == text {
            return Ok(());
        }
        self.slot.holds = false;
        self.statement
            .raw_bind_parameter(self.parameter, text)
            .map_err(|_| GiveUp)?;
        self.slot.text.clear();
        self.slot.text.push_str(text);
        self.slot.holds = true;
        Ok(())
    }
}

impl<'r, 's> Serializer for FieldBinder<'r, 's> {
    type Ok = ();
    type Error = GiveUp;
    type SerializeSeq = Impossible<(), GiveUp>;
    type SerializeTuple = Impossible<(), GiveUp>;
    type SerializeTupleStruct = Impossible<(), GiveUp>;
    type SerializeTupleVariant = Impossible<(), GiveUp>;
    type SerializeMap = Impossible<(), GiveUp>;
    type SerializeStruct = Impossible<(), GiveUp>;
    type SerializeStructVariant = Impossible<(), GiveUp>;

    fn serialize_bool(self, v: bool) -> Result<(), GiveUp> {
        self.bind(i64::from(v))
    }
    fn serialize_i8(self, v: i8) -> Result<(), GiveUp> {
        self.bind(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), GiveUp> {
        self.bind(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), GiveUp> {
        self.bind(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), GiveUp> {
        self.bind(v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), GiveUp> {
        self.bind(i64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), GiveUp> {
        self.bind(i64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), GiveUp> {
        self.bind(i64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), GiveUp> {
        // Beyond i64 the general path rejects the record, naming the field.
        self.bind(i64::try_from(v).map_err(|_| GiveUp)?)
    }
    fn serialize_f32(self, v: f32) -> Result<(), GiveUp> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), GiveUp> {
        // Non-finite floats are rejected by the general path, with the field named.
        if v.is_finite() {
            self.bind(v)
        } else {
            Err(GiveUp)
        }
    }
    fn serialize_char(self, v: char) -> Result<(), GiveUp> {
        self.bind_text(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), GiveUp> {
        self.bind_text(v)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), GiveUp> {
        Err(GiveUp)
    }
    fn serialize_none(self) -> Result<(), GiveUp> {
        self.bind(rusqlite::types::Null)
    }
    fn serialize_some<V: Serialize + ?Sized>(self, value: &V) -> Result<(), GiveUp> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), GiveUp> {
        self.bind(rusqlite::types::Null)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), GiveUp> {
        self.bind(rusqlite::types::Null)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), GiveUp> {
        self.bind_text(variant)
    }
    fn serialize_newtype_struct<V: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &V,
    ) -> Result<(), GiveUp> {
        value.serialize(self)
    }

    refuse! {
        GiveUp;
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::SqlType;
    use rusqlite::types::Value as SqlValue;
    use rusqlite::Connection;
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

    const fn column(name: &'static str) -> Column {
        Column {
            name,
            sql_type: SqlType::Text,
            nullable: true,
        }
    }

    const ROW_COLUMNS: &[Column] = &[
        column("Machine Code"),
        column("count"),
        column("load"),
        column("active"),
        column("note"),
        column("state"),
    ];

    /// What `record` binds, read back from a table without declared types (so each value keeps
    /// the storage class it was bound with); `None` when it needs the general path.
    fn bound(record: &impl Serialize, columns: &[Column]) -> Option<Vec<SqlValue>> {
        let connection = Connection::open_in_memory().unwrap();
        let names: Vec<String> = (0..columns.len()).map(|i| format!("c{i}")).collect();
        connection
            .execute_batch(&format!("CREATE TABLE t ({})", names.join(", ")))
            .unwrap();
        let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
        let mut insert = connection
            .prepare(&format!(
                "INSERT INTO t VALUES ({})",
                placeholders.join(", ")
            ))
            .unwrap();
        if !bind_row(record, &mut insert, columns, &mut BoundTexts::default()) {
            return None;
        }
        insert.raw_execute().unwrap();
        let row = connection
            .query_row(&format!("SELECT {} FROM t", names.join(", ")), [], |r| {
                (0..columns.len()).map(|i| r.get(i)).collect()
            })
            .unwrap();
        Some(row)
    }

    #[test]
    fn a_flat_record_is_bound_in_field_order() {
        let record = Row {
            machine: "M-1".into(),
            count: -3,
            load: 1.5,
            active: true,
            note: None,
            state: State::Running,
        };
        assert_eq!(
            bound(&record, ROW_COLUMNS).expect("a flat record"),
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
        #[derive(Serialize)]
        struct Skipping {
            #[serde(skip_serializing_if = "Option::is_none")]
            n: Option<i64>,
        }
        let one = |name| [column(name)];
        assert!(bound(&Nested { inner: vec![1] }, &one("inner")).is_none());
        assert!(bound(&Big { n: u64::MAX }, &one("n")).is_none());
        assert!(bound(&NotFinite { load: f64::NAN }, &one("load")).is_none());
        assert!(bound(&Skipping { n: None }, &one("n")).is_none());
        assert!(bound(&5_i64, &one("n")).is_none(), "not a struct");
    }

    #[test]
    fn gives_up_on_fields_that_are_not_the_columns_in_order() {
        #[derive(Serialize)]
        struct Pair {
            a: i64,
            b: i64,
        }
        let pair = Pair { a: 1, b: 2 };
        assert!(bound(&pair, &[column("a"), column("b")]).is_some());
        assert!(bound(&pair, &[column("b"), column("a")]).is_none());
        assert!(bound(&pair, &[column("a")]).is_none(), "a field too many");
        let three = [column("a"), column("b"), column("c")];
        assert!(bound(&pair, &three).is_none(), "a column left unbound");
    }
}
