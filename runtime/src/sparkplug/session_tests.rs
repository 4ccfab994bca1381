//! The host session against fdi's edge node and hand-built payloads: births, aliases,
//! datatypes, seq gaps and wrapping, bdSeq and stale deaths, messages from nodes and devices
//! the host has not seen born.

use prost::Message as _;

use super::proto::{self, payload};
use super::*;

fn node() -> EdgeNodeId {
    EdgeNodeId {
        group: "plant1".into(),
        edge_node: "line3".into(),
    }
}

fn deliver(host: &mut HostSession, publication: &Publication) -> Message {
    host.receive(&publication.topic, &publication.payload)
        .unwrap_or_else(|e| panic!("{} is read: {e}", publication.topic))
}

fn values(message: &Message) -> Vec<(String, Option<Value>)> {
    message
        .metrics
        .iter()
        .map(|m| {
            let m = m.as_ref().expect("a metric that reads");
            (m.name.to_string(), m.value.clone())
        })
        .collect()
}

/// A node born with Speed (Double) and State (String), and device mill1 with Count (UInt32).
fn born(host: &mut HostSession) -> EdgeNode {
    let mut edge = EdgeNode::new(node(), 7);
    let birth = edge
        .birth(
            100,
            &[
                OutMetric::new("Speed", Value::Double(1200.0)),
                OutMetric::new("State", Value::String("IDLE".into())),
            ],
        )
        .expect("birth");
    let message = deliver(host, &birth);
    assert_eq!(message.event, Event::Birth);
    assert_eq!(message.sequence, Sequence::Start);
    assert_eq!(host.bd_seq(&node()), Some(7));
    let device = edge
        .device_birth("mill1", 101, &[OutMetric::new("Count", Value::UInt32(5))])
        .expect("device birth");
    assert_eq!(deliver(host, &device).event, Event::Birth);
    edge
}

#[test]
fn data_by_alias_reads_with_the_births_names_and_datatypes() {
    let mut host = HostSession::new();
    let mut edge = born(&mut host);
    let mut speed = OutMetric::new("Speed", Value::Double(1250.5));
    speed.timestamp = Some(99);
    let data = edge
        .data(102, &[speed, OutMetric::null("State", DataType::String)])
        .expect("data");
    let message = deliver(&mut host, &data);
    assert_eq!(
        (
            message.event.clone(),
            message.sequence,
            message.rebirth.clone()
        ),
        (Event::Data, Sequence::InOrder, None)
    );
    assert_eq!(message.timestamp, Some(102));
    assert_eq!(
        values(&message),
        [
            ("Speed".to_string(), Some(Value::Double(1250.5))),
            ("State".to_string(), None)
        ]
    );
    let first = message.metrics[0].as_ref().expect("reads");
    assert_eq!(
        (first.datatype, first.timestamp, first.alias),
        (DataType::Double, Some(99), Some(1))
    );
    // The bytes carry aliases, not names.
    let raw = decode_payload(&data.payload).expect("decodes");
    assert!(raw
        .metrics
        .iter()
        .all(|m| m.name.is_none() && m.alias.is_some()));

    let device_data = edge
        .device_data("mill1", 103, &[OutMetric::new("Count", Value::UInt32(6))])
        .expect("device data");
    let message = deliver(&mut host, &device_data);
    assert_eq!(
        values(&message),
        [("Count".to_string(), Some(Value::UInt32(6)))]
    );
}

#[test]
fn a_missing_message_is_a_gap_with_a_rebirth_reason_and_a_birth_starts_again() {
    let mut host = HostSession::new();
    let mut edge = born(&mut host);
    let speed = |v| [OutMetric::new("Speed", Value::Double(v))];
    deliver(&mut host, &edge.data(1, &speed(1.0)).expect("data"));
    let _lost = edge.data(2, &speed(2.0)).expect("data");
    let after_gap = deliver(&mut host, &edge.data(3, &speed(3.0)).expect("data"));
    assert_eq!(
        after_gap.sequence,
        Sequence::Gap {
            expected: 3,
            received: 4
        }
    );
    assert_eq!(
        after_gap.rebirth,
        Some(RebirthReason::SequenceGap {
            expected: 3,
            received: 4
        })
    );
    assert_eq!(
        values(&after_gap),
        [("Speed".to_string(), Some(Value::Double(3.0)))],
        "the data still reads"
    );
    let next = deliver(&mut host, &edge.data(4, &speed(4.0)).expect("data"));
    assert_eq!((next.sequence, next.rebirth), (Sequence::InOrder, None));

    let rebirth = edge.birth(5, &speed(4.0)).expect("rebirth");
    let message = deliver(&mut host, &rebirth);
    assert_eq!((message.seq, message.sequence), (Some(0), Sequence::Start));
    let next = deliver(&mut host, &edge.data(6, &speed(5.0)).expect("data"));
    assert_eq!((next.seq, next.sequence), (Some(1), Sequence::InOrder));
}

