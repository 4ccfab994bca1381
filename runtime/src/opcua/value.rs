//! An OPC UA data change as the JSON record a source delivers (the fields are listed in
//! docs/connectors/opcua.md): its value by the variant's type, its status by name and number, and
//! its timestamps as RFC 3339 UTC.

use opcua::types::{DataValue, DateTime, StatusCode, SubStatusCode, Variant};
use serde_json::{Map, Number, Value};

/// The JSON record of one data change of monitored item `node` (as the mapping declared it), on
/// node `node_id` (its standard text form), carried by notification message `sequence`.
pub(crate) fn data_change_record(
    node: &str,
    node_id: &str,
    value: &DataValue,
    sequence: u32,
) -> String {
    let status = value.status.unwrap_or(StatusCode::Good);
    let (json, data_type) = match &value.value {
        None | Some(Variant::Empty) => (Value::Null, Value::Null),
        Some(variant) => (
            variant_json(variant),
            Value::String(type_name(variant).to_string()),
        ),
    };
    let source_timestamp = timestamp(value.source_timestamp.as_ref());
    let mut record = Map::with_capacity(11);
    record.insert("node".into(), Value::String(node.to_string()));
    record.insert("node_id".into(), Value::String(node_id.to_string()));
    record.insert("value".into(), json);
    record.insert("data_type".into(), data_type);
    let status_text = Value::String(status_name(status));
    record.insert("status".into(), status_text.clone());
    record.insert("status_code".into(), Value::from(status.bits()));
    record.insert("source_timestamp".into(), source_timestamp.clone());
    record.insert(
        "server_timestamp".into(),
        timestamp(value.server_timestamp.as_ref()),
    );
    record.insert("value_quality".into(), status_text);
    record.insert("value_timestamp".into(), source_timestamp);
    record.insert("sequence".into(), Value::from(sequence));
    Value::Object(record).to_string()
}

/// A status code's name without its info bits (`Good`, `BadSensorFailure`,
/// `UncertainLastUsableValue`); a code the crate does not know is its hex number.
pub fn status_name(status: StatusCode) -> String {
    if status.bits() == 0 {
        return "Good".to_string();
    }
    let code = status.sub_code();
    if code != SubStatusCode::Invalid {
        code.name().to_string()
    } else {
        format!("0x{:08X}", status.bits())
    }
}

/// An OPC UA DateTime as RFC 3339 UTC with the precision it has (100 ns ticks), `null` for none
/// or the null DateTime (a server that sent no timestamp).
fn timestamp(time: Option<&DateTime>) -> Value {
    match time {
        Some(time) if !time.is_null() => Value::String(
            time.as_chrono()
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        ),
        _ => Value::Null,
    }
}

/// The variant's built-in type name, as OPC UA spells it.
pub fn type_name(variant: &Variant) -> &'static str {
    match variant {
        Variant::Empty => "Null",
        Variant::Boolean(_) => "Boolean",
        Variant::SByte(_) => "SByte",
        Variant::Byte(_) => "Byte",
        Variant::Int16(_) => "Int16",
        Variant::UInt16(_) => "UInt16",
        Variant::Int32(_) => "Int32",
        Variant::UInt32(_) => "UInt32",
        Variant::Int64(_) => "Int64",
        Variant::UInt64(_) => "UInt64",
        Variant::Float(_) => "Float",
        Variant::Double(_) => "Double",
        Variant::String(_) => "String",
        Variant::DateTime(_) => "DateTime",
        Variant::Guid(_) => "Guid",
        Variant::StatusCode(_) => "StatusCode",
        Variant::ByteString(_) => "ByteString",
        Variant::XmlElement(_) => "XmlElement",
        Variant::QualifiedName(_) => "QualifiedName",
        Variant::LocalizedText(_) => "LocalizedText",
        Variant::NodeId(_) => "NodeId",
        Variant::ExpandedNodeId(_) => "ExpandedNodeId",
        Variant::ExtensionObject(_) => "ExtensionObject",
        Variant::Variant(_) => "Variant",
        Variant::DataValue(_) => "DataValue",
        Variant::DiagnosticInfo(_) => "DiagnosticInfo",
        Variant::Array(_) => "Array",
    }
}

