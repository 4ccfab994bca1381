//! Historian samples as CSV, about 70 bytes a row, for the machines of
//! `bench/workloads/zoned_history/master/clocks.csv` (three plants, three time zones). The sample
//! times run 12 s apart from 2024-03-10T06:00Z, so that the smoke test's 2,000 samples cross
//! Chicago's clock change (08:00Z that day) and 200,000 samples Berlin's too (2024-03-31). Qualities come as a historian writes them: `GOOD`,
//! `Uncertain`, OPC UA status names, now and then none (uncertain) or an `UNAVAILABLE` value. 1%
//! of the samples are bad in one of the three ways the mapping must reject: a machine that is not
//! in master data, a time that is not a timestamp, a quality that is none.

use std::io::Write;

use chrono::{DateTime, Duration, SecondsFormat};

use super::machine_codes;
use crate::rng::Rng;
use crate::workload::Workload;

/// Qualities, weighted: mostly good.
const QUALITIES: [&str; 12] = [
    "GOOD",
    "GOOD",
    "GOOD",
    "GOOD",
    "GOOD",
    "GOOD",
    "Good",
    "GoodClamped",
    "UNCERTAIN",
    "UncertainLastUsableValue",
    "BAD",
    "BadSensorFailure",
];
const TAGS: [&str; 3] = ["hydraulic_pressure", "coolant_pressure", "air_pressure"];
const BAD_TIMES: [&str; 3] = ["#N/A", "2024-13-01T00:00:00Z", "yesterday"];
const BAD_QUALITIES: [&str; 3] = ["OK", "n/a", "-"];

pub fn write(out: &mut impl Write, rng: &mut Rng, records: u64) -> Result<(), String> {
    let machines = machine_codes(Workload::ZonedHistory)?;
    let start = DateTime::parse_from_rfc3339("2024-03-10T06:00:00Z").expect("a valid constant");
    writeln!(out, "machine,tag,sample_time,value,value_quality").map_err(|e| e.to_string())?;
    // The kinds of bad samples take turns, so that each is there also in a small input (a
    // random kind per bad sample left the smoke test's 2,000 samples without an unknown machine).
    let mut bad_samples = 0u64;
    for i in 0..records {
        let mut machine = rng.pick(&machines).clone();
        let millis = i as i64 * 12_000 + rng.below(1000) as i64;
        let mut time =
            (start + Duration::milliseconds(millis)).to_rfc3339_opts(SecondsFormat::Millis, true);
        let mut value = format!("{:.2}", rng.between(0.5, 250.0));
        let mut quality = rng.pick(&QUALITIES).to_string();
        match rng.below(100) {
            0 => quality.clear(),
            1 => value = "UNAVAILABLE".to_string(),
            _ => {}
        }
        if rng.one_in(100) {
            bad_samples += 1;
            match bad_samples % 3 {
                0 => machine = format!("PRESS-{:02}", 50 + rng.below(50)),
                1 => time = rng.pick(&BAD_TIMES).to_string(),
                _ => quality = rng.pick(&BAD_QUALITIES).to_string(),
            }
        }
        writeln!(
            out,
            "{machine},{},{time},{value},{quality}",
            rng.pick(&TAGS)
        )
        .map_err(|e| e.to_string())?;
    }
    Ok(())
}
