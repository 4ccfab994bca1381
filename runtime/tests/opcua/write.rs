//! The target against each server: every supported data type written and read back equal (by the
//! target and by the server's own read), a read-only node and values that do not fit rejected.

use fdi_peers::opcua::OpcuaImplementation;
use fdi_runtime::opcua::{OpcuaConnection, OpcuaTarget};
use fdi_runtime::serde_json::{json, Value};
use fdi_runtime::{Durable, Target};

use super::*;

/// A value of each writable node's type, chosen at the edges of its range.
fn values() -> Vec<(&'static str, Value)> {
    vec![
        ("Boolean", json!(true)),
        ("SByte", json!(-128)),
        ("Byte", json!(255)),
        ("Int16", json!(-32768)),
        ("UInt16", json!(65535)),
        ("Int32", json!(-2147483648i64)),
        ("UInt32", json!(4294967295u64)),
        ("Int64", json!(-9007199254740993i64)),
        ("UInt64", json!(18446744073709551615u64)),
        ("Float", json!(0.1)),
        ("Double", json!(-1234.5678)),
        ("String", json!("Grenzwert ✓ 20 µm")),
        ("DateTime", json!("2026-12-07T03:04:05.678Z")),
    ]
}

fn open_target(
    io: &tokio::runtime::Runtime,
    server: &OpcuaServer,
    writes: &[(&str, &str)],
) -> OpcuaTarget<Value> {
    let connection = OpcuaConnection::insecure(server.endpoint_url());
    OpcuaTarget::open(
        "limits",
        &connection,
        writes,
        true,
        Default::default(),
        io.handle(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn every_type_reads_back_equal(implementation: OpcuaImplementation) {
    let io = io();
    let mut server = server(implementation);
    let fields: Vec<(&str, String)> = values()
        .iter()
        .map(|(field, _)| (*field, server.node_id(&format!("Write.{field}"))))
        .collect();
    let writes: Vec<(&str, &str)> = fields.iter().map(|(f, n)| (*f, n.as_str())).collect();
    let mut target = open_target(&io, &server, &writes);
    let record: Value = values()
        .into_iter()
        .map(|(f, v)| (f.to_string(), v))
        .collect();
    assert_eq!(target.write(&record).expect("written"), Ok(()));
    target.flush().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(target.take_refused(), Vec::new(), "read back equal");
    for (field, value) in values() {
        let read = server
            .read(&format!("Write.{field}"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read.data_type, field);
        assert_eq!(read.status, "Good");
        match field {
            "Float" => assert_eq!(read.value.as_f64().map(|f| f as f32), Some(0.1f32)),
            "DateTime" => assert!(same_time(&read.value, value.as_str().unwrap()), "{read:?}"),
            _ => assert_eq!(read.value, value, "{field}"),
        }
    }
}

against_both!(
    every_type_reads_back_equal_from_asyncua,
    every_type_reads_back_equal_from_node_opcua,
    every_type_reads_back_equal
);

/// A node the server does not let clients write refuses the record with the server's status name;
/// values that do not fit their node are rejected before anything is sent; the others are written.
fn refusals(implementation: OpcuaImplementation) {
    let io = io();
    let mut server = server(implementation);
    let (read_only, int16, int32) = (
        server.node_id("Write.ReadOnly"),
        server.node_id("Write.Int16"),
        server.node_id("Write.Int32"),
    );
    let mut read_only_target = open_target(&io, &server, &[("value", &read_only)]);
    assert_eq!(
        read_only_target
            .write(&json!({"value": 1.5}))
            .expect("taken"),
        Ok(())
    );
    read_only_target.flush().unwrap_or_else(|e| panic!("{e}"));
    let refused = read_only_target.take_refused();
    assert_eq!(refused.len(), 1, "{refused:?}");
    let reason = &refused[0].reject.reason;
    assert!(
        reason == "OPC UA server refused the write: BadNotWritable"
            || reason == "OPC UA server refused the write: BadUserAccessDenied",
        "{reason}"
    );

    let mut target = open_target(&io, &server, &[("small", &int16), ("count", &int32)]);
    let out_of_range = target
        .write(&json!({"small": 70000, "count": 1}))
        .expect("no fatal error")
        .expect_err("70000 does not fit an Int16");
    assert_eq!(
        out_of_range.reason,
        "value does not fit the node's data type"
    );
    assert!(
        out_of_range
            .detail
            .as_deref()
            .unwrap_or("")
            .contains("outside the range of Int16"),
        "{out_of_range:?}"
    );
    let float = target
        .write(&json!({"small": 1, "count": 2.5}))
        .expect("no fatal error")
        .expect_err("a float does not fit an Int32");
    assert!(
        float.detail.as_deref().unwrap_or("").contains("is a float"),
        "{float:?}"
    );
    assert_eq!(
        target
            .write(&json!({"small": -7, "count": 7}))
            .expect("taken"),
        Ok(())
    );
    target.flush().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(target.take_refused(), Vec::new());
    let written = server.read("Write.Int16").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        written.value,
        json!(-7),
        "only the record that fits was written"
    );
}

against_both!(refusals_from_asyncua, refusals_from_node_opcua, refusals);

/// A connection cut under the target fails its flush with a transient error (the run retries it;
/// nothing is rejected), and once the proxy forwards again the same flush writes the record.
fn cut_connection_is_transient(implementation: OpcuaImplementation) {
    let io = io();
    let mut server = server(implementation);
    let proxy = fdi_peers::proxy::Proxy::start(server.port()).unwrap_or_else(|e| panic!("{e}"));
    let endpoint = server.endpoint_url().replacen(
        &format!(":{}/", server.port()),
        &format!(":{}/", proxy.port()),
        1,
    );
    let mut connection = OpcuaConnection::insecure(&endpoint);
    connection.request_timeout = std::time::Duration::from_secs(2);
    let node = server.node_id("Write.Double");
    let mut target: OpcuaTarget<Value> = OpcuaTarget::open(
        "limits",
        &connection,
        &[("value", node.as_str())],
        true,
        Default::default(),
        io.handle(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        target.write(&json!({"value": 42.5})).expect("taken"),
        Ok(())
    );
    proxy.cut();
    let error = target.flush().expect_err("no server to write to");
    assert!(target.is_transient(&error), "{error}");
    proxy.restore();
    let mut flushed = target.flush();
    // The session reconnects with backoff: each failed try is transient, as the run's retry sees it.
    for _ in 0..600 {
        match &flushed {
            Err(error) if target.is_transient(error) => {
                std::thread::sleep(std::time::Duration::from_millis(100));
                flushed = target.flush();
            }
            _ => break,
        }
    }
    flushed.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(target.take_refused(), Vec::new());
    let written = server
        .read("Write.Double")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(written.value.as_f64(), Some(42.5));
}

against_both!(
    cut_connection_is_transient_with_asyncua,
    cut_connection_is_transient_with_node_opcua,
    cut_connection_is_transient
);
