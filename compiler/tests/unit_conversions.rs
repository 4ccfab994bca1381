//! Unit conversions through a generated program: `tests/programs/conversions` converts
//! machine readings (rpm, degC, in, bar, N*m) into the historian's units, and every output
//! value is compared with the textbook formula applied here to the input CSV. The program's
//! constants come from the compiler's unit table; the formulas below do not, so the two
//! agree only if the table and the generated arithmetic are right.

mod support;

use std::f64::consts::PI;

use support::{build, copy_dir, read_jsonl, run_json, workspace_root};

/// Pascals in one pound-force per square inch (NIST SP 811, exact by definition of the
/// pound and the inch).
const PA_PER_PSI: f64 = 6_894.757_293_168_361;

fn close(actual: f64, expected: f64, what: &str) {
    let scale = expected.abs().max(1.0);
    assert!(
        (actual - expected).abs() <= 1e-12 * scale,
        "{what}: program wrote {actual}, the formula gives {expected}"
    );
}

#[test]
fn conversions_match_the_textbook_formulas() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("conversions");
    copy_dir(&workspace_root().join("tests/programs/conversions"), &dir);
    let binary = build(&dir.join("conversions.fdi"), &tmp.path().join("crate"));
    let (code, summary) = run_json(&binary, &[]);
    assert_eq!(code, 0, "{summary}");

    let mut input = csv::Reader::from_path(dir.join("readings.csv")).expect("input CSV");
    let rows: Vec<csv::StringRecord> = input.records().map(|r| r.expect("row")).collect();
    let output = read_jsonl(&dir.join("out/converted.jsonl"));
    assert_eq!(output.len(), rows.len(), "every reading is converted");

    for (row, out) in rows.iter().zip(&output) {
        let get = |i: usize| row[i].parse::<f64>().expect("number");
        let (sample, rpm, celsius, inches, bar, torque, minutes) =
            (get(0), get(1), get(2), get(3), get(4), get(5), get(6));
        let num = |key: &str| {
            out[key]
                .as_f64()
                .unwrap_or_else(|| panic!("{key} in {out}"))
        };
        let what = |key: &str| format!("sample {sample}, {key}");
        assert_eq!(out["sample"].as_f64(), Some(sample));
        close(
            num("speed_rad_s"),
            rpm * 2.0 * PI / 60.0,
            &what("rpm -> rad/s"),
        );
        close(num("speed_hz"), rpm / 60.0, &what("rpm -> Hz"));
        close(
            num("coolant_f"),
            celsius * 9.0 / 5.0 + 32.0,
            &what("degC -> degF"),
        );
        close(num("coolant_k"), celsius + 273.15, &what("degC -> K"));
        close(num("stroke_mm"), inches * 25.4, &what("in -> mm"));
        close(
            num("clamp_psi"),
            bar * 100_000.0 / PA_PER_PSI,
            &what("bar -> psi"),
        );
        close(
            num("power_kw"),
            torque * (rpm * 2.0 * PI / 60.0) / 1000.0,
            &what("N*m * rad/s -> kW"),
        );
        close(
            num("feed_mm_min"),
            inches * 25.4 / minutes,
            &what("mm / min"),
        );
    }
}
