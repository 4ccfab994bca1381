//! 1,000,000 machine-state events of about 160 bytes as JSON Lines; 1% are bad in one of the
//! three ways the mapping must reject (unknown machine, a number that is text, an unknown state).

use std::io::Write;

use super::{event_time, machine_codes};
use crate::rng::Rng;
use crate::workload::Workload;

/// Known execution states, weighted roughly as a shift spends its time.
const STATES: [&str; 10] = [
    "ACTIVE",
    "ACTIVE",
    "ACTIVE",
    "ACTIVE",
    "READY",
    "READY",
    "INTERRUPTED",
    "FEED_HOLD",
    "SETUP",
    "STOPPED",
];
const BAD_STATES: [&str; 3] = ["WARMUP", "estop", ""];
const BAD_NUMBERS: [&str; 3] = ["\"n/a\"", "\"#VALUE!\"", "null"];
const SHIFTS: [&str; 3] = ["A", "B", "C"];

pub fn write(out: &mut impl Write, rng: &mut Rng, records: u64) -> Result<(), String> {
    let machines = machine_codes(Workload::MachineState)?;
    let mut part_counts = vec![0i64; machines.len()];
    for i in 0..records {
        let m = rng.below(machines.len() as u64) as usize;
        part_counts[m] += rng.below(2) as i64;
        let mut machine = machines[m].clone();
        let mut state = *rng.pick(&STATES);
        let mut speed = if state == "ACTIVE" {
            format!("{:.1}", rng.between(800.0, 24000.0))
        } else {
            "0.0".to_string()
        };
        let mut temperature = format!("{:.2}", rng.between(18.0, 75.0));
        if rng.one_in(100) {
            match rng.below(3) {
                // Well formed, so it passes the pattern and misses in the lookup.
                0 => machine = format!("MILL-{:03}", rng.below(1000)),
                1 if rng.one_in(2) => speed = rng.pick(&BAD_NUMBERS).to_string(),
                1 => temperature = rng.pick(&BAD_NUMBERS).to_string(),
                _ => state = *rng.pick(&BAD_STATES),
            }
        }
        writeln!(
            out,
            "{{\"machine\":\"{machine}\",\"timestamp\":\"{}\",\"state\":\"{state}\",\
             \"spindle_speed\":{speed},\"temperature\":{temperature},\"part_count\":{},\
             \"program\":\"O{:04}\",\"shift\":\"{}\"}}",
            event_time(rng, i),
            part_counts[m],
            1000 + rng.below(40),
            rng.pick(&SHIFTS),
        )
        .map_err(|e| e.to_string())?;
    }
    Ok(())
}
