//! The source's records against each server: every data change, value by value, with its status
//! and source timestamp; a status that turns Bad and back; browse paths.

use std::time::Duration;

use fdi_peers::opcua::OpcuaImplementation;
use fdi_runtime::serde_json::{json, Value};

use super::*;

/// 10,000 changes over the five monitored nodes, as fast as the server makes them, each arrive
/// once, in order, with its value, Good status and source timestamp.
fn ten_thousand_changes(implementation: OpcuaImplementation) {
    let io = io();
    let mut server = server(implementation);
    let settings = subscription(&server, &MONITORED);
    let (mut source, counters) = open_source(&io, server.endpoint_url(), &settings);
    let mut records = Vec::new();
    // The initial values first, so that every change below is a change after them.
    read_until(&io, &mut source, &mut records, |r| {
        r.len() >= MONITORED.len()
    });
    let changes = server
        .produce(&MONITORED, 10_000, Duration::ZERO)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(changes.len(), 10_000);
    let ids = node_ids(&server);
    read_until(&io, &mut source, &mut records, |r| {
        has_all(&ids, &changes, r)
    });
    assert_eq!(check_changes(&server, &changes, &records), 10_000);
    assert_eq!(counters.lost_notifications.get(), 0);
    assert_eq!(counters.recreations.get(), 0);
    // Every record names the notification message that carried it, in increasing order.
    let sequences: Vec<u64> = records
        .iter()
        .map(|r| r["sequence"].as_u64().expect("a sequence number"))
        .collect();
    assert!(sequences.windows(2).all(|w| w[0] <= w[1]), "{sequences:?}");
    assert_eq!(counters.lost_notifications.get(), 0, "nothing lost");
    check_sequences(&records, 0);
}

against_both!(
    ten_thousand_changes_from_asyncua,
    ten_thousand_changes_from_node_opcua,
    ten_thousand_changes
);

/// A sensor that fails reports its Bad status by name with a null value, and its value again when
/// it recovers.
fn bad_status_and_back(implementation: OpcuaImplementation) {
    let io = io();
    let mut server = server(implementation);
    let node = "Machine.Speed";
    server
        .set(node, json!(12.5))
        .unwrap_or_else(|e| panic!("{e}"));
    let settings = subscription(&server, &[node]);
    let (mut source, _) = open_source(&io, server.endpoint_url(), &settings);
    let mut records = Vec::new();
    read_until(&io, &mut source, &mut records, |r| !r.is_empty());
    assert_eq!(records[0]["value"], json!(12.5));
    assert_eq!(records[0]["status"], "Good");
    server
        .set_status(node, "BadSensorFailure")
        .unwrap_or_else(|e| panic!("{e}"));
    read_until(&io, &mut source, &mut records, |r| r.len() >= 2);
    let bad = &records[1];
    assert_eq!(bad["status"], "BadSensorFailure", "{bad}");
    assert_eq!(bad["value_quality"], "BadSensorFailure", "{bad}");
    assert_eq!(bad["status_code"], json!(0x808C_0000u32), "{bad}");
    assert_eq!(bad["value"], Value::Null, "{bad}");
    assert_eq!(bad["data_type"], Value::Null, "{bad}");
    server
        .set_status(node, "Good")
        .unwrap_or_else(|e| panic!("{e}"));
    read_until(&io, &mut source, &mut records, |r| r.len() >= 3);
    let good = &records[2];
    assert_eq!(good["status"], "Good", "{good}");
    assert_eq!(good["value"], json!(12.5), "{good}");
    assert_eq!(good["data_type"], "Double", "{good}");
}

against_both!(
    bad_status_and_back_from_asyncua,
    bad_status_and_back_from_node_opcua,
    bad_status_and_back
);

/// A browse path from the Objects folder names the node it leads to; its records say both.
fn browse_path(implementation: OpcuaImplementation) {
    let io = io();
    let mut server = server(implementation);
    server
        .set("Machine.Spindle.Load", json!(0.75))
        .unwrap_or_else(|e| panic!("{e}"));
    let ns = server.namespace_index();
    let path = format!("/{ns}:Machine/{ns}:Spindle.{ns}:Load");
    let mut settings = subscription(&server, &[]);
    settings.browse_paths = vec![path.clone()];
    let (mut source, _) = open_source(&io, server.endpoint_url(), &settings);
    let mut records = Vec::new();
    read_until(&io, &mut source, &mut records, |r| !r.is_empty());
    assert_eq!(records[0]["node"], path.as_str());
    assert_eq!(
        records[0]["node_id"],
        server.node_id("Machine.Spindle.Load").as_str()
    );
    assert_eq!(records[0]["value"], json!(0.75));
}

against_both!(
    browse_path_from_asyncua,
    browse_path_from_node_opcua,
    browse_path
);

/// With an absolute deadband, a change smaller than it is not reported; a larger one is.
fn deadband(implementation: OpcuaImplementation) {
    let io = io();
    let mut server = server(implementation);
    let node = "Machine.Speed";
    server
        .set(node, json!(10.0))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut settings = subscription(&server, &[node]);
    settings.deadband = Some(1.0);
    let (mut source, _) = open_source(&io, server.endpoint_url(), &settings);
    let mut records = Vec::new();
    read_until(&io, &mut source, &mut records, |r| !r.is_empty());
    // Steps that mean the same whether a server compares with the last value it reported (Part 4)
    // or with the last value it sampled (asyncua 2.1).
    for value in [10.5, 12.0, 12.5, 9.0] {
        server
            .set(node, json!(value))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    read_until(&io, &mut source, &mut records, |r| {
        r.last().is_some_and(|last| last["value"] == json!(9.0))
    });
    let values: Vec<f64> = records
        .iter()
        .map(|r| r["value"].as_f64().expect("a value"))
        .collect();
    // 10.5: within 1.0 of 10.0; 12.0: beyond it; 12.5: within 1.0 of 12.0; 9.0: beyond.
    assert_eq!(values, [10.0, 12.0, 9.0]);
}

against_both!(deadband_on_asyncua, deadband_on_node_opcua, deadband);
