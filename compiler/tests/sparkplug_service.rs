//! A generated Sparkplug B host against an independent edge node (Eclipse Tahu's JavaScript
//! client, started by `fdi-peers`) through a real mosquitto into a real PostgreSQL
//! (`tests/programs/sparkplug_to_postgres/`). The edge node skips a sequence number; the program
//! must ask it for a rebirth (NCMD), which the node answers with new births. Every numeric metric
//! Tahu says it published is in the table with its value (aliases resolved from the births here,
//! independently of the runtime), every metric of another datatype is in the dead letter with
//! its reason, and SIGTERM drains and exits 0.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::process::Command;
use std::time::{Duration, Instant};

use fdi_peers::{
    DataMessage, EdgeNodePlan, Mosquitto, PlanMetric, Postgres, Published, SparkplugEdgeNode,
};
use serde_json::{json, Value};
use support::service::Service;

/// (edge_node, device, metric, message, seq) -> value.
type Rows = BTreeMap<(String, String, String, String, i64), f64>;

const NUMERIC: &[&str] = &[
    "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float", "Double",
];

/// (edge_node, device, metric, message, seq) -> value, for the numeric metrics Tahu published,
/// and how many metrics of other datatypes it published.
fn expected(published: &[Published]) -> (Rows, usize) {
    let mut rows = BTreeMap::new();
    let mut others = 0;
    // Per node or device topic: alias -> (name, datatype), from its births.
    let mut births: HashMap<String, HashMap<String, (String, String)>> = HashMap::new();
    for message in published {
        let parts: Vec<&str> = message.topic.split('/').collect();
        let (kind, node) = (parts[2], parts[3].to_string());
        let device = parts.get(4).map_or("-".to_string(), |d| d.to_string());
        let scope = format!("{node}/{device}");
        if !matches!(kind, "NBIRTH" | "DBIRTH" | "NDATA" | "DDATA") {
            continue;
        }
        let seq = number(&message.payload["seq"]) as i64;
        for metric in message.payload["metrics"].as_array().into_iter().flatten() {
            let alias = metric.get("alias").map(|a| number(a).to_string());
            let (name, datatype) = if kind.ends_with("BIRTH") {
                let named = (
                    metric["name"].as_str().unwrap().to_string(),
                    metric["type"].as_str().unwrap().to_string(),
                );
                if let Some(alias) = &alias {
                    births
                        .entry(scope.clone())
                        .or_default()
                        .insert(alias.clone(), named.clone());
                }
                named
            } else {
                match metric.get("name").and_then(Value::as_str) {
                    Some(name) => {
                        let born = births[&scope].values().find(|(n, _)| n == name).cloned();
                        born.unwrap_or_else(|| {
                            (
                                name.to_string(),
                                metric["type"].as_str().unwrap_or("").to_string(),
                            )
                        })
                    }
                    None => births[&scope][alias.as_ref().unwrap()].clone(),
                }
            };
            if NUMERIC.contains(&datatype.as_str()) {
                rows.insert(
                    (node.clone(), device.clone(), name, kind.to_string(), seq),
                    number(&metric["value"]),
                );
            } else {
                others += 1;
            }
        }
    }
    (rows, others)
}

/// A number Tahu's decoder gave as a number or, for 64-bit ones, as decimal text.
fn number(value: &Value) -> f64 {
    value
        .as_f64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_else(|| panic!("not a number: {value}"))
}

fn stored(server: &Postgres) -> Rows {
    let output = Command::new("psql")
        .arg(server.connection_string())
        .args([
            "-At",
            "-F",
            "|",
            "-c",
            "SELECT edge_node, device, metric, message, seq, value FROM measurements",
        ])
        .output()
        .expect("psql (install it with tests/peers/install)");
    if !output.status.success() {
        return BTreeMap::new();
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split('|').collect();
            (
                (
                    f[0].into(),
                    f[1].into(),
                    f[2].into(),
                    f[3].into(),
                    f[4].parse().unwrap(),
                ),
                f[5].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_sequence_gap_gets_a_rebirth_and_every_numeric_metric_reaches_the_table() {
    let database = Postgres::start().expect("PostgreSQL (install it with tests/peers/install)");
    let broker = Mosquitto::start_with_max_inflight(0).expect("mosquitto (tests/peers/install)");
    let scratch = tempfile::tempdir().unwrap();
    let mapping = support::workspace_root()
        .join("tests/programs/sparkplug_to_postgres/sparkplug_to_postgres.fdi");
    let binary = support::build(&mapping, &scratch.path().join("crate"));
    let dir = scratch.path().join("line");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("line.toml"),
        format!(
            "[connections.plant_broker]\nhost = \"127.0.0.1\"\nport = {}\nclient_id = \"host1\"\n\n\
             [connections.mes]\nhost = \"127.0.0.1\"\nport = {}\nusername = \"{}\"\ndatabase = \"{}\"\ntls = \"disable\"\n",
            broker.port(), database.port(), database.user(), database.database()
        ),
    )
    .unwrap();
    let service = Service::start(&binary, &dir);
    service.wait_subscribed();

    let plan = EdgeNodePlan::new("plant1", "line3")
        .qos(1)
        .node_metric(PlanMetric::new("Cycle count", "UInt64", json!("12")).alias(1))
        .device(
            "mill1",
            vec![
                PlanMetric::new("Spindle speed", "Double", json!(1200.5)).alias(2),
                PlanMetric::new("State", "String", json!("RUNNING")),
            ],
        )
        .data(DataMessage::node(vec![("Cycle count", json!("13"))]))
        .data(DataMessage::device(
            "mill1",
            vec![("Spindle speed", json!(1250.0)), ("State", json!("IDLE"))],
        ))
        .data(DataMessage::node(vec![("Cycle count", json!("14"))]))
        .data(DataMessage::wait_for_rebirth())
        .data(DataMessage::device(
            "mill1",
            vec![("Spindle speed", json!(980.25))],
        ))
        .data(DataMessage::node(vec![("Cycle count", json!("15"))]))
        .skip_seq_before(2);
    let mut node = SparkplugEdgeNode::start(broker.port(), &plan)
        .expect("Tahu's edge node (tests/peers/install)");
    let births = node
        .wait_for_rebirth()
        .expect("the program asks for a rebirth after the gap");
    assert!(
        births.iter().any(|b| b.message_type() == "NBIRTH"),
        "{births:?}"
    );
    let published = node
        .wait_until_published_all()
        .expect("the edge node publishes the rest")
        .to_vec();

    let (rows, others) = expected(&published);
    // Births twice (before and after the rebirth), data before and after the gap.
    assert!(rows.len() >= 8 && others >= 4, "{rows:?} {others}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while stored(&database).len() < rows.len() {
        assert!(
            Instant::now() < deadline,
            "{} of {} rows after 60 s",
            stored(&database).len(),
            rows.len()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let (code, summary) = service.stop();
    assert_eq!(code, 0, "SIGTERM drains and exits 0: {summary}");
    support::assert_balanced(&summary);
    assert_eq!(
        stored(&database),
        rows,
        "every numeric metric with its value"
    );

    let dead = support::read_jsonl(&dir.join("dead-letter.jsonl"));
    let decode_rejects = dead.iter().filter(|d| d["stage"] == "decode").count();
    assert_eq!(
        decode_rejects, others,
        "each String or Boolean metric is a decode reject: {dead:?}"
    );
    assert!(
        dead.iter()
            .all(|d| d["reason"] == "record does not match SparkplugMetric"),
        "{dead:?}"
    );
}
