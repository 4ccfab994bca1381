//! A record field's JSON value converted to the data type of the node it is written to: exactly, or
//! not at all (70000 does not fit an Int16, 2.5 and 2.0 are not integers, a float that would turn
//! infinite does not fit a Float); the reason says which.

use std::str::FromStr;

use base64::Engine;
use opcua::types::{
    Array, ByteString, DataTypeId, DateTime, Guid, LocalizedText, NodeId, Variant,
    VariantScalarTypeId,
};
use serde_json::Value;

/// The built-in types a target writes, by the node's DataType.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteType {
    Boolean,
    SByte,
    Byte,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Float,
    Double,
    String,
    LocalizedText,
    DateTime,
    Guid,
    ByteString,
}

impl WriteType {
    /// The type of a node whose DataType attribute is `data_type`: a built-in type, or a standard
    /// subtype written as its base (Duration as Double, UtcTime as DateTime, an enumeration as
    /// Int32). `None` for a structure or a type this target does not write.
    pub(crate) fn of(data_type: &NodeId) -> Option<WriteType> {
        if data_type.namespace != 0 {
            return None;
        }
        let id = data_type.as_data_type_id().ok()?;
        Some(match id {
            DataTypeId::Boolean => WriteType::Boolean,
            DataTypeId::SByte => WriteType::SByte,
            DataTypeId::Byte => WriteType::Byte,
            DataTypeId::Int16 => WriteType::Int16,
            DataTypeId::UInt16 => WriteType::UInt16,
            DataTypeId::Int32 | DataTypeId::Enumeration => WriteType::Int32,
            DataTypeId::UInt32 | DataTypeId::IntegerId | DataTypeId::Counter => WriteType::UInt32,
            DataTypeId::Int64 => WriteType::Int64,
            DataTypeId::UInt64 => WriteType::UInt64,
            DataTypeId::Float => WriteType::Float,
            DataTypeId::Double | DataTypeId::Duration => WriteType::Double,
            DataTypeId::String | DataTypeId::LocaleId | DataTypeId::NumericRange => {
                WriteType::String
            }
            DataTypeId::LocalizedText => WriteType::LocalizedText,
            DataTypeId::DateTime | DataTypeId::UtcTime => WriteType::DateTime,
            DataTypeId::Guid => WriteType::Guid,
            DataTypeId::ByteString => WriteType::ByteString,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            WriteType::Boolean => "Boolean",
            WriteType::SByte => "SByte",
            WriteType::Byte => "Byte",
            WriteType::Int16 => "Int16",
            WriteType::UInt16 => "UInt16",
            WriteType::Int32 => "Int32",
            WriteType::UInt32 => "UInt32",
            WriteType::Int64 => "Int64",
            WriteType::UInt64 => "UInt64",
            WriteType::Float => "Float",
            WriteType::Double => "Double",
            WriteType::String => "String",
            WriteType::LocalizedText => "LocalizedText",
            WriteType::DateTime => "DateTime",
            WriteType::Guid => "Guid",
            WriteType::ByteString => "ByteString",
        }
    }

    fn scalar_id(self) -> VariantScalarTypeId {
        match self {
            WriteType::Boolean => VariantScalarTypeId::Boolean,
            WriteType::SByte => VariantScalarTypeId::SByte,
            WriteType::Byte => VariantScalarTypeId::Byte,
            WriteType::Int16 => VariantScalarTypeId::Int16,
            WriteType::UInt16 => VariantScalarTypeId::UInt16,
            WriteType::Int32 => VariantScalarTypeId::Int32,
            WriteType::UInt32 => VariantScalarTypeId::UInt32,
            WriteType::Int64 => VariantScalarTypeId::Int64,
            WriteType::UInt64 => VariantScalarTypeId::UInt64,
            WriteType::Float => VariantScalarTypeId::Float,
            WriteType::Double => VariantScalarTypeId::Double,
            WriteType::String => VariantScalarTypeId::String,
            WriteType::LocalizedText => VariantScalarTypeId::LocalizedText,
            WriteType::DateTime => VariantScalarTypeId::DateTime,
            WriteType::Guid => VariantScalarTypeId::Guid,
            WriteType::ByteString => VariantScalarTypeId::ByteString,
        }
    }
}

/// A node's type as a target writes it: the built-in type and whether the value is an array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NodeType {
    pub scalar: WriteType,
    pub array: bool,
}

impl NodeType {
    /// The type's name for messages (`Int16`, `Double[]`).
    pub(crate) fn name(&self) -> String {
        if self.array {
            format!("{}[]", self.scalar.name())
        } else {
            self.scalar.name().to_string()
        }
    }
}

