//! Tahu's edge node as started by fdi-peers: a subscriber receives its births and data as it
//! reports them, data names metrics by their birth aliases, a skipped sequence number shows,
//! and an NCMD rebirth request gets new births, a killed node dies by its will; Tahu's codec
//! command round-trips a payload.

use fdi_peers::{
    decode_with_tahu, encode_with_tahu, DataMessage, EdgeNodePlan, Mosquitto, MqttClient,
    PlanMetric, QoS, SparkplugEdgeNode,
};
use serde_json::{json, Value};

fn line_plan() -> EdgeNodePlan {
    EdgeNodePlan::new("plant1", "line3")
        .qos(1)
        .node_metric(PlanMetric::new("Cycle count", "UInt64", json!("12")).alias(1))
        .device(
            "mill1",
            vec![
                PlanMetric::new("Spindle speed", "Double", json!(1200.5)).alias(2),
                PlanMetric::new("State", "String", json!("RUNNING")),
            ],
        )
        .data(DataMessage::node(vec![("Cycle count", json!("13"))]))
        .data(DataMessage::device(
            "mill1",
            vec![("Spindle speed", json!(1250.0)), ("State", json!("IDLE"))],
        ))
        .data(DataMessage::node(vec![("Cycle count", json!("14"))]))
        .skip_seq_before(2)
}

fn seq(payload: &Value) -> u64 {
    payload["seq"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| payload["seq"].as_u64())
        .unwrap_or_else(|| panic!("no seq in {payload}"))
}

#[test]
fn a_subscriber_receives_what_the_edge_node_says_it_published() {
    let broker = Mosquitto::start().expect("mosquitto starts");
    let mut host = MqttClient::connect(&broker, "host", true);
    host.subscribe("spBv1.0/plant1/#", QoS::AtLeastOnce);

    let mut node = SparkplugEdgeNode::start(broker.port(), &line_plan()).expect("edge node starts");
    let published = node.wait_until_published_all().expect("publishes").to_vec();
    let types: Vec<&str> = published.iter().map(|p| p.message_type()).collect();
    assert_eq!(types, ["NBIRTH", "DBIRTH", "NDATA", "DDATA", "NDATA"]);

    let received = host.receive(published.len());
    for (got, sent) in received.iter().zip(&published) {
        assert_eq!(got.topic, sent.topic);
        assert_eq!(got.payload.to_vec(), sent.bytes);
    }

    // The birth carries bdSeq and the rebirth control; data names aliased metrics by alias.
    let birth_names: Vec<&str> = published[0].payload["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    assert_eq!(
        birth_names,
        ["Node Control/Rebirth", "Cycle count", "bdSeq"]
    );
    let data_metrics = published[3].payload["metrics"].as_array().expect("metrics");
    assert_eq!(data_metrics[0]["alias"], json!("2"));
    assert!(data_metrics[0].get("name").is_none());
    assert_eq!(data_metrics[0]["value"].as_f64(), Some(1250.0));
    assert_eq!(data_metrics[1]["name"], json!("State"));

    // seq counts every message of the node from the birth on, and skips one before data 2.
    let seqs: Vec<u64> = published.iter().map(|p| seq(&p.payload)).collect();
    assert_eq!(seqs, [0, 1, 2, 3, 5]);
}

