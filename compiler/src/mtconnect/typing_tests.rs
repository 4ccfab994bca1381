//! The device-model stage on the Fanuc (MTConnect 1.1, one device) and SimpleCnc (1.4) models:
//! what it accepts and fills, and the rules the case files do not show (a `string` reads
//! anything, a device's `Constraints` narrow a vocabulary, a unit of the right dimension but
//! another size is refused with the conversion to write).

use std::path::Path;

use crate::diagnostic::Diagnostic;
use crate::ir;
use crate::loader::MemoryFiles;
use crate::source_map::SourceMap;

/// Compiles a mapping whose one source reads `items` of `model` into `entity` of `schema`.
fn compile(
    model: &str,
    device: Option<&str>,
    items: &[&str],
    schema: &str,
    entity: &str,
) -> Result<ir::Program, Vec<Diagnostic>> {
    let text = std::fs::read_to_string(format!(
        "{}/../tests/models/mtconnect/{model}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let device = device.map_or(String::new(), |d| format!("device: \"{d}\", "));
    let items: Vec<String> = items.iter().map(|i| format!("\"{i}\"")).collect();
    let mapping = format!(
        "mapping t version \"1\"\n\nschema \"s.yaml\"\n\nsource machine: shdr(\"m.txt\", devices: \"model.xml\", {device}data_items: [{}]) as {entity}\n\ntarget out: jsonl(\"out.jsonl\") as Out\n\nflow copy: machine -> out delivery at_least_once_with_duplicates {{\n  data_item = data_item\n}}\n",
        items.join(", ")
    );
    let schema = format!("{schema}\n  Out:\n    fields:\n      data_item: string\n");
    let files = MemoryFiles::new()
        .with("t.fdi", mapping)
        .with("s.yaml", schema)
        .with("model.xml", text);
    crate::compile(Path::new("t.fdi"), &mut SourceMap::reading(files))
}

fn facts(program: &ir::Program) -> Vec<ir::DataItemFacts> {
    match &program.sources[0].kind {
        ir::SourceKind::Mtconnect { data_items, .. } => data_items
            .iter()
            .map(|d| d.facts.clone().expect("typed"))
            .collect(),
        _ => panic!("an MTConnect source"),
    }
}

fn codes(errors: &[Diagnostic]) -> Vec<&str> {
    errors.iter().map(|d| d.code.as_str()).collect()
}

#[test]
fn the_fanuc_model_types_its_only_device_without_device() {
    let schema = "enums:\n  RotaryMode: [SPINDLE]\n  Availability: [AVAILABLE]\nentities:\n  Speed:\n    fields:\n      data_item: string\n      value: { type: \"float[rpm]\", quality: true }\n  Mode:\n    fields:\n      data_item: string\n      value: { type: RotaryMode, quality: true }\n  Avail:\n    fields:\n      data_item: string\n      value: { type: Availability, quality: true }";
    let program = compile("fanuc_Devices.xml", None, &["S1speed"], schema, "Speed").unwrap();
    let facts = facts(&program);
    assert_eq!(facts[0].device, "Fanuc-4Axis");
    assert_eq!(facts[0].id, "c2");
    // SPINDLE_SPEED is a 1.1 type 2.7 no longer has: a SAMPLE, typed by its units.
    assert_eq!(facts[0].type_name, "SPINDLE_SPEED");
    assert_eq!(facts[0].representation.as_deref(), Some("VALUE"));
    // ROTARY_MODE's vocabulary is SPINDLE, INDEX, CONTOUR; the Fanuc's `Constraints` say it
    // sends only SPINDLE, which an enum of that one code reads.
    compile("fanuc_Devices.xml", None, &["Cmode"], schema, "Mode").unwrap();
    // AVAILABILITY's UNAVAILABLE is a quality: AVAILABLE is its one code.
    compile("fanuc_Devices.xml", None, &["avail"], schema, "Avail").unwrap();
}

