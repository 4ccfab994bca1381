//! Sparkplug B as a target, against an independent decoder: a generated program
//! (`tests/programs/sparkplug_edge_node/`) reads 10,200 JSON readings from a real mosquitto and
//! is two edge nodes, one publishing each reading as NDATA, one as DDATA of a device. A
//! subscriber here receives everything both publish, and Eclipse Tahu's `sparkplug-payload`
//! decodes it. Checked from the decoded payloads alone, against values computed here from the
//! readings published: births before data, with bdSeq, `Node Control/Rebirth` and every metric
//! typed from the schema; data by alias with seq continuing from the birth and wrapping after
//! 255; every reading's metrics once with their values; an NCMD rebirth sent here answered with
//! new births; the NDEATH of the session's bdSeq on SIGTERM; and bdSeq one higher after a
//! restart. Then fdi's own host (`tests/programs/sparkplug_host_to_jsonl/`) reads the same edge
//! nodes: every numeric metric once, no gap, no rebirth asked.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fdi_peers::{decode_with_tahu, encode_with_tahu, Mosquitto, MqttClient, QoS};
use serde_json::{json, Value};
use support::service::{broker_settings, Service};

/// Readings published during the first run, and in all.
const FIRST_RUN: u64 = 6_000;
const READINGS: u64 = 10_200;
/// 2026-12-06T00:00:00Z in milliseconds: reading `seq` is `seq` seconds after it.
const MIDNIGHT_MILLIS: i64 = 1_796_515_200_000;

const INPUT_TOPIC: &str = "plant/line3/readings";
const NODE: &str = "line3";
const CELL: &str = "line3-cell";
const DEVICE: &str = "mill1";

/// The reading a machine publishes as message `seq` (1-based), as JSON.
fn reading(seq: u64) -> Vec<u8> {
    let machine = format!("M{}", seq % 3 + 1);
    // Exact in binary, so the published double compares exactly.
    let value = (seq % 1000) as f64 * 0.25;
    let at = format!(
        "2026-12-06T{:02}:{:02}:{:02}Z",
        seq / 3600,
        seq / 60 % 60,
        seq % 60
    );
    json!({"machine": machine, "seq": seq, "value": value, "at": at})
        .to_string()
        .into_bytes()
}

/// The metrics the program must publish for reading `seq`, by name, as Tahu's decoder gives
/// them (64-bit integers as decimal text), on edge node `node`.
fn expected_metrics(seq: u64, node: &str) -> BTreeMap<String, Value> {
    let value = (seq % 1000) as f64 * 0.25;
    let machine = format!("M{}", seq % 3 + 1);
    let note = if node == CELL {
        json!(format!("machine {machine}"))
    } else {
        Value::Null
    };
    [
        ("machine", json!(machine)),
        ("seq", json!(seq.to_string())),
        ("value", json!(value)),
        ("high", json!(value >= 100.0)),
        (
            "at",
            json!((MIDNIGHT_MILLIS + seq as i64 * 1000).to_string()),
        ),
        ("note", note),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), value))
    .collect()
}

/// The datatype each metric must be born with: from the schema's field types.
const BIRTH_TYPES: &[(&str, &str)] = &[
    ("machine", "String"),
    ("seq", "Int64"),
    ("value", "Double"),
    ("high", "Boolean"),
    ("at", "DateTime"),
    ("note", "String"),
];

/// A number Tahu's decoder gave as a number or, for 64-bit ones, as decimal text.
fn number(value: &Value) -> i64 {
    value
        .as_i64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_else(|| panic!("not a whole number: {value}"))
}

/// One received message, decoded by Tahu.
struct Message {
    topic: String,
    kind: String,
    node: String,
    payload: Value,
}

fn decode(received: Vec<fdi_peers::Publish>) -> Vec<Message> {
    let bytes: Vec<Vec<u8>> = received.iter().map(|p| p.payload.to_vec()).collect();
    let decoded = decode_with_tahu(&bytes).expect("Tahu's decoder (tests/peers/install)");
    received
        .into_iter()
        .zip(decoded)
        .map(|(publish, payload)| {
            let topic = publish.topic.clone();
            let parts: Vec<&str> = topic.split('/').collect();
            let payload = payload.unwrap_or_else(|e| panic!("{topic} does not decode: {e}"));
            Message {
                kind: parts[2].to_string(),
                node: parts[3].to_string(),
                topic,
                payload,
            }
        })
        .collect()
}

