//! A generated Sparkplug B host against an independent edge node (Eclipse Tahu's JavaScript
//! client, started by `fdi-peers`) through a real mosquitto into a real PostgreSQL
//! (`tests/programs/sparkplug_to_postgres/`). The edge node publishes more than 10,000 numeric
//! metrics in NDATA and DDATA messages (by alias and by name, every numeric datatype) and some
//! of other datatypes, and skips a sequence number on the way; the program must ask it for a
//! rebirth (NCMD), which the node answers with new births. Every numeric metric Tahu says it
//! published is in the table once with its value and seq (aliases resolved from the births
//! here, independently of the runtime), every metric of another datatype is in the dead letter
//! with its reason, the gap and the rebirth request are counted at the metrics endpoint, and
//! SIGTERM drains and exits 0.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::process::Command;
use std::time::{Duration, Instant};

use fdi_peers::{
    DataMessage, EdgeNodePlan, Mosquitto, PlanMetric, Postgres, Published, SparkplugEdgeNode,
};
use serde_json::{json, Value};
use support::service::{broker_settings, database_settings, Service};

/// (edge_node, device, metric, message, time in ms) -> (seq, value).
type Rows = BTreeMap<(String, String, String, String, i64), (i64, f64)>;

const NUMERIC: &[&str] = &[
    "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float", "Double",
];

/// Rounds of data: each round is one NDATA and two DDATA with ten numeric metrics in all.
const ROUNDS: u64 = 1_020;
/// The round before whose first message the node skips a sequence number.
const GAP_ROUND: u64 = 400;
/// The data messages' timestamps: one millisecond apart from here (2026-05-28).
const FIRST_DATA_MILLIS: u64 = 1_780_000_000_000;

/// A metric's birth: its datatype, its value at birth, and whether data name it by alias.
struct Declared {
    name: &'static str,
    datatype: &'static str,
    alias: Option<u64>,
}

const fn declared(name: &'static str, datatype: &'static str, alias: Option<u64>) -> Declared {
    Declared {
        name,
        datatype,
        alias,
    }
}

const NODE_METRICS: &[Declared] = &[
    declared("Cycle count", "UInt64", Some(1)),
    declared("Power/Active", "Double", Some(2)),
    declared("Good parts", "Int32", None),
    declared("Door open", "Boolean", Some(3)),
];
const MILL_METRICS: &[Declared] = &[
    declared("Spindle speed", "Double", Some(10)),
    declared("Temperature", "Float", None),
    declared("Vibration", "Int16", Some(11)),
    declared("State", "String", None),
];
const PRESS_METRICS: &[Declared] = &[
    declared("Stroke count", "UInt32", Some(20)),
    declared("Force", "Int64", None),
    declared("Mode", "UInt8", Some(21)),
    declared("Die", "Int8", None),
    declared("Counter", "UInt16", Some(22)),
    declared("Last change", "DateTime", None),
];

/// The value of metric `name` in round `round` (exact in binary, so it compares exactly; 64-bit
/// integers as decimal text, the way Tahu takes them). Round 0 is the births' value.
fn value_in_round(name: &str, round: u64) -> Value {
    let r = round as i64;
    match name {
        "Cycle count" => json!((1_000_000_000_000 + r).to_string()),
        "Power/Active" => json!(r as f64 * 0.5 + 0.25),
        "Good parts" => json!(r * 3 - 700),
        "Door open" => json!(round.is_multiple_of(2)),
        "Spindle speed" => json!(1000.0 + (r % 400) as f64 * 0.125),
        "Temperature" => json!(20.0 + (r % 80) as f64 * 0.25),
        "Vibration" => json!((r * 37) % 60_000 - 30_000),
        "State" => json!(if round.is_multiple_of(3) {
            "IDLE"
        } else {
            "RUNNING"
        }),
        "Stroke count" => json!(3_000_000_000_u64 + round),
        "Force" => json!((-r * 1_000_003).to_string()),
        "Mode" => json!(r % 256),
        "Die" => json!(r % 256 - 128),
        "Counter" => json!((r * 7) % 65_536),
        "Last change" => json!((FIRST_DATA_MILLIS + round).to_string()),
        other => panic!("no metric {other}"),
    }
}

fn births(metrics: &[Declared]) -> Vec<PlanMetric> {
    metrics
        .iter()
        .map(|m| {
            let metric = PlanMetric::new(m.name, m.datatype, value_in_round(m.name, 0));
            match m.alias {
                Some(alias) => metric.alias(alias),
                None => metric,
            }
        })
        .collect()
}

/// The numeric metrics of `metrics` in every round, and the others now and then.
fn round_metrics(metrics: &[Declared], round: u64) -> Vec<(&'static str, Value)> {
    metrics
        .iter()
        .filter(|m| NUMERIC.contains(&m.datatype) || round % 50 == 7)
        .map(|m| (m.name, value_in_round(m.name, round)))
        .collect()
}

