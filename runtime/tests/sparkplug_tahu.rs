//! fdi's Sparkplug B codec against Eclipse Tahu's independent JavaScript implementation
//! (fdi-peers runs it): payloads Tahu encodes decode with every field as the input says;
//! payloads fdi encodes decode with Tahu as the input says; and Tahu's live edge node, through
//! mosquitto, read by fdi's host session: its births, aliases, a skipped seq reported as a
//! gap, fdi's rebirth request answered with new births.

use fdi_peers::{
    decode_with_tahu, encode_with_tahu, DataMessage, EdgeNodePlan, Mosquitto, MqttClient,
    PlanMetric, QoS, SparkplugEdgeNode,
};
use fdi_runtime::sparkplug::{
    decode_payload, rebirth_request, DataType, EdgeNode, EdgeNodeId, Event, HostSession, OutMetric,
    RebirthReason, Sequence, Value,
};
use serde_json::{json, Value as Json};

/// One metric of every scalar datatype, at the edges of its range: Tahu's JSON value, and
/// the value it stands for.
fn every_datatype() -> Vec<(&'static str, Json, Value)> {
    vec![
        ("Int8", json!(-128), Value::Int8(-128)),
        ("Int16", json!(-32768), Value::Int16(-32768)),
        ("Int32", json!(-2147483648i64), Value::Int32(i32::MIN)),
        (
            "Int64",
            json!("-9223372036854775808"),
            Value::Int64(i64::MIN),
        ),
        ("UInt8", json!(255), Value::UInt8(255)),
        ("UInt16", json!(65535), Value::UInt16(65535)),
        ("UInt32", json!(4000000000u32), Value::UInt32(4_000_000_000)),
        (
            "UInt64",
            json!("18446744073709551615"),
            Value::UInt64(u64::MAX),
        ),
        ("Float", json!(3.25), Value::Float(3.25)),
        ("Double", json!(-0.1), Value::Double(-0.1)),
        ("Boolean", json!(true), Value::Boolean(true)),
        (
            "String",
            json!("Zustand: läuft"),
            Value::String("Zustand: läuft".into()),
        ),
        (
            "DateTime",
            json!("1700000000123"),
            Value::DateTime(1_700_000_000_123),
        ),
        (
            "Text",
            json!("two\nlines"),
            Value::Text("two\nlines".into()),
        ),
        (
            "UUID",
            json!("0f3c2a6e-8a8b-4c8e-9d3e-1f2a3b4c5d6e"),
            Value::Uuid("0f3c2a6e-8a8b-4c8e-9d3e-1f2a3b4c5d6e".into()),
        ),
        (
            "Bytes",
            json!("00ff10"),
            Value::Bytes(vec![0x00, 0xff, 0x10]),
        ),
    ]
}

#[test]
fn payloads_tahu_encodes_decode_with_every_field() {
    let mut metrics: Vec<Json> = every_datatype()
        .iter()
        .enumerate()
        .map(|(i, (datatype, value, _))| {
            json!({
                "name": format!("metric {datatype}"),
                "alias": i + 1,
                "type": datatype,
                "value": value,
                "timestamp": format!("{}", 1_700_000_000_000u64 + i as u64),
            })
        })
        .collect();
    metrics.push(json!({"name": "missing", "type": "Double", "value": null}));
    metrics.push(json!({
        "name": "history", "type": "Int32", "value": 7, "isHistorical": true, "isTransient": true,
    }));
    let tahu = json!({"timestamp": "1700000000999", "seq": 42, "metrics": metrics});
    let bytes = encode_with_tahu(&[tahu])
        .expect("Tahu runs")
        .remove(0)
        .expect("Tahu encodes");

    let payload = decode_payload(&bytes).expect("fdi decodes Tahu's payload");
    assert_eq!(payload.timestamp, Some(1_700_000_000_999));
    assert_eq!(payload.seq, Some(42));
    assert_eq!(payload.metrics.len(), every_datatype().len() + 2);
    for (i, (datatype, _, expected)) in every_datatype().into_iter().enumerate() {
        let metric = &payload.metrics[i];
        assert_eq!(
            metric.name.as_deref(),
            Some(format!("metric {datatype}").as_str())
        );
        assert_eq!(metric.alias, Some(i as u64 + 1));
        assert_eq!(metric.timestamp, Some(1_700_000_000_000 + i as u64));
        assert_eq!(
            metric.declared_datatype(),
            Ok(DataType::from_name(datatype))
        );
        assert_eq!(metric.value(), Ok(Some(expected)), "{datatype}");
        assert!(!metric.is_null && !metric.is_historical && !metric.is_transient);
    }
    let missing = &payload.metrics[every_datatype().len()];
    assert!(missing.is_null);
    assert_eq!(missing.value(), Ok(None));
    let history = &payload.metrics[every_datatype().len() + 1];
    assert!(history.is_historical && history.is_transient);
    assert_eq!(history.value(), Ok(Some(Value::Int32(7))));
}

