//! A generated service whose mapping takes the line and the machine from the topic
//! (`tests/programs/mqtt_topic_levels/`, filter `plant/+line/+machine/state`), against a real
//! broker (mosquitto, started by `fdi-peers`). 10,000 states are published over 4 lines and 5
//! machines with payloads that do not say where they come from: every row must carry the line and
//! machine of the topic its message was published to, as this test planned them. A level the
//! mapping cannot type (a line that is not a number, a machine that is not a machine code) is a
//! map reject; a message on a topic none of the filters matches (served by a subscription an
//! earlier version of the mapping left in the persistent session) is a decode reject with its
//! bytes, not a record with made-up levels.

mod support;

use std::path::Path;

use fdi_peers::{Mosquitto, MqttClient};
use support::service::{broker_settings, wait_for_count, Service};

const STATES: u64 = 10_000;
const LINES: u64 = 4;
const MACHINES: u64 = 5;

/// Where the test publishes state `seq` (1-based): its line and machine.
fn origin(seq: u64) -> (i64, String) {
    let line = seq % LINES + 1;
    let machine = (seq / LINES) % MACHINES + 1;
    (line as i64, format!("M{machine:02}"))
}

fn state_of(seq: u64) -> &'static str {
    ["RUNNING", "IDLE", "DOWN"][(seq % 3) as usize]
}

fn payload(seq: u64) -> Vec<u8> {
    format!(r#"{{"seq":{seq},"state":"{}"}}"#, state_of(seq)).into_bytes()
}

type Row = (i64, String, i64, String, String);

fn rows(database: &Path) -> Vec<Row> {
    if !database.exists() {
        return Vec::new();
    }
    let connection = rusqlite::Connection::open(database).unwrap();
    let Ok(mut statement) =
        connection.prepare("SELECT line, machine, seq, state, topic FROM states ORDER BY seq")
    else {
        return Vec::new();
    };
    statement
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn every_row_has_the_line_and_machine_of_its_topic() {
    let broker = Mosquitto::start().expect("mosquitto (install it with tests/peers/install)");
    let binary = support::service::build_test_program("mqtt_topic_levels");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("line.toml"),
        broker_settings("plant_broker", &broker, "line3"),
    )
    .unwrap();

    // An earlier version of the mapping subscribed the source's session (client id `line3-` and
    // the source's name) to `retired/#`; the broker keeps that subscription for it.
    let mut earlier = MqttClient::connect(&broker, "line3-states", false);
    earlier.subscribe("retired/#", fdi_peers::QoS::AtLeastOnce);
    earlier.disconnect();

    let service = Service::start(&binary, dir.path());
    service.wait_subscribed();
    let mut client = MqttClient::connect(&broker, "machines", true);
    // Three messages that are not rows: a line that is not a number, a machine that is not a
    // machine code, and a topic that none of the source's filters matches.
    client.publish_all("plant/L7/M01/state", &[payload(0)]);
    client.publish_all("plant/3/X9/state", &[payload(0)]);
    client.publish_all("retired/old", &[b"{\"seq\":0,\"state\":\"IDLE\"}".to_vec()]);
    let mut by_topic: std::collections::BTreeMap<String, Vec<Vec<u8>>> = Default::default();
    for seq in 1..=STATES {
        let (line, machine) = origin(seq);
        by_topic
            .entry(format!("plant/{line}/{machine}/state"))
            .or_default()
            .push(payload(seq));
    }
    assert_eq!(by_topic.len() as u64, LINES * MACHINES);
    for (topic, payloads) in &by_topic {
        for chunk in payloads.chunks(250) {
            client.publish_all(topic, chunk);
        }
    }
    client.disconnect();

    let database = dir.path().join("out/states.db");
    wait_for_count("rows", STATES as usize, || rows(&database).len());
    let (code, summary) = service.stop();
    assert_eq!(code, 0, "SIGTERM drains and exits 0: {summary}");
    support::assert_balanced(&summary);
    let flow = support::flow(&summary, "store");
    assert_eq!(flow["read"], STATES + 3, "{summary}");
    assert_eq!(flow["written"], STATES, "{summary}");
    assert_eq!(flow["rejected"], 3, "{summary}");

    let expected: Vec<Row> = (1..=STATES)
        .map(|seq| {
            let (line, machine) = origin(seq);
            let topic = format!("plant/{line}/{machine}/state");
            (line, machine, seq as i64, state_of(seq).to_string(), topic)
        })
        .collect();
    assert_eq!(
        rows(&database),
        expected,
        "every state once, with the line and machine of its topic"
    );

    let dead = support::read_jsonl(&dir.path().join("dead-letter.jsonl"));
    let reasons: Vec<(&str, &str)> = dead
        .iter()
        .map(|d| {
            (
                d["topic"].as_str().unwrap_or(""),
                d["reason"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(reasons.len(), 3, "{dead:?}");
    assert!(
        reasons.contains(&(
            "plant/L7/M01/state",
            "the line level of the topic is not a number"
        )),
        "{dead:?}"
    );
    assert!(
        reasons.contains(&(
            "plant/3/X9/state",
            "the machine level of the topic is not a machine code"
        )),
        "{dead:?}"
    );
    let unmatched = dead
        .iter()
        .find(|d| d["topic"] == "retired/old")
        .unwrap_or_else(|| panic!("no dead letter for the unmatched topic: {dead:?}"));
    assert_eq!(unmatched["stage"], "decode", "{unmatched}");
    assert!(
        unmatched["detail"].as_str().unwrap_or("").contains(
            "matches none of the source's topic filters (\"plant/+line/+machine/state\")"
        ),
        "{unmatched}"
    );
    assert_eq!(
        unmatched["record"]["state"], "IDLE",
        "the original bytes: {unmatched}"
    );
}
