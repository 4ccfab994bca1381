//! The examples: every example's own `test` blocks pass under `fdi test`, and the
//! cmm-to-qms example's run balances against counts computed here from its input files.
//!
//! The expected counts are derived from the CSV files with the csv crate and a check-digit
//! function of this file, not from the mapping or the runtime, so the run and the
//! expectation agree only if the mapping does what its README says.

mod support;

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

use support::{
    assert_balanced, build, copy_dir, flow, run_json, shared_target_dir, workspace_root,
};

#[test]
fn every_example_passes_its_own_tests() {
    let examples = workspace_root().join("examples");
    let mut mappings: Vec<_> = std::fs::read_dir(&examples)
        .expect("examples folder")
        .flat_map(|dir| {
            std::fs::read_dir(dir.expect("entry").path())
                .into_iter()
                .flatten()
        })
        .map(|entry| entry.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "fdi"))
        .collect();
    mappings.sort();
    assert!(mappings.len() >= 2, "found {mappings:?}");
    let output = Command::new(env!("CARGO_BIN_EXE_fdi"))
        .arg("test")
        .args(&mappings)
        .arg("--target-dir")
        .arg(shared_target_dir())
        .output()
        .expect("run fdi test");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "fdi test failed:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains(" passed, 0 failed"), "{report}");
}

/// The rows of a CSV file as maps from column name to text.
fn rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).expect("CSV file");
    let headers = reader.headers().expect("header").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("row");
            headers
                .iter()
                .map(str::to_string)
                .zip(r.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// GS1 mod 10: weights 3 and 1 from the right, excluding the check digit.
fn gs1_valid(number: &str) -> bool {
    let digits: Vec<u32> = number.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != number.len() || digits.len() < 2 {
        return false;
    }
    let (body, check) = digits.split_at(digits.len() - 1);
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d })
        .sum();
    (10 - sum % 10) % 10 == check[0]
}

#[test]
fn gs1_check_digit_of_this_test_is_right() {
    assert!(gs1_valid("4006381333931"));
    assert!(gs1_valid("47301122"));
    assert!(!gs1_valid("47301125"));
}

#[test]
fn cmm_to_qms_run_matches_its_input() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("cmm-to-qms");
    copy_dir(&workspace_root().join("examples/cmm-to-qms"), &dir);
    let binary = build(&dir.join("cmm_to_qms.fdi"), &tmp.path().join("crate"));
    let (code, summary) = run_json(&binary, &[]);
    assert_eq!(code, 0, "{summary}");
    assert_balanced(&summary);

    let cmm = rows(&dir.join("data/cmm_results.csv"));
    let first_results: Vec<_> = cmm.iter().filter(|r| r["repeat_index"] == "1").collect();
    let without_serial = first_results
        .iter()
        .filter(|r| r["serial_number"].is_empty())
        .count();
    let spc = flow(&summary, "cmm_spc");
    assert_eq!(spc["read"], cmm.len());
    assert_eq!(
        spc["filtered"],
        cmm.len() - first_results.len(),
        "repeats are filtered"
    );
    assert_eq!(
        spc["rejected"], without_serial,
        "results without a serial are rejected"
    );
    assert_eq!(spc["written"], first_results.len() - without_serial);

    let failed: Vec<_> = first_results
        .iter()
        .filter(|r| r["status"] == "FAIL")
        .collect();
    let failed_without_serial = failed
        .iter()
        .filter(|r| r["serial_number"].is_empty())
        .count();
    let nc = flow(&summary, "cmm_nc");
    assert_eq!(nc["filtered"], cmm.len() - failed.len());
    assert_eq!(nc["rejected"], failed_without_serial);
    assert_eq!(nc["written"], failed.len() - failed_without_serial);

    // Gauge rows: a part number failing its check digit does not decode; of the rest, a
    // reading that is not GOOD, then a characteristic the crosswalk lacks, is rejected.
    let known: HashSet<String> = rows(&dir.join("master/characteristic_crosswalk.csv"))
        .into_iter()
        .map(|r| r["cmm_characteristic_id"].clone())
        .collect();
    let gauge = rows(&dir.join("data/gauge_readings.csv"));
    let bad_part = gauge
        .iter()
        .filter(|r| !gs1_valid(&r["part_number"]))
        .count();
    let decoded: Vec<_> = gauge
        .iter()
        .filter(|r| gs1_valid(&r["part_number"]))
        .collect();
    let not_good = decoded
        .iter()
        .filter(|r| r["reading_quality"] != "GOOD")
        .count();
    let unknown = decoded
        .iter()
        .filter(|r| r["reading_quality"] == "GOOD" && !known.contains(&r["characteristic"]))
        .count();
    let g = flow(&summary, "gauge_spc");
    assert_eq!(g["read"], gauge.len());
    assert_eq!(g["rejected"], bad_part + not_good + unknown);
    assert_eq!(g["written"], gauge.len() - bad_part - not_good - unknown);
    assert!(
        bad_part >= 1 && not_good >= 1 && unknown >= 1,
        "the file exercises every reject"
    );

    // Inches became millimetres: every gauge row in SPC equals its reading times 25.4.
    let db = rusqlite::Connection::open(dir.join("out/qms.db")).expect("SPC database");
    let mut by_serial = db
        .prepare("SELECT serial_no, qms_characteristic_id, measured_mm FROM spc_measurements WHERE measured_by = 'GAUGE'")
        .expect("query");
    let stored: Vec<(String, String, f64)> = by_serial
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .expect("rows")
        .map(|r| r.expect("row"))
        .collect();
    assert_eq!(stored.len() as u64, g["written"].as_u64().unwrap_or(0));
    for (serial, _, mm) in &stored {
        let inches: Vec<f64> = decoded
            .iter()
            .filter(|r| &r["serial_number"] == serial && r["reading_quality"] == "GOOD")
            .map(|r| r["reading"].parse::<f64>().expect("inches"))
            .collect();
        assert!(
            inches.iter().any(|i| (i * 25.4 - mm).abs() < 1e-9),
            "{serial}: {mm} mm is none of {inches:?} in"
        );
    }
}