#[test]
fn seq_wraps_after_255_without_a_gap() {
    let mut host = HostSession::new();
    let mut edge = born(&mut host);
    let mut seqs = Vec::new();
    for i in 0..300 {
        let message = deliver(
            &mut host,
            &edge
                .data(i, &[OutMetric::new("Speed", Value::Double(1.0))])
                .expect("data"),
        );
        assert_eq!(message.sequence, Sequence::InOrder, "message {i}");
        seqs.push(message.seq.expect("seq"));
    }
    // The births took 0 and 1.
    assert_eq!(seqs[253..256], [255, 0, 1]);
}

#[test]
fn an_ndeath_of_an_earlier_session_is_ignored_and_the_current_one_takes_the_node_offline_after_its_late_data(
) {
    let mut host = HostSession::new();
    let mut edge = born(&mut host);
    let old_will = edge.death(200);
    edge.next_session();
    deliver(
        &mut host,
        &edge
            .birth(201, &[OutMetric::new("Speed", Value::Double(1.0))])
            .expect("birth"),
    );
    assert_eq!(host.bd_seq(&node()), Some(8));

    let stale = deliver(&mut host, &old_will);
    assert_eq!(
        stale.event,
        Event::StaleDeath {
            bd_seq: Some(7),
            current: 8
        }
    );
    assert!(host.is_online(&node()));

    let death = deliver(&mut host, &edge.death(202));
    assert_eq!(
        (death.event, death.sequence),
        (Event::Death, Sequence::NotCounted)
    );
    assert!(!host.is_online(&node()));
    // Data the node sent before its death, overtaken by it (a QoS 0 will passes QoS 1 data the
    // broker still queues): it continues the session's sequence, so it is read.
    let late = edge
        .data(203, &[OutMetric::new("Speed", Value::Double(2.0))])
        .expect("data");
    let read = deliver(&mut host, &late);
    assert_eq!(
        (&read.event, read.sequence),
        (&Event::Data, Sequence::InOrder)
    );
    assert_eq!(
        values(&read),
        [("Speed".to_string(), Some(Value::Double(2.0)))]
    );
    assert!(
        !host.is_online(&node()),
        "late data does not revive the node"
    );
    // A message that does not continue it is data after the death: a rebirth is due, and the
    // dead session reads nothing more, not even the seq it skipped to.
    edge.data(204, &[]).expect("data (lost)");
    let after = edge
        .data(205, &[OutMetric::new("Speed", Value::Double(3.0))])
        .expect("data");
    let error = host
        .receive(&after.topic, &after.payload)
        .expect_err("offline");
    assert_eq!(
        (error.problem.clone(), error.rebirth.clone()),
        (
            MessageProblem::NodeOffline,
            Some(RebirthReason::NodeOffline)
        )
    );
    let next = edge
        .data(206, &[OutMetric::new("Speed", Value::Double(4.0))])
        .expect("data");
    assert_eq!(
        host.receive(&next.topic, &next.payload)
            .expect_err("offline")
            .problem,
        MessageProblem::NodeOffline
    );
}

#[test]
fn messages_from_nodes_and_devices_not_born_ask_for_a_rebirth() {
    let mut host = HostSession::new();
    let mut edge = EdgeNode::new(node(), 0);
    edge.birth(1, &[OutMetric::new("Speed", Value::Double(1.0))])
        .expect("birth, not delivered");
    let data = edge
        .data(2, &[OutMetric::new("Speed", Value::Double(2.0))])
        .expect("data");
    let error = host
        .receive(&data.topic, &data.payload)
        .expect_err("not born");
    assert_eq!(error.problem, MessageProblem::NoNodeBirth);
    assert_eq!(error.rebirth, Some(RebirthReason::UnknownNode));
    assert!(error
        .to_string()
        .contains("no birth certificate (NBIRTH) of its edge node"));

    let mut host = HostSession::new();
    let mut edge = born(&mut host);
    let death = edge.device_death("mill1", 3).expect("device death");
    deliver(&mut host, &death);
    edge.device_birth("mill1", 4, &[OutMetric::new("Count", Value::UInt32(1))])
        .expect("birth, not delivered");
    let data = edge
        .device_data("mill1", 5, &[OutMetric::new("Count", Value::UInt32(2))])
        .expect("data");
    let error = host
        .receive(&data.topic, &data.payload)
        .expect_err("device offline");
    assert_eq!(
        error.problem,
        MessageProblem::NoDeviceBirth {
            device: "mill1".into()
        }
    );
    // The undelivered DBIRTH is also a gap in the node's sequence, the first reason given.
    assert_eq!(
        error.rebirth,
        Some(RebirthReason::SequenceGap {
            expected: 3,
            received: 4
        })
    );
}

