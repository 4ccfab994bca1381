//! `fdi schema import` from the MTConnect device models in `tests/models/mtconnect/`: the YAML
//! written for OKUMA data items (snapshot), which a mapping made of the source declarations it
//! suggests then compiles against, the device-model stage typing each data item by the model;
//! a component's data items; lenient reading of the NIST model; wrong devices and picks.

use super::super::{import, ImportRequest, Imported, ModelFile, ModelFormat};
use crate::ir;
use crate::loader::MemoryFiles;
use crate::source_map::SourceMap;
use std::path::Path;

/// The model `name` under `tests/models/mtconnect/`, as given to the command from a mapping's
/// folder: `models/NAME`.
fn model(name: &str) -> ModelFile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/models/mtconnect")
        .join(name);
    ModelFile {
        path: format!("models/{name}"),
        text: std::fs::read_to_string(path).unwrap(),
    }
}

/// `fdi schema import` without IO: the schema, or every problem.
fn import_from(
    files: &[ModelFile],
    device: Option<&str>,
    entity: &str,
    picks: &[&str],
) -> Result<Imported, Vec<String>> {
    let reader = ModelFormat::Mtconnect
        .read(files, device)
        .map_err(|e| e.0)?;
    import(
        reader.as_ref(),
        &ImportRequest {
            entity: entity.into(),
            picks: picks.iter().map(|p| p.to_string()).collect(),
        },
    )
    .map_err(|e| e.0)
}

/// Compiles, in memory, a mapping of the sources the YAML suggests (`# read with: source ...`),
/// each copied by a flow into a JSON Lines target of a plain entity of the same value type,
/// with the models beside it: the program, or the rendered diagnostics.
fn compile_suggested(files: &[ModelFile], yaml: &str) -> Result<ir::Program, Vec<String>> {
    let schema: serde_yaml::Value = serde_yaml::from_str(yaml).expect("the YAML parses");
    let entities = schema["entities"].as_mapping().expect("entities");
    let declarations: Vec<&str> = yaml
        .lines()
        .filter_map(|l| l.trim().strip_prefix("# read with: "))
        .collect();
    assert_eq!(
        declarations.len(),
        entities.len(),
        "a declaration per entity"
    );
    let mut targets = String::from("entities:\n");
    let mut mapping = String::from(
        "mapping imported version \"1\"\n\nschema \"imported.yaml\"\nschema \"targets.yaml\"\n\n",
    );
    for ((name, entity), declaration) in entities.iter().zip(&declarations) {
        let name = name.as_str().unwrap();
        let ty = entity["fields"]["value"]["type"].as_str().unwrap();
        targets.push_str(&format!(
            "  {name}Row:\n    fields:\n      device: string\n      data_item: string\n      value: \"{ty}?\"\n"
        ));
        let source = declaration
            .strip_prefix("source ")
            .and_then(|d| d.split_once(':'))
            .map(|(s, _)| s)
            .unwrap();
        mapping.push_str(&format!(
            "{}\ntarget {source}_rows: jsonl(\"out/{source}.jsonl\") as {name}Row\n\nflow copy_{source}: {source} -> {source}_rows delivery at_least_once_with_duplicates {{\n  device = device\n  data_item = data_item\n  value = value.value\n}}\n\n",
            declaration.replace("CONNECTION", "agent")
        ));
    }
    let mut memory = MemoryFiles::new()
        .with("plant/imported.fdi", mapping)
        .with("plant/imported.yaml", yaml)
        .with("plant/targets.yaml", targets);
    for file in files {
        memory = memory.with(Path::new("plant").join(&file.path), file.text.clone());
    }
    let mut sources = SourceMap::reading(memory);
    crate::compile(Path::new("plant/imported.fdi"), &mut sources).map_err(|diagnostics| {
        diagnostics
            .iter()
            .map(|d| d.render_plain(&sources))
            .collect()
    })
}

