//! The example `examples/machines-to-mes/` end to end: the real OKUMA recording, replayed by the
//! example's script as the plan of Eclipse Tahu's JavaScript edge node, through a real mosquitto
//! into a real PostgreSQL. The expected MES rows are computed here from the SHDR recording with a
//! parser of this test's own (not the script's), and the master data; the tables must hold
//! exactly them, nothing may be dead-lettered (also when the node's death overtakes its last
//! data), and SIGTERM drains and exits 0.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use fdi_peers::{EdgeNodePlan, Mosquitto, Postgres, SparkplugEdgeNode};
use support::service::{broker_settings, database_settings, Service};

const EQUIPMENT: &str = "EQ-LATHE-0042";
const WORK_CENTER: &str = "WC-310";

/// What the recording says, as the MES tables should hold it.
#[derive(Default, Debug)]
struct Expected {
    /// since -> (state, execution)
    states: BTreeMap<String, (String, String)>,
    /// counted_at -> part count
    counts: BTreeMap<String, i64>,
    /// (condition, since) -> (level, alarm class, active)
    conditions: BTreeMap<(String, String), (String, String, bool)>,
}

/// An adapter timestamp (`2022-08-08T13:51:34.7167146Z`) to the millisecond, as Sparkplug
/// carries it: `2022-08-08T13:51:34.716Z`.
fn millis(timestamp: &str) -> String {
    let (seconds, fraction) = timestamp.trim_end_matches('Z').split_once('.').unwrap();
    format!("{seconds}.{}Z", &fraction[..3])
}

fn expected(root: &Path) -> Expected {
    let shdr =
        std::fs::read_to_string(root.join("data/okuma_shdr_2022-08-08.txt")).expect("recording");
    // Condition item -> (description, alarm class), from the MES master data.
    let master = std::fs::read_to_string(root.join("master/conditions.csv")).unwrap();
    let mut classes = BTreeMap::new();
    for row in csv::Reader::from_reader(master.as_bytes()).records() {
        let row = row.unwrap();
        let item = row[0].trim_start_matches("Conditions/").to_string();
        classes.insert(item, (row[2].to_string(), row[1].to_string()));
    }
    let mut out = Expected::default();
    for line in shdr.lines() {
        let fields: Vec<&str> = line.split('|').collect();
        if fields.len() < 3 || !fields[0].starts_with("20") || fields[1].starts_with('@') {
            continue;
        }
        let at = millis(fields[0]);
        let mut rest = &fields[1..];
        while let [key, tail @ ..] = rest {
            // A condition carries level, native code, severity, qualifier and message.
            let width = if *key == "system" || key.ends_with("_cond") {
                5
            } else {
                1
            };
            let value = tail.first().copied().unwrap_or("");
            rest = &tail[width.min(tail.len())..];
            if value == "UNAVAILABLE" {
                continue;
            }
            match *key {
                "pexecution" => {
                    let state = match value {
                        "ACTIVE" => "RUNNING",
                        "READY" | "PROGRAM_COMPLETED" => "IDLE",
                        "WAIT" => "WAITING",
                        _ => "STOPPED",
                    };
                    out.states.insert(at.clone(), (state.into(), value.into()));
                }
                "ppartcount" => {
                    out.counts.insert(at.clone(), value.parse().unwrap());
                }
                key if width == 5 => {
                    let item = key.strip_suffix("_cond").unwrap_or(key);
                    let (description, class) = classes[item].clone();
                    out.conditions.insert(
                        (description, at.clone()),
                        (value.to_string(), class, value != "NORMAL"),
                    );
                }
                _ => {}
            }
        }
    }
    out
}

