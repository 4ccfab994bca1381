//! The codec's pure parts: topics, values of every datatype in every field they may arrive
//! in, malformed payloads, and fdi's edge node read back by fdi's own host session. The
//! comparisons with Eclipse Tahu's independent codec are in `runtime/tests/sparkplug_tahu.rs`.

use prost::Message as _;

use super::proto::payload::metric::Value as Raw;
use super::proto::{self, payload};
use super::*;

fn node() -> EdgeNodeId {
    EdgeNodeId {
        group: "plant1".into(),
        edge_node: "line3".into(),
    }
}

#[test]
fn topics_of_every_message_type_parse_and_print_back() {
    for (text, message_type, device) in [
        ("spBv1.0/plant1/NBIRTH/line3", MessageType::NodeBirth, None),
        ("spBv1.0/plant1/NDATA/line3", MessageType::NodeData, None),
        ("spBv1.0/plant1/NDEATH/line3", MessageType::NodeDeath, None),
        ("spBv1.0/plant1/NCMD/line3", MessageType::NodeCommand, None),
        (
            "spBv1.0/plant1/DBIRTH/line3/mill1",
            MessageType::DeviceBirth,
            Some("mill1"),
        ),
        (
            "spBv1.0/plant1/DDATA/line3/mill1",
            MessageType::DeviceData,
            Some("mill1"),
        ),
        (
            "spBv1.0/plant1/DDEATH/line3/mill1",
            MessageType::DeviceDeath,
            Some("mill1"),
        ),
        (
            "spBv1.0/plant1/DCMD/line3/mill1",
            MessageType::DeviceCommand,
            Some("mill1"),
        ),
    ] {
        let topic = Topic::parse(text).expect(text);
        assert_eq!(
            topic,
            Topic::Message {
                message_type,
                node: node(),
                device: device.map(str::to_string),
            }
        );
        assert_eq!(topic.to_string(), text);
    }
    assert_eq!(
        Topic::parse("spBv1.0/STATE/scada-1").expect("STATE"),
        Topic::HostState {
            host_id: "scada-1".into()
        }
    );
}

#[test]
fn a_topic_that_is_not_sparkplug_says_what_is_wrong() {
    for (text, says) in [
        (
            "spAv1.0/plant1/NDATA/line3",
            "starts with `spAv1.0`, not `spBv1.0/`",
        ),
        ("plant/line3/state", "starts with `plant`"),
        ("spBv1.0/plant1/NDATA", "it has 3 levels"),
        (
            "spBv1.0/plant1/NDAT/line3",
            "`NDAT` is not a message type (NBIRTH, NDATA",
        ),
        (
            "spBv1.0/plant1/NDATA/line3/mill1",
            "a NDATA topic names an edge node and no device",
        ),
        (
            "spBv1.0/plant1/DDATA/line3",
            "a DDATA topic names a device as its fifth level",
        ),
        (
            "spBv1.0/plant1/DDATA/line3/mill1/x",
            "has 5 levels (the last names the device), not 6",
        ),
        ("spBv1.0//NDATA/line3", "its level 2 is empty"),
        ("spBv1.0/plant1/NDATA/+", "`+` holds a wildcard"),
        (
            "spBv1.0/STATE/a/b",
            "a STATE topic is `spBv1.0/STATE/<host id>`",
        ),
        ("", "starts with ``"),
    ] {
        let error = Topic::parse(text).expect_err(text).to_string();
        assert!(error.contains(says), "{text}: {error}");
        assert!(error.starts_with(&format!("`{text}` is not a Sparkplug B topic: ")));
    }
}

#[test]
fn datatypes_have_the_specifications_codes_and_names() {
    for code in 1..=21 {
        let datatype = DataType::from_code(code).expect("a datatype");
        assert_eq!(datatype.code(), code);
        assert_eq!(DataType::from_name(datatype.name()), Some(datatype));
    }
    assert_eq!(DataType::from_code(0), None);
    assert_eq!(DataType::from_code(22), None, "Int8Array is not read");
    assert_eq!(DataType::from_name("uuid"), Some(DataType::Uuid));
    assert_eq!(DataType::DateTime.code(), 13);
    assert_eq!(DataType::Bytes.code(), 17);
}

/// A metric of `datatype` (code) whose value is `raw`, decoded from bytes.
fn decoded(datatype: u32, raw: Option<Raw>, is_null: bool) -> Metric {
    let bytes = proto::Payload {
        metrics: vec![payload::Metric {
            name: Some("m".into()),
            datatype: Some(datatype),
            is_null: is_null.then_some(true),
            value: raw,
            ..payload::Metric::default()
        }],
        ..proto::Payload::default()
    }
    .encode_to_vec();
    decode_payload(&bytes).expect("decodes").metrics.remove(0)
}