/// `value` as a variant of `node_type`, or why it does not fit.
pub(crate) fn to_variant(value: &Value, node_type: NodeType) -> Result<Variant, String> {
    if !node_type.array {
        return scalar(value, node_type.scalar);
    }
    let Value::Array(elements) = value else {
        return Err(format!("{value} is not an array"));
    };
    let values = elements
        .iter()
        .map(|element| scalar(element, node_type.scalar))
        .collect::<Result<Vec<_>, _>>()?;
    Array::new(node_type.scalar.scalar_id(), values)
        .map(|array| Variant::Array(Box::new(array)))
        .map_err(|e| {
            format!(
                "{value} is not an array of {}: {e}",
                node_type.scalar.name()
            )
        })
}

fn scalar(value: &Value, to: WriteType) -> Result<Variant, String> {
    let not = |what: &str| Err(format!("{value} is not {what}"));
    match to {
        WriteType::Boolean => match value {
            Value::Bool(b) => Ok(Variant::Boolean(*b)),
            _ => not("a boolean"),
        },
        WriteType::SByte => integer(value, to).map(|i| Variant::SByte(i as i8)),
        WriteType::Byte => integer(value, to).map(|i| Variant::Byte(i as u8)),
        WriteType::Int16 => integer(value, to).map(|i| Variant::Int16(i as i16)),
        WriteType::UInt16 => integer(value, to).map(|i| Variant::UInt16(i as u16)),
        WriteType::Int32 => integer(value, to).map(|i| Variant::Int32(i as i32)),
        WriteType::UInt32 => integer(value, to).map(|i| Variant::UInt32(i as u32)),
        WriteType::Int64 => integer(value, to).map(|i| Variant::Int64(i as i64)),
        WriteType::UInt64 => integer(value, to).map(|i| Variant::UInt64(i as u64)),
        WriteType::Float => {
            let Some(number) = value.as_f64() else {
                return not("a number");
            };
            let narrowed = number as f32;
            if narrowed.is_infinite() {
                return Err(format!("{value} is outside the range of Float"));
            }
            // A fraction is rounded to the Float nearest it, as a Float field is; an integer must be
            // held exactly, as by a Double.
            if !value.as_number().is_some_and(|n| n.is_f64()) && f64::from(narrowed) != number {
                return Err(format!("{value} has no exact Float"));
            }
            Ok(Variant::Float(narrowed))
        }
        WriteType::Double => match value {
            Value::Number(n) if n.is_f64() => Ok(Variant::Double(n.as_f64().expect("f64"))),
            Value::Number(n) => {
                // An integer is a Double only when the Double holds it exactly.
                let exact = n
                    .as_i64()
                    // Compared wider: `as` back to 64 bits saturates, so i64::MAX would pass.
                    .map(|i| (i as f64, (i as f64) as i128 == i128::from(i)))
                    .or_else(|| {
                        n.as_u64()
                            .map(|u| (u as f64, (u as f64) as u128 == u128::from(u)))
                    });
                match exact {
                    Some((double, true)) => Ok(Variant::Double(double)),
                    _ => Err(format!("{value} has no exact Double")),
                }
            }
            _ => not("a number"),
        },
        WriteType::String => match value {
            Value::String(s) => Ok(Variant::from(s.as_str())),
            _ => not("text"),
        },
        WriteType::LocalizedText => match value {
            Value::String(s) => Ok(Variant::LocalizedText(Box::new(LocalizedText::new("", s)))),
            _ => not("text"),
        },
        WriteType::DateTime => match value {
            Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| Variant::DateTime(Box::new(DateTime::from(t.to_utc()))))
                .map_err(|e| format!("{value} is not an RFC 3339 timestamp: {e}")),
            _ => not("a timestamp"),
        },
        WriteType::Guid => match value {
            Value::String(s) => Guid::from_str(s)
                .map(|g| Variant::Guid(Box::new(g)))
                .map_err(|_| format!("{value} is not a GUID")),
            _ => not("a GUID"),
        },
        WriteType::ByteString => match value {
            Value::String(s) => base64::engine::general_purpose::STANDARD
                .decode(s)
                .map(|bytes| Variant::ByteString(ByteString::from(bytes)))
                .map_err(|e| format!("{value} is not base64: {e}")),
            _ => not("base64 text"),
        },
    }
}