/// Whether Tahu's decoded JSON value is `expected` (integers may come as numbers or decimal
/// strings, bytes as hex).
fn tahu_says(expected: &Value, json: &Json) -> bool {
    let integer = || -> Option<i128> {
        match json {
            Json::String(s) => s.parse().ok(),
            Json::Number(n) => n.as_i64().map(i128::from).or(n.as_u64().map(i128::from)),
            _ => None,
        }
    };
    match expected {
        Value::Int8(v) => integer() == Some(i128::from(*v)),
        Value::Int16(v) => integer() == Some(i128::from(*v)),
        Value::Int32(v) => integer() == Some(i128::from(*v)),
        Value::Int64(v) => integer() == Some(i128::from(*v)),
        Value::UInt8(v) => integer() == Some(i128::from(*v)),
        Value::UInt16(v) => integer() == Some(i128::from(*v)),
        Value::UInt32(v) => integer() == Some(i128::from(*v)),
        Value::UInt64(v) | Value::DateTime(v) => integer() == Some(i128::from(*v)),
        Value::Float(v) => json.as_f64().map(|f| f as f32) == Some(*v),
        Value::Double(v) => json.as_f64() == Some(*v),
        Value::Boolean(v) => json.as_bool() == Some(*v),
        Value::String(v) | Value::Text(v) | Value::Uuid(v) => json.as_str() == Some(v.as_str()),
        Value::Bytes(v) => {
            json.as_str()
                == Some(
                    v.iter()
                        .map(|b| format!("{b:02x}"))
                        .collect::<String>()
                        .as_str(),
                )
        }
    }
}

#[test]
fn payloads_fdi_encodes_decode_with_tahu_as_the_input_says() {
    let node = EdgeNodeId {
        group: "plant1".into(),
        edge_node: "line3".into(),
    };
    let mut edge = EdgeNode::new(node.clone(), 4);
    let metrics: Vec<OutMetric> = every_datatype()
        .into_iter()
        .map(|(datatype, _, value)| OutMetric::new(&format!("metric {datatype}"), value))
        .chain([OutMetric::null("missing", DataType::Double)])
        .collect();
    let birth = edge.birth(1_700_000_000_000, &metrics).expect("birth");
    let data = edge.data(1_700_000_000_500, &metrics).expect("data");
    let death = edge.death(1_700_000_000_900);
    let request = rebirth_request(&node, 1_700_000_001_000);
    let decoded = decode_with_tahu(&[
        birth.payload.clone(),
        data.payload.clone(),
        death.payload.clone(),
        request.payload.clone(),
    ])
    .expect("Tahu runs");
    let decoded: Vec<Json> = decoded
        .into_iter()
        .map(|d| d.expect("Tahu decodes fdi's payload"))
        .collect();

    let [birth_json, data_json, death_json, request_json] = &decoded[..] else {
        unreachable!("four answers")
    };
    assert_eq!(birth.topic, "spBv1.0/plant1/NBIRTH/line3");
    assert_eq!(birth_json["timestamp"], json!("1700000000000"));
    assert_eq!(birth_json["seq"], json!("0"));
    assert_eq!(data_json["seq"], json!("1"));
    for (i, metric) in metrics.iter().enumerate() {
        let born = &birth_json["metrics"][i];
        assert_eq!(born["name"], json!(metric.name));
        assert_eq!(born["type"], json!(metric.datatype.name()));
        assert_eq!(born["alias"], json!((i + 1).to_string()));
        let sent = &data_json["metrics"][i];
        assert!(
            sent.get("name").is_none(),
            "data names metrics by alias only"
        );
        assert_eq!(sent["alias"], born["alias"]);
        for tahu in [born, sent] {
            match &metric.value {
                Some(value) => assert!(
                    tahu_says(value, &tahu["value"]),
                    "{}: Tahu read {tahu}",
                    metric.name
                ),
                None => assert_eq!(tahu["value"], Json::Null),
            }
        }
    }
    let extra: Vec<(&Json, &Json, &Json)> = birth_json["metrics"].as_array().expect("metrics")
        [metrics.len()..]
        .iter()
        .map(|m| (&m["name"], &m["type"], &m["value"]))
        .collect();
    assert_eq!(
        extra,
        [
            (&json!("bdSeq"), &json!("UInt64"), &json!("4")),
            (
                &json!("Node Control/Rebirth"),
                &json!("Boolean"),
                &json!(false)
            ),
        ]
    );
    assert_eq!(death.topic, "spBv1.0/plant1/NDEATH/line3");
    assert!(death_json.get("seq").is_none(), "an NDEATH has no seq");
    assert_eq!(death_json["metrics"][0]["name"], json!("bdSeq"));
    assert_eq!(death_json["metrics"][0]["value"], json!("4"));
    assert_eq!(request.topic, "spBv1.0/plant1/NCMD/line3");
    assert_eq!(
        request_json["metrics"][0]["name"],
        json!("Node Control/Rebirth")
    );
    assert_eq!(request_json["metrics"][0]["value"], json!(true));
}