#[test]
fn integers_read_from_either_field_and_in_either_twos_complement() {
    let value = |datatype: DataType, raw: Raw| decoded(datatype.code(), Some(raw), false).value();
    assert_eq!(
        value(DataType::Int8, Raw::IntValue(-5i32 as u32)),
        Ok(Some(Value::Int8(-5)))
    );
    assert_eq!(
        value(DataType::Int8, Raw::IntValue(0xFB)),
        Ok(Some(Value::Int8(-5)))
    );
    assert_eq!(
        value(DataType::Int16, Raw::IntValue(0x8000)),
        Ok(Some(Value::Int16(i16::MIN)))
    );
    assert_eq!(
        value(DataType::Int32, Raw::IntValue(u32::MAX)),
        Ok(Some(Value::Int32(-1)))
    );
    assert_eq!(
        value(DataType::Int32, Raw::LongValue(u64::MAX)),
        Ok(Some(Value::Int32(-1)))
    );
    assert_eq!(
        value(
            DataType::Int64,
            Raw::LongValue(-9_000_000_000_000i64 as u64)
        ),
        Ok(Some(Value::Int64(-9_000_000_000_000)))
    );
    assert_eq!(
        value(DataType::UInt8, Raw::IntValue(255)),
        Ok(Some(Value::UInt8(255)))
    );
    assert_eq!(
        value(DataType::UInt32, Raw::LongValue(4_000_000_000)),
        Ok(Some(Value::UInt32(4_000_000_000)))
    );
    assert_eq!(
        value(DataType::UInt32, Raw::IntValue(4_000_000_000)),
        Ok(Some(Value::UInt32(4_000_000_000)))
    );
    assert_eq!(
        value(DataType::UInt64, Raw::LongValue(u64::MAX)),
        Ok(Some(Value::UInt64(u64::MAX)))
    );
    assert_eq!(
        value(DataType::DateTime, Raw::LongValue(1_700_000_000_123)),
        Ok(Some(Value::DateTime(1_700_000_000_123)))
    );
    assert_eq!(
        value(DataType::Int8, Raw::IntValue(300)),
        Err(MetricProblem::Value(ValueProblem::OutOfRange {
            datatype: DataType::Int8,
            value: 300
        }))
    );
    assert_eq!(
        value(DataType::UInt8, Raw::IntValue(-1i32 as u32)),
        Err(MetricProblem::Value(ValueProblem::OutOfRange {
            datatype: DataType::UInt8,
            value: -1
        }))
    );
    assert_eq!(
        value(DataType::UInt32, Raw::LongValue(1 << 32)),
        Err(MetricProblem::Value(ValueProblem::OutOfRange {
            datatype: DataType::UInt32,
            value: 1 << 32
        }))
    );
}

#[test]
fn other_scalars_read_from_their_field_only() {
    let value = |datatype: DataType, raw: Raw| decoded(datatype.code(), Some(raw), false).value();
    assert_eq!(
        value(DataType::Float, Raw::FloatValue(1.5)),
        Ok(Some(Value::Float(1.5)))
    );
    assert_eq!(
        value(DataType::Double, Raw::DoubleValue(0.1)),
        Ok(Some(Value::Double(0.1)))
    );
    assert_eq!(
        value(DataType::Double, Raw::FloatValue(0.5)),
        Ok(Some(Value::Double(0.5)))
    );
    assert_eq!(
        value(DataType::Boolean, Raw::BooleanValue(true)),
        Ok(Some(Value::Boolean(true)))
    );
    assert_eq!(
        value(DataType::String, Raw::StringValue("RUN".into())),
        Ok(Some(Value::String("RUN".into())))
    );
    assert_eq!(
        value(DataType::Text, Raw::StringValue("long".into())),
        Ok(Some(Value::Text("long".into())))
    );
    let uuid = "0f3c2a6e-8a8b-4c8e-9d3e-1f2a3b4c5d6e";
    assert_eq!(
        value(DataType::Uuid, Raw::StringValue(uuid.into())),
        Ok(Some(Value::Uuid(uuid.into())))
    );
    assert_eq!(
        value(DataType::Bytes, Raw::BytesValue(vec![0, 255])),
        Ok(Some(Value::Bytes(vec![0, 255])))
    );
    for (datatype, raw, field) in [
        (DataType::Float, Raw::DoubleValue(1.0), "double_value"),
        (DataType::Boolean, Raw::IntValue(1), "int_value"),
        (DataType::String, Raw::BytesValue(vec![65]), "bytes_value"),
        (
            DataType::Int32,
            Raw::StringValue("5".into()),
            "string_value",
        ),
        (
            DataType::Bytes,
            Raw::StringValue("AA".into()),
            "string_value",
        ),
    ] {
        let problem = value(datatype, raw).expect_err("wrong field");
        assert_eq!(
            problem,
            MetricProblem::Value(ValueProblem::WrongField { datatype, field })
        );
        assert!(problem.to_string().contains(&format!(
            "declared {datatype} but carries its value in {field}"
        )));
    }
}

