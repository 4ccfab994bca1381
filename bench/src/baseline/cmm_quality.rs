//! Hand-written `cmm_quality`: the same work as `bench/workloads/cmm_quality`. The CSV rows are
//! deserialized with csv + serde into a row of borrowed texts, whose columns are then read in
//! the order of the export, each with the rule its column breaks as the reason (the reasons of
//! docs/language.md, "Decode reasons"), so that a row with two faults is rejected for the same
//! one as by the generated program. Local times with chrono-tz, the characteristics in a
//! `HashMap` keyed by (GTIN, characteristic), one prepared upsert and a transaction per 1000
//! rows into SQLite (WAL mode, as the runtime opens databases) with each row's provenance, and
//! the failures into a `BufWriter` with serde_json.

use std::collections::HashMap;
use std::path::Path;

use chrono::{LocalResult, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use regex::Regex;
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{finish_file, jsonl_writer, signal_quality, write_line, CsvRecord, Quality, Rejects};
use crate::workload::Workload;

const BATCH: u64 = 1000;

/// The export's local time format, and its zone.
const LOCAL_FORMAT: &str = "%d.%m.%Y %H:%M:%S";

/// 1 in = 25.4 mm exactly.
const MM_PER_INCH: f64 = 25.4;

/// A row of the export as the csv crate gives it: texts borrowed from the record.
#[derive(Deserialize)]
struct Row<'a> {
    measured_at: &'a str,
    cmm: &'a str,
    operator: &'a str,
    gtin: &'a str,
    serial: &'a str,
    characteristic: &'a str,
    value: &'a str,
    value_quality: &'a str,
    unit: &'a str,
    part_temperature: &'a str,
}

/// A row whose every column is valid.
struct Measurement<'a> {
    measured_at: String,
    cmm: &'a str,
    operator: Option<&'a str>,
    gtin: &'a str,
    serial: &'a str,
    characteristic: &'a str,
    /// The value in mm, when it is a number the probing called GOOD.
    good_value_mm: Option<f64>,
    part_temperature: f64,
}

#[derive(Deserialize)]
struct Characteristic {
    gtin: String,
    characteristic: String,
    nominal: f64,
    lower_tol: f64,
    upper_tol: f64,
    description: String,
}

#[derive(Serialize)]
struct Failure<'a> {
    gtin: &'a str,
    serial: &'a str,
    characteristic: &'a str,
    description: &'a str,
    measured_at: &'a str,
    cmm: &'a str,
    measured_mm: f64,
    lower_limit_mm: f64,
    upper_limit_mm: f64,
    deviation_um: f64,
    summary: String,
}

/// The identifier types of the schema: their patterns, anchored as the schema's are.
struct Identifiers {
    gtin: Regex,
    serial: Regex,
    characteristic: Regex,
    cmm: Regex,
    operator: Regex,
}

impl Identifiers {
    fn new() -> Result<Self, String> {
        let anchored = |p: &str| Regex::new(&format!("^(?:{p})$")).map_err(|e| e.to_string());
        Ok(Identifiers {
            gtin: anchored("[0-9]+")?,
            serial: anchored("[0-9]{10}")?,
            characteristic: anchored("C[0-9]{3}")?,
            cmm: anchored("CMM-[0-9]{2}")?,
            operator: anchored("OP-[0-9]{4}")?,
        })
    }
}

/// The table as the runtime creates it for `SpcMeasurement` with provenance.
const CREATE: &str = "CREATE TABLE IF NOT EXISTS \"spc_measurements\" (\"gtin\" TEXT NOT NULL, \
    \"serial\" TEXT NOT NULL, \"characteristic\" TEXT NOT NULL, \"cmm\" TEXT NOT NULL, \
    \"operator\" TEXT, \"measured_at\" TEXT NOT NULL, \"measured_mm\" REAL NOT NULL, \
    \"nominal_mm\" REAL NOT NULL, \"deviation_mm\" REAL NOT NULL, \
    \"in_tolerance\" INTEGER NOT NULL, \"part_temperature\" REAL NOT NULL, \
    \"sequence\" INTEGER NOT NULL, \"_fdi_source\" TEXT NOT NULL, \"_fdi_stream\" TEXT, \
    \"_fdi_position\" INTEGER NOT NULL, \"_fdi_source_time\" TEXT NOT NULL, \
    \"_fdi_flow\" TEXT NOT NULL, \"_fdi_mapping\" TEXT NOT NULL, \
    PRIMARY KEY (\"gtin\", \"serial\", \"characteristic\"))";