#[test]
fn an_ncmd_rebirth_request_gets_new_births() {
    let broker = Mosquitto::start().expect("mosquitto starts");
    let mut host = MqttClient::connect(&broker, "host", true);
    host.subscribe("spBv1.0/plant1/#", QoS::AtLeastOnce);
    let plan = line_plan()
        .data(DataMessage::wait_for_rebirth())
        .data(DataMessage::node(vec![("Cycle count", json!("15"))]));
    let mut node = SparkplugEdgeNode::start(broker.port(), &plan).expect("edge node starts");
    host.receive(5);

    let request = encode_with_tahu(&[json!({
        "timestamp": "1700000000000",
        "metrics": [{"name": "Node Control/Rebirth", "type": "Boolean", "value": true}],
    })])
    .expect("Tahu encodes")
    .remove(0)
    .expect("a rebirth request encodes");
    host.publish_all("spBv1.0/plant1/NCMD/line3", &[request]);

    let births = node.wait_for_rebirth().expect("rebirths");
    let types: Vec<&str> = births.iter().map(|p| p.message_type()).collect();
    assert_eq!(types, ["NBIRTH", "DBIRTH"]);
    assert_eq!(
        seq(&births[0].payload),
        0,
        "a birth starts the sequence again"
    );
    // The new births carry the values last published.
    let cycle_count = births[0].payload["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .find(|m| m["name"] == "Cycle count")
        .expect("Cycle count in the birth");
    assert_eq!(cycle_count["value"], json!("14"));

    let published = node.wait_until_published_all().expect("publishes the rest");
    let last = published.last().expect("a message");
    assert_eq!(last.message_type(), "NDATA");
    assert_eq!(seq(&last.payload), 2);
    // The host, subscribed to the whole group, gets its own NCMD back, then the births and
    // the last data.
    let received = host.receive(4);
    let topics: Vec<&str> = received.iter().map(|p| p.topic.as_str()).collect();
    assert_eq!(
        topics,
        [
            "spBv1.0/plant1/NCMD/line3",
            "spBv1.0/plant1/NBIRTH/line3",
            "spBv1.0/plant1/DBIRTH/line3/mill1",
            "spBv1.0/plant1/NDATA/line3",
        ]
    );
    assert_eq!(received[3].payload.to_vec(), last.bytes);
}

#[test]
fn a_stopped_edge_node_publishes_its_death() {
    let broker = Mosquitto::start().expect("mosquitto starts");
    let mut node = SparkplugEdgeNode::start(broker.port(), &line_plan()).expect("edge node starts");
    node.wait_until_published_all().expect("publishes");
    let published = node.stop().expect("stops");
    let last = published.last().expect("a message");
    assert_eq!(last.topic, "spBv1.0/plant1/NDEATH/line3");
    assert_eq!(last.payload["metrics"][0]["name"], json!("bdSeq"));
}

#[test]
fn a_killed_edge_node_dies_by_its_will() {
    let broker = Mosquitto::start().expect("mosquitto starts");
    let mut host = MqttClient::connect(&broker, "host", true);
    host.subscribe("spBv1.0/plant1/NDEATH/#", QoS::AtLeastOnce);
    let mut node = SparkplugEdgeNode::start(broker.port(), &line_plan()).expect("edge node starts");
    node.wait_until_published_all().expect("publishes");
    node.kill();
    let will = host.receive(1).remove(0);
    assert_eq!(will.topic, "spBv1.0/plant1/NDEATH/line3");
    let decoded = decode_with_tahu(&[will.payload.to_vec()])
        .expect("Tahu runs")
        .remove(0)
        .expect("the will decodes");
    assert_eq!(decoded["metrics"][0]["name"], json!("bdSeq"));
}

#[test]
fn tahu_decodes_what_it_encodes_and_refuses_garbage() {
    let payload = json!({
        "timestamp": "1700000000123",
        "seq": 7,
        "metrics": [
            {"name": "Temperature", "alias": 3, "type": "Float", "value": 21.5},
            {"name": "Offset", "type": "Int64", "value": "-9000000000000"},
            {"name": "Raw", "type": "Bytes", "value": "00ff7f"},
            {"name": "Missing", "type": "Double", "value": null},
        ],
    });
    let bytes = encode_with_tahu(&[payload])
        .expect("Tahu encodes")
        .remove(0)
        .expect("the payload encodes");
    let decoded = decode_with_tahu(&[bytes, vec![0x0a, 0xff, 0xff]]).expect("Tahu decodes");
    let first = decoded[0].as_ref().expect("decodes");
    assert_eq!(first["timestamp"], json!("1700000000123"));
    assert_eq!(first["seq"], json!("7"));
    assert_eq!(first["metrics"][0]["value"], json!(21.5));
    assert_eq!(first["metrics"][0]["alias"], json!("3"));
    assert_eq!(first["metrics"][1]["value"], json!("-9000000000000"));
    assert_eq!(first["metrics"][2]["value"], json!("00ff7f"));
    assert_eq!(first["metrics"][3]["value"], Value::Null);
    assert!(
        decoded[1].is_err(),
        "a truncated payload is an error: {:?}",
        decoded[1]
    );
}
