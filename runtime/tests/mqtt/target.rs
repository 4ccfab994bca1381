//! The MQTT target in whole runs: from a JSON Lines file to templated topics, checked by a subscriber.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fdi_peers::{Mosquitto, MqttClient};
use fdi_runtime::mqtt::{
    MqttConnection, MqttLastWill, MqttQos, MqttTarget, MqttTargetOptions, TopicTemplate, NO_TOPIC,
};
use fdi_runtime::serde_json::{self, json, Value};
use fdi_runtime::target::{Durable, Target};
use fdi_runtime::{RunSummary, TargetId};

use super::*;

const COUNT: u64 = 10_000;
const ORDERS_TOPIC: &str = "plant/{line}/{machine}/orders";
/// The subscriber that checks what arrived; its session is left at the broker before each run.
const CHECKER: &str = "checker";

/// An order as the file holds it and the target publishes it.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(crate = "fdi_runtime::serde")]
struct Order {
    seq: u64,
    line: Option<String>,
    machine: Option<String>,
    quantity: f64,
}

/// Order `seq` as written to the source file.
fn order_of(seq: u64) -> Order {
    Order {
        seq,
        line: Some(format!("L{}", seq % 4)),
        machine: Some(format!("m{}", seq % 5)),
        quantity: seq as f64 + 0.5,
    }
}

fn write_orders(dir: &Path, orders: &[Order]) {
    let lines: String = orders
        .iter()
        .map(|o| serde_json::to_string(o).unwrap() + "\n")
        .collect();
    std::fs::write(dir.join("orders.jsonl"), lines).unwrap();
}

/// Runs the program once: `orders.jsonl` of `dir` to an MQTT target publishing at QoS 1 to
/// [`ORDERS_TOPIC`]; `hook` runs before the order with that sequence number is delivered.
fn run_orders(
    dir: &Path,
    connection: MqttConnection,
    retain: bool,
    mut hook: Option<(u64, Box<dyn FnOnce()>)>,
) -> RunSummary {
    let mut run = start_run(dir, 1000, Duration::from_secs(1));
    let mut options = MqttTargetOptions::new(
        TopicTemplate::parse(ORDERS_TOPIC).unwrap(),
        MqttQos::AtLeastOnce,
    );
    options.retain = retain;
    let target: TargetId<Order> = run
        .connect_mqtt_target("line_orders", &connection, options)
        .unwrap();
    let flow = run.flow("publish", "orders", target);
    let source = run.jsonl_source("orders", "orders.jsonl").unwrap();
    run.source(source, move |run, raw| {
        let Some(order) = run.decode::<Order>(raw, "Order")? else {
            return Ok(());
        };
        if hook.as_ref().is_some_and(|(seq, _)| *seq == order.seq) {
            let (_, hook) = hook.take().unwrap();
            hook();
        }
        run.deliver(flow, raw, MapOutcome::Mapped(order))
    });
    run.drive().unwrap();
    run.summary()
}

/// What the checker's session holds, until every one of `seqs` has arrived: order by sequence
/// number, with its topic, each checked against what was written for it.
fn receive_orders(broker: &Mosquitto, seqs: &[u64]) -> BTreeMap<u64, usize> {
    let mut checker = MqttClient::connect(broker, CHECKER, false);
    let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
    while seqs.iter().any(|seq| !seen.contains_key(seq)) {
        let publish = checker.receive(1).remove(0);
        let order: Order = serde_json::from_slice(&publish.payload).unwrap();
        assert_eq!(order, order_of(order.seq));
        let expected_topic = format!(
            "plant/{}/{}/orders",
            order.line.as_ref().unwrap(),
            order.machine.as_ref().unwrap()
        );
        assert_eq!(publish.topic, expected_topic);
        *seen.entry(order.seq).or_insert(0) += 1;
    }
    checker.disconnect();
    seen
}

#[test]
fn ten_thousand_records_are_published_to_their_topics() {
    let broker = Mosquitto::start().expect("mosquitto");
    leave_session(&broker, CHECKER, "plant/+/+/orders");
    let dir = tempfile::tempdir().unwrap();
    let mut orders: Vec<Order> = (0..COUNT).map(order_of).collect();
    // Records that have no right topic: each is rejected, never published elsewhere.
    let misplaced = [
        (1, Some("L/1"), Some("m1")),
        (2, Some("L2"), None),
        (3, Some("L3"), Some("+")),
        (4, Some(""), Some("m4")),
    ];
    for (seq, line, machine) in misplaced {
        orders[seq] = Order {
            line: line.map(String::from),
            machine: machine.map(String::from),
            ..order_of(seq as u64)
        };
    }
    write_orders(dir.path(), &orders);

    let summary = run_orders(dir.path(), connection(&broker, "line3-orders"), false, None);
    let flow = &summary.flows[0];
    assert_eq!(
        (flow.read, flow.written, flow.rejected),
        (COUNT, COUNT - 4, 4)
    );
    assert_eq!(flow.reasons.get(NO_TOPIC), Some(&4));
    let dead = read_lines(&dir.path().join("out/dead-letter.jsonl"));
    let dead_seqs: Vec<&Value> = dead.iter().map(|d| &d["record"]["seq"]).collect();
    assert_eq!(dead_seqs, [&json!(1), &json!(2), &json!(3), &json!(4)]);

    let wanted: Vec<u64> = (0..COUNT).filter(|seq| !(1..=4).contains(seq)).collect();
    let seen = receive_orders(&broker, &wanted);
    assert_eq!(seen.len(), wanted.len());
    assert!(seen.values().all(|n| *n == 1), "a message came twice");
}

