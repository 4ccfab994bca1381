//! B2MML in: the example's `orders_in.fdi` reads the Courbon V0401 documents into SQLite; each
//! table equals what this test reads from the raw XML.

use std::path::Path;

use rusqlite::types::Value;

use crate::raw_xml::{child_text, children, descendants, document_text, property, text_at};
use crate::support::service::sqlite_rows;
use crate::support::{assert_balanced, build, copy_dir, flow, run_json, workspace_root};

/// Every row of `query`, each column as SQLite holds it.
fn table(database: &Path, query: &str) -> Vec<Vec<Value>> {
    sqlite_rows(database, query, |row| {
        (0..row.as_ref().column_count())
            .map(|i| row.get::<_, Value>(i))
            .collect()
    })
}

fn text(value: Option<String>) -> Value {
    value.map_or(Value::Null, Value::Text)
}

fn real(value: Option<String>) -> Value {
    value.map_or(Value::Null, |v| {
        Value::Real(v.parse().unwrap_or_else(|_| panic!("{v:?} is a number")))
    })
}

/// An ISO 8601 instant as the MES table keeps it: `...:16.0Z` and `...:16Z` are one instant;
/// the runtime writes whole seconds without a fraction.
fn instant(value: Option<String>) -> Value {
    value.map_or(Value::Null, |v| {
        let trimmed = match v.split_once('.') {
            Some((seconds, fraction))
                if fraction.trim_end_matches('Z').chars().all(|c| c == '0') =>
            {
                format!("{seconds}Z")
            }
            _ => v,
        };
        Value::Text(trimmed)
    })
}

struct Example {
    _tmp: tempfile::TempDir,
    dir: std::path::PathBuf,
    binary: std::path::PathBuf,
}

fn built_example() -> Example {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("b2mml-orders");
    copy_dir(&workspace_root().join("examples/b2mml-orders"), &dir);
    let binary = build(&dir.join("orders_in.fdi"), &tmp.path().join("crate"));
    Example {
        _tmp: tmp,
        dir,
        binary,
    }
}

/// The material requirements of a schedule document as the MES table should hold them: one row
/// per MaterialRequirement at any depth, in document order.
fn expected_requirements(document: &roxmltree::Document<'_>) -> Vec<Vec<Value>> {
    let mut rows = Vec::new();
    for requirement in descendants(document.root_element(), "MaterialRequirement") {
        let order = requirement
            .ancestors()
            .find(|a| a.tag_name().name() == "ProductionRequest")
            .expect("a requirement of a production request");
        let parent = requirement.parent_element().expect("a segment");
        rows.push(vec![
            text(child_text(order, "ID")),
            Value::Integer(rows.len() as i64 + 1),
            text(child_text(parent, "ID").or_else(|| child_text(parent, "ProcessSegmentID"))),
            text(child_text(requirement, "MaterialDefinitionID")),
            text(child_text(requirement, "MaterialUse")),
            real(text_at(requirement, &["Quantity", "QuantityString"])),
            text(text_at(requirement, &["Quantity", "UnitOfMeasure"])),
            text(child_text(requirement, "MaterialLotID")),
            text(child_text(requirement, "MaterialSubLotID")),
            text(text_at(requirement, &["Location", "EquipmentID"])),
            text(property(
                requirement,
                "MaterialRequirementProperty",
                "Indice",
            )),
        ]);
    }
    rows
}

const REQUIREMENTS: &str = "SELECT order_id, item, segment, material_id, material_use, quantity, unit_of_measure, lot_id, sublot_id, work_cell, indice FROM material_requirements ORDER BY item";

