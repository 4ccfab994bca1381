//! Compile-time typing and run-time values agree: the asyncua test server serves the OPC
//! Foundation's MachineTool example (its five NodeSets imported), and the program
//! `tests/programs/opcua_machine_tool_model/`, whose browse paths, DataTypes and units `fdi check`
//! checked against the same NodeSets, subscribes to them. The test sets values by node id and
//! expects each in the program's output as the type its field was checked to be, from the node
//! the NodeSet names for that browse path (the ids are the example's, read off
//! `MachineTool_Machinetool-Example.csv`), and the server to hold the EngineeringUnits (percent)
//! the overrides' `float[%]` was checked against. The namespace table the mapping states must be
//! the server's; a path written without namespace indices reaches the same node.

use std::path::Path;

use fdi_peers::opcua::OpcuaServer;
use serde_json::{json, Value};

use crate::support::service::{build_test_program, wait_for_count, Service};
use crate::support::{assert_balanced, flow as flow_of, workspace_root};

const EXAMPLE: &str = "http://yourorganisation.org/MachineTool-Example/";
/// The server's namespace table from index 1, as the mapping's `namespaces:` states it.
const SERVER_NAMESPACES: [&str; 7] = [
    "urn:fdi:test:asyncua",
    "urn:fdi:test",
    "http://opcfoundation.org/UA/DI/",
    "http://opcfoundation.org/UA/IA/",
    "http://opcfoundation.org/UA/Machinery/",
    "http://opcfoundation.org/UA/MachineTool/",
    EXAMPLE,
];
/// The NodeSets in the order they depend on each other.
const MODELS: [&str; 5] = [
    "DI_Opc.Ua.Di.NodeSet2.xml",
    "IA_Opc.Ua.IA.NodeSet2.xml",
    "Machinery_Opc.Ua.Machinery.NodeSet2.xml",
    "MachineTool_Opc.Ua.MachineTool.NodeSet2.xml",
    "MachineTool_Machinetool-Example.xml",
];

/// Spindel1/Override, also read by a path without namespace indices.
const SPINDLE_OVERRIDE: u32 = 6070;

/// Each monitored variable: the output file, the numeric id the example's CSV gives the node
/// the browse path names, the field holding the value, and the values the test sets.
struct Variable {
    output: &'static str,
    id: u32,
    field: &'static str,
    values: Vec<Value>,
}

fn variables() -> Vec<Variable> {
    vec![
        // Spindel1/Override and Channel1/FeedOverride: Double, in percent.
        Variable {
            output: "overrides",
            id: 6070,
            field: "percent",
            values: vec![json!(42.5), json!(110.0)],
        },
        Variable {
            output: "overrides",
            id: 6063,
            field: "percent",
            values: vec![json!(80.25), json!(100.0)],
        },
        // Channel1/ChannelState: the enumeration ChannelState, an Int32 on the wire.
        Variable {
            output: "channel",
            id: 6062,
            field: "state",
            values: vec![json!(1), json!(2), json!(0)],
        },
        // Spindel1/IsRotating: Boolean.
        Variable {
            output: "rotation",
            id: 6067,
            field: "rotating",
            values: vec![json!(true), json!(false)],
        },
        // Production/ActiveProgram/Name: String.
        Variable {
            output: "program",
            id: 6005,
            field: "name",
            values: vec![json!("O1234"), json!("O5678")],
        },
    ]
}

/// The GOOD records of `output` whose node id is the example's `id` on the server.
fn records(dir: &Path, output: &str, example_index: usize, id: u32) -> Vec<Value> {
    let path = dir.join(format!("out/{output}.jsonl"));
    if !path.exists() {
        return Vec::new();
    }
    let text = std::fs::read_to_string(&path).unwrap();
    let whole = &text[..text.rfind('\n').map_or(0, |end| end + 1)];
    let node_id = format!("ns={example_index};i={id}");
    whole
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("a JSON line"))
        .filter(|r| r["node_id"] == node_id.as_str() && r["quality"] == "GOOD")
        .collect()
}

