//! Which entity field types an OPC UA node's DataType fits, both ways. A data change's value
//! arrives as JSON by its built-in type (docs/connectors/opcua.md): a Boolean as a bool, an
//! integer type as an integer, Float and Double always as a float, text-like types as text, a
//! DateTime as RFC 3339 text. So a source's field must read that JSON (a Double is never an
//! `int`), and a target's field must be a value the node takes (a `float` is never written to
//! an integer node).

use super::node_id::Identifier;
use super::nodeset::{Key, Node, NodeSet};
use super::standard_types::data_type_parent;
use crate::schema::{FieldType, IdBase, SchemaSet};

/// What a node's values are, by its DataType's built-in type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueType {
    Boolean,
    /// SByte to UInt32, and enumerations (Int32 on the wire).
    Integer,
    /// Int64, UInt64 (and the abstract Integer, UInteger): more digits than a float keeps.
    Integer64,
    /// Float, Double (and their subtypes, such as Duration).
    Floating,
    /// String, LocalizedText, Guid, NodeId, ExpandedNodeId, ByteString (base64), XmlElement.
    Text,
    DateTime,
    /// A structure (a Range, an EUInformation): no field type holds it.
    Structure,
    /// An array (ValueRank 0 or more): no field type holds it.
    Array,
    /// BaseDataType, Number, a type of another NodeSet: not checked.
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    Yes,
    No,
    Unknown,
}

/// The value type of a Variable, from its DataType and ValueRank.
pub fn value_type(set: &NodeSet, node: &Node) -> ValueType {
    if node.value_rank.is_some_and(|rank| rank >= 0) {
        return ValueType::Array;
    }
    let Some(mut key) = node.data_type.clone() else {
        return ValueType::Unknown;
    };
    for _ in 0..64 {
        if let (0, Identifier::Numeric(id)) = &key {
            if let Some(found) = builtin(*id) {
                return found;
            }
        }
        match set.supertype(&key, data_type_parent) {
            Some(parent) => key = parent,
            None => return ValueType::Unknown,
        }
    }
    ValueType::Unknown
}

/// A built-in DataType of namespace 0 (Part 6, 5.1.2), or an abstract one that decides.
fn builtin(id: u32) -> Option<ValueType> {
    Some(match id {
        1 => ValueType::Boolean,
        2..=7 | 29 => ValueType::Integer,
        8 | 9 | 27 | 28 => ValueType::Integer64,
        10 | 11 => ValueType::Floating,
        12 | 14 | 15 | 16 | 17 | 18 | 21 => ValueType::Text,
        13 => ValueType::DateTime,
        22 => ValueType::Structure,
        19 | 20 | 23 | 24 | 25 | 26 => ValueType::Unknown,
        _ => return None,
    })
}

/// The DataType's name for messages: the alias or node id the file writes.
pub fn data_type_name(set: &NodeSet, node: &Node) -> String {
    let written = node
        .data_type_written
        .clone()
        .unwrap_or_else(|| "BaseDataType".into());
    let array = if node.value_rank.is_some_and(|rank| rank >= 0) {
        " array"
    } else {
        ""
    };
    // A DataType the file defines has a browse name to show for a bare node id.
    let named = node
        .data_type
        .as_ref()
        .and_then(|key: &Key| set.nodes.get(key))
        .map(|n| n.browse_name.1.clone())
        .filter(|name| !name.is_empty() && written.contains('='));
    format!("{}{array}", named.unwrap_or(written))
}

/// The base a field type reads and writes: an identifier type by its base; an enum as text.
enum Base {
    Bool,
    Int,
    Float,
    Text,
    Timestamp,
}

fn base(field: &FieldType, schema: &SchemaSet) -> Option<Base> {
    Some(match field {
        FieldType::Bool => Base::Bool,
        FieldType::Int => Base::Int,
        FieldType::Float => Base::Float,
        FieldType::String | FieldType::Enum(_) => Base::Text,
        FieldType::Timestamp => Base::Timestamp,
        FieldType::Identifier(name) => match schema.identifiers.get(name)?.base {
            IdBase::String => Base::Text,
            IdBase::Int => Base::Int,
        },
    })
}

/// Whether a source's field reads the values of a node of `value`.
pub fn source_fits(value: &ValueType, field: &FieldType, schema: &SchemaSet) -> Fit {
    let Some(base) = base(field, schema) else {
        return Fit::Unknown;
    };
    let fits = match value {
        ValueType::Unknown => return Fit::Unknown,
        ValueType::Boolean => matches!(base, Base::Bool),
        // A 32-bit integer is exact in a float too.
        ValueType::Integer => matches!(base, Base::Int | Base::Float),
        ValueType::Integer64 => matches!(base, Base::Int),
        ValueType::Floating => matches!(base, Base::Float),
        ValueType::Text => matches!(base, Base::Text),
        ValueType::DateTime => matches!(base, Base::Timestamp),
        ValueType::Structure | ValueType::Array => false,
    };
    if fits {
        Fit::Yes
    } else {
        Fit::No
    }
}