/// A variant's value as JSON: integers as integers, Float and Double always as JSON floats (so that
/// a Double decoded into an `int` field is a reject, not a silent truncation), texts as strings,
/// DateTime as RFC 3339, ByteString as base64, arrays as arrays. A NaN or infinite float has no JSON
/// form and is `null` (its `data_type` still says it was a float).
pub fn variant_json(variant: &Variant) -> Value {
    match variant {
        Variant::Empty => Value::Null,
        Variant::Boolean(b) => Value::Bool(*b),
        Variant::SByte(v) => Value::from(*v),
        Variant::Byte(v) => Value::from(*v),
        Variant::Int16(v) => Value::from(*v),
        Variant::UInt16(v) => Value::from(*v),
        Variant::Int32(v) => Value::from(*v),
        Variant::UInt32(v) => Value::from(*v),
        Variant::Int64(v) => Value::from(*v),
        Variant::UInt64(v) => Value::from(*v),
        // The shortest decimal that reads back as the same f32 (0.1, not 0.10000000149011612):
        // the value the server's float stands for.
        Variant::Float(v) => float_json(v.to_string().parse::<f64>().unwrap_or(f64::from(*v))),
        Variant::Double(v) => float_json(*v),
        Variant::String(s) => text(s.value().as_deref()),
        Variant::XmlElement(s) => Value::String(s.to_string()),
        Variant::LocalizedText(t) => text(t.text.value().as_deref()),
        Variant::QualifiedName(q) => Value::String(q.to_string()),
        Variant::DateTime(t) => timestamp(Some(t)),
        Variant::Guid(g) => Value::String(g.to_string()),
        Variant::StatusCode(s) => Value::String(status_name(*s)),
        Variant::ByteString(b) if b.is_null() => Value::Null,
        Variant::ByteString(b) => Value::String(b.as_base64()),
        Variant::NodeId(n) => Value::String(n.to_string()),
        Variant::ExpandedNodeId(n) => Value::String(n.to_string()),
        Variant::Variant(inner) => variant_json(inner),
        Variant::Array(array) => Value::Array(array.values.iter().map(variant_json).collect()),
        Variant::DataValue(d) => d.value.as_ref().map_or(Value::Null, variant_json),
        // Structures and diagnostics have no generic JSON form here: their debug text, so that the
        // dead letter shows what came.
        Variant::ExtensionObject(o) => Value::String(format!("{o:?}")),
        Variant::DiagnosticInfo(d) => Value::String(format!("{d:?}")),
    }
}

fn float_json(value: f64) -> Value {
    Number::from_f64(value).map_or(Value::Null, Value::Number)
}

fn text(value: Option<&str>) -> Value {
    value.map_or(Value::Null, |s| Value::String(s.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use opcua::types::{ByteString, LocalizedText};

    #[test]
    fn values_keep_their_kind_and_floats_stay_floats() {
        assert_eq!(variant_json(&Variant::Double(3.0)).to_string(), "3.0");
        assert_eq!(variant_json(&Variant::Float(0.1)).to_string(), "0.1");
        assert_eq!(variant_json(&Variant::Int16(-7)), Value::from(-7));
        assert_eq!(
            variant_json(&Variant::UInt64(u64::MAX)),
            Value::from(u64::MAX)
        );
        assert_eq!(variant_json(&Variant::Double(f64::NAN)), Value::Null);
        assert_eq!(
            variant_json(&Variant::LocalizedText(Box::new(LocalizedText::new(
                "en", "Running"
            )))),
            Value::from("Running")
        );
        assert_eq!(
            variant_json(&Variant::ByteString(ByteString::from(vec![1u8, 2, 3]))),
            Value::from("AQID")
        );
    }

    #[test]
    fn a_record_names_its_status_and_has_null_for_what_is_missing() {
        let value = DataValue {
            value: None,
            status: Some(StatusCode::BadSensorFailure),
            ..DataValue::null()
        };
        let record: Value =
            serde_json::from_str(&data_change_record("ns=2;s=A", "ns=2;s=A", &value, 9)).unwrap();
        assert_eq!(record["status"], "BadSensorFailure");
        assert_eq!(record["value_quality"], "BadSensorFailure");
        assert_eq!(record["status_code"], 0x808C_0000u32);
        assert_eq!(record["value"], Value::Null);
        assert_eq!(record["data_type"], Value::Null);
        assert_eq!(record["source_timestamp"], Value::Null);
        assert_eq!(record["sequence"], 9);
    }
}
