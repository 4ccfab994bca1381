//! Machine execution events as JSON Lines, about 230 bytes each, for the machines of
//! `bench/workloads/machine_events/master/equipment.csv` (the same machine codes on every line).
//! The optional fields come and go as a gateway sends them: the program nearly always, the feed
//! override and the operator most of the time, an alarm with a stop. 1% of the events are bad in
//! one of the four ways the mapping must reject: a line and machine that are not in master data,
//! an unknown execution state, no program, a spindle speed that is text.

use std::io::Write;

use chrono::{DateTime, Duration, SecondsFormat};

use super::io_error;
use crate::rng::Rng;
use crate::workload::Workload;

/// Execution states, weighted roughly as a shift spends its time.
const STATES: [&str; 16] = [
    "ACTIVE",
    "ACTIVE",
    "ACTIVE",
    "ACTIVE",
    "ACTIVE",
    "ACTIVE",
    "READY",
    "READY",
    "WAIT",
    "INTERRUPTED",
    "FEED_HOLD",
    "OPTIONAL_STOP",
    "STOPPED",
    "PROGRAM_STOPPED",
    "PROGRAM_COMPLETED",
    "SETUP",
];
const BAD_STATES: [&str; 3] = ["WARMUP", "active", ""];
const OPERATORS: [&str; 4] = ["j.meyer", "a.kowalski", "m.rossi", "s.nguyen"];
const ALARMS: [&str; 3] = [
    "1010 SPINDLE OVERLOAD",
    "2044 DOOR OPEN",
    "3001 COOLANT LEVEL LOW",
];

/// The (line, machine) pairs of the committed master data.
fn equipment() -> Result<Vec<(String, String)>, String> {
    let (_, path) = Workload::MachineEvents
        .master_data()
        .ok_or("machine_events has master data")?;
    let mut reader = csv::Reader::from_path(&path).map_err(|e| io_error(&path, e))?;
    reader
        .records()
        .map(|row| {
            row.map(|r| (r[0].to_string(), r[1].to_string()))
                .map_err(|e| io_error(&path, e))
        })
        .collect()
}

pub fn write(out: &mut impl Write, rng: &mut Rng, records: u64) -> Result<(), String> {
    let equipment = equipment()?;
    let start = DateTime::parse_from_rfc3339("2024-03-04T06:00:00Z").expect("a valid constant");
    let mut line = String::with_capacity(320);
    for i in 0..records {
        let (mut line_id, mut machine) = rng.pick(&equipment).clone();
        let mut state = *rng.pick(&STATES);
        // Two decimals, so that a tenth of the speeds are ties for round(speed, 1).
        let mut speed = if state == "ACTIVE" {
            format!("{:.2}", rng.between(800.0, 24000.0))
        } else {
            "0.0".to_string()
        };
        let mut has_program = true;
        if rng.one_in(100) {
            match rng.below(4) {
                // A code that exists, on a line that does not have it (or no such line).
                0 if rng.one_in(2) => machine = format!("M{:02}", 11 + rng.below(5)),
                0 => line_id = "LINE-F".to_string(),
                1 => state = *rng.pick(&BAD_STATES),
                2 => has_program = false,
                _ => speed = "\"n/a\"".to_string(),
            }
        }
        let millis = i as i64 * 40 + rng.below(40) as i64;
        let instant = start + Duration::milliseconds(millis);
        line.clear();
        line.push_str(&format!(
            "{{\"line\":\"{line_id}\",\"machine\":\"{machine}\",\"timestamp\":\"{}\",\
             \"execution\":\"{state}\",\"spindle_speed\":{speed}",
            instant.to_rfc3339_opts(SecondsFormat::Millis, true)
        ));
        match rng.below(10) {
            0 => {}
            1 => line.push_str(",\"feed_override\":null"),
            _ => line.push_str(&format!(",\"feed_override\":{}", 50 + 10 * rng.below(11))),
        }
        if matches!(state, "STOPPED" | "INTERRUPTED" | "FEED_HOLD") && rng.one_in(2) {
            line.push_str(&format!(",\"alarm\":\"{}\"", rng.pick(&ALARMS)));
        }
        if !rng.one_in(4) {
            line.push_str(&format!(",\"operator\":\"{}\"", rng.pick(&OPERATORS)));
        }
        if has_program {
            line.push_str(&format!(",\"program\":\"O{:04}\"", 1000 + rng.below(40)));
        }
        line.push('}');
        writeln!(out, "{line}").map_err(|e| e.to_string())?;
    }
    Ok(())
}
