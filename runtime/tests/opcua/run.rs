//! Whole runs (`Run::drive`) with the connection from the deployment settings: test limits from a
//! file into OPC UA nodes through `Run::opcua_target` (the nodes hold the last limits of each
//! station, a station without nodes is dead-lettered with its original, the counts balance), and a
//! subscription through `Run::opcua_source` into a file (a Bad status decodes as a Bad quality).

use fdi_peers::opcua::OpcuaImplementation;
use fdi_runtime::serde::{Deserialize, Serialize};
use fdi_runtime::serde_json::{self, json, Value};
use fdi_runtime::{
    FlowId, MapOutcome, OpcuaWrites, ProgramInfo, RawRecord, Run, RunConfig, Settings,
};

use super::*;

const SAMPLES: ProgramInfo = ProgramInfo {
    mapping: "speed_to_history",
    version: "0.1.0",
    mapping_dir: None,
    dead_letter: "out/dead-letter.jsonl",
    service: true,
    sources: &["spindle"],
    lookups: &[],
    connections: &["cell"],
    manifest: &fdi_runtime::Manifest::UNKNOWN,
};

const PROGRAM: ProgramInfo = ProgramInfo {
    mapping: "limits_to_plc",
    version: "0.1.0",
    mapping_dir: None,
    dead_letter: "out/dead-letter.jsonl",
    service: false,
    sources: &["limits"],
    lookups: &[],
    connections: &["cell"],
    manifest: &fdi_runtime::Manifest::UNKNOWN,
};

/// A station's test limits, as the file has them and the target writes them.
#[derive(Debug, Serialize, Deserialize)]
#[serde(crate = "fdi_runtime::serde")]
struct Limits {
    station: i64,
    upper: f64,
    lower: f64,
}

fn copy_limits(flow: FlowId<Limits>) -> impl FnMut(&mut Run, &RawRecord) -> Result<(), RunError> {
    move |run, raw| {
        if let Some(limits) = run.decode::<Limits>(raw, "Limits")? {
            run.deliver(flow, raw, MapOutcome::Mapped(limits))?;
        }
        Ok(())
    }
}

/// A run of `program` in `dir` whose connection `cell` reaches `server` without security.
fn start_run(program: &ProgramInfo, dir: &std::path::Path, server: &OpcuaServer) -> Run {
    let config_file = dir.join("line.toml");
    std::fs::write(
        &config_file,
        format!(
            "[connections.cell]\nendpoint_url = \"{}\"\nsecurity_mode = \"None\"\n",
            server.endpoint_url()
        ),
    )
    .expect("config written");
    let mut config = RunConfig {
        base_dir: dir.to_path_buf(),
        checkpoint_every: 1,
        ..RunConfig::new(program)
    };
    config.settings =
        Settings::load(Some(&config_file), &["cell"], Vec::new()).unwrap_or_else(|e| panic!("{e}"));
    Run::new(program, config).unwrap_or_else(|e| panic!("{e}"))
}

/// A spindle speed sample as an entity with `speed: { type: float, quality: true }` reads it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(crate = "fdi_runtime::serde")]
struct Sample {
    node_id: String,
    value: Option<f64>,
    value_quality: fdi_runtime::Quality,
    sequence: u64,
}