/// What the messages of one edge node showed.
#[derive(Default)]
struct NodeLog {
    /// The bdSeq of each session, in order of its first NBIRTH.
    sessions: Vec<i64>,
    /// How many NBIRTHs each session had (1, and 1 more for each rebirth).
    births: Vec<usize>,
    /// The bdSeq of each NDEATH.
    deaths: Vec<i64>,
    /// Reading seq -> how many times its data came.
    readings: HashMap<u64, usize>,
}

/// Reads the messages of every edge node in order, as a host would, failing on anything the
/// specification or the mapping does not allow; returns what each node showed.
fn follow(messages: &[Message]) -> HashMap<String, NodeLog> {
    let mut logs: HashMap<String, NodeLog> = HashMap::new();
    // Per node: the seq due next, and alias -> name of the node's and its device's births.
    let mut next_seq: HashMap<String, i64> = HashMap::new();
    let mut aliases: HashMap<String, HashMap<i64, String>> = HashMap::new();
    for message in messages {
        let node = message.node.clone();
        let log = logs.entry(node.clone()).or_default();
        let metrics = message.payload["metrics"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let seq = message.payload.get("seq").map(number);
        let named = |name: &str| metrics.iter().find(|m| m["name"] == name).cloned();
        let what = &message.topic;
        match message.kind.as_str() {
            "NBIRTH" => {
                assert_eq!(seq, Some(0), "{what}: an NBIRTH has seq 0");
                let bd_seq = number(&named("bdSeq").expect("an NBIRTH has bdSeq")["value"]);
                let rebirth = named("Node Control/Rebirth").expect("and Node Control/Rebirth");
                assert_eq!(rebirth["type"], "Boolean", "{what}");
                if log.sessions.last() == Some(&bd_seq) && log.deaths.len() < log.sessions.len() {
                    *log.births.last_mut().unwrap() += 1;
                } else {
                    log.sessions.push(bd_seq);
                    log.births.push(1);
                }
                next_seq.insert(node.clone(), 1);
                aliases.insert(node.clone(), HashMap::new());
                if node == CELL {
                    // The records are the device's: the node has only its controls.
                    assert_eq!(metrics.len(), 2, "{what}: {metrics:?}");
                } else {
                    aliases.insert(node.clone(), born_metrics(&metrics, what));
                }
            }
            "DBIRTH" => {
                assert_eq!(node, CELL, "{what}");
                assert!(what.ends_with(&format!("/{DEVICE}")), "{what}");
                assert_eq!(seq, Some(next_seq[&node]), "{what}: seq continues");
                next_seq.insert(node.clone(), (next_seq[&node] + 1) % 256);
                aliases.insert(node.clone(), born_metrics(&metrics, what));
            }
            "NDATA" | "DDATA" => {
                assert_eq!(
                    message.kind,
                    if node == CELL { "DDATA" } else { "NDATA" },
                    "{what}"
                );
                let due = *next_seq.get(&node).expect("data after a birth");
                assert_eq!(seq, Some(due), "{what}: seq continues");
                next_seq.insert(node.clone(), (due + 1) % 256);
                let born = &aliases[&node];
                let values: BTreeMap<String, Value> = metrics
                    .iter()
                    .map(|m| {
                        assert!(m.get("name").is_none(), "{what}: data by alias: {m}");
                        let name = born[&number(&m["alias"])].clone();
                        let datatype = BIRTH_TYPES.iter().find(|(n, _)| *n == name);
                        assert_eq!(m["type"], datatype.unwrap().1, "{what}: {name}");
                        // JavaScript writes the double 1.0 as 1.
                        let value = match m.get("value") {
                            Some(Value::Number(n)) => json!(n.as_f64()),
                            Some(other) => other.clone(),
                            None => Value::Null,
                        };
                        (name, value)
                    })
                    .collect();
                let reading = number(&values["seq"]) as u64;
                assert_eq!(
                    values,
                    expected_metrics(reading, &node),
                    "{what}: reading {reading}"
                );
                *log.readings.entry(reading).or_default() += 1;
            }
            "NDEATH" => {
                assert_eq!(seq, None, "{what}: an NDEATH has no seq");
                log.deaths.push(number(
                    &named("bdSeq").expect("an NDEATH has bdSeq")["value"],
                ));
                next_seq.remove(&node);
            }
            "NCMD" => {}
            other => panic!("{what}: unexpected {other}"),
        }
    }
    logs
}

/// A birth's metrics but bdSeq and the rebirth control, typed as the schema says, each with an
/// alias: alias -> name.
fn born_metrics(metrics: &[Value], what: &str) -> HashMap<i64, String> {
    let mut born = HashMap::new();
    for metric in metrics {
        let name = metric["name"].as_str().expect("a birth names its metrics");
        if name == "bdSeq" || name == "Node Control/Rebirth" {
            continue;
        }
        let (_, datatype) = BIRTH_TYPES
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("{what}: unexpected metric {name}"));
        assert_eq!(metric["type"], *datatype, "{what}: {name}");
        born.insert(number(&metric["alias"]), name.to_string());
    }
    assert_eq!(born.len(), BIRTH_TYPES.len(), "{what}: {metrics:?}");
    born
}