#[test]
fn the_schedule_yields_its_work_orders_with_their_material_requirements() {
    let example = built_example();
    let (code, summary) = run_json(&example.binary, &[]);
    assert_eq!(code, 0, "{summary}");
    assert_balanced(&summary);
    let data = example.dir.join("data");
    let database = example.dir.join("out/mes.db");

    let text_of = document_text(&data.join("PRO-20121210181416-27942.xml"));
    let schedule = roxmltree::Document::parse(&text_of).expect("the schedule is XML");
    let released = text_at(
        schedule.root_element(),
        &["ApplicationArea", "CreationDateTime"],
    );
    let orders: Vec<Vec<Value>> = descendants(schedule.root_element(), "ProductionRequest")
        .map(|order| {
            vec![
                text(child_text(order, "ID")),
                Value::Integer(descendants(order, "MaterialRequirement").count() as i64),
                text(
                    children(order, "SegmentRequirement")
                        .next()
                        .and_then(|s| child_text(s, "ID")),
                ),
                instant(released.clone()),
            ]
        })
        .collect();
    assert_eq!(orders.len(), 1, "the Courbon schedule holds one work order");
    assert_eq!(
        table(&database, "SELECT order_id, material_requirements, segment_id, released_at FROM work_orders ORDER BY order_id"),
        orders
    );

    let requirements = expected_requirements(&schedule);
    assert_eq!(
        requirements.len(),
        7,
        "the schedule's nested segments hold 7 requirements"
    );
    assert_eq!(table(&database, REQUIREMENTS), requirements);
    assert_eq!(flow(&summary, "requirement")["written"], 7);

    // Master data: the material definition, its lot and sublot.
    let text_of = document_text(&data.join("MAT-20121210170256-CRBN0001.xml"));
    let definitions = roxmltree::Document::parse(&text_of).expect("XML");
    let materials: Vec<Vec<Value>> = descendants(definitions.root_element(), "MaterialDefinition")
        .map(|m| {
            let hazards = children(m, "MaterialDefinitionProperty")
                .find(|p| child_text(*p, "ID").as_deref() == Some("HazardousMaterialWarning"));
            vec![
                text(child_text(m, "ID")),
                text(child_text(m, "Description")),
                text(property(
                    m,
                    "MaterialDefinitionProperty",
                    "BaseUnitOfMeasure",
                )),
                text(property(
                    m,
                    "MaterialDefinitionProperty",
                    "HazardousMaterialWarning",
                )),
                Value::Integer(hazards.map_or(0, |h| children(h, "Value").count()) as i64),
            ]
        })
        .collect();
    assert_eq!(
        table(&database, "SELECT material_id, description, base_unit_of_measure, hazard_warning, hazard_warnings FROM materials"),
        materials
    );

    let text_of = document_text(&data.join("LOT-20121210170718-0001L0001.xml"));
    let lots_document = roxmltree::Document::parse(&text_of).expect("XML");
    let lots: Vec<Vec<Value>> = descendants(lots_document.root_element(), "MaterialLot")
        .map(|lot| {
            vec![
                text(child_text(lot, "ID")),
                text(lot.parent_element().and_then(|p| child_text(p, "ID"))),
                text(child_text(lot, "Status")),
                instant(property(lot, "MaterialLotProperty", "ExpiryDate")),
            ]
        })
        .collect();
    assert_eq!(
        table(
            &database,
            "SELECT lot_id, material_id, status, expiry_date FROM lots"
        ),
        lots
    );

    let text_of = document_text(&data.join("INV-20121210175555-0001L0001_01.xml"));
    let sublots_document = roxmltree::Document::parse(&text_of).expect("XML");
    let sublots: Vec<Vec<Value>> = descendants(sublots_document.root_element(), "MaterialSubLot")
        .map(|sublot| {
            let lot = sublot.parent_element().expect("a lot");
            vec![
                text(child_text(sublot, "ID")),
                text(child_text(lot, "ID")),
                text(lot.parent_element().and_then(|m| child_text(m, "ID"))),
                text(child_text(sublot, "Status")),
                real(text_at(sublot, &["Quantity", "QuantityString"])),
                text(text_at(sublot, &["Quantity", "UnitOfMeasure"])),
            ]
        })
        .collect();
    assert_eq!(
        table(
            &database,
            "SELECT sublot_id, lot_id, material_id, status, quantity, unit_of_measure FROM sublots"
        ),
        sublots
    );

    // The material master as this test reads it, for the base unit the lookup adds.
    let base_units: std::collections::HashMap<String, Option<String>> =
        descendants(definitions.root_element(), "MaterialDefinition")
            .map(|m| {
                (
                    child_text(m, "ID").unwrap_or_default(),
                    property(m, "MaterialDefinitionProperty", "BaseUnitOfMeasure"),
                )
            })
            .collect();
    let text_of = document_text(&data.join("PES-20121229115825-53107.xml"));
    let performance = roxmltree::Document::parse(&text_of).expect("XML");
    let actuals: Vec<Vec<Value>> = descendants(performance.root_element(), "MaterialActual")
        .map(|actual| {
            let response = actual
                .ancestors()
                .find(|a| a.tag_name().name() == "ProductionResponse")
                .expect("a production response");
            vec![
                text(child_text(response, "ID")),
                text(actual.parent_element().and_then(|s| child_text(s, "ID"))),
                text(child_text(actual, "MaterialDefinitionID")),
                text(child_text(actual, "MaterialLotID")),
                text(child_text(actual, "MaterialSubLotID")),
                text(child_text(actual, "MaterialUse")),
                real(text_at(actual, &["Quantity", "QuantityString"])),
                text(text_at(actual, &["Quantity", "UnitOfMeasure"])),
                text(
                    child_text(actual, "MaterialDefinitionID")
                        .and_then(|id| base_units.get(&id).cloned())
                        .expect("the consumed material is in the material master"),
                ),
            ]
        })
        .collect();
    assert_eq!(
        table(&database, "SELECT response_id, segment_id, material_id, lot_id, sublot_id, material_use, quantity, unit_of_measure, base_unit_of_measure FROM reported_consumption"),
        actuals
    );
}

