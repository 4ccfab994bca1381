//! `fdi schema import` from OPC UA NodeSet2 files, through the `fdi` binary: the YAML it writes
//! for the MachineTool example and for a lathe whose variables have units (snapshots), and a
//! mapping made of the source declarations the YAML suggests checks against it, in a copy of
//! the models' folder. Wrong picks end in exit 1 with what is wrong and the closest there is.

use std::path::Path;

use crate::support::{copy_dir, fdi_in, workspace_root};

const MACHINE_TOOL: [&str; 5] = [
    "models/MachineTool_Machinetool-Example.xml",
    "models/MachineTool_Opc.Ua.MachineTool.NodeSet2.xml",
    "models/Machinery_Opc.Ua.Machinery.NodeSet2.xml",
    "models/DI_Opc.Ua.Di.NodeSet2.xml",
    "models/IA_Opc.Ua.IA.NodeSet2.xml",
];

/// Runs `fdi schema import MODELS --entity ENTITY --pick ...` in `dir`: its exit code, standard
/// output and standard error.
fn import(dir: &Path, models: &[&str], entity: &str, picks: &[&str]) -> (i32, String, String) {
    let mut args = vec!["schema", "import"];
    args.extend(models);
    args.extend(["--entity", entity]);
    for pick in picks {
        args.extend(["--pick", pick]);
    }
    let output = fdi_in(dir, &args);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A mapping of the sources the YAML suggests (`# read with: source ...`), each copied by a
/// flow into a JSON Lines target of a plain entity of the same value type, written beside the
/// schema in `dir`; the codes `fdi check` reports for it.
fn check_suggested_mapping(dir: &Path, yaml: &str) -> Vec<String> {
    std::fs::write(dir.join("imported.yaml"), yaml).unwrap();
    let schema: serde_yaml::Value = serde_yaml::from_str(yaml).expect("the YAML parses");
    let entities = schema["entities"].as_mapping().expect("entities");
    let mut targets = String::from("entities:\n");
    let mut mapping = String::from(
        "mapping imported version \"1\"\n\nschema \"imported.yaml\"\nschema \"targets.yaml\"\n\n",
    );
    let declarations: Vec<&str> = yaml
        .lines()
        .filter_map(|l| l.trim().strip_prefix("# read with: "))
        .collect();
    assert_eq!(
        declarations.len(),
        entities.len(),
        "a declaration per entity"
    );
    for ((name, entity), declaration) in entities.iter().zip(&declarations) {
        let name = name.as_str().unwrap();
        let ty = entity["fields"]["value"]["type"].as_str().unwrap();
        targets.push_str(&format!(
            "  {name}Row:\n    fields:\n      node: string\n      value: \"{ty}?\"\n"
        ));
        let source = declaration
            .strip_prefix("source ")
            .and_then(|d| d.split_once(':'))
            .map(|(s, _)| s)
            .unwrap();
        mapping.push_str(&format!(
            "{}\ntarget {source}_rows: jsonl(\"out/{source}.jsonl\") as {name}Row\n\nflow copy_{source}: {source} -> {source}_rows delivery at_least_once_with_duplicates {{\n  node = node\n  value = value.value\n}}\n\n",
            declaration.replace("CONNECTION", "machine")
        ));
    }
    std::fs::write(dir.join("targets.yaml"), targets).unwrap();
    std::fs::write(dir.join("imported.fdi"), mapping).unwrap();
    let output = fdi_in(dir, &["check", "--format", "json", "imported.fdi"]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "fdi check reports JSON: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let mut codes: Vec<String> = Vec::new();
    collect_codes(&report, &mut codes);
    codes
}

/// Every `"code"` in a JSON report.
fn collect_codes(value: &serde_json::Value, codes: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("code", serde_json::Value::String(code)) => codes.push(code.clone()),
                    _ => collect_codes(v, codes),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_codes(v, codes)),
        _ => {}
    }
}

#[test]
fn machine_tool_picks_become_entities_that_check() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &workspace_root().join("examples/spindle-to-historian/models"),
        &dir.path().join("models"),
    );
    let (code, yaml, stderr) = import(
        dir.path(),
        &MACHINE_TOOL,
        "Spindle",
        &[
            // An object: its variables, of three types (a bool, a string, a Double in %).
            "/3:Machines/1:SampleMachineTool/2:Monitoring/1:Spindel1",
            // A variable by node id: an enumeration, an int.
            "nsu=http://yourorganisation.org/MachineTool-Example/;i=6062",
            // A Double in % by browse path: with the spindle's override.
            "/3:Machines/1:SampleMachineTool/2:Monitoring/1:Channel1.2:FeedOverride",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("machine_tool_spindle", yaml);
    let codes = check_suggested_mapping(dir.path(), &yaml);
    assert!(codes.is_empty(), "the suggested mapping checks: {codes:?}");
}

#[test]
fn units_of_a_lathe_become_field_units() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("models")).unwrap();
    std::fs::copy(
        workspace_root().join("tests/cases/connectors/nodesets/lathe.NodeSet2.xml"),
        dir.path().join("models/lathe.NodeSet2.xml"),
    )
    .unwrap();
    let (code, yaml, stderr) = import(
        dir.path(),
        &["models/lathe.NodeSet2.xml"],
        "LatheSpindle",
        &["/1:Lathe/1:Spindle"],
    );
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("lathe_spindle_units", yaml);
    // The conductivity is in siemens, which fdi does not know: a plain float, with E0706's
    // warning; every other node is in the unit its field declares.
    let codes = check_suggested_mapping(dir.path(), &yaml);
    assert_eq!(codes, ["fdi::E0706"], "only the unit fdi does not know");
}