#[test]
fn a_retained_message_reaches_a_subscriber_that_comes_later() {
    let broker = Mosquitto::start().expect("mosquitto");
    let dir = tempfile::tempdir().unwrap();
    write_orders(dir.path(), &[order_of(1), order_of(2), order_of(7)]);
    run_orders(dir.path(), connection(&broker, "line3-orders"), true, None);

    let mut late = MqttClient::connect(&broker, "late", true);
    late.subscribe("plant/+/+/orders", fdi_peers::QoS::AtLeastOnce);
    // Three topics, one retained message each.
    let mut retained: Vec<(String, u64, bool)> = late
        .receive(3)
        .into_iter()
        .map(|p| {
            let order: Order = serde_json::from_slice(&p.payload).unwrap();
            (p.topic.clone(), order.seq, p.retain)
        })
        .collect();
    retained.sort();
    assert_eq!(
        retained,
        [
            ("plant/L1/m1/orders".to_string(), 1, true),
            ("plant/L2/m2/orders".to_string(), 2, true),
            ("plant/L3/m2/orders".to_string(), 7, true),
        ]
    );
}

#[test]
fn the_last_will_is_published_when_the_program_dies() {
    let broker = Mosquitto::start().expect("mosquitto");
    let mut watcher = MqttClient::connect(&broker, "watcher", true);
    watcher.subscribe("plant/line3/status", fdi_peers::QoS::AtLeastOnce);

    let io = io_threads();
    let mut options = orders_at_least_once();
    options.last_will = Some(MqttLastWill {
        topic: "plant/line3/status".into(),
        payload: b"offline".to_vec(),
        qos: MqttQos::AtLeastOnce,
        retain: false,
    });
    let mut target: MqttTarget<Order> = MqttTarget::connect(
        "line_orders",
        &connection(&broker, "line3-orders"),
        options,
        io.handle(),
    )
    .unwrap();
    target.write(&order_of(1)).unwrap().unwrap();
    target.flush().unwrap();
    // The program dies: its IO threads and their connection end without a DISCONNECT.
    drop(io);
    let will = watcher.receive(1);
    assert_eq!(will[0].topic, "plant/line3/status");
    assert_eq!(&will[0].payload[..], b"offline");
    drop(target);
}

#[test]
fn a_broker_restarted_mid_run_loses_no_record() {
    let broker = Arc::new(Mutex::new(Mosquitto::start().expect("mosquitto")));
    let to_broker = {
        let broker = broker.lock().unwrap();
        leave_session(&broker, CHECKER, "plant/+/+/orders");
        connection(&broker, "line3-orders")
    };
    let dir = tempfile::tempdir().unwrap();
    write_orders(dir.path(), &(0..COUNT).map(order_of).collect::<Vec<_>>());
    let restart = broker.clone();
    let summary = run_orders(
        dir.path(),
        to_broker,
        false,
        Some((
            5000,
            Box::new(move || {
                restart
                    .lock()
                    .unwrap()
                    .restart()
                    .expect("restart mosquitto")
            }),
        )),
    );
    assert_eq!(summary.flows[0].written, COUNT);

    let seen = receive_orders(&broker.lock().unwrap(), &(0..COUNT).collect::<Vec<_>>());
    assert_eq!(seen.len() as u64, COUNT);
}

#[test]
fn a_broker_that_is_gone_is_a_transient_error_that_names_the_target() {
    let mut broker = Mosquitto::start().expect("mosquitto");
    let io = io_threads();
    let mut options = orders_at_least_once();
    options.ack_timeout = Duration::from_secs(1);
    let mut target: MqttTarget<Order> = MqttTarget::connect(
        "line_orders",
        &connection(&broker, "line3-orders"),
        options,
        io.handle(),
    )
    .unwrap();
    broker.kill();
    target.write(&order_of(1)).unwrap().unwrap();
    let error = target.flush().expect_err("no broker acknowledges");
    let text = error.to_string();
    assert!(target.is_transient(&error), "{text}");
    // Worded as the peer's failure, for the operator: not as a bug of the compiler.
    assert!(text.contains("line_orders"), "{text}");
    assert!(!text.contains("bug in the fdi compiler"), "{text}");
}

/// IO threads of a program, which a test can end as a crash would.
fn io_threads() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// A target publishing to `plant/orders` at QoS 1.
fn orders_at_least_once() -> MqttTargetOptions {
    MqttTargetOptions::new(
        TopicTemplate::parse("plant/orders").unwrap(),
        MqttQos::AtLeastOnce,
    )
}
