//! A generated service from a real PostgreSQL table to a real broker (both started by
//! `fdi-peers`): 10,000 work orders of an ERP table are published to their lines' topics, each
//! once with the values computed here from the rows; the program stops on SIGTERM with exit 0;
//! started again after 100 new orders, it publishes exactly those 100 (it resumes from its
//! stored watermark).

mod support;

use std::path::Path;

use fdi_peers::{Mosquitto, MqttClient, Postgres, QoS};
use support::service::{broker_settings, database_settings, Service};

/// Work order `id` as the ERP's table holds it: (order_no, line, quantity). Every 100th has a
/// quantity of 0 and is filtered by the mapping.
fn order(id: i64) -> (String, String, i64) {
    let line = format!("L{}", id % 4 + 1);
    let quantity = if id % 100 == 0 { 0 } else { id % 500 + 1 };
    (format!("WO-{id:06}"), line, quantity)
}

fn psql(server: &Postgres, sql: &str) {
    support::service::psql(server, &["-c", sql]);
}

/// Inserts orders `from..=to` computed by SQL with the same rule as [`order`].
fn insert_orders(server: &Postgres, from: i64, to: i64) {
    psql(
        server,
        &format!(
            "INSERT INTO work_orders (id, order_no, line, quantity) \
             SELECT i, 'WO-' || lpad(i::text, 6, '0'), 'L' || (i % 4 + 1), \
                    CASE WHEN i % 100 = 0 THEN 0 ELSE i % 500 + 1 END \
             FROM generate_series({from}, {to}) AS i"
        ),
    );
}

/// The messages a line terminal should receive for orders `from..=to`: (topic, JSON).
fn expected(from: i64, to: i64) -> Vec<(String, serde_json::Value)> {
    (from..=to)
        .map(order)
        .filter(|(_, _, quantity)| *quantity > 0)
        .map(|(order_no, line, quantity)| {
            let topic = format!("plant/{line}/orders");
            let message = serde_json::json!({
                "order_no": order_no,
                "line": line,
                "quantity": quantity,
                "batches": (quantity + 49) / 50,
            });
            (topic, message)
        })
        .collect()
}

fn received(client: &mut MqttClient, count: usize) -> Vec<(String, serde_json::Value)> {
    let mut messages: Vec<(String, serde_json::Value)> = client
        .receive(count)
        .into_iter()
        .map(|p| (p.topic.clone(), serde_json::from_slice(&p.payload).unwrap()))
        .collect();
    messages.sort_by(|a, b| a.1["order_no"].as_str().cmp(&b.1["order_no"].as_str()));
    messages
}

fn build_program(dir: &Path) -> std::path::PathBuf {
    let mapping =
        support::workspace_root().join("tests/programs/erp_orders_to_mqtt/erp_orders_to_mqtt.fdi");
    support::build(&mapping, &dir.join("crate"))
}

#[test]
fn work_orders_of_a_table_reach_their_lines_once_and_a_restart_resumes() {
    let database = Postgres::start().expect("PostgreSQL (install it with tests/peers/install)");
    let broker = Mosquitto::start_with_max_inflight(0).expect("mosquitto (tests/peers/install)");
    let scratch = tempfile::tempdir().unwrap();
    let binary = build_program(scratch.path());
    let dir = scratch.path().join("line");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("line.toml"),
        database_settings("erp", &database)
            + "
" + &broker_settings("line_broker", &broker, "line3")
            + "will_topic = \"plant/line3/fdi/status\"
will_retain = true
",
    )
    .unwrap();
    psql(
        &database,
        "CREATE TABLE work_orders (id bigint PRIMARY KEY, order_no text NOT NULL, line text NOT NULL, quantity bigint NOT NULL)",
    );
    insert_orders(&database, 1, 10_000);

    // The line terminal's session exists before the program publishes.
    let mut terminal = MqttClient::connect(&broker, "terminal", false);
    terminal.subscribe("plant/+/orders", QoS::AtLeastOnce);
    // The program's last will, from the line's settings: published only if it dies (a will after
    // a SIGTERM would come among the orders, which `received` reads as JSON).
    terminal.subscribe("plant/line3/fdi/status", QoS::AtLeastOnce);

    let first = Service::start(&binary, &dir);
    let want = expected(1, 10_000);
    assert_eq!(
        received(&mut terminal, want.len()),
        want,
        "each order once, on its line's topic"
    );
    let (code, summary) = first.stop();
    assert_eq!(code, 0, "SIGTERM drains and exits 0: {summary}");
    support::assert_balanced(&summary);
    let flow = support::flow(&summary, "publish");
    assert_eq!(
        (flow["read"].as_u64(), flow["filtered"].as_u64()),
        (Some(10_000), Some(100))
    );

    // 100 new orders while the program is down: the next start publishes those and no other.
    insert_orders(&database, 10_001, 10_100);
    let second = Service::start(&binary, &dir);
    let want = expected(10_001, 10_100);
    assert_eq!(received(&mut terminal, want.len()), want);
    let (code, summary) = second.stop();
    assert_eq!(code, 0);
    assert_eq!(
        support::flow(&summary, "publish")["read"].as_u64(),
        Some(100),
        "resumed from the stored watermark: {summary}"
    );

    // Killed once its target is connected: the broker publishes the will, retained.
    let third = Service::start(&binary, &dir);
    third.wait_for_log("connected to the MQTT broker");
    third.kill();
    let will = terminal.receive(1);
    assert_eq!(
        (will[0].topic.as_str(), &will[0].payload[..]),
        ("plant/line3/fdi/status", &b"offline"[..])
    );
    let mut later = MqttClient::connect(&broker, "dashboard", true);
    later.subscribe("plant/line3/fdi/status", QoS::AtLeastOnce);
    assert_eq!(&later.receive(1)[0].payload[..], b"offline", "retained");
}