/// An NCMD asking for a rebirth, encoded by Tahu.
fn rebirth_request() -> Vec<u8> {
    let payload = json!({
        "timestamp": 1_796_515_200_000_u64,
        "metrics": [{"name": "Node Control/Rebirth", "type": "Boolean", "value": true}],
    });
    let mut encoded = encode_with_tahu(&[payload]).expect("Tahu's encoder");
    encoded.remove(0).expect("Tahu encodes the request")
}

fn publish_readings(broker: &Mosquitto, seqs: std::ops::RangeInclusive<u64>) {
    let mut line = MqttClient::connect(broker, "line3-plc", true);
    let payloads: Vec<Vec<u8>> = seqs.map(reading).collect();
    line.publish_all(INPUT_TOPIC, &payloads);
    line.disconnect();
}

/// Builds the test program `name` (a folder of `tests/programs/`) into `scratch`.
fn build_program(name: &str, scratch: &Path) -> PathBuf {
    let mapping = support::workspace_root()
        .join("tests/programs")
        .join(name)
        .join(format!("{name}.fdi"));
    support::build(&mapping, &scratch.join(format!("{name}-crate")))
}

/// A folder for one program with its `line.toml`: the broker as connection `plant_broker`.
fn program_folder(scratch: &Path, name: &str, broker: &Mosquitto, client_id: &str) -> PathBuf {
    let dir = scratch.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("line.toml"),
        broker_settings("plant_broker", broker, client_id),
    )
    .unwrap();
    dir
}

#[test]
fn the_program_is_an_edge_node_that_tahu_reads_births_data_rebirth_death_and_bd_seq() {
    let scratch = tempfile::tempdir().unwrap();
    let binary = build_program("sparkplug_edge_node", scratch.path());
    let broker = Mosquitto::start_with_max_inflight(0).expect("mosquitto (tests/peers/install)");
    // Connected after the build: the client is driven only while the test waits for it, and
    // the broker drops a client silent for longer than its keep-alive.
    let mut host = MqttClient::connect(&broker, "host", true);
    host.subscribe("spBv1.0/plant1/#", QoS::AtLeastOnce);
    let dir = program_folder(scratch.path(), "line", &broker, "line3");

    // First run: births (NBIRTH; NBIRTH and DBIRTH), then two data messages per reading.
    let service = Service::start(&binary, &dir);
    service.wait_subscribed();
    publish_readings(&broker, 1..=FIRST_RUN);
    let mut received = host.receive(3 + 2 * FIRST_RUN as usize);
    // A rebirth asked of each node: the request itself, then its births.
    let mut control = MqttClient::connect(&broker, "scada", true);
    for node in [NODE, CELL] {
        let topic = format!("spBv1.0/plant1/NCMD/{node}");
        control.publish_all(&topic, &[rebirth_request()]);
    }
    received.extend(host.receive(2 + 3));
    let (code, summary) = service.stop();
    assert_eq!(code, 0, "SIGTERM drains and exits 0: {summary}");
    support::assert_balanced(&summary);
    received.extend(host.receive(2));

    // Second run, the rest of the readings.
    let service = Service::start(&binary, &dir);
    service.wait_subscribed();
    publish_readings(&broker, FIRST_RUN + 1..=READINGS);
    received.extend(host.receive(3 + 2 * (READINGS - FIRST_RUN) as usize));
    let (code, summary) = service.stop();
    assert_eq!(code, 0, "SIGTERM drains and exits 0: {summary}");
    received.extend(host.receive(2));

    let messages = decode(received);
    let logs = follow(&messages);
    for node in [NODE, CELL] {
        let log = &logs[node];
        assert_eq!(log.sessions.len(), 2, "{node}: one session per run");
        assert_eq!(
            log.sessions[1],
            (log.sessions[0] + 1) % 256,
            "{node}: bdSeq goes up over a restart"
        );
        assert_eq!(log.births, [2, 1], "{node}: the rebirth was answered");
        assert_eq!(
            log.deaths, log.sessions,
            "{node}: each stop published its NDEATH"
        );
        assert_eq!(log.readings.len() as u64, READINGS, "{node}: every reading");
        assert!(
            log.readings.values().all(|n| *n == 1),
            "{node}: each reading once"
        );
    }
    let metrics: usize = messages
        .iter()
        .filter(|m| m.kind.ends_with("DATA"))
        .map(|m| m.payload["metrics"].as_array().map_or(0, Vec::len))
        .sum();
    assert!(metrics >= 10_000, "{metrics} metrics checked");
}

