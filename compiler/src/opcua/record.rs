//! The fields of the record of one OPC UA data change (docs/connectors/opcua.md), against a
//! source's entity (E0806), by `connectors/record_keys.rs`: a field the record cannot give is
//! caught at compile time.

use crate::connectors::record_keys::{self, Holds, RecordShape};
use crate::diagnostic::{Code, Diagnostic};
use crate::schema::{Entity, SchemaSet};

/// The keys of a data change's record and what each holds (`value` by the node's DataType,
/// typed by a NodeSet or at run time; `status` as a quality column reads it).
const RECORD: &[(&str, Holds)] = &[
    ("node", Holds::Text),
    ("node_id", Holds::Text),
    ("value", Holds::Value),
    ("data_type", Holds::Text),
    ("status", Holds::Quality),
    ("status_code", Holds::Number),
    ("source_timestamp", Holds::Time),
    ("server_timestamp", Holds::Time),
    ("value_quality", Holds::Quality),
    ("value_timestamp", Holds::Time),
    ("sequence", Holds::Number),
];

/// Every field of `entity` an OPC UA data change cannot give.
pub fn check_source_fields(entity: &Entity, schema: &SchemaSet) -> Vec<Diagnostic> {
    let shape = RecordShape {
        keys: RECORD,
        what: "an OPC UA data change",
        code: Code::OpcuaItems,
    };
    record_keys::check_fields(&shape, entity, schema)
}