/// A requirement without its unit of measure (required) is rejected at decode, and its
/// dead-letter entry keeps the element's XML as it is in the document; the others are written.
#[test]
fn a_requirement_missing_a_required_element_is_dead_lettered_with_its_xml() {
    let example = built_example();
    let original = document_text(&example.dir.join("data/PRO-20121210181416-27942.xml"));
    // The fourth consumed material (CRBN0003) loses its unit of measure.
    let damaged = {
        let document = roxmltree::Document::parse(&original).expect("XML");
        let unit = descendants(document.root_element(), "MaterialRequirement")
            .find(|r| child_text(*r, "MaterialDefinitionID").as_deref() == Some("CRBN0003"))
            .and_then(|r| children(r, "Quantity").next())
            .and_then(|q| children(q, "UnitOfMeasure").next())
            .expect("CRBN0003's unit of measure")
            .range();
        format!("{}{}", &original[..unit.start], &original[unit.end..])
    };
    assert_ne!(damaged, original, "the test found the element to damage");
    let damaged_path = example.dir.join("damaged.xml");
    std::fs::write(&damaged_path, &damaged).expect("write the damaged schedule");
    let replacement = format!("requirements={}", damaged_path.display());
    let (code, summary) = run_json(&example.binary, &["--source", &replacement]);
    assert_eq!(code, 0, "{summary}");
    assert_balanced(&summary);

    let document = roxmltree::Document::parse(&damaged).expect("still XML");
    let requirements: Vec<_> =
        descendants(document.root_element(), "MaterialRequirement").collect();
    let broken: Vec<(usize, roxmltree::Node<'_, '_>)> = requirements
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, r)| text_at(*r, &["Quantity", "UnitOfMeasure"]).is_none())
        .collect();
    assert_eq!(broken.len(), 1);
    let (index, element) = broken[0];
    let requirement = flow(&summary, "requirement");
    assert_eq!(requirement["read"], requirements.len());
    assert_eq!(requirement["rejected"], 1);
    assert_eq!(requirement["written"], requirements.len() - 1);

    let dead_letter =
        std::fs::read_to_string(example.dir.join("out/rejected.jsonl")).expect("the dead letter");
    let entries: Vec<serde_json::Value> = dead_letter
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(entries.len(), 1, "{dead_letter}");
    let entry = &entries[0];
    assert_eq!(entry["stage"], "decode");
    assert_eq!(entry["source"], "requirements");
    assert_eq!(entry["position"], index + 1);
    assert_eq!(entry["format"], "xml");
    assert_eq!(entry["record"]["_fdi_xml"], &damaged[element.range()]);
    let detail = entry["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("unit_of_measure"), "{entry}");
    // The line of the element in the document, for whoever opens it.
    assert_eq!(
        entry["line"],
        document.text_pos_at(element.range().start).row
    );

    // A replay makes the same record again from the entry (its texts and its XML): rejected
    // again for the same reason, with the same XML.
    let output = std::process::Command::new(&example.binary)
        .args(["dead-letter", "replay", "--format", "json"])
        .output()
        .expect("run the replay");
    assert!(output.status.success(), "{output:?}");
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the replay's JSON report");
    assert_eq!(report["replay"]["replayed"], 1, "{report}");
    assert_eq!(report["replay"]["rejected"], 1, "{report}");
    let after =
        std::fs::read_to_string(example.dir.join("out/rejected.jsonl")).expect("the dead letter");
    let rejected_as = &report["replay"]["entries"][0]["rejected_as"][0];
    let again: serde_json::Value = after
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON line"))
        .find(|e| e["id"] == *rejected_as)
        .unwrap_or_else(|| panic!("no entry {rejected_as} in {after}"));
    assert_eq!(again["record"]["_fdi_xml"], entry["record"]["_fdi_xml"]);
    assert_eq!(again["detail"], entry["detail"]);
}