#[test]
fn null_missing_unsupported_and_unknown_values_are_told_apart() {
    assert_eq!(decoded(10, None, true).value(), Ok(None));
    assert_eq!(
        decoded(10, None, false).value(),
        Err(MetricProblem::Value(ValueProblem::Missing))
    );
    let dataset = decoded(
        16,
        Some(Raw::DatasetValue(payload::DataSet::default())),
        false,
    );
    let problem = dataset.value().expect_err("a DataSet");
    assert_eq!(
        problem,
        MetricProblem::Value(ValueProblem::Unsupported(DataType::DataSet))
    );
    assert!(problem
        .to_string()
        .contains("DataSet is a structure fdi does not read"));
    assert_eq!(
        decoded(19, None, true).value(),
        Err(MetricProblem::Value(ValueProblem::Unsupported(
            DataType::Template
        )))
    );
    assert_eq!(
        decoded(22, Some(Raw::BytesValue(vec![1])), false).value(),
        Err(MetricProblem::UnknownDatatype(22))
    );
    assert_eq!(
        decoded(0, Some(Raw::IntValue(1)), false).value(),
        Err(MetricProblem::NoDatatype)
    );
}

#[test]
fn bytes_that_are_no_payload_are_an_error_never_a_panic() {
    let valid = {
        let mut edge = EdgeNode::new(node(), 0);
        let metrics = [
            OutMetric::new("Speed", Value::Double(1200.5)),
            OutMetric::new("State", Value::String("RUNNING".into())),
        ];
        edge.birth(1, &metrics).expect("encodes").payload
    };
    // Every truncation of a valid payload, then garbage.
    let mut inputs: Vec<Vec<u8>> = (0..valid.len()).map(|n| valid[..n].to_vec()).collect();
    inputs.extend([
        vec![0xff; 16],
        vec![
            0x12, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01,
        ],
        b"{\"timestamp\": 1}".to_vec(),
        vec![0x0a],
        vec![0x07],
    ]);
    let mut errors = 0;
    for input in &inputs {
        match decode_payload(input) {
            Ok(payload) => {
                // A prefix that ends between fields is a shorter payload: it still types or
                // refuses each metric without panicking.
                for metric in &payload.metrics {
                    let _ = metric.value();
                }
            }
            Err(error) => {
                errors += 1;
                assert!(error
                    .to_string()
                    .starts_with("the payload is not a Sparkplug B protobuf payload: "));
            }
        }
    }
    assert!(
        errors > inputs.len() / 2,
        "most of them do not decode: {errors} of {}",
        inputs.len()
    );
    assert!(matches!(
        decode_payload(&[0xff; 16]),
        Err(PayloadError::Protobuf(_))
    ));
}

#[test]
fn a_compressed_payload_is_refused_with_the_fix() {
    let bytes = proto::Payload {
        uuid: Some("SPBV1.0_COMPRESSED".into()),
        body: Some(vec![1, 2, 3]),
        ..proto::Payload::default()
    }
    .encode_to_vec();
    let error = decode_payload(&bytes).expect_err("compressed");
    assert_eq!(error, PayloadError::Compressed);
    assert!(error.to_string().contains("turn compression off"));
}

#[test]
fn the_edge_node_checks_what_it_publishes_against_its_births() {
    let mut edge = EdgeNode::new(node(), 3);
    assert_eq!(edge.data(1, &[]), Err(EncodeError::NotBorn));
    edge.birth(1, &[OutMetric::new("Speed", Value::Double(1.0))])
        .expect("birth");
    assert_eq!(
        edge.data(2, &[OutMetric::new("Speed", Value::Float(1.0))]),
        Err(EncodeError::DatatypeDiffers {
            metric: "Speed".into(),
            declared: DataType::Double,
            given: DataType::Float
        })
    );
    assert_eq!(
        edge.data(2, &[OutMetric::new("Feed", Value::Double(1.0))]),
        Err(EncodeError::NotInBirth("Feed".into()))
    );
    assert_eq!(
        edge.device_data("mill1", 2, &[]),
        Err(EncodeError::DeviceNotBorn("mill1".into()))
    );
    assert_eq!(
        edge.birth(
            3,
            &[
                OutMetric::new("A", Value::Boolean(true)),
                OutMetric::new("A", Value::Boolean(false))
            ]
        ),
        Err(EncodeError::DuplicateName("A".into()))
    );
}

#[test]
fn a_rebirth_request_is_an_ncmd_with_node_control_rebirth_true() {
    let request = rebirth_request(&node(), 1_700_000_000_000);
    assert_eq!(request.topic, "spBv1.0/plant1/NCMD/line3");
    let payload = decode_payload(&request.payload).expect("decodes");
    assert_eq!(payload.timestamp, Some(1_700_000_000_000));
    assert_eq!(payload.metrics.len(), 1);
    assert!(payload.metrics[0].is_rebirth_request());
    assert_eq!(payload.metrics[0].value(), Ok(Some(Value::Boolean(true))));
}