/// A line whose node counts cycles and whose mill reports its spindle speed: data message
/// `i` says cycle count `100 + i` and speed `1000.5 + i`, alternately from node and device.
fn line_plan(before_gap: usize, after_gap: usize, after_rebirth: usize) -> EdgeNodePlan {
    let mut plan = EdgeNodePlan::new("plant1", "line3")
        .qos(1)
        .node_metric(PlanMetric::new("Cycle count", "UInt64", json!("100")).alias(1))
        .device(
            "mill1",
            vec![
                PlanMetric::new("Spindle speed", "Double", json!(1000.5)).alias(2),
                PlanMetric::new("Program", "String", json!("O1234")),
            ],
        );
    let total = before_gap + after_gap + after_rebirth;
    for i in 0..total {
        if i == before_gap + after_gap {
            plan = plan.data(DataMessage::wait_for_rebirth());
        }
        plan = plan.data(if i.is_multiple_of(2) {
            DataMessage::node(vec![("Cycle count", json!((100 + i).to_string()))])
        } else {
            DataMessage::device("mill1", vec![("Spindle speed", json!(1000.5 + i as f64))])
        });
    }
    plan.skip_seq_before(before_gap)
}

fn expected_record(i: usize) -> (String, Value) {
    if i.is_multiple_of(2) {
        ("Cycle count".into(), Value::UInt64(100 + i as u64))
    } else {
        ("Spindle speed".into(), Value::Double(1000.5 + i as f64))
    }
}

#[test]
fn tahus_edge_node_through_mosquitto_reads_with_a_gap_and_a_rebirth() {
    let (before_gap, after_gap, after_rebirth) = (5, 3, 4);
    let broker = Mosquitto::start().expect("mosquitto starts");
    let mut mqtt = MqttClient::connect(&broker, "fdi-host", true);
    mqtt.subscribe("spBv1.0/plant1/#", QoS::AtLeastOnce);
    let mut node = SparkplugEdgeNode::start(
        broker.port(),
        &line_plan(before_gap, after_gap, after_rebirth),
    )
    .expect("Tahu's edge node starts");

    let mut host = HostSession::new();
    let mut data_records = Vec::new();
    let mut gaps = Vec::new();
    // The births and the data before the node waits for a rebirth.
    for publish in mqtt.receive(2 + before_gap + after_gap) {
        let message = host
            .receive(&publish.topic, &publish.payload)
            .expect("fdi reads it");
        if let Sequence::Gap { expected, received } = message.sequence {
            gaps.push((data_records.len(), expected, received));
            assert_eq!(
                message.rebirth,
                Some(RebirthReason::SequenceGap { expected, received })
            );
        }
        if message.event == Event::Data {
            for record in message.metrics {
                let record = record.expect("every metric reads");
                data_records.push((record.name.to_string(), record.value.expect("not null")));
            }
        } else {
            assert_eq!(message.event, Event::Birth, "{}", publish.topic);
        }
    }
    // The births took seq 0 and 1, the data 2 to 6, and Tahu skipped 7.
    assert_eq!(gaps, [(before_gap, 7, 8)]);

    let request = rebirth_request(host_node(), 1_700_000_000_000);
    mqtt.publish_all(&request.topic, &[request.payload]);
    let births = node.wait_for_rebirth().expect("Tahu rebirths");
    assert_eq!(births.len(), 2);
    // The NCMD itself comes back first (the host subscribed to the whole group), then the
    // births and the rest of the data.
    let mut events = Vec::new();
    for publish in mqtt.receive(1 + 2 + after_rebirth) {
        let message = host
            .receive(&publish.topic, &publish.payload)
            .expect("fdi reads it");
        assert!(
            matches!(
                message.sequence,
                Sequence::Start | Sequence::InOrder | Sequence::NotCounted
            ),
            "{}: {:?}",
            publish.topic,
            message.sequence
        );
        events.push(message.event.clone());
        if message.event == Event::Data {
            for record in message.metrics {
                let record = record.expect("every metric reads");
                data_records.push((record.name.to_string(), record.value.expect("not null")));
            }
        }
    }
    assert_eq!(events[..3], [Event::Command, Event::Birth, Event::Birth]);
    let expected: Vec<(String, Value)> = (0..before_gap + after_gap + after_rebirth)
        .map(expected_record)
        .collect();
    assert_eq!(data_records, expected);
    // What fdi read is what Tahu says it published.
    let published = node.wait_until_published_all().expect("publishes the rest");
    assert_eq!(
        published.len(),
        2 + before_gap + after_gap + 2 + after_rebirth
    );
}

fn host_node() -> &'static EdgeNodeId {
    static NODE: std::sync::OnceLock<EdgeNodeId> = std::sync::OnceLock::new();
    NODE.get_or_init(|| EdgeNodeId {
        group: "plant1".into(),
        edge_node: "line3".into(),
    })
}
