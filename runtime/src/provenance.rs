//! Provenance: where each record a target receives came from, written beside its fields.
//!
//! A target declared `with provenance` receives [`Traced`] records: the mapped record followed by the fields of
//! [`COLUMNS`] (SQLite columns, or JSON members of the same names). The generated program wraps a flow's outcome
//! with [`FlowTrace::attach`] only for such targets, so a target without provenance costs nothing.
//!
//! The names start with `_fdi_`, a prefix schema fields may not take, so they cannot collide with the record's.

use std::sync::Arc;

use serde::ser::{self, Impossible, Serialize, SerializeStruct, Serializer};

use crate::manifest::Manifest;
use crate::outcome::MapOutcome;
use crate::record::RawRecord;
use crate::serde_refuse::refuse;
use crate::target::{Column, SqlType};
use crate::time::Timestamp;

/// The prefix of every provenance column; schema fields may not take it.
pub const PREFIX: &str = "_fdi_";

/// The provenance columns, in the order they follow the record's own.
pub const COLUMNS: [Column; 6] = [
    column(SOURCE, SqlType::Text, false),
    column(STREAM, SqlType::Text, true),
    column(POSITION, SqlType::Integer, false),
    column(SOURCE_TIME, SqlType::Timestamp, false),
    column(FLOW, SqlType::Text, false),
    column(MAPPING, SqlType::Text, false),
];

/// The source's name in the mapping.
pub const SOURCE: &str = "_fdi_source";
/// The part of the source the position counts in: `null` for a file (the source is one file); for a network
/// source, its topic (or topic and partition).
pub const STREAM: &str = "_fdi_stream";
/// Where the record is in its source (or stream): for a file, the line it starts on (1-based; a CSV file's
/// header is line 1); for a network source, its sequence number or offset.
pub const POSITION: &str = "_fdi_position";
/// The record's own timestamp when its source declares one (`source ... as Entity time FIELD`), otherwise when
/// the program read it; RFC 3339, UTC.
pub const SOURCE_TIME: &str = "_fdi_source_time";
/// The flow that mapped the record.
pub const FLOW: &str = "_fdi_flow";
/// The SHA-256 of the mapping file the program was built from (see [`Manifest`]).
pub const MAPPING: &str = "_fdi_mapping";

const fn column(name: &'static str, sql_type: SqlType, nullable: bool) -> Column {
    Column {
        name,
        sql_type,
        nullable,
    }
}

/// The provenance of one record.
#[derive(Debug, Clone, PartialEq)]
pub struct Provenance {
    pub source: Arc<str>,
    pub stream: Option<Arc<str>>,
    pub position: u64,
    pub source_time: Timestamp,
    pub flow: &'static str,
    pub mapping_sha256: &'static str,
}

/// A mapped record and its provenance; serializes as the record's fields followed by [`COLUMNS`].
#[derive(Debug, Clone, PartialEq)]
pub struct Traced<T> {
    pub record: T,
    pub provenance: Provenance,
}

/// What a flow that writes a traced target adds to each record: its name and the mapping's hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowTrace {
    flow: &'static str,
    mapping_sha256: &'static str,
}

impl FlowTrace {
    pub const fn new(flow: &'static str, manifest: &'static Manifest) -> Self {
        FlowTrace {
            flow,
            mapping_sha256: manifest.mapping.sha256,
        }
    }

    /// The flow's outcome for `raw`, with a mapped record traced to `raw` and `source_time`.
    /// `outcome` is a `MapOutcome` or what a generated flow returns (`Result<MapOutcome<T>, Reject>`).
    pub fn attach<T>(
        &self,
        outcome: impl Into<MapOutcome<T>>,
        raw: &RawRecord,
        source_time: Timestamp,
    ) -> MapOutcome<Traced<T>> {
        match outcome.into() {
            MapOutcome::Mapped(record) => MapOutcome::Mapped(Traced {
                record,
                provenance: Provenance {
                    source: raw.source_name().clone(),
                    stream: None,
                    position: raw.line(),
                    source_time,
                    flow: self.flow,
                    mapping_sha256: self.mapping_sha256,
                },
            }),
            MapOutcome::Filtered => MapOutcome::Filtered,
            MapOutcome::Rejected(reject) => MapOutcome::Rejected(reject),
        }
    }
}

impl<T: Serialize> Serialize for Traced<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.record.serialize(Extended {
            inner: serializer,
            provenance: &self.provenance,
        })
    }
}

impl Provenance {
    fn serialize_fields<S: SerializeStruct>(&self, fields: &mut S) -> Result<(), S::Error> {
        fields.serialize_field(SOURCE, &*self.source)?;
        fields.serialize_field(STREAM, &self.stream.as_deref())?;
        // SQLite integers are signed; a position beyond i64 would be a source bug, written as the largest.
        fields.serialize_field(POSITION, &i64::try_from(self.position).unwrap_or(i64::MAX))?;
        fields.serialize_field(SOURCE_TIME, &self.source_time)?;
        fields.serialize_field(FLOW, self.flow)?;
        fields.serialize_field(MAPPING, self.mapping_sha256)
    }
}