/// Samples until the third, then the map function stops the run (a service never ends by itself).
fn samples_into_file(implementation: OpcuaImplementation) {
    let mut server = server(implementation);
    server
        .set("Machine.Spindle.Speed", json!(1200.5))
        .unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut run = start_run(&SAMPLES, dir.path(), &server);
    let node = server.node_id("Machine.Spindle.Speed");
    let source = run
        .opcua_source(
            "spindle",
            "cell",
            &fdi_runtime::OpcuaSubscription {
                nodes: &[node.as_str()],
                browse_paths: &[],
                browse_path_namespaces: &[],
                sampling_interval: Duration::ZERO,
                publishing_interval: Duration::from_millis(50),
                queue_size: 100,
                deadband: None,
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let target = run
        .jsonl_target::<Sample>("history", "out/history.jsonl")
        .unwrap_or_else(|e| panic!("{e}"));
    let flow = run.flow("samples", "spindle", target);
    let (sampled, samples) = std::sync::mpsc::channel::<()>();
    let mut mapped = 0;
    run.source(source, move |run: &mut Run, raw: &RawRecord| {
        if let Some(sample) = run.decode::<Sample>(raw, "Sample")? {
            run.deliver(flow, raw, MapOutcome::Mapped(sample))?;
            mapped += 1;
            let _ = sampled.send(());
            if mapped == 3 {
                return Err(RunError::Usage("the test has its samples".into()));
            }
        }
        Ok(())
    });
    let changer = std::thread::spawn(move || {
        // Each change waits for the sample before it, so that none is coalesced with another.
        samples.recv().expect("the initial sample");
        server
            .set_status("Machine.Spindle.Speed", "BadSensorFailure")
            .unwrap_or_else(|e| panic!("{e}"));
        samples.recv().expect("the Bad sample");
        server
            .set("Machine.Spindle.Speed", json!(1300.25))
            .unwrap_or_else(|e| panic!("{e}"));
        server
    });
    let ended = run.drive().expect_err("the map function stops the run");
    assert!(
        ended.to_string().contains("the test has its samples"),
        "{ended}"
    );
    let _server = changer.join().expect("changer");
    let history: Vec<Value> = std::fs::read_to_string(dir.path().join("out/history.jsonl"))
        .expect("the history")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    let seen: Vec<(Value, Value)> = history
        .iter()
        .map(|s| (s["value"].clone(), s["value_quality"].clone()))
        .collect();
    assert_eq!(
        seen[..2],
        [(json!(1200.5), json!("GOOD")), (Value::Null, json!("BAD")),],
        "{history:?}"
    );
    assert!(history.iter().all(|s| s["node_id"] == node.as_str()));
}

against_both!(
    samples_into_file_from_asyncua,
    samples_into_file_from_node_opcua,
    samples_into_file
);

fn limits_into_nodes(implementation: OpcuaImplementation) {
    let mut server = server(implementation);
    let dir = tempfile::tempdir().expect("temporary folder");
    let limits = [
        json!({"station": 1, "upper": 10.5, "lower": 1.25}),
        json!({"station": 2, "upper": 20.0, "lower": -2.5}),
        json!({"station": 7, "upper": 1.0, "lower": 0.0}),
        json!({"station": 1, "upper": 11.75, "lower": 1.5}),
        json!({"station": 3, "upper": 30.25, "lower": 3.0}),
    ];
    let lines: String = limits.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.path().join("limits.jsonl"), lines).expect("limits written");
    let mut run = start_run(&PROGRAM, dir.path(), &server);
    let ns = server.namespace_index();
    let (upper, lower) = (
        format!("ns={ns};s=Station{{station}}.UpperLimit"),
        format!("ns={ns};s=Station{{station}}.LowerLimit"),
    );
    let writes = [("upper", upper.as_str()), ("lower", lower.as_str())];
    let source = run
        .jsonl_source("limits", "limits.jsonl")
        .unwrap_or_else(|e| panic!("{e}"));
    let target = run
        .opcua_target::<Limits>(
            "plc",
            "cell",
            &OpcuaWrites {
                writes: &writes,
                read_back: true,
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let flow = run.flow("limits", "limits", target);
    run.source(source, copy_limits(flow));
    run.drive().unwrap_or_else(|e| panic!("{e}"));
    let summary = run.summary();
    let flow = &summary.flows[0];
    assert_eq!((flow.read, flow.written, flow.rejected), (5, 4, 1));
    assert!(flow.balanced);

    for (station, upper, lower) in [(1, 11.75, 1.5), (2, 20.0, -2.5), (3, 30.25, 3.0)] {
        let mut read = |node: String| server.read(&node).unwrap_or_else(|e| panic!("{e}")).value;
        // Compared as numbers: JavaScript writes 20.0 as 20.
        assert_eq!(
            read(format!("Station{station}.UpperLimit")).as_f64(),
            Some(upper)
        );
        assert_eq!(
            read(format!("Station{station}.LowerLimit")).as_f64(),
            Some(lower)
        );
    }
    let dead_letter: Vec<Value> = std::fs::read_to_string(dir.path().join("out/dead-letter.jsonl"))
        .expect("a dead letter")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert_eq!(dead_letter.len(), 1, "{dead_letter:?}");
    let rejected = &dead_letter[0];
    assert_eq!(rejected["record"], limits[2], "{rejected}");
    assert_eq!(rejected["reason"], "node cannot be written", "{rejected}");
    assert!(
        rejected["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Station7.UpperLimit")),
        "{rejected}"
    );
}

against_both!(
    limits_into_nodes_of_asyncua,
    limits_into_nodes_of_node_opcua,
    limits_into_nodes
);