#[test]
fn a_program_checked_against_the_machine_tool_nodesets_reads_what_they_promise() {
    let models = workspace_root().join("examples/spindle-to-historian/models");
    let nodesets: Vec<_> = MODELS.iter().map(|m| models.join(m)).collect();
    let mut server = OpcuaServer::start_with_models(&nodesets)
        .unwrap_or_else(|e| panic!("{e} (install it with tests/peers/install)"));
    assert_eq!(
        &server.namespaces()[1..],
        SERVER_NAMESPACES,
        "the server numbers the namespaces as the mapping's `namespaces:` says"
    );
    let mapping = std::fs::read_to_string(
        workspace_root()
            .join("tests/programs/opcua_machine_tool_model/opcua_machine_tool_model.fdi"),
    )
    .unwrap();
    let stated: Vec<String> = SERVER_NAMESPACES.iter().map(|u| format!("{u:?}")).collect();
    assert!(
        mapping.contains(&format!("namespaces: [{}]", stated.join(", "))),
        "the mapping states the server's namespace table"
    );
    let example_index = SERVER_NAMESPACES
        .iter()
        .position(|u| *u == EXAMPLE)
        .unwrap()
        + 1;

    // What the checker promised for the overrides' `float[%]`: the server's EngineeringUnits
    // are UNECE P1, percent.
    for id in [6070, 6063] {
        let (uri, unit_id, name) = server
            .engineering_units(&format!("nsu={EXAMPLE};i={id}"))
            .unwrap();
        assert_eq!(
            (uri.as_str(), unit_id, name.as_str()),
            (
                "http://www.opcfoundation.org/UA/units/un/cefact",
                20529,
                "%"
            ),
            "i={id}"
        );
    }

    let binary = build_test_program("opcua_machine_tool_model");
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    std::fs::write(
        dir.join("line.toml"),
        format!(
            "[connections.machine_tool]\nendpoint_url = \"{}\"\nsecurity_mode = \"None\"\nsecurity_policy = \"None\"\n",
            server.endpoint_url()
        ),
    )
    .unwrap();
    let service = Service::start(&binary, dir);
    service.wait_for_logs("subscribed source=", 5);

    let variables = variables();
    for variable in &variables {
        for value in &variable.values {
            let node_id = format!("nsu={EXAMPLE};i={}", variable.id);
            let held = server.set_node(&node_id, value.clone()).unwrap();
            assert_eq!(&held.value, value, "{node_id}");
            // Each value its own data change: the next is set once this one is out.
            wait_for_count(&format!("{node_id} = {value}"), 1, || {
                records(dir, variable.output, example_index, variable.id)
                    .iter()
                    .filter(|r| &r[variable.field] == value)
                    .count()
            });
            if variable.id == SPINDLE_OVERRIDE {
                wait_for_count(
                    &format!("{node_id} = {value}, by the readable path"),
                    1,
                    || {
                        records(dir, "readable", example_index, variable.id)
                            .iter()
                            .filter(|r| &r[variable.field] == value)
                            .count()
                    },
                );
            }
        }
    }
    let (code, summary) = service.stop();
    assert_eq!(code, 0, "{summary}");
    assert_balanced(&summary);

    for variable in &variables {
        let got = records(dir, variable.output, example_index, variable.id);
        // The value the subscription reported first (the node's initial value), then each set.
        let values: Vec<&Value> = got.iter().map(|r| &r[variable.field]).collect();
        assert_eq!(
            &values[values.len() - variable.values.len()..],
            variable.values.iter().collect::<Vec<_>>(),
            "i={}",
            variable.id
        );
        for record in &got {
            let value = &record[variable.field];
            let typed = match variable.field {
                // A Double arrives as a JSON float, always, as `float[%]` reads it.
                "percent" => value.is_f64(),
                "state" => value.is_i64(),
                "rotating" => value.is_boolean(),
                _ => value.is_string(),
            };
            assert!(typed, "i={}: {record}", variable.id);
            assert!(
                record["node"]
                    .as_str()
                    .unwrap()
                    .starts_with("/5:Machines/7:SampleMachineTool/"),
                "the record names the browse path: {record}"
            );
        }
    }
    // The path without namespace indices names the node the indexed one does: the compiler
    // found each name in one namespace, the program asked the server for its index.
    let readable = records(dir, "readable", example_index, SPINDLE_OVERRIDE);
    let values: Vec<&Value> = readable.iter().map(|r| &r["percent"]).collect();
    assert_eq!(&values[values.len() - 2..], [&json!(42.5), &json!(110.0)]);
    assert!(readable
        .iter()
        .all(|r| r["node"] == "/Machines/SampleMachineTool/Monitoring/Spindel1.Override"));
    for flow in [
        "overrides_to_history",
        "readable_to_history",
        "channel_to_history",
        "rotation_to_history",
        "program_to_history",
    ] {
        assert_eq!(flow_of(&summary, flow)["rejected"], 0, "{flow}: {summary}");
    }
}
