//! The OPC UA test program (`tests/programs/opcua_test_server/`) built once and run as a service
//! against each of two independent servers, Python's asyncua and Node.js's node-opcua
//! (`fdi_peers::opcua`): more than 10,000 data changes from each, every one in the program's output
//! once with its value, quality and source timestamp as the server reported writing it; a status
//! that turns Bad and back; the server killed and started again in the middle, after which the
//! changes keep flowing and the program reports no lost notification (the server had sent every
//! one it numbered); setpoints of every supported data type written down and read back from the
//! server equal to the file's; SIGTERM drains and exits 0 with every flow balanced.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use fdi_peers::opcua::{Change, OpcuaImplementation, OpcuaServer};
use serde_json::Value;
use support::service::{wait_for_count, Service};

/// The program's monitored integer variables (source `counters`).
const COUNTERS: [&str; 3] = ["Machine.Counter1", "Machine.Counter2", "Machine.Total"];
/// Data changes produced before and after the server's restart.
const BEFORE_RESTART: usize = 6_000;
const AFTER_RESTART: usize = 4_500;

fn settings(server: &OpcuaServer) -> String {
    format!(
        "[connections.test_server]\nendpoint_url = \"{}\"\nsecurity_mode = \"None\"\nsecurity_policy = \"None\"\n",
        server.endpoint_url()
    )
}

/// A timestamp as (seconds, milliseconds), whatever digits either side writes.
fn instant(text: &str) -> (String, u32) {
    let text = text.trim_end_matches('Z');
    let (seconds, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let millis = format!("{:0<3}", &fraction[..fraction.len().min(3)]);
    (seconds.to_string(), millis.parse().unwrap())
}

/// The program's output records of monitored node `identifier`.
fn records_of<'a>(records: &'a [Value], identifier: &str) -> Vec<&'a Value> {
    let node = format!("nsu=urn:fdi:test;s={identifier}");
    records.iter().filter(|r| r["node"] == node).collect()
}

type ChangeKey = (String, String, (String, u32));

/// How often each (node, value, source time) is in the output as a GOOD record.
fn seen(records: &[Value]) -> BTreeMap<ChangeKey, usize> {
    let mut seen: BTreeMap<ChangeKey, usize> = BTreeMap::new();
    for record in records.iter().filter(|r| r["quality"] == "GOOD") {
        let Some(time) = record["source_time"].as_str() else {
            continue;
        };
        let node = record["node"].as_str().unwrap();
        let identifier = node.trim_start_matches("nsu=urn:fdi:test;s=").to_string();
        *seen
            .entry((identifier, record["count"].to_string(), instant(time)))
            .or_default() += 1;
    }
    seen
}

fn key(change: &Change) -> ChangeKey {
    (
        change.node.clone(),
        change.value.to_string(),
        instant(&change.source_timestamp),
    )
}

/// Every produced change is in `records` exactly once, GOOD, with its value and source time.
fn assert_each_change_once(records: &[Value], changes: &[Change], server: &str) {
    let seen = seen(records);
    for change in changes {
        let key = key(change);
        assert_eq!(
            seen.get(&key).copied().unwrap_or(0),
            1,
            "{server}: the change {key:?} is not in the output exactly once"
        );
    }
}

/// How many of the produced `changes` the output holds so far (not the values a new subscription
/// reports first, which are not among them).
fn delivered(output: &Path, changes: &[Change]) -> usize {
    if !output.exists() {
        return 0;
    }
    // The program may be writing the last line: only whole lines are read.
    let text = std::fs::read_to_string(output).unwrap();
    let whole = &text[..text.rfind('\n').map_or(0, |end| end + 1)];
    let records: Vec<Value> = whole
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    let seen = seen(&records);
    changes
        .iter()
        .filter(|c| seen.contains_key(&key(c)))
        .count()
}

/// The setpoints file's last row per written node: what the server must hold afterwards.
fn expected_setpoints(data: &Path) -> Vec<(String, Value)> {
    let rows = support::read_jsonl(&data.join("setpoints.jsonl"));
    let last = rows.last().expect("setpoints");
    let mut expected: Vec<(String, Value)> = [
        ("Write.Boolean", "flag"),
        ("Write.SByte", "sbyte"),
        ("Write.Byte", "byte"),
        ("Write.Int16", "int16"),
        ("Write.UInt16", "uint16"),
        ("Write.Int32", "int32"),
        ("Write.UInt32", "uint32"),
        ("Write.Int64", "int64"),
        ("Write.UInt64", "uint64"),
        ("Write.Float", "float32"),
        ("Write.Double", "float64"),
        ("Write.String", "text"),
        ("Write.DateTime", "at"),
    ]
    .iter()
    .map(|(node, field)| (node.to_string(), last[*field].clone()))
    .collect();
    for row in &rows {
        let station = row["station_no"].as_i64().unwrap();
        expected.push((format!("Station{station}.UpperLimit"), row["upper"].clone()));
        expected.push((format!("Station{station}.LowerLimit"), row["lower"].clone()));
    }
    expected
}