#[test]
fn wrong_picks_say_what_is_there() {
    let example = workspace_root().join("examples/spindle-to-historian");
    let mut reports = Vec::new();
    let cases: [(&str, &[&str], &str); 5] = [
        (
            "a misspelt object",
            &MACHINE_TOOL,
            "/3:Machines/1:SampleMachineTool/2:Monitoring/1:Spindle1",
        ),
        ("a node id the model lacks", &MACHINE_TOOL, "ns=1;i=6700"),
        ("a structure", &MACHINE_TOOL, "ns=1;i=6065"),
        (
            "a path without the companion NodeSets",
            &MACHINE_TOOL[..1],
            "/3:Machines",
        ),
        (
            "a schema given as a model",
            &["schemas/historian.yaml"],
            "/3:Machines",
        ),
    ];
    for (what, models, pick) in cases {
        let (code, stdout, stderr) = import(&example, models, "Spindle", &[pick]);
        assert_eq!(code, 1, "{what}: exit 1");
        assert!(stdout.is_empty(), "{what}: nothing written");
        reports.push(format!("{what} ({pick}):\n{stderr}"));
    }
    insta::assert_snapshot!("wrong_picks", reports.join("\n"));
}

#[test]
fn names_two_namespaces_share_are_named_by_node_id() {
    let nodesets = workspace_root().join("tests/cases/connectors/nodesets");
    let models = ["lathe.NodeSet2.xml", "lathe-vendor.NodeSet2.xml"];
    // The spindle's variables: its two `Speed`s (the lathe's and its vendor's) by node id, the
    // others by a path without namespace indices.
    let (code, yaml, stderr) = import(&nodesets, &models, "Spindle", &["/1:Lathe/1:Spindle"]);
    assert_eq!(code, 0, "{stderr}");
    let references: Vec<&str> = yaml
        .lines()
        .filter_map(|l| l.trim().strip_prefix("# read with: "))
        .collect();
    let all = references.join("\n");
    assert!(
        all.contains("nodes: [\"nsu=urn:fdi:cases:lathe;s=Lathe.Spindle.Speed\"]"),
        "{all}"
    );
    assert!(
        all.contains("\"nsu=urn:fdi:cases:lathe-vendor;s=Vendor.Spindle.Speed\""),
        "{all}"
    );
    assert!(all.contains("\"/Lathe/Spindle.Temperature\""), "{all}");
    assert!(!all.contains("/Lathe/Spindle.Speed\""), "{all}");
    // A path without indices that cannot say which.
    let (code, _, stderr) = import(&nodesets, &models, "Spindle", &["/Lathe/Spindle.Speed"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("names 2 nodes in different namespaces")
            && stderr.contains("nsu=urn:fdi:cases:lathe-vendor;s=Vendor.Spindle.Speed"),
        "{stderr}"
    );
}

/// The same command reads MTConnect device models: recognised by their `MTConnectDevices`
/// root (or `--from mtconnect`), a device chosen with `--device`, what the model's reading
/// skipped written as warnings beside the schema (the NIST model's undeclared `x:` prefix),
/// and a model of several devices without `--device` refused. The schema itself is
/// snapshotted and compiled in `compiler/src/schema_import/mtconnect_tests.rs`.
#[test]
fn mtconnect_device_models_are_imported_with_a_device() {
    let dir = workspace_root().join("tests/models/mtconnect");
    let run = |args: &[&str]| {
        let mut all = vec!["schema", "import", "nist_Devices.xml"];
        all.extend(args);
        let output = fdi_in(&dir, &all);
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let picks = [
        "--entity",
        "Agie",
        "--pick",
        "Xposition",
        "--pick",
        "execution",
    ];
    let (code, yaml, stderr) = run(&[&["--device", "GFAgie01"][..], &picks].concat());
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.starts_with("warning: `nist_Devices.xml` line ")
            && stderr.contains("the prefix `x:`"),
        "{stderr}"
    );
    assert!(
        yaml.contains("device: \"GFAgie01\", data_items: [\"Xposition\"]"),
        "{yaml}"
    );
    assert!(
        yaml.contains("value: { type: \"float[mm]\", quality: true }"),
        "{yaml}"
    );
    assert!(yaml.contains("\n  Execution: [READY, ACTIVE,"), "{yaml}");
    // Named explicitly, the format reads the same.
    let (code, named, _) =
        run(&[&["--from", "mtconnect", "--device", "GFAgie01"][..], &picks].concat());
    assert_eq!((code, named.as_str()), (0, yaml.as_str()));
    // Eight devices and none named.
    let (code, stdout, stderr) = run(&picks);
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("error: the model has 8 devices (`GFAgie01`, `Mazak01`,")
            && stderr.contains("--device GFAgie01"),
        "{stderr}"
    );
}
