//! The OPC UA servers as started by fdi-peers, each test run against both implementations:
//! values and statuses the test sets are what a read returns, a subscription with sampling
//! interval 0 receives every change `produce` reports (checked by an independent client,
//! asyncua's, through `opcua/client_check.py`), client writes are typed and a read-only node
//! refuses them, a restart keeps the port, the secure mode takes only its user, and a dropped
//! server is gone.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fdi_peers::opcua::{OpcuaImplementation, OpcuaSecurity, OpcuaServer, NAMESPACE_URI};
use serde_json::{json, Value};

/// Runs `test` against each implementation, naming it in any failure.
fn for_each_server(security: OpcuaSecurity, test: impl Fn(&mut OpcuaServer)) {
    for implementation in OpcuaImplementation::ALL {
        let mut server = OpcuaServer::start_with(implementation, security.clone())
            .unwrap_or_else(|e| panic!("{} starts: {e}", implementation.name()));
        test(&mut server);
    }
}

/// `opcua/client_check.py` against `server`, with the arguments after the endpoint.
fn client_check(server: &OpcuaServer, arguments: &[&str]) -> Command {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("opcua/client_check.py");
    let mut command = Command::new("python3");
    command
        .arg(script)
        .arg(server.endpoint_url())
        .args(arguments);
    command
}

