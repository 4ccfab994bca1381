//! The keys of the record of one MTConnect observation (docs/connectors/mtconnect.md), against a
//! source's entity (E0831), by `connectors/record_keys.rs`: a field the record cannot give is
//! caught at compile time. The type of `value` against each data item's model is the
//! device-model stage's.

use crate::connectors::record_keys::{self, Holds, RecordShape};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::MtconnectStream;
use crate::schema::{Entity, SchemaSet};

/// The keys of an observation's record and what each holds. `sequence` only an agent's has.
const RECORD: &[(&str, Holds)] = &[
    ("device", Holds::Text),
    ("data_item", Holds::Text),
    ("name", Holds::Text),
    ("category", Holds::Text),
    ("type", Holds::Text),
    ("sub_type", Holds::Text),
    ("units", Holds::Text),
    ("timestamp", Holds::Time),
    ("sequence", Holds::Number),
    ("value", Holds::Value),
    ("value_quality", Holds::Quality),
    ("value_timestamp", Holds::Time),
    ("native_code", Holds::Text),
    ("native_severity", Holds::Text),
    ("qualifier", Holds::Text),
    ("message", Holds::Text),
    ("asset_id", Holds::Text),
    ("asset_type", Holds::Text),
];

/// The record keys of `stream`'s observations.
pub fn record_keys(stream: &MtconnectStream) -> impl Iterator<Item = &'static str> + Clone + '_ {
    RECORD
        .iter()
        .map(|(key, _)| *key)
        .filter(move |key| *key != "sequence" || matches!(stream, MtconnectStream::Agent { .. }))
}

/// Every field of `entity` an observation of `stream` cannot give.
pub fn check_source_fields(
    stream: &MtconnectStream,
    entity: &Entity,
    schema: &SchemaSet,
) -> Vec<Diagnostic> {
    let keys: Vec<(&'static str, Holds)> = RECORD
        .iter()
        .filter(|(key, _)| record_keys(stream).any(|k| k == *key))
        .copied()
        .collect();
    let shape = RecordShape {
        keys: &keys,
        what: match stream {
            MtconnectStream::Agent { .. } => "an agent's observation",
            _ => "an SHDR observation",
        },
        code: Code::MtconnectRecordField,
    };
    record_keys::check_fields(&shape, entity, schema)
}
