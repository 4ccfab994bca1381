//! CMM measurements as a measuring room exports them: one CSV row per characteristic of a
//! serialized part (GTIN-14 and a GS1 serial), the characteristics of each part in a row, one in
//! twenty parts measured again later (its rows then update the SPC table's), stamped with the
//! room's clock in Berlin local time. Half of the rows fall in the week around the spring clock
//! change, half in the week around the autumn one, whatever the number of rows, so that both
//! changes are in every input: no row falls in the hour skipped in March, and the rows of the
//! two hours that show as 02:xx on 27 October are ambiguous, which the mapping rejects as the
//! docs say (`local time repeated by a clock change`). 1% of the rows are bad, a quarter each: a
//! GTIN whose check digit is wrong, a local time in the skipped hour, a part temperature that
//! is not a number, a unit the export should not have. Synthetic: not measurements.

use std::io::Write;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Europe::Berlin;

use super::io_error;
use crate::rng::Rng;
use crate::workload::Workload;

/// The columns of the export, as the workload's schema reads them.
const HEADER: &str =
    "measured_at,cmm,operator,gtin,serial,characteristic,value,value_quality,unit,part_temperature";

/// How the measuring room's clock writes local time (the schema's `format:`).
pub const LOCAL_FORMAT: &str = "%d.%m.%Y %H:%M:%S";

/// The first instants of the two weeks the rows are spread over: each holds a clock change of
/// Europe/Berlin (31 March and 27 October 2024).
const WEEKS: [&str; 2] = ["2024-03-27T23:00:00Z", "2024-10-23T22:00:00Z"];
const WEEK_SECONDS: u64 = 7 * 24 * 3600;

/// A part type of the master data with its characteristics.
struct PartType {
    gtin: String,
    characteristics: Vec<Tolerance>,
}

struct Tolerance {
    characteristic: String,
    nominal: f64,
    lower: f64,
    upper: f64,
}

/// A part on the CMM: which part type, its serial, which machine and operator measure it.
#[derive(Clone)]
struct Part {
    part_type: usize,
    serial: u64,
    cmm: u64,
    operator: Option<u64>,
}

pub fn write(out: &mut impl Write, rng: &mut Rng, records: u64) -> Result<(), String> {
    let part_types = part_types()?;
    let fail = |e: std::io::Error| e.to_string();
    writeln!(out, "{HEADER}").map_err(fail)?;
    let weeks: Vec<DateTime<Utc>> = WEEKS
        .iter()
        .map(|w| w.parse().expect("a valid constant"))
        .collect();
    let per_week = records.div_ceil(2).max(1);
    let mut measured: Vec<Part> = Vec::new();
    let mut next_serial = 4_000_100_000;
    let (mut part, mut next_characteristic) = (None::<Part>, 0);
    for i in 0..records {
        let current = match &part {
            Some(p) if next_characteristic < part_types[p.part_type].characteristics.len() => {
                p.clone()
            }
            _ => {
                let p = if rng.one_in(20) && !measured.is_empty() {
                    // Measured again on another machine, by whoever is there.
                    Part {
                        cmm: rng.below(4) + 1,
                        operator: operator(rng),
                        ..rng.pick(&measured).clone()
                    }
                } else {
                    next_serial += 1 + rng.below(3);
                    Part {
                        part_type: rng.below(part_types.len() as u64) as usize,
                        serial: next_serial,
                        cmm: rng.below(4) + 1,
                        operator: operator(rng),
                    }
                };
                measured.push(p.clone());
                part = Some(p.clone());
                next_characteristic = 0;
                p
            }
        };
        let part_type = &part_types[current.part_type];
        let tolerance = &part_type.characteristics[next_characteristic];
        next_characteristic += 1;

        let (week, j) = (weeks[(i / per_week) as usize], i % per_week);
        let instant = week + Duration::seconds((j * WEEK_SECONDS / per_week) as i64);
        let mut local = instant
            .with_timezone(&Berlin)
            .format(LOCAL_FORMAT)
            .to_string();
        let mut gtin = part_type.gtin.clone();
        let mut temperature = format!("{:.1}", rng.between(19.5, 21.5));
        // A tenth of a micrometre, the CMM's resolution; a tenth over the tolerance at each end.
        let width = tolerance.upper - tolerance.lower;
        let deviation = rng.between(
            tolerance.lower - width / 10.0,
            tolerance.upper + width / 10.0,
        );
        let value_mm = tolerance.nominal + deviation;
        let (mut unit, value) = if rng.one_in(5) {
            ("in", format!("{:.6}", value_mm / 25.4))
        } else {
            ("mm", format!("{value_mm:.4}"))
        };
        let quality = match rng.below(400) {
            0 => "BAD",
            1 => "UNCERTAIN",
            _ => "GOOD",
        };
        if rng.one_in(100) {
            match rng.below(4) {
                0 => gtin = wrong_check_digit(&gtin, rng),
                1 => local = format!("31.03.2024 02:{:02}:{:02}", rng.below(60), rng.below(60)),
                2 => temperature = "n/a".into(),
                _ => unit = ["cm", "um", "inch"][rng.below(3) as usize],
            }
        }
        let operator = current
            .operator
            .map(|n| format!("OP-{n:04}"))
            .unwrap_or_default();
        writeln!(
            out,
            "{local},CMM-{:02},{operator},{gtin},{:010},{},{value},{quality},{unit},{temperature}",
            current.cmm, current.serial, tolerance.characteristic
        )
        .map_err(fail)?;
    }
    Ok(())
}

/// Three parts in four are loaded by the robot and measured unattended: no operator.
fn operator(rng: &mut Rng) -> Option<u64> {
    rng.one_in(4).then(|| 1000 + rng.below(40))
}

/// The GTIN with its last digit replaced by another, so its GS1 check digit no longer holds.
fn wrong_check_digit(gtin: &str, rng: &mut Rng) -> String {
    let (data, check) = gtin.split_at(gtin.len() - 1);
    let check = check.parse::<u64>().unwrap_or(0);
    format!("{data}{}", (check + 1 + rng.below(9)) % 10)
}

/// The part types and tolerances of the committed master data, in its order.
fn part_types() -> Result<Vec<PartType>, String> {
    let (_, path) = Workload::CmmQuality
        .master_data()
        .ok_or("cmm_quality has master data")?;
    let mut reader = csv::Reader::from_path(&path).map_err(|e| io_error(&path, e))?;
    let mut types: Vec<PartType> = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| io_error(&path, e))?;
        let number = |n: usize| {
            row[n]
                .parse::<f64>()
                .map_err(|e| io_error(&path, format!("{}: {e}", &row[n])))
        };
        let tolerance = Tolerance {
            characteristic: row[1].to_string(),
            nominal: number(2)?,
            lower: number(3)?,
            upper: number(4)?,
        };
        match types.last_mut() {
            Some(t) if t.gtin == row[0] => t.characteristics.push(tolerance),
            _ => types.push(PartType {
                gtin: row[0].to_string(),
                characteristics: vec![tolerance],
            }),
        }
    }
    Ok(types)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_check_digit_differs_from_the_right_one() {
        let mut rng = Rng::new(3);
        for _ in 0..100 {
            let wrong = wrong_check_digit("04012345100211", &mut rng);
            assert_eq!(&wrong[..13], "0401234510021");
            assert_ne!(&wrong[13..], "1");
        }
    }
}
