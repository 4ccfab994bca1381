//! Counter events for the upsert workloads (SQLite, PostgreSQL, MQTT into PostgreSQL): every
//! other event starts a new job, the others report again on a job seen before, so about half of
//! the writes update a row.

use std::io::Write;

use super::{event_time, machine_codes};
use crate::rng::Rng;
use crate::workload::Workload;

/// `last_is_known`: the last event names a machine of the master data, so that its row marks
/// the end of a stream whose program does not end by itself (the MQTT workload's).
pub fn write(
    out: &mut impl Write,
    rng: &mut Rng,
    records: u64,
    last_is_known: bool,
) -> Result<(), String> {
    let machines = machine_codes(Workload::MachineState)?;
    // (machine, job number) of every job started so far.
    let mut jobs: Vec<(usize, u64)> = Vec::new();
    for i in 0..records {
        let (machine, job) = if i % 2 == 0 || jobs.is_empty() {
            let job = (
                rng.below(machines.len() as u64) as usize,
                jobs.len() as u64 + 1,
            );
            jobs.push(job);
            job
        } else {
            *rng.pick(&jobs)
        };
        let unknown = rng.one_in(100) && !(last_is_known && i + 1 == records);
        let machine = if unknown {
            format!("MILL-{:03}", rng.below(1000))
        } else {
            machines[machine].clone()
        };
        writeln!(
            out,
            "{{\"machine\":\"{machine}\",\"job\":\"J-{job:06}\",\"timestamp\":\"{}\",\
             \"good_parts\":{},\"scrap_parts\":{},\"energy\":{:.1}}}",
            event_time(rng, i),
            rng.below(500),
            rng.below(8),
            rng.between(10.0, 90000.0),
        )
        .map_err(|e| e.to_string())?;
    }
    Ok(())
}