/// Whether the server's value is the file's: numbers by value (a Float holds -3.5 exactly, a
/// Double 1e300), times by instant.
fn same_value(node: &str, server: &Value, file: &Value) -> bool {
    match (server, file) {
        (Value::Number(a), Value::Number(b)) => match (a.as_i64(), b.as_i64()) {
            (Some(a), Some(b)) => a == b,
            _ => match (a.as_u64(), b.as_u64()) {
                (Some(a), Some(b)) => a == b,
                _ => a.as_f64() == b.as_f64(),
            },
        },
        (Value::String(a), Value::String(b)) if node == "Write.DateTime" => {
            instant(a) == instant(b)
        }
        _ => server == file,
    }
}

fn run_against(implementation: OpcuaImplementation, binary: &Path) {
    let name = implementation.name();
    eprintln!("against the {name}");
    let mut server = OpcuaServer::start(implementation)
        .unwrap_or_else(|e| panic!("{e} (install it with tests/peers/install)"));
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let program = support::workspace_root().join("tests/programs/opcua_test_server");
    support::copy_dir(&program.join("data"), &dir.join("data"));
    std::fs::write(dir.join("line.toml"), settings(&server)).unwrap();
    let output = dir.join("out/changes.jsonl");

    let service = Service::start_serving_metrics(binary, dir);
    service.wait_for_logs("subscribed source=", 3);

    // What the download flow wrote, read from the server (before the restart below, which
    // gives every variable its initial value again).
    let expected = expected_setpoints(&dir.join("data"));
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    for (node, want) in &expected {
        loop {
            let read = server.read(node).unwrap();
            if read.status == "Good" && same_value(node, &read.value, want) {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{name}: {node} holds {} ({}, {}), the file wrote {want}",
                read.value,
                read.data_type,
                read.status
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    // A status that turns Bad and back.
    server
        .set_status("Machine.Counter1", "BadSensorFailure")
        .unwrap();
    server.set_status("Machine.Counter1", "Good").unwrap();
    let mut changes = server
        .produce(&COUNTERS, BEFORE_RESTART, Duration::ZERO)
        .unwrap();
    wait_for_count("changes before the restart", changes.len(), || {
        delivered(&output, &changes)
    });

    // Killed as a power cut would: its subscriptions are gone; the program's are created anew.
    server.restart().unwrap();
    service.wait_for_logs("subscribed source=", 3);
    let after = server
        .produce(&COUNTERS, AFTER_RESTART, Duration::ZERO)
        .unwrap();
    changes.extend(after);
    wait_for_count("changes after the restart", changes.len(), || {
        delivered(&output, &changes)
    });

    let lost = service.metric("fdi_opcua_lost_notifications_total{source=\"counters\"}");
    let recreated = service.metric("fdi_opcua_subscription_recreations_total{source=\"counters\"}");
    let overflows = service.metric("fdi_opcua_queue_overflows_total{source=\"counters\"}");

    let (code, summary) = service.stop();
    assert_eq!(code, 0, "{name}: {summary}");
    support::assert_balanced(&summary);
    assert_eq!(
        support::flow(&summary, "download")["written"],
        2,
        "{name}: {summary}"
    );

    let records = support::read_jsonl(&output);
    assert_each_change_once(&records, &changes, name);
    // The Bad status reached the output as a BAD record without a value.
    let counter1 = records_of(&records, "Machine.Counter1");
    assert!(
        counter1
            .iter()
            .any(|r| r["quality"] == "BAD" && r["count"].is_null()),
        "{name}: no BAD record of Counter1"
    );
    // Besides the produced changes, only each counter's current value when its subscription was
    // created (twice) and Counter1's when it turned Good again.
    let good = COUNTERS
        .iter()
        .flat_map(|counter| records_of(&records, counter))
        .filter(|r| r["quality"] == "GOOD")
        .count();
    assert!(
        good <= changes.len() + 2 * COUNTERS.len() + 1,
        "{name}: {good} GOOD records for {} changes",
        changes.len()
    );
    // The server's queues (5,000 changes per item) held every change, and it sent every
    // notification it numbered: nothing was dropped, and the program reports nothing lost.
    assert_eq!(overflows, 0.0, "{name}: the server's queue overflowed");
    assert_eq!(
        lost, 0.0,
        "{name}: the server sent every notification it numbered"
    );
    assert!(
        recreated >= 1.0,
        "{name}: the restart made a new subscription"
    );
}

#[test]
fn data_changes_and_writes_against_two_independent_servers() {
    let binary = support::service::build_test_program("opcua_test_server");
    for implementation in OpcuaImplementation::ALL {
        run_against(implementation, &binary);
    }
}
