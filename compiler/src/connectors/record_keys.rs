//! The keys of the records a connector makes itself (an OPC UA data change, an MTConnect
//! observation), against the entity of a source that reads them: a required field the record
//! does not have would reject every record, a quality or timestamp column it does not have would
//! make every value UNCERTAIN without a time, and a field of the wrong type would reject every
//! record. Caught at compile time, with the connector's own code. The type of `value` is the
//! model stages' (NodeSet, device model), which know the node or data item.

use crate::diagnostic::{closest, Code, Diagnostic};
use crate::schema::{Entity, FieldType, IdBase, SchemaSet};

/// What a record key holds, for the field that reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holds {
    /// The value, typed by the node or data item (at compile time by a model, else at run time).
    Value,
    Text,
    Number,
    Time,
    /// A quality or status name, as a quality column reads it.
    Quality,
}

/// The records of one kind of source.
pub struct RecordShape<'a> {
    /// Each key the records have, with what it holds.
    pub keys: &'a [(&'static str, Holds)],
    /// The record, for messages: "an OPC UA data change".
    pub what: &'a str,
    /// The connector's code for a field the record cannot give.
    pub code: Code,
}

/// Every field of `entity` a record of `shape` cannot give.
pub fn check_fields(shape: &RecordShape, entity: &Entity, schema: &SchemaSet) -> Vec<Diagnostic> {
    let keys = || shape.keys.iter().map(|(key, _)| *key);
    let what = shape.what;
    let mut problems = Vec::new();
    for field in &entity.fields {
        let column = field.external_name();
        let holds = shape
            .keys
            .iter()
            .find(|(key, _)| *key == column)
            .map(|(_, holds)| *holds);
        // The columns the field reads that no record has: its value's (unless optional), and
        // its quality's and timestamp's, which would read as UNCERTAIN without a time.
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
                    shape.code,
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
                    shape.code,
                    format!(
                        "`{column}` of {what} is {}, and `{}.{}` is not",
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
