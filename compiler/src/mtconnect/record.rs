//! The keys of the record of one MTConnect observation (docs/connectors/mtconnect.md), against a
//! source's entity (E0831): a required field the record does not have would reject every record,
//! a quality or timestamp column it does not have would make every value UNCERTAIN without a
//! time, and a field of the wrong type would reject every record. Caught at compile time. The
//! type of `value` against each data item's model is the device-model stage's.

use crate::diagnostic::{closest, Code, Diagnostic};
use crate::ir::MtconnectStream;
use crate::schema::{Entity, FieldType, IdBase, SchemaSet};

/// What a record key holds, for the field that reads it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Holds {
    /// The value, by the data item's type (typed by the device model, or read from its text).
    Value,
    Text,
    Number,
    Time,
    /// `GOOD` or `BAD`, as a quality column reads it.
    Quality,
}

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
    let keys = || record_keys(stream);
    let what = match stream {
        MtconnectStream::Agent { .. } => "an agent's observation",
        _ => "an SHDR observation",
    };
    let mut problems = Vec::new();
    for field in &entity.fields {
        let column = field.external_name();
        let holds = keys()
            .any(|key| key == column)
            .then(|| RECORD.iter().find(|(key, _)| *key == column))
            .flatten()
            .map(|(_, holds)| *holds);
        let mut missing: Vec<&str> = Vec::new();
        if holds.is_none() && !field.optional {
            missing.push(column);
        }
        for extra in field
            .quality
            .iter()
            .flat_map(|q| [q.quality.as_str(), q.timestamp.as_str()])
        {
            if !keys().any(|key| key == extra) {
                missing.push(extra);
            }
        }
        if !missing.is_empty() {
            let near: Vec<String> = missing
                .iter()
                .filter_map(|m| closest(m, keys()).map(|key| format!("`{key}` for `{m}`")))
                .collect();
            let help = if near.is_empty() {
                format!("the record of {what} has {}", list(keys()))
            } else {
                format!(
                    "the record has {}: rename the field, or name its columns in the schema (`column:`, `quality_column:`, `timestamp_column:`)",
                    near.join(", ")
                )
            };
            problems.push(
                Diagnostic::error(
                    Code::MtconnectRecordField,
                    format!(
                        "`{}.{}` reads {}, which {what} does not have",
                        entity.name,
                        field.name,
                        list(missing.iter().copied())
                    ),
                )
                .label(
                    field.span,
                    if holds.is_none() && !field.optional {
                        "every record would be rejected for it"
                    } else {
                        "every value would be UNCERTAIN, without a time"
                    },
                )
                .help(help),
            );
            continue;
        }
        if let Some(holds) = holds.filter(|h| !fits(*h, &field.ty, schema)) {
            problems.push(
                Diagnostic::error(
                    Code::MtconnectRecordField,
                    format!(
                        "`{column}` of an MTConnect observation is {}, and `{}.{}` is not",
                        describe(holds),
                        entity.name,
                        field.name
                    ),
                )
                .label(field.span, "every record would be rejected for it")
                .help(format!("declare `{}` as {}", field.name, describe(holds))),
            );
        }
    }
    problems
}

fn fits(holds: Holds, ty: &FieldType, schema: &SchemaSet) -> bool {
    let ty = match ty {
        FieldType::Identifier(name) => match schema.identifiers.get(name).map(|i| i.base) {
            Some(IdBase::String) => &FieldType::String,
            Some(IdBase::Int) => &FieldType::Int,
            None => return true,
        },
        other => other,
    };
    match holds {
        Holds::Value => true,
        Holds::Text => matches!(ty, FieldType::String | FieldType::Enum(_)),
        Holds::Number => matches!(ty, FieldType::Int | FieldType::Float),
        Holds::Time => matches!(ty, FieldType::Timestamp | FieldType::String),
        Holds::Quality => matches!(ty, FieldType::String | FieldType::Enum(_)),
    }
}

fn describe(holds: Holds) -> &'static str {
    match holds {
        Holds::Value => "the value",
        Holds::Text => "text (`string`)",
        Holds::Number => "a number (`int`)",
        Holds::Time => "a time (`timestamp`)",
        Holds::Quality => "a quality name (`string`)",
    }
}

fn list<'a>(keys: impl Iterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = keys.map(|k| format!("`{k}`")).collect();
    quoted.join(", ")
}
