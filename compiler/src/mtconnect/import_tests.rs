//! The schema import against the OKUMA's model: the YAML it writes, and that a mapping reading
//! the picked data items into the imported entities checks (the device-model stage typing them
//! and filling their facts).

use super::*;
use crate::ir;
use crate::loader::MemoryFiles;
use crate::source_map::SourceMap;
use std::path::Path;

fn okuma() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/models/mtconnect/okuma_Devices.xml"
    );
    std::fs::read_to_string(path).unwrap()
}

/// Compiles `mapping` with `schema` and the OKUMA's model beside it, in memory.
fn compile(mapping: &str, schema: &str) -> Result<ir::Program, Vec<String>> {
    let files = MemoryFiles::new()
        .with("plant/okuma.fdi", mapping)
        .with("plant/okuma.yaml", schema)
        .with(
            "plant/out.yaml",
            "entities:\n  Out:\n    fields:\n      data_item: string\n      value: string\n",
        )
        .with("plant/okuma_Devices.xml", okuma());
    let mut sources = SourceMap::reading(files);
    crate::compile(Path::new("plant/okuma.fdi"), &mut sources).map_err(|diagnostics| {
        diagnostics
            .iter()
            .map(|d| d.render_plain(&sources))
            .collect()
    })
}

#[test]
fn the_okuma_items_are_imported_as_the_standard_types_them() {
    let yaml = schema_yaml(
        &okuma(),
        Some("OKUMA"),
        &[
            "pexecution",
            "S1speed",
            "Lppartcount",
            "pprogram",
            "system",
            "S1Mode",
            "pmode",
        ],
    )
    .unwrap();
    assert_eq!(
        yaml,
        r#"# Imported from the MTConnect device model of `OKUMA` (MTConnect 2.7); the value types follow
# the standard's vocabularies and units (MTConnect 2.7).
enums:
  ConditionLevel: [NORMAL, WARNING, FAULT]
  ControllerMode: [AUTOMATIC, MANUAL, MANUAL_DATA_INPUT, SEMI_AUTOMATIC, EDIT, FEED_HOLD]
  Execution: [READY, ACTIVE, INTERRUPTED, FEED_HOLD, STOPPED, OPTIONAL_STOP, PROGRAM_STOPPED, PROGRAM_COMPLETED, WAIT, PROGRAM_OPTIONAL_STOP]
  RotaryMode: [SPINDLE]

entities:
  Pexecution:
    description: "OKUMA's pexecution (id Lpexecution): EVENT EXECUTION"
    fields:
      device: string
      data_item: string
      timestamp: timestamp
      value: { type: Execution, quality: true }

  S1speed:
    description: "OKUMA's S1speed (id LS1speed): SAMPLE ROTARY_VELOCITY ACTUAL in REVOLUTION/MINUTE"
    fields:
      device: string
      data_item: string
      timestamp: timestamp
      value: { type: "float[rpm]", quality: true }

  Ppartcount:
    description: "OKUMA's ppartcount (id Lppartcount): EVENT PART_COUNT"
    fields:
      device: string
      data_item: string
      timestamp: timestamp
      value: { type: "int", quality: true }

  Pprogram:
    description: "OKUMA's pprogram (id Lpprogram): EVENT PROGRAM"
    fields:
      device: string
      data_item: string
      timestamp: timestamp
      value: { type: "string", quality: true }

  System:
    description: "OKUMA's system (id Lsystem): CONDITION SYSTEM"
    fields:
      device: string
      data_item: string
      timestamp: timestamp
      value: { type: ConditionLevel, quality: true }
      native_code: { type: string, optional: true }
      message: { type: string, optional: true }

  S1Mode:
    description: "OKUMA's S1Mode (id LS1Mode): EVENT ROTARY_MODE"
    fields:
      device: string
      data_item: string
      timestamp: timestamp
      value: { type: RotaryMode, quality: true }

  Pmode:
    description: "OKUMA's pmode (id Lpmode): EVENT CONTROLLER_MODE"
    fields:
      device: string
      data_item: string
      timestamp: timestamp
      value: { type: ControllerMode, quality: true }
"#
    );
    // A mapping that reads each picked data item into its entity checks as written.
    let sources = [
        ("execution", "pexecution", "Pexecution"),
        ("speed", "S1speed", "S1speed"),
        ("count", "Lppartcount", "Ppartcount"),
        ("program", "pprogram", "Pprogram"),
        ("system", "system", "System"),
        ("spindle_mode", "S1Mode", "S1Mode"),
        ("mode", "pmode", "Pmode"),
    ];
    let mut mapping = String::from(
        "mapping okuma version \"1\"\n\nschema \"okuma.yaml\"\nschema \"out.yaml\"\n\n",
    );
    for (source, item, entity) in sources {
        mapping.push_str(&format!(
            "source {source}: shdr(\"okuma.txt\", devices: \"okuma_Devices.xml\", device: \"OKUMA\", data_items: [\"{item}\"]) as {entity}\n\n"
        ));
    }
    mapping.push_str("target out: jsonl(\"out/observations.jsonl\") as Out\n\n");
    for (source, _, _) in sources {
        mapping.push_str(&format!(
            "flow copy_{source}: {source} -> out delivery at_least_once_with_duplicates {{\n  data_item = data_item\n  value = device\n}}\n\n"
        ));
    }
    let program = compile(&mapping, &yaml).unwrap_or_else(|e| panic!("{}", e.join("\n")));
    let facts: Vec<&ir::DataItemFacts> = program
        .sources
        .iter()
        .flat_map(|s| match &s.kind {
            ir::SourceKind::Mtconnect { data_items, .. } => data_items.as_slice(),
            _ => &[],
        })
        .map(|d| d.facts.as_ref().expect("typed by the model"))
        .collect();
    assert_eq!(facts.len(), 7);
    assert_eq!(facts[0].id, "Lpexecution");
    assert_eq!(facts[0].type_name, "EXECUTION");
    assert_eq!(facts[1].units.as_deref(), Some("REVOLUTION/MINUTE"));
    assert_eq!(facts[1].sub_type.as_deref(), Some("ACTUAL"));
    assert_eq!(facts[2].name.as_deref(), Some("ppartcount"));
    assert_eq!(facts[4].category, "CONDITION");
    assert!(facts.iter().all(|f| f.device == "OKUMA"));
}

