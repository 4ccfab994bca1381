//! 1% malformed input in each of the program's three sources at once: a JSON Lines file and an
//! MQTT topic of JSON readings (bad JSON, a value of the wrong type, invalid UTF-8, and one huge
//! record: a 10 MB line, a 20 MB message, past the 16 MiB the MQTT source once took), and a Sparkplug B edge node's data (truncated payloads, and a metric whose
//! type contradicts its birth certificate). The dead letter holds exactly the injected records,
//! each with the reason of its kind; every valid record is in its table once with its values;
//! the run's summary balances.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::harness::{reading_row, Plant, Publisher, Scenario, READING_COLUMNS};
use crate::support::service::payload;

/// Readings in the file, and readings published to the topic (the same numbers: both sources
/// get the same malformed records).
const READINGS: u64 = 10_000;
/// The reading made into a huge record (its value a long text): 10 MB in the file, 20 MB on the
/// topic.
const HUGE_READING: u64 = 5_000;
const HUGE_LINE_BYTES: usize = 10 << 20;
const HUGE_MESSAGE_BYTES: usize = 20 << 20;
/// Data messages of the Sparkplug B edge node, after its birth certificate.
const DATA_MESSAGES: u64 = 2_000;
/// The birth certificate's and the first data message's time (2026-05-28), in milliseconds.
const BIRTH_MILLIS: u64 = 1_780_000_000_000;
const EDGE_NODE: &str = "node1";

/// What is wrong with an injected record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Malformed {
    BadJson,
    WrongType,
    InvalidUtf8,
    Huge,
    Truncated,
}

/// Which reading (of the file and of the topic alike) is malformed, and how: every 100th, the
/// kinds in turn, and one huge record.
fn malformed_reading(seq: u64) -> Option<Malformed> {
    if seq == HUGE_READING {
        return Some(Malformed::Huge);
    }
    if !seq.is_multiple_of(100) {
        return None;
    }
    Some(
        [
            Malformed::BadJson,
            Malformed::WrongType,
            Malformed::InvalidUtf8,
        ][(seq / 100 % 3) as usize],
    )
}