/// The rows of `query` as `|`-separated lines, sorted; empty while the table does not exist.
fn rows(database: &Postgres, query: &str) -> BTreeSet<String> {
    let output = Command::new("psql")
        .arg(database.connection_string())
        .args(["-At", "-F", "|", "-c", query])
        .output()
        .expect("psql (install it with tests/peers/install)");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// A `timestamptz` column in UTC to the millisecond, as the expectation writes it.
fn ms(column: &str) -> String {
    format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")
}

#[test]
fn the_recorded_machine_reaches_the_mes_tables() {
    let root = support::workspace_root().join("examples/machines-to-mes");
    let want = expected(&root);
    assert!(
        want.states.len() >= 10 && want.counts.len() >= 5 && want.conditions.len() >= 30,
        "the recording has states, counts and conditions: {want:?}"
    );

    let database = Postgres::start().expect("PostgreSQL (install it with tests/peers/install)");
    let broker = Mosquitto::start().expect("mosquitto (tests/peers/install)");
    let scratch = tempfile::tempdir().unwrap();
    let binary = support::build(
        &root.join("machines_to_mes.fdi"),
        &scratch.path().join("crate"),
    );
    let dir = scratch.path().join("line");
    support::copy_dir(&root.join("master"), &dir.join("master"));
    std::fs::write(
        dir.join("line.toml"),
        broker_settings("plant_broker", &broker, "mes-host")
            + "
" + &database_settings("mes", &database),
    )
    .unwrap();
    // Acknowledged every 2 s, the program holds mosquitto's whole window of 20 unacknowledged
    // messages while the node publishes, so the broker queues the rest of its data.
    let service = Service::start_checkpointing(&binary, &dir, &dir, "2s");
    service.wait_all_subscribed(3);

    // The edge node's plan, as the example's README makes it.
    let plan = Command::new("python3")
        .arg(root.join("data/shdr_to_plan.py"))
        .arg(root.join("data/okuma_shdr_2022-08-08.txt"))
        .output()
        .expect("python3");
    assert!(plan.status.success(), "{plan:?}");
    let plan: EdgeNodePlan = serde_json::from_slice(&plan.stdout).unwrap();
    let mut node = SparkplugEdgeNode::start(broker.port(), &plan)
        .expect("Tahu's edge node (tests/peers/install)");
    node.wait_until_published_all()
        .expect("the edge node publishes the recording");
    // Its NDEATH goes out now, while the broker still queues data for the program: Tahu's will
    // is QoS 0 and overtakes that QoS 1 data, which is still read, since it continues the
    // node's sequence.
    node.stop().expect("the edge node stops");

    let states_query = format!(
        "SELECT equipment_id, {}, state, execution, work_center, edge_node FROM machine_states",
        ms("since")
    );
    let counts_query = format!(
        "SELECT equipment_id, {}, part_count, work_center FROM part_counts",
        ms("counted_at")
    );
    let conditions_query = format!(
        "SELECT equipment_id, condition, {}, level, alarm_class, active FROM machine_conditions",
        ms("since")
    );
    let want_states: BTreeSet<String> = want
        .states
        .iter()
        .map(|(at, (state, execution))| {
            format!("{EQUIPMENT}|{at}|{state}|{execution}|{WORK_CENTER}|okuma-gw")
        })
        .collect();
    let want_counts: BTreeSet<String> = want
        .counts
        .iter()
        .map(|(at, count)| format!("{EQUIPMENT}|{at}|{count}|{WORK_CENTER}"))
        .collect();
    let want_conditions: BTreeSet<String> = want
        .conditions
        .iter()
        .map(|((condition, at), (level, class, active))| {
            let active = if *active { "t" } else { "f" };
            format!("{EQUIPMENT}|{condition}|{at}|{level}|{class}|{active}")
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let complete = rows(&database, &states_query).len() == want_states.len()
            && rows(&database, &counts_query).len() == want_counts.len()
            && rows(&database, &conditions_query).len() == want_conditions.len();
        if complete || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let (code, summary) = service.stop();
    assert_eq!(code, 0, "SIGTERM drains and exits 0: {summary}");
    support::assert_balanced(&summary);
    // Every reading written once; the births' null metrics (nothing known yet) filtered.
    for (flow, rows) in [
        ("state", want_states.len()),
        ("count", want_counts.len()),
        ("condition", want_conditions.len()),
    ] {
        assert_eq!(support::flow(&summary, flow)["written"], rows, "{summary}");
    }

    assert_eq!(rows(&database, &states_query), want_states);
    assert_eq!(rows(&database, &counts_query), want_counts);
    assert_eq!(rows(&database, &conditions_query), want_conditions);
    let dead = dir.join("dead-letter.jsonl");
    let rejected = support::read_jsonl(&dead);
    assert!(rejected.is_empty(), "nothing is rejected: {rejected:?}");
}