#[test]
fn picks_the_model_lacks_are_refused_with_the_closest() {
    let model = okuma();
    assert_eq!(
        schema_yaml(&model, Some("OKUMA"), &["pexecutoin"])
            .unwrap_err()
            .to_string(),
        "`pexecutoin` is not a data item of the device `OKUMA`; did you mean `pexecution`?"
    );
    assert_eq!(
        schema_yaml(&model, None, &["pexecution"])
            .unwrap_err()
            .to_string(),
        "the model has 2 devices (OKUMA, Mazak); name the one to import from"
    );
    assert_eq!(
        schema_yaml(&model, Some("OKUMMA"), &["pexecution"])
            .unwrap_err()
            .to_string(),
        "`OKUMMA` is not a device of the model; did you mean `OKUMA`?"
    );
    assert_eq!(
        schema_yaml(&model, Some("OKUMA"), &[]),
        Err(ImportError::NothingPicked)
    );
    assert!(matches!(
        schema_yaml("<UANodeSet/>", None, &["x"]),
        Err(ImportError::NotADeviceModel(_))
    ));
}

#[test]
fn values_the_standard_does_not_type_are_imported_as_text() {
    let nist = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/models/mtconnect/nist_Devices.xml"
    ))
    .unwrap();
    let yaml = schema_yaml(&nist, Some("GFAgie01"), &["move", "path_pos", "Xposition"]).unwrap();
    // x:MOTION, an extension; PATH_POSITION in MILLIMETER_3D, three numbers; POSITION in mm.
    let values: Vec<&str> = yaml.lines().filter(|l| l.contains("value:")).collect();
    assert_eq!(
        values,
        [
            "      value: { type: \"string\", quality: true }",
            "      value: { type: \"string\", quality: true }",
            "      value: { type: \"float[mm]\", quality: true }",
        ]
    );
}