/// An integer of `value` within the range of `to`, as i128 (which holds every integer type's range).
fn integer(value: &Value, to: WriteType) -> Result<i128, String> {
    let Value::Number(number) = value else {
        return Err(format!("{value} is not an integer"));
    };
    let Some(integer) = number
        .as_i64()
        .map(i128::from)
        .or_else(|| number.as_u64().map(i128::from))
    else {
        return Err(format!(
            "{value} is a float, and node type {} takes integers only",
            to.name()
        ));
    };
    let (min, max): (i128, i128) = match to {
        WriteType::SByte => (i8::MIN.into(), i8::MAX.into()),
        WriteType::Byte => (0, u8::MAX.into()),
        WriteType::Int16 => (i16::MIN.into(), i16::MAX.into()),
        WriteType::UInt16 => (0, u16::MAX.into()),
        WriteType::Int32 => (i32::MIN.into(), i32::MAX.into()),
        WriteType::UInt32 => (0, u32::MAX.into()),
        WriteType::Int64 => (i64::MIN.into(), i64::MAX.into()),
        _ => (0, u64::MAX.into()),
    };
    if integer < min || integer > max {
        return Err(format!(
            "{integer} is outside the range of {} ({min}..={max})",
            to.name()
        ));
    }
    Ok(integer)
}

/// Whether the value read back is the value written: the same variant, or the same text of a
/// LocalizedText (a server may add its locale).
pub(crate) fn same_value(written: &Variant, read: &Variant) -> bool {
    match (written, read) {
        (Variant::LocalizedText(w), Variant::LocalizedText(r)) => w.text == r.text,
        (Variant::Array(w), Variant::Array(r)) => {
            w.values.len() == r.values.len()
                && w.values
                    .iter()
                    .zip(&r.values)
                    .all(|(w, r)| same_value(w, r))
        }
        _ => written == read,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn of(scalar: WriteType) -> NodeType {
        NodeType {
            scalar,
            array: false,
        }
    }

    #[test]
    fn integers_fit_their_range_or_are_refused() {
        assert_eq!(
            to_variant(&json!(-32768), of(WriteType::Int16)),
            Ok(Variant::Int16(-32768))
        );
        let refused = to_variant(&json!(70000), of(WriteType::Int16)).unwrap_err();
        assert!(refused.contains("outside the range of Int16"), "{refused}");
        assert!(to_variant(&json!(-1), of(WriteType::UInt32)).is_err());
        assert_eq!(
            to_variant(&json!(u64::MAX), of(WriteType::UInt64)),
            Ok(Variant::UInt64(u64::MAX))
        );
    }

    #[test]
    fn a_float_is_never_an_integer_and_floats_stay_in_range() {
        for float in [json!(2.5), json!(2.0)] {
            let refused = to_variant(&float, of(WriteType::Int32)).unwrap_err();
            assert!(refused.contains("is a float"), "{refused}");
        }
        assert!(to_variant(&json!(1e300), of(WriteType::Float)).is_err());
        assert_eq!(
            to_variant(&json!(0.1), of(WriteType::Float)),
            Ok(Variant::Float(0.1))
        );
        assert_eq!(
            to_variant(&json!(3), of(WriteType::Double)),
            Ok(Variant::Double(3.0))
        );
        assert!(to_variant(&json!(9007199254740993u64), of(WriteType::Double)).is_err());
        // Converting back saturates: the largest integers would look exact without the wider check.
        assert!(to_variant(&json!(i64::MAX), of(WriteType::Double)).is_err());
        assert!(to_variant(&json!(u64::MAX), of(WriteType::Double)).is_err());
        assert!(to_variant(&json!(16_777_217), of(WriteType::Float)).is_err());
        assert_eq!(
            to_variant(&json!(16_777_216), of(WriteType::Float)),
            Ok(Variant::Float(16_777_216.0))
        );
    }

    #[test]
    fn texts_times_and_arrays_convert() {
        let time = to_variant(&json!("2026-12-07T03:00:00.5Z"), of(WriteType::DateTime)).unwrap();
        let Variant::DateTime(time) = time else {
            panic!("{time:?}")
        };
        assert_eq!(
            time.as_chrono().to_rfc3339(),
            "2026-12-07T03:00:00.500+00:00"
        );
        assert!(to_variant(&json!(7), of(WriteType::String)).is_err());
        let array = NodeType {
            scalar: WriteType::Int32,
            array: true,
        };
        let Variant::Array(values) = to_variant(&json!([1, 2, 3]), array).unwrap() else {
            panic!("not an array")
        };
        assert_eq!(values.values.len(), 3);
        assert!(to_variant(&json!([1, 2.5]), array).is_err());
    }

    #[test]
    fn node_types_come_from_standard_data_types() {
        assert_eq!(
            WriteType::of(&DataTypeId::Duration.into()),
            Some(WriteType::Double)
        );
        assert_eq!(WriteType::of(&NodeId::new(2, 3001)), None);
    }
}
