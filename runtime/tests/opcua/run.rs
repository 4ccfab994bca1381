//! A whole run (`Run::drive`) of test limits from a file into OPC UA nodes through
//! `Run::opcua_target`, the connection from the deployment settings: the nodes hold the last limits
//! of each station, a station without nodes is dead-lettered with its original, and the counts
//! balance.

use fdi_peers::opcua::OpcuaImplementation;
use fdi_runtime::serde::{Deserialize, Serialize};
use fdi_runtime::serde_json::{self, json, Value};
use fdi_runtime::{
    FlowId, MapOutcome, OpcuaWrites, ProgramInfo, RawRecord, Run, RunConfig, Settings,
};

use super::*;

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
    let config_file = dir.path().join("line.toml");
    std::fs::write(
        &config_file,
        format!(
            "[connections.cell]\nendpoint_url = \"{}\"\nsecurity_mode = \"None\"\n",
            server.endpoint_url()
        ),
    )
    .expect("config written");
    let mut config = RunConfig {
        base_dir: dir.path().to_path_buf(),
        ..RunConfig::new(&PROGRAM)
    };
    config.settings =
        Settings::load(Some(&config_file), &["cell"], Vec::new()).unwrap_or_else(|e| panic!("{e}"));
    let mut run = Run::new(&PROGRAM, config).unwrap_or_else(|e| panic!("{e}"));
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

#[test]
fn limits_into_nodes_of_asyncua() {
    limits_into_nodes(OpcuaImplementation::Asyncua);
}

#[test]
fn limits_into_nodes_of_node_opcua() {
    limits_into_nodes(OpcuaImplementation::NodeOpcua);
}
