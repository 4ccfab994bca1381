//! QIF 3.0 results in (issue 15): the cmm-to-qms example's generated program reads the real
//! QIF samples (`examples/cmm-to-qms/data/qif/`) with the `xml` connector, joins each
//! measurement with its plan, and writes inspections, SPC rows, nonconformances and the QIF
//! results as read. Every expectation is computed here from the raw QIF files
//! (`qif_file.rs`, roxmltree and tree walking), never from the program's output.
//!
//! The program is built once (`example_program`) and run once per test, each in a copy of
//! the example's folder.

#[path = "../support/mod.rs"]
mod support;

mod example_run;
mod qif_file;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use support::{assert_balanced, build, copy_dir, flow, read_jsonl, run_json, workspace_root};

const SHEET_METAL_RESULTS: &str = "data/qif/SheetMetal_QIF_Results_6_samples.QIF";
const SHEET_METAL_PLAN: &str = "data/qif/sheetMetalPlan.QIF";
const WIDGET_RESULTS: &str = "data/qif/WIDGET_QIF_RESULTS.QIF";
const WIDGET_PLAN: &str = "data/qif/WIDGET_QIF_PLAN.QIF";

/// The example's program, built once for every test of this binary.
fn example_program() -> &'static Path {
    static PROGRAM: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, binary) = PROGRAM.get_or_init(|| {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().join("cmm-to-qms");
        copy_dir(&example_dir(), &dir);
        let binary = build(&dir.join("cmm_to_qms.fdi"), &tmp.path().join("crate"));
        (tmp, binary)
    });
    binary
}

fn example_dir() -> PathBuf {
    workspace_root().join("examples/cmm-to-qms")
}

/// A fresh copy of the example's folder, for one run's outputs.
fn example_copy() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("temp dir");
    copy_dir(&example_dir(), tmp.path());
    tmp
}

/// Runs the example's program over the folder `dir` with `args`, and returns its summary.
fn run_example(dir: &Path, args: &[&str]) -> serde_json::Value {
    let base = dir.to_str().expect("UTF-8 path");
    let mut all = vec!["--base-dir", base];
    all.extend_from_slice(args);
    let (code, summary) = run_json(example_program(), &all);
    assert_eq!(code, 0, "{summary}");
    assert_balanced(&summary);
    summary
}

/// The arguments that point every QIF source and lookup of the example at another results
/// document and plan (absolute paths: the options are relative to the current directory).
fn other_report(dir: &Path, results: &str, plan: &str) -> Vec<String> {
    let results = dir.join(results).display().to_string();
    let plan = dir.join(plan).display().to_string();
    let mut args = Vec::new();
    for source in ["cmm", "cmm_inspections"] {
        args.extend(["--source".to_string(), format!("{source}={results}")]);
    }
    for lookup in ["components", "result_items", "devices"] {
        args.extend(["--lookup".to_string(), format!("{lookup}={results}")]);
    }
    for lookup in ["plan_items", "plan_nominals", "plan_definitions"] {
        args.extend(["--lookup".to_string(), format!("{lookup}={plan}")]);
    }
    args
}

fn sqlite_rows(db: &Path, sql: &str) -> Vec<Vec<rusqlite::types::Value>> {
    let db = rusqlite::Connection::open(db).expect("open the QMS database");
    let mut statement = db.prepare(sql).expect("query");
    let columns = statement.column_count();
    statement
        .query_map([], |row| {
            (0..columns)
                .map(|i| row.get::<_, rusqlite::types::Value>(i))
                .collect()
        })
        .expect("rows")
        .map(|r| r.expect("row"))
        .collect()
}

fn text(value: &rusqlite::types::Value) -> String {
    match value {
        rusqlite::types::Value::Text(t) => t.clone(),
        rusqlite::types::Value::Integer(i) => i.to_string(),
        other => panic!("not text: {other:?}"),
    }
}

fn close(actual: Option<f64>, expected: Option<f64>) -> bool {
    match (actual, expected) {
        (Some(a), Some(e)) => (a - e).abs() <= 1e-12_f64.max(e.abs() * 1e-12),
        (None, None) => true,
        _ => false,
    }
}

#[test]
fn sheet_metal_yields_one_inspection_per_serialized_part_with_its_failures_counted() {
    let tmp = example_copy();
    let expected = qif_file::read(
        &tmp.path().join(SHEET_METAL_RESULTS),
        &tmp.path().join(SHEET_METAL_PLAN),
    );
    let summary = run_example(tmp.path(), &[]);

    let serialized: Vec<_> = expected
        .inspections
        .iter()
        .filter(|i| i.serial.is_some())
        .collect();
    assert_eq!(serialized.len(), 6, "the sample has six serialized parts");
    let inspections = flow(&summary, "cmm_inspection");
    assert_eq!(inspections["read"], expected.inspections.len());
    assert_eq!(inspections["written"], serialized.len());

    let rows = sqlite_rows(
        &tmp.path().join("out/qms.db"),
        "SELECT serial_no, report_ref, inspection_status, measurements, measurements_failed, \
         inspected_at FROM inspections ORDER BY serial_no",
    );
    let mut wanted: Vec<_> = serialized
        .iter()
        .map(|i| {
            vec![
                i.serial.clone().expect("serial"),
                expected.qpid.clone(),
                i.status.clone(),
                i.measurements.len().to_string(),
                i.failed().to_string(),
                format!("{}Z", expected.report_date),
            ]
        })
        .collect();
    wanted.sort();
    let got: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(text).collect()).collect();
    assert_eq!(got, wanted);
    // The file's own counts: 14 failed measurements in all, on three parts.
    let failed: usize = serialized.iter().map(|i| i.failed()).sum();
    assert_eq!(failed, 14);
}