const UPSERT: &str = "INSERT INTO spc_measurements (gtin, serial, characteristic, cmm, operator, \
    measured_at, measured_mm, nominal_mm, deviation_mm, in_tolerance, part_temperature, sequence, \
    _fdi_source, _fdi_stream, _fdi_position, _fdi_source_time, _fdi_flow, _fdi_mapping) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'measurements', NULL, ?13, ?6, \
    'to_spc', ?14) \
    ON CONFLICT (gtin, serial, characteristic) DO UPDATE SET cmm = excluded.cmm, \
    operator = excluded.operator, measured_at = excluded.measured_at, \
    measured_mm = excluded.measured_mm, nominal_mm = excluded.nominal_mm, \
    deviation_mm = excluded.deviation_mm, in_tolerance = excluded.in_tolerance, \
    part_temperature = excluded.part_temperature, sequence = excluded.sequence, \
    _fdi_source = excluded._fdi_source, _fdi_stream = excluded._fdi_stream, \
    _fdi_position = excluded._fdi_position, _fdi_source_time = excluded._fdi_source_time, \
    _fdi_flow = excluded._fdi_flow, _fdi_mapping = excluded._fdi_mapping";

pub fn run(
    input: &Path,
    run_dir: &Path,
    out_dir: &Path,
    mut rejects: Rejects,
) -> Result<(), String> {
    let sql = |e: rusqlite::Error| e.to_string();
    let rows = characteristics(run_dir)?;
    let characteristics: HashMap<(&str, &str), &Characteristic> = rows
        .iter()
        .map(|c| ((c.gtin.as_str(), c.characteristic.as_str()), c))
        .collect();
    let ids = Identifiers::new()?;
    // The provenance names the mapping by its SHA-256, as the generated program's rows do.
    let mapping = std::fs::read(Workload::CmmQuality.mapping()).map_err(|e| e.to_string())?;
    let mapping_sha256 = format!("{:x}", Sha256::digest(&mapping));

    let db = Connection::open(out_dir.join("out/spc.db")).map_err(sql)?;
    db.query_row("PRAGMA journal_mode=WAL", [], |row| row.get::<_, String>(0))
        .map_err(sql)?;
    db.execute_batch(CREATE).map_err(sql)?;
    let mut upsert = db.prepare(UPSERT).map_err(sql)?;
    let mut failures = jsonl_writer(&out_dir.join("out/failures.jsonl"))?;

    let mut reader = super::csv_reader(input)?;
    let headers = reader.byte_headers().map_err(|e| e.to_string())?.clone();
    let mut record = csv::ByteRecord::new();
    let mut position: u64 = 0;
    db.execute_batch("BEGIN").map_err(sql)?;
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| e.to_string())?
    {
        position += 1;
        if position.is_multiple_of(BATCH) {
            db.execute_batch("COMMIT; BEGIN").map_err(sql)?;
        }
        let original = || CsvRecord::new(&headers, &record);
        let decoded = match record.deserialize::<Row>(Some(&headers)) {
            Ok(row) => decode(&row, &ids),
            Err(e) => Err(("record does not match CmmMeasurement", e.to_string())),
        };
        let m = match decoded {
            Ok(m) => m,
            Err((reason, detail)) => {
                rejects.reject("decode", reason, &detail, position, &original())?;
                continue;
            }
        };
        let Some(c) = characteristics.get(&(m.gtin, m.characteristic)) else {
            rejects.reject("map", "unknown characteristic", "", position, &original())?;
            continue;
        };
        let Some(measured) = m.good_value_mm else {
            let reason = "measurement is not GOOD quality";
            rejects.reject("map", reason, "", position, &original())?;
            continue;
        };
        let deviation = measured - c.nominal;
        let in_tolerance = deviation >= c.lower_tol && deviation <= c.upper_tol;
        // The line the record starts on, from the csv crate (a quoted cell may hold a line
        // break, so it is not the record's number plus the header's line).
        let line = record.position().map_or(0, |p| p.line()) as i64;
        upsert
            .execute(params![
                m.gtin,
                m.serial,
                m.characteristic,
                m.cmm,
                m.operator,
                m.measured_at,
                measured,
                c.nominal,
                deviation,
                in_tolerance,
                m.part_temperature,
                position as i64,
                line,
                mapping_sha256,
            ])
            .map_err(sql)?;
        if !in_tolerance {
            let failure = Failure {
                gtin: m.gtin,
                serial: m.serial,
                characteristic: m.characteristic,
                description: &c.description,
                measured_at: &m.measured_at,
                cmm: m.cmm,
                measured_mm: measured,
                lower_limit_mm: c.nominal + c.lower_tol,
                upper_limit_mm: c.nominal + c.upper_tol,
                deviation_um: deviation * 1000.0,
                summary: format!("{} out of tolerance on part {}", c.description, m.serial),
            };
            write_line(&mut failures, &failure)?;
        }
    }
    db.execute_batch("COMMIT").map_err(sql)?;
    finish_file(failures)?;
    rejects.finish()
}

