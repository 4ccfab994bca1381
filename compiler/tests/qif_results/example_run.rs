//! The cmm-to-qms example's whole run balances against counts computed here from its input
//! files: the QIF results (through `qif_file`), the hand-gauge CSV (with the csv crate and a
//! check-digit function of this file) and the crosswalk. The run and the expectation agree
//! only if the mapping does what its README says.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::support::{flow, read_jsonl};
use crate::{example_copy, qif_file, run_example, sqlite_rows, text};

/// The rows of a CSV file as maps from column name to text.
fn rows(path: &Path) -> Vec<HashMap<String, String>> {
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
    let tmp = example_copy();
    let dir = tmp.path();
    let summary = run_example(dir, &[]);

    let cmm = qif_file::read(
        &dir.join(crate::SHEET_METAL_RESULTS),
        &dir.join(crate::SHEET_METAL_PLAN),
    );
    let all = cmm.measurements().count();
    let firsts: Vec<_> = cmm.measurements().filter(|m| !m.repeat).collect();
    let spc = flow(&summary, "cmm_spc");
    assert_eq!(spc["read"], all);
    assert_eq!(spc["filtered"], all - firsts.len(), "repeats are filtered");
    assert_eq!(spc["rejected"], 0, "every sheet-metal part has a serial");
    assert_eq!(spc["written"], firsts.len());

    // Each first result is one SPC row, under the QMS id the crosswalk gives its name.
    let crosswalk: HashMap<String, String> = rows(&dir.join("master/characteristic_crosswalk.csv"))
        .into_iter()
        .map(|r| {
            (
                r["cmm_characteristic_id"].clone(),
                r["qms_characteristic_id"].clone(),
            )
        })
        .collect();
    let mut expected_rows: Vec<(String, String, String, String)> = firsts
        .iter()
        .map(|m| {
            (
                m.serial.clone().expect("serial"),
                crosswalk[&m.characteristic_name].clone(),
                format!("{:.12e}", m.value),
                m.status.clone(),
            )
        })
        .collect();
    expected_rows.sort();
    let mut stored_rows: Vec<(String, String, String, String)> = sqlite_rows(
        &dir.join("out/qms.db"),
        "SELECT serial_no, qms_characteristic_id, measured_mm, reported_status \
         FROM spc_measurements WHERE measured_by = 'CMM'",
    )
    .iter()
    .map(|r| {
        let rusqlite::types::Value::Real(mm) = r[2] else {
            panic!("measured_mm is not a number: {r:?}")
        };
        (text(&r[0]), text(&r[1]), format!("{mm:.12e}"), text(&r[3]))
    })
    .collect();
    stored_rows.sort();
    assert_eq!(stored_rows, expected_rows);

    // Nonconformances: the CMM's FAILs among first results, per serial number.
    let nc = flow(&summary, "cmm_nc");
    let failed: Vec<_> = firsts.iter().filter(|m| m.status == "FAIL").collect();
    assert_eq!(nc["written"], failed.len());
    assert_eq!(nc["filtered"], all - failed.len());
    let mut expected_per_serial: HashMap<String, usize> = HashMap::new();
    for m in &failed {
        *expected_per_serial
            .entry(m.serial.clone().expect("serial"))
            .or_default() += 1;
    }
    let mut written_per_serial: HashMap<String, usize> = HashMap::new();
    for line in read_jsonl(&dir.join("out/nonconformances.jsonl")) {
        *written_per_serial
            .entry(line["serial_no"].as_str().expect("serial").to_string())
            .or_default() += 1;
    }
    assert_eq!(written_per_serial, expected_per_serial);

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
    let stored = sqlite_rows(
        &dir.join("out/qms.db"),
        "SELECT serial_no, measured_mm FROM spc_measurements WHERE measured_by = 'GAUGE'",
    );
    assert_eq!(stored.len() as u64, g["written"].as_u64().unwrap_or(0));
    for row in &stored {
        let serial = text(&row[0]);
        let rusqlite::types::Value::Real(mm) = row[1] else {
            panic!("measured_mm is not a number: {row:?}")
        };
        let inches: Vec<f64> = decoded
            .iter()
            .filter(|r| r["serial_number"] == serial && r["reading_quality"] == "GOOD")
            .map(|r| r["reading"].parse::<f64>().expect("inches"))
            .collect();
        assert!(
            inches.iter().any(|i| (i * 25.4 - mm).abs() < 1e-9),
            "{serial}: {mm} mm is none of {inches:?} in"
        );
    }
}
