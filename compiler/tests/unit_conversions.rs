//! Unit conversions through a generated program: `tests/programs/conversions` converts
//! machine readings (rpm, degC, in, bar, N*m) into the historian's units, and every output
//! value is compared with the textbook formula applied here to the input CSV. The program's
//! constants come from the compiler's unit table; the formulas below do not, so the two
//! agree only if the table and the generated arithmetic are right. Timestamps too: local
//! Berlin times become UTC by the EU summer-time rule written out here, not by a time-zone
//! library.

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
            num("coolant_rise_f"),
            (celsius - 20.0) * 9.0 / 5.0,
            &what("degC - degC -> delta_degF"),
        );
        assert_eq!(num("one_inch"), 1.0, "{}", what("25.4 mm -> in"));
        close(
            num("feed_mm_min"),
            inches * 25.4 / minutes,
            &what("mm / min"),
        );

        let started_ms = row[7].parse::<i64>().expect("epoch milliseconds");
        let finished_ms = berlin_to_utc_millis(&row[8]);
        let text = |key: &str| {
            out[key]
                .as_str()
                .unwrap_or_else(|| panic!("{key} in {out}"))
        };
        assert_eq!(
            rfc3339_millis(text("finished_utc")),
            finished_ms,
            "{}",
            what("Berlin -> UTC")
        );
        assert_eq!(
            rfc3339_millis(text("due")),
            started_ms + 90 * 60_000,
            "{}",
            what("+ 90 min")
        );
        close(
            num("cycle_min"),
            (finished_ms - started_ms) as f64 / 60_000.0,
            &what("timestamp - timestamp"),
        );
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The day of the month of the last Sunday of a month with 31 days (1970-01-01 was a
/// Thursday).
fn last_sunday_of_31(year: i64, month: i64) -> i64 {
    let weekday = (days_from_civil(year, month, 31) + 4).rem_euclid(7); // 0 = Sunday
    31 - weekday
}

/// `dd.mm.yyyy HH:MM:SS` in Berlin as UTC epoch milliseconds, by the EU rule (since 1996):
/// UTC+2 from the last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC,
/// UTC+1 otherwise. (The test's 1970 row is in January, winter time either way.)
fn berlin_to_utc_millis(text: &str) -> i64 {
    let n: Vec<i64> = text
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse().expect("a number"))
        .collect();
    let (day, month, year, h, m, s) = (n[0], n[1], n[2], n[3], n[4], n[5]);
    let local = days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s;
    let summer_from = days_from_civil(year, 3, last_sunday_of_31(year, 3)) * 86_400 + 3600;
    let summer_until = days_from_civil(year, 10, last_sunday_of_31(year, 10)) * 86_400 + 3600;
    let as_summer = local - 7200;
    let utc = if (summer_from..summer_until).contains(&as_summer) {
        as_summer
    } else {
        local - 3600
    };
    utc * 1000
}

/// `YYYY-MM-DDTHH:MM:SS[.fff]Z` as epoch milliseconds.
fn rfc3339_millis(text: &str) -> i64 {
    let text = text
        .strip_suffix('Z')
        .unwrap_or_else(|| panic!("{text} is not in UTC"));
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let n: Vec<i64> = whole
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse().expect("a number"))
        .collect();
    let millis: i64 = format!("{fraction:0<3}")[..3]
        .parse()
        .expect("milliseconds");
    (days_from_civil(n[0], n[1], n[2]) * 86_400 + n[3] * 3600 + n[4] * 60 + n[5]) * 1000 + millis
}