type Invalid = (&'static str, String);

/// Reads the row's columns in the order of the export, the unit last: the first that breaks its
/// rule is the reason.
fn decode<'a>(row: &Row<'a>, ids: &Identifiers) -> Result<Measurement<'a>, Invalid> {
    let measured_at = berlin_time(row.measured_at)?;
    let cmm = identifier(row.cmm, &ids.cmm, "CmmId pattern")?;
    let operator = match row.operator {
        "" => None,
        text => Some(identifier(text, &ids.operator, "OperatorId pattern")?),
    };
    let gtin = identifier(row.gtin, &ids.gtin, "Gtin14 pattern")?;
    if gtin.chars().count() != 14 {
        return Err(("Gtin14 length", format!("{gtin:?} is not 14 characters")));
    }
    if !gs1_check_digit_holds(gtin) {
        return Err(("Gtin14 check digit", format!("{gtin:?}: wrong check digit")));
    }
    let serial = identifier(row.serial, &ids.serial, "SerialNo pattern")?;
    let characteristic = identifier(
        row.characteristic,
        &ids.characteristic,
        "CharacteristicId pattern",
    )?;
    // The quality column as the runtime reads it: text that is no quality rejects the row.
    let Some(quality) = signal_quality(row.value_quality) else {
        let detail = format!("{:?} is not a signal quality", row.value_quality);
        return Err(("not a signal quality", detail));
    };
    // A value that is not a number, or that the probing did not call good, is no measurement;
    // the mapping rejects it, not the decoding.
    let value = row
        .value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite());
    let good = quality == Quality::Good;
    let part_temperature = number(row.part_temperature, "part_temperature")?;
    let scale = match row.unit.trim() {
        "mm" => 1.0,
        "in" => MM_PER_INCH,
        other => return Err(("unknown unit", format!("unknown unit {other:?}"))),
    };
    Ok(Measurement {
        measured_at,
        cmm,
        operator,
        gtin,
        serial,
        characteristic,
        good_value_mm: value.filter(|_| good).map(|v| v * scale),
        part_temperature,
    })
}

/// The measuring room's local time as UTC in RFC 3339, or why it is none: a local time the
/// clocks skip or show twice is not guessed.
fn berlin_time(text: &str) -> Result<String, Invalid> {
    let local = NaiveDateTime::parse_from_str(text, LOCAL_FORMAT)
        .map_err(|e| ("not in the time format", format!("{text:?}: {e}")))?;
    match Berlin.from_local_datetime(&local) {
        LocalResult::Single(t) => Ok(t
            .with_timezone(&Utc)
            .to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        LocalResult::None => Err((
            "local time skipped by a clock change",
            format!("{text:?} does not exist in Europe/Berlin"),
        )),
        LocalResult::Ambiguous(..) => Err((
            "local time repeated by a clock change",
            format!("{text:?} happens twice in Europe/Berlin"),
        )),
    }
}

/// `text` if it matches the identifier type's pattern, else `reason` (`<Id> pattern`).
fn identifier<'a>(
    text: &'a str,
    pattern: &Regex,
    reason: &'static str,
) -> Result<&'a str, Invalid> {
    if pattern.is_match(text) {
        Ok(text)
    } else {
        Err((reason, format!("{text:?} does not match")))
    }
}

/// GS1 mod 10: from the right, the digits before the check digit weigh 3, 1, 3, ...
fn gs1_check_digit_holds(digits: &str) -> bool {
    let mut weighted = 0;
    for (n, d) in digits.bytes().rev().skip(1).enumerate() {
        let d = u32::from(d - b'0');
        weighted += if n % 2 == 0 { 3 * d } else { d };
    }
    let check = u32::from(digits.as_bytes()[digits.len() - 1] - b'0');
    (10 - weighted % 10) % 10 == check
}

fn number(text: &str, column: &str) -> Result<f64, Invalid> {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        Ok(_) => Err((
            "not a finite number",
            format!("column {column:?}: {text:?}"),
        )),
        Err(_) => Err((
            "not a number",
            format!("column {column:?}: {text:?} is not a number"),
        )),
    }
}

fn characteristics(run_dir: &Path) -> Result<Vec<Characteristic>, String> {
    let path = run_dir.join(crate::workload::CHARACTERISTICS);
    let mut reader = csv::Reader::from_path(&path).map_err(|e| e.to_string())?;
    reader
        .deserialize::<Characteristic>()
        .map(|row| row.map_err(|e| format!("{}: {e}", path.display())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gs1_check_digits() {
        // GS1's own example GTIN-14 and SSCC.
        assert!(gs1_check_digit_holds("10614141000415"));
        assert!(gs1_check_digit_holds("106141411234567897"));
        assert!(!gs1_check_digit_holds("10614141000416"));
    }

    #[test]
    fn local_times_across_both_clock_changes() {
        assert_eq!(
            berlin_time("31.03.2024 01:59:59").unwrap(),
            "2024-03-31T00:59:59Z"
        );
        assert_eq!(
            berlin_time("31.03.2024 02:30:00").unwrap_err().0,
            "local time skipped by a clock change"
        );
        assert_eq!(
            berlin_time("27.10.2024 02:30:00").unwrap_err().0,
            "local time repeated by a clock change"
        );
        assert_eq!(
            berlin_time("27.10.2024 03:00:00").unwrap(),
            "2024-10-27T02:00:00Z"
        );
    }
}