/// Reading `seq` as the bytes of a line or a message, malformed as [`malformed_reading`] says
/// (a huge one of `huge_bytes`).
fn reading_bytes(seq: u64, huge_bytes: usize) -> Vec<u8> {
    match malformed_reading(seq) {
        None => payload(seq),
        // Cut off after the last key, as a writer that crashed mid-line leaves it.
        Some(Malformed::BadJson) => format!(r#"{{"machine":"M1","seq":{seq},"value":"#).into(),
        Some(Malformed::WrongType) => {
            format!(r#"{{"machine":"M1","seq":{seq},"value":"high"}}"#).into()
        }
        Some(Malformed::InvalidUtf8) => {
            let mut bytes = br#"{"machine":"M"#.to_vec();
            // Latin-1 bytes, not UTF-8: a machine named in an old encoding.
            bytes.extend([0xd6, 0xdf, 0xff]);
            bytes.extend(format!(r#"","seq":{seq},"value":1.5}}"#).into_bytes());
            bytes
        }
        Some(Malformed::Huge) => {
            let text = "0123456789".repeat(huge_bytes / 10);
            format!(r#"{{"machine":"M1","seq":{seq},"value":"{text}"}}"#).into()
        }
        Some(Malformed::Truncated) => unreachable!("readings are not truncated"),
    }
}

/// Which data message of the edge node is malformed: every 200th is truncated, and every 200th
/// (another) names its metric with a type its birth certificate contradicts.
fn malformed_data(message: u64) -> Option<Malformed> {
    match message % 200 {
        0 => Some(Malformed::Truncated),
        100 => Some(Malformed::WrongType),
        _ => None,
    }
}

/// The temperature data message `message` carries (exact in binary, so it compares exactly).
fn temperature(message: u64) -> f64 {
    (message % 400) as f64 * 0.25
}

/// The edge node's birth certificate and data messages in Tahu's JSON form: each data message
/// one temperature, timed one millisecond after the one before.
fn sparkplug_payloads() -> Vec<Value> {
    let birth = json!({
        "timestamp": BIRTH_MILLIS,
        "seq": 0,
        "metrics": [
            {"name": "bdSeq", "type": "UInt64", "value": "0"},
            {"name": "Temperature", "type": "Double", "value": 0.0, "timestamp": BIRTH_MILLIS}
        ]
    });
    let data = (1..=DATA_MESSAGES).map(|message| {
        let millis = BIRTH_MILLIS + message;
        let metric = match malformed_data(message) {
            Some(Malformed::WrongType) => {
                json!({"name": "Temperature", "type": "String", "value": "hot", "timestamp": millis})
            }
            _ => json!({
                "name": "Temperature",
                "type": "Double",
                "value": temperature(message),
                "timestamp": millis
            }),
        };
        json!({"timestamp": millis, "seq": message % 256, "metrics": [metric]})
    });
    std::iter::once(birth).chain(data).collect()
}

/// The edge node's messages (topic, bytes), encoded by Tahu; the truncated ones cut in half,
/// inside their metrics, which Tahu's own decoder must refuse.
fn sparkplug_messages() -> Vec<(String, Vec<u8>)> {
    let encoded = fdi_peers::encode_with_tahu(&sparkplug_payloads())
        .expect("Tahu's Sparkplug codec (install it with tests/peers/install)");
    let mut messages = Vec::new();
    let mut truncated = Vec::new();
    for (message, bytes) in (0u64..).zip(encoded) {
        let mut bytes = bytes.expect("Tahu encodes the payload");
        let kind = if message == 0 { "NBIRTH" } else { "NDATA" };
        if message > 0 && malformed_data(message) == Some(Malformed::Truncated) {
            bytes.truncate(bytes.len() / 2);
            truncated.push(bytes.clone());
        }
        messages.push((format!("spBv1.0/plant1/{kind}/{EDGE_NODE}"), bytes));
    }
    let decoded = fdi_peers::decode_with_tahu(&truncated).expect("Tahu's Sparkplug codec");
    assert!(
        decoded.iter().all(Result::is_err),
        "Tahu decodes a truncated payload: {decoded:?}"
    );
    messages
}

/// The kind of malformed record a dead-letter line's detail names (its reason names the kind of
/// decode rule broken, which several kinds of injected damage share).
fn kind_of(line: &Value) -> Malformed {
    let detail = line["detail"].as_str().unwrap_or_default();
    if detail.contains("not valid UTF-8") || detail.contains("not UTF-8") {
        Malformed::InvalidUtf8
    } else if detail.contains("not valid JSON") {
        Malformed::BadJson
    } else if detail.contains("not a Sparkplug B protobuf payload") {
        Malformed::Truncated
    } else if detail.contains("invalid type: string") && line.to_string().len() > HUGE_LINE_BYTES {
        // The dead letter keeps the whole record.
        Malformed::Huge
    } else if detail.contains("invalid type") || detail.contains("birth certificate declared") {
        Malformed::WrongType
    } else {
        panic!("a dead-letter line of no injected kind: {line:.300}")
    }
}

#[test]
fn one_percent_malformed_input_is_dead_lettered_exactly_and_the_rest_arrives() {
    let scenario = Scenario::start("malformed_input");
    let plant = Plant::start();
    let mut file = Vec::new();
    for seq in 1..=READINGS {
        file.extend(reading_bytes(seq, HUGE_LINE_BYTES));
        file.push(b'\n');
    }
    plant.write_input(&file);
    let edge_node = sparkplug_messages();
    let program = plant.start_program_subscribed();
    let readings = Publisher::start(
        &plant.broker,
        "machines",
        (1..=READINGS)
            .map(|seq| {
                let message = reading_bytes(seq, HUGE_MESSAGE_BYTES);
                ("plant/m/readings".to_string(), message)
            })
            .collect(),
    );
    let sparkplug = Publisher::start(&plant.broker, EDGE_NODE, edge_node);
    readings.join();
    sparkplug.join();

    // What the test injected, by source and kind, and what must arrive.
    let mut injected: BTreeMap<(&str, Malformed), usize> = BTreeMap::new();
    for seq in 1..=READINGS {
        if let Some(kind) = malformed_reading(seq) {
            *injected.entry(("lines", kind)).or_default() += 1;
            *injected.entry(("readings", kind)).or_default() += 1;
        }
    }
    for message in 1..=DATA_MESSAGES {
        if let Some(kind) = malformed_data(message) {
            *injected.entry(("metrics", kind)).or_default() += 1;
        }
    }
    let valid_readings: Vec<String> = (1..=READINGS)
        .filter(|&seq| malformed_reading(seq).is_none())
        .map(reading_row)
        .collect();
    let measurements: Vec<String> = std::iter::once(0)
        .chain((1..=DATA_MESSAGES).filter(|&message| malformed_data(message).is_none()))
        .map(|message| {
            let value = if message == 0 {
                0.0
            } else {
                temperature(message)
            };
            format!("{EDGE_NODE}|Temperature|{}|{value}", BIRTH_MILLIS + message)
        })
        .collect();

    plant.wait_for_rows("file_readings", valid_readings.len());
    plant.wait_for_rows("broker_readings", valid_readings.len());
    plant.wait_for_rows("measurements", measurements.len());
    let rejects: usize = injected.values().sum();
    crate::support::service::wait_for_count("dead-letter lines", rejects, || {
        plant.dead_letter().len()
    });
    // The metrics balance too, while the program runs.
    for flow in ["file_readings", "broker_readings", "measure"] {
        let sample = |name: &str, stage: Option<&str>| {
            let stage = stage.map_or(String::new(), |stage| format!(",stage=\"{stage}\""));
            program.metric(&format!(
                "fdi_flow_records_{name}_total{{flow=\"{flow}\"{stage}}}"
            ))
        };
        let rejected: f64 = ["decode", "map", "write"]
            .into_iter()
            .map(|stage| sample("rejected", Some(stage)))
            .sum();
        assert_eq!(
            sample("read", None),
            sample("written", None) + rejected + sample("filtered", None),
            "the metrics of {flow} do not balance"
        );
    }
    let (code, summary) = program.stop();
    scenario.done("the run");

    let mut dead_lettered: BTreeMap<(&str, Malformed), usize> = BTreeMap::new();
    let lines = plant.dead_letter();
    for line in &lines {
        let source = ["lines", "readings", "metrics"]
            .into_iter()
            .find(|source| line["source"] == *source)
            .unwrap_or_else(|| panic!("a dead-letter line of no source: {line:.300}"));
        *dead_lettered.entry((source, kind_of(line))).or_default() += 1;
    }
    let reasons: BTreeMap<(String, String), usize> =
        lines.iter().fold(BTreeMap::new(), |mut reasons, line| {
            let reason = format!("{} / {}", line["reason"], line["detail"]);
            let reason: String = reason.chars().take(160).collect();
            *reasons
                .entry((line["source"].to_string(), reason))
                .or_default() += 1;
            reasons
        });
    assert_eq!(dead_lettered, injected, "dead-letter reasons: {reasons:?}");

    assert_eq!(code, 0, "SIGTERM drains and exits 0: {summary}");
    assert_eq!(
        summary["dead_letter"]["records"], rejects as u64,
        "{summary}"
    );
    crate::support::assert_balanced(&summary);
    for (flow, read, rejected) in [
        ("file_readings", READINGS, rejects_of(&injected, "lines")),
        (
            "broker_readings",
            READINGS,
            rejects_of(&injected, "readings"),
        ),
        // The birth's temperature is a record too.
        (
            "measure",
            DATA_MESSAGES + 1,
            rejects_of(&injected, "metrics"),
        ),
    ] {
        let counts = crate::support::flow(&summary, flow);
        assert_eq!(counts["read"], read, "{flow}: {counts}");
        assert_eq!(counts["rejected"], rejected as u64, "{flow}: {counts}");
    }
    plant.assert_each_once("file_readings", "seq", READING_COLUMNS, &valid_readings);
    plant.assert_each_once("broker_readings", "seq", READING_COLUMNS, &valid_readings);
    plant.assert_each_once(
        "measurements",
        "edge_node, metric, measured_at",
        "edge_node, metric, (extract(epoch from measured_at) * 1000)::bigint, value",
        &measurements,
    );
}

fn rejects_of(injected: &BTreeMap<(&str, Malformed), usize>, source: &str) -> usize {
    injected
        .iter()
        .filter(|((of, _), _)| *of == source)
        .map(|(_, count)| count)
        .sum()
}