/// The status name a client's write of `value` (JSON) as `variant_type` to `node` is answered.
fn client_write(
    server: &OpcuaServer,
    extra: &[&str],
    node: &str,
    variant_type: &str,
    value: &str,
) -> String {
    let node_id = server.node_id(node);
    let mut arguments = extra.to_vec();
    arguments.extend(["write", &node_id, variant_type, value]);
    let output = client_check(server, &arguments)
        .output()
        .expect("python3 runs client_check.py");
    assert!(
        output.status.success(),
        "{}: client_check.py write failed: {}",
        server.implementation().name(),
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: Value =
        serde_json::from_slice(&output.stdout).expect("client_check.py prints JSON");
    answer["status"].as_str().expect("a status").to_string()
}

/// One boundary value of each writable data type, as JSON the servers take and give back.
fn boundary_values() -> Vec<(&'static str, Value)> {
    vec![
        ("Write.Boolean", json!(true)),
        ("Write.SByte", json!(-128)),
        ("Write.Byte", json!(255)),
        ("Write.Int16", json!(-32768)),
        ("Write.UInt16", json!(65535)),
        ("Write.Int32", json!(-2147483648_i64)),
        ("Write.UInt32", json!(4294967295_u64)),
        ("Write.Int64", json!(i64::MIN)),
        ("Write.UInt64", json!(u64::MAX)),
        ("Write.Float", json!(-3.5)),
        ("Write.Double", json!(1.0e300)),
        ("Write.String", json!("Grüße, ✓")),
        ("Write.DateTime", json!("2031-02-03T04:05:06.789Z")),
    ]
}

#[test]
fn every_data_type_set_by_the_test_reads_back_exactly() {
    for_each_server(OpcuaSecurity::None, |server| {
        let name = server.implementation().name();
        assert!(
            server.namespace_index() > 0,
            "{name}: {NAMESPACE_URI} has its own index"
        );
        for (node, value) in boundary_values() {
            server
                .set(node, value.clone())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let read = server.read(node).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(read.value, value, "{name}: {node}");
            assert_eq!(read.data_type, node.trim_start_matches("Write."), "{name}");
            assert_eq!(read.status, "Good", "{name}: {node}");
        }
        let error = server
            .set("Write.Int32", json!(1.5))
            .expect_err("a float into Int32");
        assert!(error.to_string().contains("integer"), "{name}: {error}");
        let error = server.read("Machine.Nothing").expect_err("no such node");
        assert!(
            error.to_string().contains("Machine.Counter1"),
            "{name}: {error}"
        );
    });
}

#[test]
fn a_status_turns_bad_and_back_to_good_with_the_value_it_had() {
    for_each_server(OpcuaSecurity::None, |server| {
        let name = server.implementation().name();
        let stamp = "2030-05-06T07:08:09.123Z";
        let set = server
            .set_with("Machine.Speed", json!(1200.5), "Good", stamp)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(set.source_timestamp.as_deref(), Some(stamp), "{name}");
        let bad = server
            .set_status("Machine.Speed", "BadSensorFailure")
            .expect("bad");
        assert_eq!(
            (bad.status.as_str(), &bad.value),
            ("BadSensorFailure", &Value::Null),
            "{name}"
        );
        let good = server.set_status("Machine.Speed", "Good").expect("good");
        assert_eq!(
            (good.status.as_str(), &good.value),
            ("Good", &json!(1200.5)),
            "{name}"
        );
        let uncertain = server
            .set_status("Machine.Speed", "UncertainLastUsableValue")
            .expect("uncertain");
        assert_eq!(uncertain.value, json!(1200.5), "{name}");
    });
}

#[test]
fn a_subscription_with_sampling_interval_zero_receives_every_produced_change() {
    const CHANGES: usize = 10_000;
    for_each_server(OpcuaSecurity::None, |server| {
        let name = server.implementation().name();
        let nodes = [
            "Machine.Counter1",
            "Machine.Speed",
            "Machine.Running",
            "Machine.State",
            "Machine.Total",
        ];
        let node_ids: Vec<String> = nodes.iter().map(|node| server.node_id(node)).collect();
        let count = CHANGES.to_string();
        let mut arguments = vec!["subscribe"];
        arguments.extend(node_ids.iter().map(String::as_str));
        arguments.extend(["--count", &count]);
        let mut client: Child = client_check(server, &arguments)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs client_check.py");
        let mut lines = BufReader::new(client.stdout.take().expect("stdout")).lines();
        let subscribed = lines.next().expect("a first line").expect("readable");
        assert_eq!(subscribed, r#"{"event": "subscribed"}"#, "{name}");

        let produced = server
            .produce(&nodes, CHANGES, Duration::ZERO)
            .expect("produces");
        let received: Value =
            serde_json::from_str(&lines.next().expect("the changes").expect("readable"))
                .expect("JSON");
        assert!(client.wait().expect("the client ends").success(), "{name}");

        let received = received["changes"].as_array().expect("changes");
        assert_eq!(
            received.len(),
            produced.len(),
            "{name}: every change, nothing more"
        );
        // Per node, in order: the server may interleave nodes differently in its publishes.
        for (node, node_id) in nodes.iter().zip(&node_ids) {
            let expected: Vec<(Value, &str)> = produced
                .iter()
                .filter(|change| change.node == *node)
                .map(|change| (change.value.clone(), change.source_timestamp.as_str()))
                .collect();
            let got: Vec<(Value, &str)> = received
                .iter()
                .filter(|change| change["node_id"] == json!(node_id))
                .map(|change| {
                    // asyncua's client reads an Int64 as a number; the wrapper gives numbers.
                    (
                        change["value"].clone(),
                        change["source_timestamp"].as_str().unwrap_or(""),
                    )
                })
                .collect();
            assert_eq!(got.len(), CHANGES / nodes.len(), "{name}: {node}");
            assert!(
                got == expected,
                "{name}: {node}: the received values and timestamps differ"
            );
        }
    });
}

#[test]
fn client_writes_are_typed_and_the_read_only_node_refuses_them() {
    for_each_server(OpcuaSecurity::None, |server| {
        let name = server.implementation().name();
        assert_eq!(
            client_write(server, &[], "Write.Double", "Double", "2.25"),
            "Good",
            "{name}"
        );
        assert_eq!(
            server.read("Write.Double").expect("reads").value,
            json!(2.25),
            "{name}"
        );
        assert_eq!(
            client_write(server, &[], "Write.Int64", "Int64", "\"-9007199254740993\""),
            "Good",
            "{name}"
        );
        assert_eq!(
            server.read("Write.Int64").expect("reads").value,
            json!(-9007199254740993_i64),
            "{name}"
        );
        assert_eq!(
            client_write(server, &[], "Write.Int32", "Double", "1.5"),
            "BadTypeMismatch",
            "{name}"
        );
        assert_eq!(
            client_write(server, &[], "Write.ReadOnly", "Double", "1.5"),
            "BadNotWritable",
            "{name}"
        );
    });
}

#[test]
fn a_restart_serves_the_initial_address_space_on_the_same_port() {
    for_each_server(OpcuaSecurity::None, |server| {
        let name = server.implementation().name();
        let (port, endpoint) = (server.port(), server.endpoint_url().to_string());
        server.set("Machine.Counter1", json!(41)).expect("sets");
        server
            .restart()
            .unwrap_or_else(|e| panic!("{name} restarts: {e}"));
        assert_eq!(
            (server.port(), server.endpoint_url()),
            (port, endpoint.as_str()),
            "{name}"
        );
        assert_eq!(
            server.read("Machine.Counter1").expect("reads").value,
            json!(0),
            "{name}"
        );
        assert_eq!(
            client_write(server, &[], "Write.Boolean", "Boolean", "true"),
            "Good",
            "{name}"
        );
    });
}

#[test]
fn the_secure_mode_takes_its_user_over_sign_and_encrypt_only() {
    let security = OpcuaSecurity::SignAndEncrypt {
        username: "operator".to_string(),
        password: "s3cret pass".to_string(),
    };
    for_each_server(security, |server| {
        let name = server.implementation().name();
        let certificate = server.server_certificate().expect("a server certificate");
        assert!(certificate.is_file(), "{name}: {}", certificate.display());
        let pki = tempfile::tempdir().expect("a folder");
        let pki = pki.path().to_str().expect("UTF-8");
        let secure = [
            "--pki",
            pki,
            "--username",
            "operator",
            "--password",
            "s3cret pass",
        ];
        assert_eq!(
            client_write(server, &secure, "Write.String", "String", "\"ok\""),
            "Good",
            "{name}"
        );
        assert_eq!(
            server.read("Write.String").expect("reads").value,
            json!("ok"),
            "{name}"
        );

        let wrong_password = [
            "--pki",
            pki,
            "--username",
            "operator",
            "--password",
            "wrong",
        ];
        let unsecured: [&str; 0] = [];
        for refused in [&wrong_password[..], &unsecured[..]] {
            let node_id = server.node_id("Write.String");
            let mut arguments = refused.to_vec();
            arguments.extend(["write", &node_id, "String", "\"no\""]);
            let output = client_check(server, &arguments).output().expect("runs");
            assert!(!output.status.success(), "{name}: {refused:?} was let in");
        }
    });
}

#[test]
fn a_dropped_server_no_longer_listens() {
    for implementation in OpcuaImplementation::ALL {
        let server = OpcuaServer::start(implementation).expect("starts");
        let port = server.port();
        drop(server);
        let connected = std::net::TcpStream::connect(("127.0.0.1", port));
        assert!(
            connected.is_err(),
            "{}: still listening",
            implementation.name()
        );
    }
}