/// Every measurement of `expected` arrived in `out/cmm_results.jsonl`, in document order,
/// with its plan's nominal and tolerances, its value, unit, status, part and repeat mark.
fn assert_results_as_read(dir: &Path, expected: &qif_file::Results) {
    let written = read_jsonl(&dir.join("out/cmm_results.jsonl"));
    let measurements: Vec<_> = expected.measurements().collect();
    assert_eq!(written.len(), measurements.len());
    for (line, m) in written.iter().zip(&measurements) {
        let number = |key: &str| line[key].as_f64();
        let context = format!("measurement {}: {line}", m.id);
        assert_eq!(line["measurement_id"].as_u64(), Some(m.id), "{context}");
        assert_eq!(
            line["characteristic_name"],
            m.characteristic_name.as_str(),
            "{context}"
        );
        assert!(close(number("measured_mm"), Some(m.value)), "{context}");
        assert!(close(number("nominal_mm"), m.nominal), "{context}");
        assert!(
            close(number("tolerance_zone_mm"), m.tolerance_zone),
            "{context}"
        );
        assert!(
            close(number("tolerance_min_mm"), m.tolerance_min),
            "{context}"
        );
        assert!(
            close(number("tolerance_max_mm"), m.tolerance_max),
            "{context}"
        );
        assert_eq!(line["unit"], expected.length_unit.as_str(), "{context}");
        assert_eq!(line["status"], m.status.as_str(), "{context}");
        assert_eq!(line["repeat"], m.repeat, "{context}");
        assert_eq!(line["serial_no"].as_str(), m.serial.as_deref(), "{context}");
        assert_eq!(line["report_ref"], expected.qpid.as_str(), "{context}");
        assert_eq!(line["plan_ref"], expected.plan_qpid.as_str(), "{context}");
        assert_eq!(
            line["measured_at"],
            format!("{}Z", expected.report_date).as_str(),
            "{context}"
        );
    }
}

#[test]
fn every_sheet_metal_measurement_arrives_with_nominal_actual_unit_and_status() {
    let tmp = example_copy();
    let expected = qif_file::read(
        &tmp.path().join(SHEET_METAL_RESULTS),
        &tmp.path().join(SHEET_METAL_PLAN),
    );
    let summary = run_example(tmp.path(), &[]);
    let results = flow(&summary, "cmm_read");
    assert_eq!(results["read"], expected.measurements().count());
    assert_eq!(results["written"], expected.measurements().count());
    assert_results_as_read(tmp.path(), &expected);
}

#[test]
fn widget_results_arrive_without_a_serial_and_stay_out_of_spc() {
    let tmp = example_copy();
    let expected = qif_file::read(
        &tmp.path().join(WIDGET_RESULTS),
        &tmp.path().join(WIDGET_PLAN),
    );
    let args = other_report(tmp.path(), WIDGET_RESULTS, WIDGET_PLAN);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let summary = run_example(tmp.path(), &args);

    assert!(expected.inspections.iter().all(|i| i.serial.is_none()));
    let all = expected.measurements().count();
    let repeats = expected.measurements().filter(|m| m.repeat).count();
    let firsts_failed = expected
        .measurements()
        .filter(|m| !m.repeat && m.status == "FAIL")
        .count();
    assert_eq!(flow(&summary, "cmm_read")["written"], all);
    assert_results_as_read(tmp.path(), &expected);

    let spc = flow(&summary, "cmm_spc");
    assert_eq!(spc["filtered"], repeats);
    assert_eq!(spc["rejected"], all - repeats, "no serial, no SPC row");
    assert_eq!(spc["written"], 0);
    let nc = flow(&summary, "cmm_nc");
    assert_eq!(nc["rejected"], firsts_failed);
    assert_eq!(nc["written"], 0);
    let inspections = flow(&summary, "cmm_inspection");
    assert_eq!(inspections["read"], expected.inspections.len());
    assert_eq!(inspections["rejected"], expected.inspections.len());
}

/// A nonconformance `with provenance` points back to the QIF measurement that produced it:
/// its position is the line the measurement's element starts on, its source time the report
/// date in UTC. (Moved here from provenance.rs with the CSV it read.)
#[test]
fn nonconformances_trace_back_to_their_qif_measurement() {
    let tmp = example_copy();
    let expected = qif_file::read(
        &tmp.path().join(SHEET_METAL_RESULTS),
        &tmp.path().join(SHEET_METAL_PLAN),
    );
    run_example(tmp.path(), &[]);
    let written = read_jsonl(&tmp.path().join("out/nonconformances.jsonl"));
    assert!(!written.is_empty(), "the example has nonconformances");
    for nc in &written {
        let line = nc["_fdi_position"].as_u64().expect("position");
        let m = expected
            .measurements()
            .find(|m| m.line == line)
            .unwrap_or_else(|| panic!("no measurement starts on line {line}: {nc}"));
        assert_eq!(m.status, "FAIL", "{nc}");
        assert!(!m.repeat, "{nc}");
        assert!(close(nc["measured_mm"].as_f64(), Some(m.value)), "{nc}");
        assert_eq!(nc["serial_no"].as_str(), m.serial.as_deref());
        assert_eq!(nc["report_ref"], expected.qpid.as_str());
        assert_eq!(
            nc["_fdi_source_time"],
            format!("{}Z", expected.report_date).as_str(),
            "the record's own time, in UTC"
        );
        assert_eq!(nc["_fdi_flow"], "cmm_nc");
        assert_eq!(nc["_fdi_source"], "cmm");
    }
}