/// What the edge node publishes: births, `ROUNDS` rounds of data with a gap before round
/// `GAP_ROUND` and a wait for the rebirth three messages later.
fn plan() -> EdgeNodePlan {
    let mut plan = EdgeNodePlan::new("plant1", "line3")
        .qos(1)
        .device("mill1", births(MILL_METRICS))
        .device("press2", births(PRESS_METRICS));
    for metric in births(NODE_METRICS) {
        plan = plan.node_metric(metric);
    }
    let mut millis = FIRST_DATA_MILLIS;
    let mut next_millis = || {
        millis += 1;
        millis
    };
    for round in 1..=ROUNDS {
        if round == GAP_ROUND {
            let index = plan.data.len();
            plan = plan.skip_seq_before(index);
        }
        if round == GAP_ROUND + 1 {
            plan = plan.data(DataMessage::wait_for_rebirth());
        }
        plan = plan
            .data(DataMessage::node(round_metrics(NODE_METRICS, round)).at(next_millis()))
            .data(
                DataMessage::device("mill1", round_metrics(MILL_METRICS, round)).at(next_millis()),
            )
            .data(
                DataMessage::device("press2", round_metrics(PRESS_METRICS, round))
                    .at(next_millis()),
            );
    }
    plan
}

/// The numeric metrics Tahu published, by (edge_node, device, metric, message, time), and how
/// many metrics of other datatypes it published.
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
                let time = metric
                    .get("timestamp")
                    .unwrap_or(&message.payload["timestamp"]);
                let key = (node.clone(), device.clone(), name, kind.to_string());
                let key = (key.0, key.1, key.2, key.3, number(time) as i64);
                let previous = rows.insert(key.clone(), (seq, number(&metric["value"])));
                assert!(previous.is_none(), "two metrics published as {key:?}");
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

/// Runs `query` with psql and returns its rows, fields split at `|`; none if the table is
/// not there yet.
fn query(server: &Postgres, query: &str) -> Vec<Vec<String>> {
    let output = Command::new("psql")
        .arg(server.connection_string())
        .args(["-At", "-F", "|", "-c", query])
        .output()
        .expect("psql (install it with tests/peers/install)");
    if !output.status.success() {
        return Vec::new();
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| line.split('|').map(str::to_string).collect())
        .collect()
}

fn stored_count(server: &Postgres) -> usize {
    query(server, "SELECT count(*) FROM measurements")
        .first()
        .map_or(0, |row| row[0].parse().unwrap())
}

fn stored(server: &Postgres) -> Rows {
    query(
        server,
        "SELECT edge_node, device, metric, message, \
         (extract(epoch FROM measured_at) * 1000)::bigint, seq, value FROM measurements",
    )
    .into_iter()
    .map(|f| {
        (
            (
                f[0].clone(),
                f[1].clone(),
                f[2].clone(),
                f[3].clone(),
                f[4].parse().unwrap(),
            ),
            (f[5].parse().unwrap(), f[6].parse().unwrap()),
        )
    })
    .collect()
}

#[test]
fn ten_thousand_metrics_with_a_sequence_gap_and_a_rebirth_reach_the_table_once_each() {
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
        broker_settings("plant_broker", &broker, "host1")
            + "
" + &database_settings("mes", &database),
    )
    .unwrap();
    let service = Service::start_serving_metrics(&binary, &dir);
    service.wait_subscribed();

    let mut node = SparkplugEdgeNode::start(broker.port(), &plan())
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
    let data_rows = rows.keys().filter(|k| k.3.ends_with("DATA")).count();
    assert!(data_rows >= 10_000, "{data_rows} numeric data metrics");
    assert!(others >= 4 * 2, "{others} metrics of other datatypes");
    let deadline = Instant::now() + Duration::from_secs(300);
    while stored_count(&database) < rows.len() {
        assert!(
            Instant::now() < deadline,
            "{} of {} rows after 300 s",
            stored_count(&database),
            rows.len()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // The one gap was counted, and answered with one rebirth request, at the metrics endpoint.
    assert_eq!(
        service.metric(r#"fdi_sparkplug_sequence_gaps_total{source="metrics"}"#),
        1.0
    );
    assert_eq!(
        service.metric(r#"fdi_sparkplug_rebirth_requests_total{source="metrics"}"#),
        1.0
    );
    let (code, summary) = service.stop();
    assert_eq!(code, 0, "SIGTERM drains and exits 0: {summary}");
    support::assert_balanced(&summary);
    let table = stored(&database);
    let missing: Vec<_> = rows
        .iter()
        .filter(|(k, v)| table.get(k) != Some(v))
        .take(5)
        .collect();
    assert!(
        missing.is_empty(),
        "not in the table as published: {missing:?}"
    );
    assert_eq!(table.len(), rows.len(), "no row that Tahu did not publish");

    let dead = support::read_jsonl(&dir.join("dead-letter.jsonl"));
    let decode_rejects = dead.iter().filter(|d| d["stage"] == "decode").count();
    assert_eq!(
        decode_rejects, others,
        "each metric of another datatype is a decode reject: {dead:?}"
    );
    assert!(
        dead.iter().all(|d| d["reason"] == "not a number"),
        "{dead:?}"
    );
}
