//! The OPC UA connector against two independent real servers, Python's asyncua and Node.js's
//! node-opcua (`fdi_peers::opcua::OpcuaServer`), each test run against both: the source's records
//! value by value (`subscribe.rs`), reconnects through a proxy that cuts the connection and a
//! server restarted in the middle (`reconnect.rs`), and the target's writes (`write.rs`). What must
//! arrive is what the server reports it wrote (`produce`), computed independently of the runtime.

/// `against_both!(asyncua_test, node_opcua_test, check)`: the tests that run `check` against
/// each server, named for what they prove of it.
macro_rules! against_both {
    ($asyncua:ident, $node_opcua:ident, $check:ident) => {
        #[test]
        fn $asyncua() {
            $check(fdi_peers::opcua::OpcuaImplementation::Asyncua);
        }

        #[test]
        fn $node_opcua() {
            $check(fdi_peers::opcua::OpcuaImplementation::NodeOpcua);
        }
    };
}

mod reconnect;
mod run;
mod security;
mod subscribe;
mod write;

use std::collections::HashMap;
use std::time::Duration;

use fdi_peers::opcua::{Change, OpcuaImplementation, OpcuaServer};
use fdi_runtime::opcua::{
    OpcuaConnection, OpcuaSource, SubscriptionCounters, SubscriptionSettings,
};
use fdi_runtime::serde_json::Value;
use fdi_runtime::source::StreamSource;
use fdi_runtime::RunError;

/// The nodes the subscription tests monitor, one of each kind of value.
const MONITORED: [&str; 5] = [
    "Machine.Counter1",
    "Machine.Speed",
    "Machine.State",
    "Machine.Running",
    "Machine.LastChange",
];

/// How long a test waits for the next record before it fails: generous, since the machine is
/// shared; a test never waits for it to pass.
const PATIENCE: Duration = Duration::from_secs(60);

/// The run's IO threads, as a generated program has them.
fn io() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// A started server of `implementation`, or the peer's message on how to install it.
fn server(implementation: OpcuaImplementation) -> OpcuaServer {
    OpcuaServer::start(implementation).unwrap_or_else(|e| panic!("{e}"))
}

/// What every subscription test asks for: every change (sampling 0), a queue that holds every
/// change of a test, 50 ms publishing.
fn subscription(server: &OpcuaServer, nodes: &[&str]) -> SubscriptionSettings {
    SubscriptionSettings {
        nodes: nodes.iter().map(|n| server.node_id(n)).collect(),
        browse_paths: Vec::new(),
        browse_path_namespaces: Vec::new(),
        sampling_interval: Duration::ZERO,
        publishing_interval: Duration::from_millis(50),
        queue_size: 5000,
        deadband: None,
        state_file: None,
    }
}

/// The source of `settings` on `endpoint_url` (no security: the servers offer it for tests), with
/// counters the test reads.
fn open_source(
    io: &tokio::runtime::Runtime,
    endpoint_url: &str,
    settings: &SubscriptionSettings,
) -> (OpcuaSource, SubscriptionCounters) {
    let mut connection = OpcuaConnection::insecure(endpoint_url);
    connection.keep_alive_interval = Duration::from_secs(1);
    open_source_on(io, &connection, settings)
}

/// The source of `settings` on `connection`, with counters the test reads.
fn open_source_on(
    io: &tokio::runtime::Runtime,
    connection: &OpcuaConnection,
    settings: &SubscriptionSettings,
) -> (OpcuaSource, SubscriptionCounters) {
    let counters = SubscriptionCounters::default();
    let source = OpcuaSource::open("plc", connection, settings, counters.clone(), io.handle())
        .unwrap_or_else(|e| panic!("{e}"));
    (source, counters)
}

/// Reads deliveries (acknowledging each, as the run does once durable) until `done` says the
/// records read so far are enough.
fn read_until(
    io: &tokio::runtime::Runtime,
    source: &mut OpcuaSource,
    records: &mut Vec<Value>,
    done: impl Fn(&[Value]) -> bool,
) {
    read(io, source, records, true, done)
}

/// Reads deliveries until `done`, acknowledging them only when `acknowledge` says (a program that
/// crashes before its records are durable acknowledges nothing).
fn read(
    io: &tokio::runtime::Runtime,
    source: &mut OpcuaSource,
    records: &mut Vec<Value>,
    acknowledge: bool,
    done: impl Fn(&[Value]) -> bool,
) {
    while !done(records) {
        let delivery = io
            .block_on(async { tokio::time::timeout(PATIENCE, source.next()).await })
            .unwrap_or_else(|_| {
                panic!(
                    "no record for {PATIENCE:?}; {} read so far, the last: {:?}",
                    records.len(),
                    records.last()
                )
            })
            .unwrap_or_else(|e: RunError| panic!("{e}"))
            .expect("a subscription never ends");
        for record in &delivery.records {
            records.push(record.original());
        }
        if acknowledge {
            io.block_on(source.acknowledge(delivery.position))
                .expect("acknowledged");
        }
    }
}

