//! Hand-written `machine_state`: the same work as `bench/workloads/machine_state`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::{
    finish_file, json_decode_reason, jsonl_writer, utc_timestamp, write_line, Machine, Rejects,
};

#[derive(Deserialize)]
struct MachineEvent<'a> {
    #[serde(borrow)]
    machine: Cow<'a, str>,
    #[serde(borrow)]
    timestamp: Cow<'a, str>,
    #[serde(borrow)]
    state: Cow<'a, str>,
    spindle_speed: f64,
    temperature: f64,
    part_count: i64,
    #[serde(borrow)]
    program: Cow<'a, str>,
}

#[derive(Serialize)]
struct EquipmentEvent<'a> {
    equipment_id: &'a str,
    line: &'a str,
    sequence: u64,
    event_time: String,
    state: &'static str,
    spindle_speed: f64,
    temperature: f64,
    part_count: i64,
    program: &'a str,
}

/// rpm to rad/s: 2π/60.
const RPM_TO_RAD_PER_S: f64 = std::f64::consts::PI / 30.0;

pub fn run(
    input: &Path,
    machines: &HashMap<String, Machine>,
    out_dir: &Path,
    mut rejects: Rejects,
) -> Result<(), String> {
    // The identifier types' patterns, anchored as the schema's patterns are.
    let machine_code = Regex::new("^(?:[A-Z]+-[0-9]{3})$").map_err(|e| e.to_string())?;
    let program_name = Regex::new("^(?:O[0-9]{4})$").map_err(|e| e.to_string())?;
    let mut lines = super::Lines::open(input)?;
    let mut out = jsonl_writer(&out_dir.join("out/equipment_events.jsonl"))?;
    while let Some((position, text)) = lines.next_line()? {
        if text.trim().is_empty() {
            continue;
        }
        let decode_failure = |reason: &str, detail: String, rejects: &mut Rejects| {
            rejects.reject("decode", reason, &detail, position, text)
        };
        let event: MachineEvent = match serde_json::from_str(text) {
            Ok(event) => event,
            Err(e) => {
                decode_failure(json_decode_reason(&e), e.to_string(), &mut rejects)?;
                continue;
            }
        };
        let Some(event_time) = utc_timestamp(&event.timestamp) else {
            decode_failure(
                "not a timestamp",
                format!("{:?} is not a timestamp", event.timestamp),
                &mut rejects,
            )?;
            continue;
        };
        let mut reject = |reason: &str| rejects.reject("map", reason, "", position, text);
        if !machine_code.is_match(&event.machine) {
            reject("malformed machine code")?;
            continue;
        }
        let Some(machine) = machines.get(event.machine.as_ref()) else {
            reject("unknown machine")?;
            continue;
        };
        let state = match event.state.as_ref() {
            "ACTIVE" => "RUNNING",
            "READY" | "INTERRUPTED" | "FEED_HOLD" => "IDLE",
            "SETUP" => "SETUP",
            "STOPPED" | "ALARM" => "DOWN",
            _ => {
                reject("unknown machine state")?;
                continue;
            }
        };
        if !program_name.is_match(&event.program) {
            reject("malformed program name")?;
            continue;
        }
        let record = EquipmentEvent {
            equipment_id: &machine.equipment_id,
            line: &machine.line,
            sequence: position,
            event_time,
            state,
            spindle_speed: event.spindle_speed * RPM_TO_RAD_PER_S,
            temperature: event.temperature + 273.15,
            part_count: event.part_count,
            program: &event.program,
        };
        if !(record.spindle_speed.is_finite() && record.temperature.is_finite()) {
            rejects.reject("write", "value is not a finite number", "", position, text)?;
            continue;
        }
        write_line(&mut out, &record)?;
    }
    finish_file(out)?;
    rejects.finish()
}