/// Each MTConnect source's data items as the device-model stage found them: `(source, ids)`.
fn typed_items(program: &ir::Program) -> Vec<(String, Vec<String>)> {
    program
        .sources
        .iter()
        .filter_map(|s| match &s.kind {
            ir::SourceKind::Mtconnect { data_items, .. } => Some((
                s.name.to_string(),
                data_items
                    .iter()
                    .map(|d| d.facts.as_ref().expect("typed by the model").id.clone())
                    .collect(),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn okuma_picks_become_entities_that_check() {
    let files = [model("okuma_Devices.xml")];
    let imported = import_from(
        &files,
        Some("OKUMA"),
        "Okuma",
        &[
            "pexecution",
            // By id: named by its name, as the adapter's SHDR key names it.
            "Lppartcount",
            "S1speed",
            // Two conditions: one entity, one `ConditionLevel`.
            "system",
            "CoolantSystem1_cond",
            // Two rotary modes whose Constraints differ: an enum each.
            "B1Mode",
            "S1Mode",
            "pprogram",
            // Picked twice: read once.
            "Lpexecution",
        ],
    )
    .unwrap_or_else(|e| panic!("{}", e.join("\n")));
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    insta::assert_snapshot!("okuma", imported.yaml);
    let program =
        compile_suggested(&files, &imported.yaml).unwrap_or_else(|e| panic!("{}", e.join("\n")));
    assert_eq!(
        typed_items(&program),
        [
            ("okuma_int", vec!["Lppartcount"]),
            ("okuma_float_revolution_per_minute", vec!["LS1speed"]),
            ("okuma_text", vec!["Lpprogram"]),
            (
                "okuma_condition_level",
                vec!["Lsystem", "LCoolantSystem1_cond"]
            ),
            ("okuma_execution", vec!["Lpexecution"]),
            ("okuma_rotary_mode", vec!["LB1Mode"]),
            ("okuma_s1_mode_rotary_mode", vec!["LS1Mode"]),
        ]
        .map(|(s, ids)| (s.to_string(), ids.iter().map(|i| i.to_string()).collect()))
    );
}

#[test]
fn a_component_gives_its_data_items() {
    let files = [model("okuma_Devices.xml")];
    let imported = import_from(&files, Some("OKUMA"), "Spindle", &["C1"])
        .unwrap_or_else(|e| panic!("{}", e.join("\n")));
    let read: Vec<&str> = imported
        .entities
        .iter()
        .flat_map(|(_, variables)| variables)
        .map(|v| v.id.as_str())
        .collect();
    // The Rotary C1's data items, each in the entity of its type.
    for id in ["LS1speed", "LS1load", "LS1Mode", "LS1ChuckState"] {
        assert!(read.contains(&id), "{id} in {read:?}");
    }
    let program =
        compile_suggested(&files, &imported.yaml).unwrap_or_else(|e| panic!("{}", e.join("\n")));
    let typed: usize = typed_items(&program).iter().map(|(_, ids)| ids.len()).sum();
    assert_eq!(typed, read.len());
}

#[test]
fn models_that_do_not_validate_are_read_with_warnings() {
    let nist = model("nist_Devices.xml");
    assert_eq!(
        ModelFormat::detect(&nist.text),
        Some(ModelFormat::Mtconnect)
    );
    let files = [nist];
    let imported = import_from(
        &files,
        Some("GFAgie01"),
        "Agie",
        &["move", "path_pos", "Xposition"],
    )
    .unwrap_or_else(|e| panic!("{}", e.join("\n")));
    assert!(
        imported
            .warnings
            .iter()
            .any(|w| w.starts_with("`models/nist_Devices.xml` line ")
                && w.contains("the prefix `x:`")),
        "{:?}",
        imported.warnings
    );
    // x:MOTION, an extension, and PATH_POSITION in MILLIMETER_3D, three numbers: text;
    // POSITION in mm.
    let types: Vec<(String, String)> = imported
        .entities
        .iter()
        .flat_map(|(_, variables)| variables)
        .map(|v| (v.name.clone(), v.ty.as_ref().unwrap().schema_type()))
        .collect();
    assert_eq!(
        types,
        [
            ("Xposition", "float[mm]"),
            ("move", "string"),
            ("path_pos", "string")
        ]
        .map(|(n, t)| (n.to_string(), t.to_string()))
    );
    compile_suggested(&files, &imported.yaml).unwrap_or_else(|e| panic!("{}", e.join("\n")));
}

#[test]
fn wrong_devices_and_picks_say_what_there_is() {
    let okuma = [model("okuma_Devices.xml")];
    let simple = [model("SimpleDevice.xml")];
    // What is wrong, the models, `--device`, `--entity` and the pick.
    type Case<'a> = (&'a str, &'a [ModelFile], Option<&'a str>, &'a str, &'a str);
    let cases: [Case; 8] = [
        (
            "a misspelt data item",
            &okuma,
            Some("OKUMA"),
            "Okuma",
            "pexecutoin",
        ),
        ("no device named", &okuma, None, "Okuma", "pexecution"),
        (
            "a misspelt device",
            &okuma,
            Some("OKUMMA"),
            "Okuma",
            "pexecution",
        ),
        (
            "another device's data item",
            &okuma,
            Some("OKUMA"),
            "Okuma",
            "Sload_cond",
        ),
        (
            "a name two data items share",
            &simple,
            Some("SimpleCnc"),
            "Cnc",
            "low_main_level",
        ),
        (
            "an entity named as its enum",
            &okuma,
            Some("OKUMA"),
            "Execution",
            "pexecution",
        ),
        (
            "an entity that is no name",
            &okuma,
            Some("OKUMA"),
            "okuma-state",
            "pexecution",
        ),
        (
            "a NodeSet given as a device model",
            &[ModelFile {
                path: "models/machine.NodeSet2.xml".into(),
                text: "<UANodeSet xmlns=\"http://opcfoundation.org/UA/2011/03/UANodeSet.xsd\"/>"
                    .into(),
            }],
            None,
            "Okuma",
            "pexecution",
        ),
    ];
    let mut reports = Vec::new();
    for (what, files, device, entity, pick) in cases {
        let problems = import_from(files, device, entity, &[pick])
            .err()
            .unwrap_or_else(|| panic!("{what}: refused"));
        reports.push(format!("{what} ({pick}):\n{}", problems.join("\n")));
    }
    insta::assert_snapshot!("wrong_picks", reports.join("\n\n"));
}

#[test]
fn formats_without_devices_refuse_one() {
    let error = ModelFormat::Opcua
        .read(&[], Some("OKUMA"))
        .err()
        .expect("refused");
    assert!(error.0[0].starts_with("`--device OKUMA`:"), "{error}");
}

/// Every data item of every device of the four real models, picked by id: a schema that the
/// mapping it suggests compiles with, each data item typed by the model. No model is tuned
/// for: whatever a device holds (extension types, vectors, constrained vocabularies, names
/// shared by several data items, units the standard lacks) imports to something that checks.
#[test]
fn every_data_item_of_the_real_models_imports_to_a_schema_that_checks() {
    for name in [
        "okuma_Devices.xml",
        "nist_Devices.xml",
        "SimpleDevice.xml",
        "fanuc_Devices.xml",
    ] {
        let files = [model(name)];
        let parsed = crate::mtconnect::model::DeviceModel::parse(&files[0].text).unwrap();
        for device in &parsed.devices {
            let ids: Vec<&str> = device.data_items.iter().map(|d| d.id.as_str()).collect();
            let imported = import_from(&files, Some(device.label()), "Machine", &ids)
                .unwrap_or_else(|e| panic!("{name} {}: {}", device.label(), e.join("\n")));
            let program = compile_suggested(&files, &imported.yaml)
                .unwrap_or_else(|e| panic!("{name} {}: {}", device.label(), e.join("\n")));
            let mut typed: Vec<String> = typed_items(&program)
                .into_iter()
                .flat_map(|(_, ids)| ids)
                .collect();
            typed.sort();
            let mut all: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
            all.sort();
            assert_eq!(
                typed,
                all,
                "{name} {}: each data item read once",
                device.label()
            );
        }
    }
}
