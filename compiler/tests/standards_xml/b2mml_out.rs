//! B2MML out: the example's `performance_out.fdi` writes the MES's completions and consumption
//! (a CSV file) as a B2MML V0700 production performance document. The document validates
//! against the MESA schemas (xmllint), holds what the CSV says (read here with roxmltree), and
//! reads back through the xml source (`tests/programs/b2mml_readback/`) as the records written.

use std::path::Path;
use std::process::Command;

use crate::raw_xml::{child_text, children, descendants, text_at};
use crate::support::{assert_balanced, build, copy_dir, flow, run_json, workspace_root};

const DOCUMENT: &str = "out/PERF-258456.xml";
const SCHEMA: &str = "xsd-v0700/B2MML-OperationsPerformance.xsd";

/// `xmllint --schema`: whether `document` validates, and what xmllint said.
fn xmllint(schema: &Path, document: &Path) -> (bool, String) {
    let output = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(schema)
        .arg(document)
        .output()
        .unwrap_or_else(|e| {
            panic!("xmllint cannot be run ({e}); install it with tests/peers/install (Debian package libxml2-utils)")
        });
    let said = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.success(), said)
}

/// The rows of the completions CSV as maps from column to text.
fn completions(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).expect("the completions CSV");
    let headers = reader.headers().expect("a header").clone();
    reader
        .records()
        .map(|row| {
            let row = row.expect("a row");
            headers
                .iter()
                .map(str::to_string)
                .zip(row.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

#[test]
fn production_performance_is_valid_b2mml_v0700_and_reads_back_equal() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("b2mml-orders");
    copy_dir(&workspace_root().join("examples/b2mml-orders"), &dir);
    let binary = build(&dir.join("performance_out.fdi"), &tmp.path().join("crate"));
    let (code, summary) = run_json(&binary, &[]);
    assert_eq!(code, 0, "{summary}");
    assert_balanced(&summary);

    // What the CSV says: a report of material neither consumed nor produced is refused.
    let rows = completions(&dir.join("data/completions.csv"));
    let reported: Vec<_> = rows
        .iter()
        .filter(|r| ["Consumed", "Produced"].contains(&r["material_use"].as_str()))
        .collect();
    let report = flow(&summary, "report");
    assert_eq!(report["read"], rows.len());
    assert_eq!(report["written"], reported.len());
    assert_eq!(report["rejected"], rows.len() - reported.len());
    assert!(reported.len() >= 4 && reported.len() < rows.len());

    // Valid against the MESA V0700 schemas; and xmllint does check: the document without its
    // required ID is refused.
    let document_path = dir.join(DOCUMENT);
    let schema = dir.join(SCHEMA);
    let (valid, said) = xmllint(&schema, &document_path);
    assert!(valid, "the written document does not validate:\n{said}");
    let written = std::fs::read_to_string(&document_path).expect("the written document");
    let document = roxmltree::Document::parse(&written).expect("well-formed XML");
    let root = document.root_element();
    let first = root.first_element_child().expect("the root has children");
    assert_eq!(first.tag_name().name(), "ID");
    let without_id = format!(
        "{}{}",
        &written[..first.range().start],
        &written[first.range().end..]
    );
    let invalid = tmp.path().join("without_id.xml");
    std::fs::write(&invalid, without_id).expect("write the invalid copy");
    assert!(
        !xmllint(&schema, &invalid).0,
        "xmllint accepted a document without its ID"
    );

    // The document holds each report, in order, as the CSV gives it.
    assert_eq!(root.tag_name().name(), "OperationsPerformance");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.mesa.org/xml/B2MML")
    );
    let responses: Vec<_> = children(root, "OperationsResponse").collect();
    assert_eq!(responses.len(), reported.len());
    for (response, row) in responses.iter().zip(&reported) {
        let actual = descendants(*response, "MaterialActual")
            .next()
            .expect("a material actual");
        let optional = |column: &str| Some(row[column].clone()).filter(|v| !v.is_empty());
        assert_eq!(child_text(*response, "ID"), Some(row["report_id"].clone()));
        assert_eq!(
            child_text(*response, "OperationsRequestID"),
            Some(row["order_id"].clone())
        );
        assert_eq!(
            child_text(*response, "EndTime"),
            Some(row["reported_at"].clone())
        );
        assert_eq!(
            text_at(*response, &["SegmentResponse", "ID"]),
            Some(row["segment"].clone())
        );
        assert_eq!(
            child_text(actual, "MaterialDefinitionID"),
            Some(row["material_id"].clone())
        );
        assert_eq!(child_text(actual, "MaterialLotID"), optional("lot_id"));
        assert_eq!(
            child_text(actual, "MaterialSubLotID"),
            optional("sublot_id")
        );
        assert_eq!(
            child_text(actual, "MaterialUse"),
            Some(row["material_use"].clone())
        );
        let quantity: f64 = text_at(actual, &["Quantity", "QuantityString"])
            .expect("a quantity")
            .parse()
            .expect("a decimal");
        assert_eq!(quantity, row["quantity"].parse::<f64>().expect("a number"));
        assert_eq!(
            text_at(actual, &["Quantity", "UnitOfMeasure"]),
            Some(row["unit_of_measure"].trim().to_uppercase())
        );
    }

    // Read back through the xml source: the records equal those the target was given, which a
    // second run captures as JSON Lines instead of writing the document.
    let captured = tmp.path().join("captured");
    let dead_letter = tmp.path().join("captured-rejected.jsonl");
    let capture = captured.to_string_lossy().into_owned();
    let capture_dead_letter = dead_letter.to_string_lossy().into_owned();
    let (code, _) = run_json(
        &binary,
        &[
            "--capture-targets",
            &capture,
            "--dead-letter",
            &capture_dead_letter,
        ],
    );
    assert_eq!(code, 0);
    let readback = build(
        &workspace_root().join("tests/programs/b2mml_readback/b2mml_readback.fdi"),
        &tmp.path().join("readback-crate"),
    );
    let source = format!("responses={}", document_path.display());
    let read_dir = tmp.path().join("read");
    let base = read_dir.to_string_lossy().into_owned();
    let (code, read_summary) = run_json(&readback, &["--base-dir", &base, "--source", &source]);
    assert_eq!(code, 0, "{read_summary}");
    assert_eq!(flow(&read_summary, "back")["written"], reported.len());
    let lines = |path: &Path| -> Vec<serde_json::Value> {
        std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    };
    let given = lines(&captured.join("erp.jsonl"));
    let read_back = lines(&read_dir.join("out/read_back.jsonl"));
    assert_eq!(given.len(), reported.len());
    assert_eq!(
        read_back, given,
        "the document does not read back as written"
    );
}