fn raw_metric(
    alias: Option<u64>,
    name: Option<&str>,
    datatype: Option<u32>,
    value: payload::metric::Value,
) -> payload::Metric {
    payload::Metric {
        name: name.map(str::to_string),
        alias,
        datatype,
        value: Some(value),
        ..payload::Metric::default()
    }
}

fn ndata(seq: u64, metrics: Vec<payload::Metric>) -> Vec<u8> {
    proto::Payload {
        timestamp: Some(1),
        seq: Some(seq),
        metrics,
        ..proto::Payload::default()
    }
    .encode_to_vec()
}

#[test]
fn a_metric_that_contradicts_its_birth_is_an_error_with_a_reason_and_the_others_still_read() {
    use payload::metric::Value as Raw;
    let mut host = HostSession::new();
    born(&mut host); // seq 0 and 1; Speed is alias 1 (Double), State alias 2 (String).
    let bytes = ndata(
        2,
        vec![
            raw_metric(
                Some(1),
                None,
                Some(DataType::Float.code()),
                Raw::FloatValue(1.0),
            ),
            raw_metric(Some(2), None, None, Raw::StringValue("RUN".into())),
            raw_metric(Some(9), None, None, Raw::DoubleValue(1.0)),
            raw_metric(None, Some("Feed"), None, Raw::DoubleValue(1.0)),
            raw_metric(Some(1), Some("State"), None, Raw::DoubleValue(1.0)),
            raw_metric(Some(1), None, None, Raw::StringValue("fast".into())),
        ],
    );
    let message = host
        .receive("spBv1.0/plant1/NDATA/line3", &bytes)
        .expect("reads");
    let outcome: Vec<String> = message
        .metrics
        .iter()
        .map(|m| match m {
            Ok(record) => format!("{} = {:?}", record.name, record.value),
            Err(error) => error.to_string(),
        })
        .collect();
    assert_eq!(
        outcome,
        [
            "metric alias 1: it is sent as Float, but its birth certificate declared it Double",
            "State = Some(String(\"RUN\"))",
            "metric alias 9: alias 9 is not in the birth certificate (a rebirth is due)",
            "metric `Feed`: `Feed` is not in the birth certificate (a rebirth is due)",
            "metric `State`: its alias 1 belongs to `Speed` in the birth certificate",
            "metric alias 1: it is declared Double but carries its value in string_value, which Double never uses",
        ]
    );
    assert_eq!(message.rebirth, Some(RebirthReason::UnknownMetric));
}

#[test]
fn a_birth_with_one_alias_twice_is_refused_whole() {
    use payload::metric::Value as Raw;
    let mut host = HostSession::new();
    let bytes = proto::Payload {
        seq: Some(0),
        metrics: vec![
            raw_metric(Some(1), Some("A"), Some(11), Raw::BooleanValue(true)),
            raw_metric(Some(1), Some("B"), Some(11), Raw::BooleanValue(false)),
        ],
        ..proto::Payload::default()
    }
    .encode_to_vec();
    let error = host
        .receive("spBv1.0/plant1/NBIRTH/line3", &bytes)
        .expect_err("ambiguous");
    assert!(
        error.to_string().contains("its alias 1 is already `A`'s"),
        "{error}"
    );
    assert!(!host.is_online(&node()));
}

#[test]
fn a_bad_topic_or_payload_is_an_error_that_names_it() {
    let mut host = HostSession::new();
    let error = host.receive("plant/line3", &[]).expect_err("topic");
    assert!(matches!(error.problem, MessageProblem::Topic(_)));
    let error = host
        .receive("spBv1.0/plant1/NBIRTH/line3", &[0xff, 0xff])
        .expect_err("payload");
    assert!(error.to_string().starts_with(
        "spBv1.0/plant1/NBIRTH/line3: the payload is not a Sparkplug B protobuf payload"
    ));
    let state = host
        .receive("spBv1.0/STATE/scada", br#"{"online":true}"#)
        .expect("a host's state");
    assert_eq!(state.event, Event::HostState);
}
