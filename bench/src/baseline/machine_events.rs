//! Hand-written `machine_events`: the same work as `bench/workloads/machine_events`. The
//! equipment is a map per line of maps per machine, so that a lookup borrows both keys from the
//! event; `round(speed, 1)` is the mapping language's rounding (half away from zero on the
//! decimal digits the number prints as), with the usual multiply-and-round where no tie is near.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{finish_file, json_decode_reason, jsonl_writer, utc_timestamp, write_line, Rejects};

#[derive(Deserialize)]
struct MachineEvent<'a> {
    #[serde(borrow)]
    line: Cow<'a, str>,
    #[serde(borrow)]
    machine: Cow<'a, str>,
    #[serde(borrow)]
    timestamp: Cow<'a, str>,
    #[serde(borrow)]
    execution: Cow<'a, str>,
    spindle_speed: f64,
    feed_override: Option<f64>,
    #[serde(borrow)]
    alarm: Option<Cow<'a, str>>,
    #[serde(borrow)]
    operator: Option<Cow<'a, str>>,
    #[serde(borrow)]
    program: Option<Cow<'a, str>>,
}

/// A row of the equipment master data.
#[derive(Deserialize)]
struct Equipment {
    line: String,
    machine: String,
    equipment_id: String,
    cell: String,
    cell_operator: Option<String>,
}

#[derive(Serialize)]
struct MachineStatusEvent<'a> {
    equipment_id: &'a str,
    line: &'a str,
    machine: &'a str,
    cell: &'a str,
    sequence: u64,
    event_time: String,
    status: &'static str,
    execution: &'a str,
    spindle_speed: f64,
    feed_override: f64,
    program: &'a str,
    operator: &'a str,
    alarm: Option<&'a str>,
    alarm_active: bool,
}

/// Equipment by line, then by machine code on the line.
type EquipmentByLine = HashMap<String, HashMap<String, Equipment>>;

fn equipment(path: &Path) -> Result<EquipmentByLine, String> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| e.to_string())?;
    let mut by_line = EquipmentByLine::new();
    for row in reader.deserialize::<Equipment>() {
        let row = row.map_err(|e| format!("{}: {e}", path.display()))?;
        by_line
            .entry(row.line.clone())
            .or_default()
            .insert(row.machine.clone(), row);
    }
    Ok(by_line)
}

pub fn run(
    input: &Path,
    master: &Path,
    out_dir: &Path,
    mut rejects: Rejects,
) -> Result<(), String> {
    let equipment = equipment(master)?;
    let mut lines = super::Lines::open(input)?;
    let mut out = jsonl_writer(&out_dir.join("out/machine_status.jsonl"))?;
    let mut digits = String::new();
    while let Some((position, text)) = lines.next_line()? {
        if text.trim().is_empty() {
            continue;
        }
        let event: MachineEvent = match serde_json::from_str(text) {
            Ok(event) => event,
            Err(e) => {
                let reason = json_decode_reason(&e);
                rejects.reject("decode", reason, &e.to_string(), position, text)?;
                continue;
            }
        };
        let Some(event_time) = utc_timestamp(&event.timestamp) else {
            let detail = format!("{:?} is not a timestamp", event.timestamp);
            rejects.reject("decode", "not a timestamp", &detail, position, text)?;
            continue;
        };
        let mut reject = |reason: &str| rejects.reject("map", reason, "", position, text);
        let found = equipment
            .get(event.line.as_ref())
            .and_then(|machines| machines.get(event.machine.as_ref()));
        let Some(eq) = found else {
            reject("unknown equipment")?;
            continue;
        };
        let Some(program) = event.program.as_deref() else {
            reject("event without program")?;
            continue;
        };
        let status = match event.execution.as_ref() {
            "ACTIVE" => "PRODUCING",
            "READY" => "IDLE",
            "WAIT" => "WAITING",
            "INTERRUPTED" => "INTERRUPTED",
            "FEED_HOLD" | "OPTIONAL_STOP" => "HELD",
            "STOPPED" | "PROGRAM_STOPPED" => "STOPPED",
            "PROGRAM_COMPLETED" => "COMPLETED",
            "SETUP" => "SETUP",
            _ => {
                reject("unknown execution state")?;
                continue;
            }
        };
        let record = MachineStatusEvent {
            equipment_id: &eq.equipment_id,
            line: &event.line,
            machine: &event.machine,
            cell: &eq.cell,
            sequence: position,
            event_time,
            status,
            execution: &event.execution,
            spindle_speed: round_to_tenths(event.spindle_speed, &mut digits),
            feed_override: event.feed_override.unwrap_or(100.0),
            program,
            operator: event
                .operator
                .as_deref()
                .or(eq.cell_operator.as_deref())
                .unwrap_or("unattended"),
            alarm: event.alarm.as_deref(),
            alarm_active: event.alarm.is_some(),
        };
        if !(record.spindle_speed.is_finite() && record.feed_override.is_finite()) {
            rejects.reject("write", "value is not a finite number", "", position, text)?;
            continue;
        }
        write_line(&mut out, &record)?;
    }
    finish_file(out)?;
    rejects.finish()
}

/// `round(x, 1)` of the mapping language: half away from zero, on the decimal digits `x` prints
/// as (so 2.65 is 2.7, though the double nearest 2.65 is a little below it).
/// Away from a tie, `(x * 10).round() / 10` gives the same: the product is within a few units
/// in the last place of ten times the printed value, and the division is correctly rounded. Near
/// a tie the printed digits decide, as the language says.
fn round_to_tenths(x: f64, digits: &mut String) -> f64 {
    let scaled = x * 10.0;
    if !scaled.is_finite() || scaled.abs() >= 1e15 {
        return x;
    }
    if ((scaled - scaled.trunc()).abs() - 0.5).abs() > 1e-6 {
        return scaled.round() / 10.0;
    }
    digits.clear();
    // `{}` prints the shortest decimal that reads back as `x`, without an exponent.
    write!(digits, "{}", x.abs()).expect("writing to a String");
    let Some(dot) = digits.find('.') else {
        return x;
    };
    let Some(&next) = digits.as_bytes().get(dot + 2) else {
        return x;
    };
    let tenths: f64 = digits[..dot + 2].parse().expect("digits and a point");
    let kept = (tenths * 10.0).round() + if next >= b'5' { 1.0 } else { 0.0 };
    (kept / 10.0).copysign(x)
}

#[cfg(test)]
mod tests {
    use super::round_to_tenths;

    #[test]
    fn rounds_half_away_from_zero_on_the_printed_digits() {
        let mut digits = String::new();
        for (x, rounded) in [
            (0.25, 0.3),
            (0.35, 0.4),
            (2.65, 2.7),
            (-2.65, -2.7),
            (1234.45, 1234.5),
            (1234.44, 1234.4),
            (9.95, 10.0),
            (0.04, 0.0),
            (12.0, 12.0),
            (23999.95, 24000.0),
        ] {
            assert_eq!(round_to_tenths(x, &mut digits), rounded, "{x}");
        }
    }
}
