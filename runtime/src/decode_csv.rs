//! Decoding a CSV row by column position instead of by column name.
//!
//! serde's derived structs find a field by comparing each column's name with every field name,
//! for every row; on a wide file that was a tenth of a generated program's time. The columns a
//! struct reads do not change within a file, so the pairing of columns and fields is worked
//! out once per header (and struct) and each row hands serde the field's index instead of its
//! name. Columns the struct does not read are not looked at.

use std::cell::RefCell;
use std::sync::Arc;

use serde::de::value::U64Deserializer;
use serde::de::{DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, Visitor};

use crate::decode::{CsvField, DecodeError, NamedFields};

/// One CSV row, with the header it was read under.
pub(crate) struct CsvRow<'a> {
    pub(crate) headers: &'a Arc<csv::StringRecord>,
    pub(crate) fields: &'a csv::StringRecord,
}

/// For each column a struct reads: the column's position and the field's index in the struct.
type Plan = Arc<[(usize, u64)]>;

thread_local! {
    /// Plans by header and struct. The header is kept alive here, so that its address cannot be
    /// reused by another header while its plan is cached.
    static PLANS: RefCell<Vec<(Arc<csv::StringRecord>, usize, Plan)>> = const { RefCell::new(Vec::new()) };
}

fn plan(headers: &Arc<csv::StringRecord>, field_names: &'static [&'static str]) -> Plan {
    let struct_id = field_names.as_ptr() as usize;
    PLANS.with(|plans| {
        let mut plans = plans.borrow_mut();
        if let Some((_, _, plan)) = plans
            .iter()
            .find(|(h, id, _)| Arc::ptr_eq(h, headers) && *id == struct_id)
        {
            return plan.clone();
        }
        let plan: Plan = headers
            .iter()
            .enumerate()
            .filter_map(|(column, name)| {
                let field = field_names.iter().position(|f| *f == name)?;
                Some((column, field as u64))
            })
            .collect();
        plans.push((headers.clone(), struct_id, plan.clone()));
        plan
    })
}

impl<'de> Deserializer<'de> for CsvRow<'de> {
    type Error = DecodeError;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        field_names: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        let plan = plan(self.headers, field_names);
        visitor.visit_map(PlannedRow {
            row: self,
            plan,
            next: 0,
            pending: None,
        })
    }

    /// Anything but a struct reads every column by name.
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let entries = self.headers.iter().zip(self.fields.iter().map(CsvField));
        NamedFields::new("column", entries).deserialize_any(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

struct PlannedRow<'a> {
    row: CsvRow<'a>,
    plan: Plan,
    next: usize,
    /// The column whose value comes next.
    pending: Option<usize>,
}

impl<'de> MapAccess<'de> for PlannedRow<'de> {
    type Error = DecodeError;

    fn next_key_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, DecodeError> {
        let Some(&(column, field)) = self.plan.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        self.pending = Some(column);
        let index: U64Deserializer<DecodeError> = field.into_deserializer();
        seed.deserialize(index).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, DecodeError> {
        let column = self.pending.take().ok_or_else(|| {
            DecodeError("internal error: a value was requested before its name".into())
        })?;
        let text = self.row.fields.get(column).unwrap_or_default();
        seed.deserialize(CsvField(text)).map_err(|e| {
            let name = self.row.headers.get(column).unwrap_or_default();
            DecodeError(format!("column {name:?}: {e}"))
        })
    }
}