/// Whether a target's field can be written to a node of `value`.
pub fn target_fits(field: &FieldType, value: &ValueType, schema: &SchemaSet) -> Fit {
    let Some(base) = base(field, schema) else {
        return Fit::Unknown;
    };
    let fits = match value {
        ValueType::Unknown => return Fit::Unknown,
        ValueType::Boolean => matches!(base, Base::Bool),
        // An integer node takes whole numbers only: never a float field's fractions.
        ValueType::Integer | ValueType::Integer64 => matches!(base, Base::Int),
        ValueType::Floating => matches!(base, Base::Float | Base::Int),
        ValueType::Text => matches!(base, Base::Text),
        ValueType::DateTime => matches!(base, Base::Timestamp),
        ValueType::Structure | ValueType::Array => false,
    };
    if fits {
        Fit::Yes
    } else {
        Fit::No
    }
}

pub fn describe_field(field: &FieldType) -> String {
    match field {
        FieldType::String => "a `string`".into(),
        FieldType::Int => "an `int`".into(),
        FieldType::Float => "a `float`".into(),
        FieldType::Bool => "a `bool`".into(),
        FieldType::Timestamp => "a `timestamp`".into(),
        FieldType::Identifier(name) => format!("an identifier `{name}`"),
        FieldType::Enum(name) => format!("the enum `{name}`"),
    }
}

/// What a source's field is declared as to read the node's values.
pub fn source_help(value: &ValueType, field: &str) -> String {
    let declare = |ty: &str, why: &str| {
        format!("{why}: declare `{field}: {ty}` in the schema (`{field}: {{ type: {ty}, quality: true }}` to keep its status and source timestamp), or monitor a node of that type")
    };
    match value {
        ValueType::Boolean => declare("bool", "its values are true or false"),
        ValueType::Integer | ValueType::Integer64 => declare("int", "its values are whole numbers"),
        ValueType::Floating => declare("float", "its values arrive as floats, and a float into an `int` field would be a reject of every record"),
        ValueType::Text => declare("string", "its values arrive as text"),
        ValueType::DateTime => declare("timestamp", "its values are times"),
        ValueType::Structure | ValueType::Array => "a structure or an array has no field type: monitor one of its scalar components instead".into(),
        ValueType::Unknown => String::new(),
    }
}

/// What a target's field must be, or which node it goes to, for the write to be taken.
pub fn target_help(value: &ValueType, field: &str) -> String {
    match value {
        ValueType::Integer | ValueType::Integer64 => format!("the node takes whole numbers: write an `int` field to it (`round({field})` into an `int` field of the entity), or write `{field}` to a Float or Double node"),
        ValueType::Floating => format!("the node takes numbers: write an `int` or `float` field to it, or `{field}` to a node of its type"),
        ValueType::Boolean => format!("the node takes true or false: write a `bool` field to it, or `{field}` to a node of its type"),
        ValueType::Text => format!("the node takes text: write a `string` field to it, or `{field}` to a node of its type"),
        ValueType::DateTime => format!("the node takes a time: write a `timestamp` field to it, or `{field}` to a node of its type"),
        ValueType::Structure | ValueType::Array => "a structure or an array is not written from one field: write to one of its scalar components".into(),
        ValueType::Unknown => String::new(),
    }
}

/// Whether `shown` (a node id) is what the template `template` becomes for some record: each
/// `{field}` stands for one or more characters.
pub fn matches_template(template: &str, shown: &str) -> bool {
    // The literal pieces between the placeholders.
    let pieces: Vec<&str> = template
        .split('{')
        .enumerate()
        .map(|(i, piece)| match piece.split_once('}') {
            Some((_, after)) if i > 0 => after,
            _ => piece,
        })
        .collect();
    match pieces.split_first() {
        Some((first, rest)) if !rest.is_empty() => shown
            .strip_prefix(first)
            .is_some_and(|after| filled_by(rest, after)),
        _ => template == shown,
    }
}

/// Whether `text`, which starts at a placeholder, is one or more characters for it and then
/// `pieces[0]`, and so on for the placeholders after it.
fn filled_by(pieces: &[&str], text: &str) -> bool {
    let Some((piece, more)) = pieces.split_first() else {
        return text.is_empty();
    };
    if more.is_empty() {
        return text.len() > piece.len() && text.ends_with(piece);
    }
    (1..=text.len())
        .filter(|&at| text.is_char_boundary(at))
        .any(|at| {
            text[at..]
                .strip_prefix(piece)
                .is_some_and(|after| filled_by(more, after))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_node_ids_with_a_field_in_place_of_each_placeholder() {
        let template = "ns=2;s=Station{station}.UpperLimit";
        assert!(matches_template(template, "ns=2;s=Station1.UpperLimit"));
        assert!(matches_template(template, "ns=2;s=Station12.UpperLimit"));
        assert!(!matches_template(template, "ns=2;s=Station.UpperLimit"));
        assert!(!matches_template(template, "ns=2;s=Station1.LowerLimit"));
        assert!(matches_template("ns=2;s={line}.{machine}", "ns=2;s=L1.M2"));
        assert!(!matches_template("ns=2;s={line}.{machine}", "ns=2;s=L1."));
        assert!(matches_template("ns=2;i=10{n}", "ns=2;i=1001"));
    }
}