/// The numeric metrics of data messages fdi's host wrote down: (edge node, device, message,
/// metric) -> values, sorted.
fn seen_data(file: &Path) -> BTreeMap<(String, String, String, String), Vec<f64>> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let mut seen: BTreeMap<_, Vec<f64>> = BTreeMap::new();
    // The last line may be half written while the host runs.
    for row in text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
    {
        let text = |field: &str| row[field].as_str().unwrap_or_default().to_string();
        if text("message").ends_with("DATA") {
            let key = (
                text("edge_node"),
                text("device"),
                text("message"),
                text("metric"),
            );
            seen.entry(key)
                .or_default()
                .push(row["value"].as_f64().unwrap());
        }
    }
    for values in seen.values_mut() {
        values.sort_by(f64::total_cmp);
    }
    seen
}

#[test]
fn our_host_reads_our_edge_nodes_every_numeric_metric_once_without_a_gap() {
    const SENT: u64 = 3_000;
    let scratch = tempfile::tempdir().unwrap();
    let node_binary = build_program("sparkplug_edge_node", scratch.path());
    let host_binary = build_program("sparkplug_host_to_jsonl", scratch.path());
    let broker = Mosquitto::start_with_max_inflight(0).expect("mosquitto (tests/peers/install)");
    let host_dir = program_folder(scratch.path(), "scada", &broker, "scada");
    let host = Service::start_serving_metrics(&host_binary, &host_dir);
    host.wait_subscribed();
    let node_dir = program_folder(scratch.path(), "line", &broker, "line3");
    let node = Service::start(&node_binary, &node_dir);
    node.wait_subscribed();
    publish_readings(&broker, 1..=SENT);

    // Each reading is two numeric metrics (seq and value) on each of the two nodes.
    let mut expected = BTreeMap::new();
    for (node, device, message) in [(NODE, "-", "NDATA"), (CELL, DEVICE, "DDATA")] {
        let key = |metric: &str| {
            (
                node.to_string(),
                device.to_string(),
                message.to_string(),
                metric.to_string(),
            )
        };
        let mut values: Vec<f64> = (1..=SENT).map(|seq| (seq % 1000) as f64 * 0.25).collect();
        values.sort_by(f64::total_cmp);
        expected.insert(key("seq"), (1..=SENT).map(|seq| seq as f64).collect());
        expected.insert(key("value"), values);
    }
    let seen_file = host_dir.join("out/seen.jsonl");
    let wanted = 4 * SENT as usize;
    let deadline = Instant::now() + Duration::from_secs(300);
    let count = || seen_data(&seen_file).values().map(Vec::len).sum::<usize>();
    while count() < wanted {
        assert!(
            Instant::now() < deadline,
            "{} of {wanted} metrics after 300 s",
            count()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        host.metric(r#"fdi_sparkplug_sequence_gaps_total{source="metrics"}"#),
        0.0
    );
    assert_eq!(
        host.metric(r#"fdi_sparkplug_rebirth_requests_total{source="metrics"}"#),
        0.0
    );
    let (code, summary) = node.stop();
    assert_eq!(code, 0, "the edge nodes stop cleanly: {summary}");
    let (code, summary) = host.stop();
    assert_eq!(code, 0, "the host stops cleanly: {summary}");
    support::assert_balanced(&summary);
    assert_eq!(seen_data(&seen_file), expected, "every numeric metric once");
    let dead = support::read_jsonl(&host_dir.join("dead-letter.jsonl"));
    assert!(
        dead.iter()
            .all(|d| d["reason"] == "not a number" || d["reason"] == "the metric is null"),
        "only metrics of other datatypes and nulls are rejected: {:?}",
        dead.iter().find(|d| d["reason"] != "not a number")
    );
}