/// A serializer that passes a struct on to `inner` with the provenance fields appended. Generated target
/// records are structs; anything else is an error of the generated program.
struct Extended<'p, S> {
    inner: S,
    provenance: &'p Provenance,
}

struct ExtendedStruct<'p, S> {
    inner: S,
    provenance: &'p Provenance,
}

fn not_a_struct<E: ser::Error>() -> E {
    E::custom("a traced record must be a struct")
}

impl<'p, S: Serializer> Serializer for Extended<'p, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Impossible<S::Ok, S::Error>;
    type SerializeTuple = Impossible<S::Ok, S::Error>;
    type SerializeTupleStruct = Impossible<S::Ok, S::Error>;
    type SerializeTupleVariant = Impossible<S::Ok, S::Error>;
    type SerializeMap = Impossible<S::Ok, S::Error>;
    type SerializeStruct = ExtendedStruct<'p, S::SerializeStruct>;
    type SerializeStructVariant = Impossible<S::Ok, S::Error>;

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        Ok(ExtendedStruct {
            inner: self.inner.serialize_struct(name, len + COLUMNS.len())?,
            provenance: self.provenance,
        })
    }

    refuse! {
        not_a_struct();
        serialize_bool(bool) -> S::Ok;
        serialize_i8(i8) -> S::Ok;
        serialize_i16(i16) -> S::Ok;
        serialize_i32(i32) -> S::Ok;
        serialize_i64(i64) -> S::Ok;
        serialize_u8(u8) -> S::Ok;
        serialize_u16(u16) -> S::Ok;
        serialize_u32(u32) -> S::Ok;
        serialize_u64(u64) -> S::Ok;
        serialize_f32(f32) -> S::Ok;
        serialize_f64(f64) -> S::Ok;
        serialize_char(char) -> S::Ok;
        serialize_str(&str) -> S::Ok;
        serialize_bytes(&[u8]) -> S::Ok;
        serialize_none() -> S::Ok;
        serialize_unit() -> S::Ok;
        serialize_unit_struct(&'static str) -> S::Ok;
        serialize_unit_variant(&'static str, u32, &'static str) -> S::Ok;
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }
}

impl<S: SerializeStruct> SerializeStruct for ExtendedStruct<'_, S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), S::Error> {
        self.inner.serialize_field(key, value)
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), S::Error> {
        self.inner.skip_field(key)
    }

    fn end(mut self) -> Result<S::Ok, S::Error> {
        self.provenance.serialize_fields(&mut self.inner)?;
        self.inner.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Reject;
    use serde::Serialize;

    #[derive(Debug, PartialEq, Serialize)]
    struct Reading {
        machine: &'static str,
        speed: f64,
    }

    const TRACE: FlowTrace = FlowTrace::new("spindle", &Manifest::UNKNOWN);

    fn raw() -> RawRecord {
        RawRecord::json_line(Arc::from("mill"), 7, r#"{"machine":"M1"}"#)
    }

    fn time() -> Timestamp {
        Timestamp::parse("2024-03-01T12:00:00Z").unwrap()
    }

    #[test]
    fn traced_record_serializes_its_fields_then_the_provenance() {
        let outcome = TRACE.attach(
            MapOutcome::Mapped(Reading {
                machine: "M1",
                speed: 1.5,
            }),
            &raw(),
            time(),
        );
        let MapOutcome::Mapped(traced) = outcome else {
            panic!("mapped stays mapped")
        };
        assert_eq!(
            serde_json::to_string(&traced).unwrap(),
            r#"{"machine":"M1","speed":1.5,"_fdi_source":"mill","_fdi_stream":null,"_fdi_position":7,"_fdi_source_time":"2024-03-01T12:00:00Z","_fdi_flow":"spindle","_fdi_mapping":"unknown"}"#
        );
    }

    #[test]
    fn filtered_and_rejected_pass_unchanged() {
        assert_eq!(
            TRACE.attach(MapOutcome::<Reading>::Filtered, &raw(), time()),
            MapOutcome::Filtered
        );
        assert_eq!(
            TRACE.attach(
                MapOutcome::<Reading>::Rejected(Reject::new("no")),
                &raw(),
                time()
            ),
            MapOutcome::Rejected(Reject::new("no"))
        );
    }

    #[test]
    fn a_record_that_is_not_a_struct_is_an_error_not_a_panic() {
        let traced = Traced {
            record: 5,
            provenance: Provenance {
                source: Arc::from("s"),
                stream: None,
                position: 1,
                source_time: time(),
                flow: "f",
                mapping_sha256: "h",
            },
        };
        assert!(serde_json::to_string(&traced).is_err());
    }
}