/// The records of `node_id` in order.
fn of_node<'a>(records: &'a [Value], node_id: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["node_id"] == node_id).collect()
}

/// Whether every change has arrived: for each node, its last change's value is among its records
/// after the first (the initial value the subscription reports).
fn has_all(
    server_node_ids: &HashMap<String, String>,
    changes: &[Change],
    records: &[Value],
) -> bool {
    let mut last: HashMap<&str, &Change> = HashMap::new();
    for change in changes {
        last.insert(&change.node, change);
    }
    last.iter().all(|(node, change)| {
        of_node(records, &server_node_ids[*node])
            .iter()
            .skip(1)
            .any(|r| same_time(&r["source_timestamp"], &change.source_timestamp))
    })
}

/// Whether a record's timestamp is the instant of `expected` (RFC 3339 text).
fn same_time(found: &Value, expected: &str) -> bool {
    let parse = |text: &str| chrono::DateTime::parse_from_rfc3339(text).ok();
    found
        .as_str()
        .and_then(parse)
        .is_some_and(|t| Some(t) == parse(expected))
}

/// Whether a record's value is a change's value: the same JSON, a float compared as a number, a
/// DateTime as an instant.
fn same_value(found: &Value, change: &Change) -> bool {
    match change.data_type.as_str() {
        "Double" | "Float" => found.as_f64() == change.value.as_f64() && found.is_f64(),
        "DateTime" => change.value.as_str().is_some_and(|t| same_time(found, t)),
        _ => *found == change.value,
    }
}

/// Checks that every change arrived, in order per node, each once, with its value, status Good
/// and source timestamp, and nothing after the first of them but them (before it: the node's value
/// when the subscription began); returns how many were checked.
fn check_changes(server: &OpcuaServer, changes: &[Change], records: &[Value]) -> usize {
    let mut checked = 0;
    for node in MONITORED {
        let expected: Vec<&Change> = changes.iter().filter(|c| c.node == node).collect();
        let Some(first) = expected.first() else {
            continue;
        };
        let node_id = server.node_id(node);
        let found = of_node(records, &node_id);
        let start = found
            .iter()
            .position(|r| same_time(&r["source_timestamp"], &first.source_timestamp))
            .unwrap_or_else(|| panic!("{node}: the first change {first:?} never arrived"));
        let found = &found[start..];
        for (record, change) in found.iter().zip(&expected) {
            assert!(
                same_value(&record["value"], change),
                "{node}: {record} is not {change:?}"
            );
            assert_eq!(record["status"], "Good", "{record}");
            assert_eq!(record["value_quality"], "Good", "{record}");
            assert_eq!(record["data_type"], change.data_type.as_str(), "{record}");
            assert!(
                same_time(&record["source_timestamp"], &change.source_timestamp),
                "{node}: {record} is not at {}",
                change.source_timestamp
            );
            assert_eq!(record["value_timestamp"], record["source_timestamp"]);
            assert_eq!(record["node"], node_id.as_str());
            checked += 1;
        }
        assert_eq!(
            found.len(),
            expected.len(),
            "{node}: every change arrives once, and nothing else"
        );
    }
    checked
}

/// Checks the definition of a lost notification message on what arrived: of the sequence numbers from
/// the first record's to the last one's, `lost` carried no record (both servers number only messages
/// with data, so no number is skipped for a keep-alive).
fn check_sequences(records: &[Value], lost: u64) {
    let mut numbers: Vec<u64> = records
        .iter()
        .map(|r| r["sequence"].as_u64().expect("a sequence number"))
        .collect();
    numbers.dedup();
    let (first, last) = (numbers[0], numbers[numbers.len() - 1]);
    let missing = (first..=last).filter(|n| !numbers.contains(n)).count() as u64;
    assert_eq!(
        missing, lost,
        "sequence numbers without records ({first}..={last}) are what the source counted lost"
    );
}

/// The node ids of the monitored nodes on `server`, by name.
fn node_ids(server: &OpcuaServer) -> HashMap<String, String> {
    MONITORED
        .iter()
        .map(|n| (n.to_string(), server.node_id(n)))
        .collect()
}