#[test]
fn a_string_value_reads_data_items_of_every_type() {
    let schema = "entities:\n  Any:\n    fields:\n      data_item: string\n      value: { type: string, quality: true }";
    let items = [
        "a01c7f30", "d2e9e4a0", "Xpos", "k8dd9030", "r186cd60", "pampts", "motion",
    ];
    let program = compile("SimpleDevice.xml", Some("SimpleCnc"), &items, schema, "Any").unwrap();
    let categories: Vec<String> = facts(&program).into_iter().map(|f| f.category).collect();
    assert_eq!(
        categories,
        [
            "EVENT",
            "EVENT",
            "SAMPLE",
            "EVENT",
            "SAMPLE",
            "SAMPLE",
            "CONDITION"
        ]
    );
}

#[test]
fn typed_fields_fit_the_standard_or_are_refused() {
    let schema = "entities:\n  Count:\n    fields:\n      data_item: string\n      value: { type: int, quality: true }\n  Radians:\n    fields:\n      data_item: string\n      value: { type: \"float[rad/s]\", quality: true }\n  Plain:\n    fields:\n      data_item: string\n      value: { type: float, quality: true }\n  Level:\n    fields:\n      data_item: string\n      value: { type: int, quality: true }";
    let simple = |items: &[&str], entity: &str| {
        compile("SimpleDevice.xml", Some("SimpleCnc"), items, schema, entity)
    };
    // A PART_COUNT is an int, and a float without a unit reads it too.
    simple(&["d2e9e4a0"], "Count").unwrap();
    simple(&["d2e9e4a0"], "Plain").unwrap();
    // A speed in rpm is not read as rad/s: the help says to convert in the flow.
    let errors = simple(&["Sspeed_act"], "Radians").unwrap_err();
    assert_eq!(codes(&errors), ["fdi::E0713"]);
    let help = errors[0].help.as_deref().unwrap();
    assert!(help.contains("`value as [rad/s]`"), "{help}");
    assert!(help.contains("type: \"float[rpm]\""), "{help}");
    // A float without its unit loses what the units-of-measure checks need.
    assert_eq!(
        codes(&simple(&["Sspeed_act"], "Plain").unwrap_err()),
        ["fdi::E0713"]
    );
    // A position's text of three numbers is no int; a condition's level is no number.
    assert_eq!(
        codes(&simple(&["r186cd60"], "Count").unwrap_err()),
        ["fdi::E0713"]
    );
    assert_eq!(
        codes(&simple(&["motion"], "Level").unwrap_err()),
        ["fdi::E0713"]
    );
}

#[test]
fn every_data_item_of_a_source_is_checked_and_reported_in_the_order_of_the_text() {
    let schema = "entities:\n  Count:\n    fields:\n      data_item: string\n      value: int";
    let errors = compile(
        "SimpleDevice.xml",
        Some("SimpleCnc"),
        &["Xpso", "d2e9e4a0", "Sspeed_act"],
        schema,
        "Count",
    )
    .unwrap_err();
    // The missing data item, the speed that is no int, and the value without quality (on the
    // schema, which comes after the mapping).
    assert_eq!(codes(&errors), ["fdi::E0712", "fdi::E0713", "fdi::E0715"]);
    assert_eq!(errors[0].help.as_deref(), Some("did you mean `Xpos`?"));
}

#[test]
fn a_name_several_data_items_share_is_refused_with_their_ids() {
    let schema = "entities:\n  Level:\n    fields:\n      data_item: string\n      value: { type: \"float[degC]\", quality: true }";
    let simple = |items: &[&str]| {
        compile(
            "SimpleDevice.xml",
            Some("SimpleCnc"),
            items,
            schema,
            "Level",
        )
    };
    let errors = simple(&["low_main_level"]).unwrap_err();
    assert_eq!(codes(&errors), ["fdi::E0712"]);
    assert_eq!(
        errors[0].help.as_deref(),
        Some("name the one to read by its id, which is unique: `r25176b0`, `obc97840`")
    );
    assert_eq!(errors[0].labels.len(), 3);
    // By id, each is one data item.
    simple(&["r25176b0", "obc97840"]).unwrap();
}
