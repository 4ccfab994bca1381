//! Counter events for the SQLite upsert workload: every other event starts a new job, the
//! others report again on a job seen before, so about half of the writes update a row.

use std::io::Write;

use super::{event_time, machine_codes};
use crate::rng::Rng;

pub fn write(out: &mut impl Write, rng: &mut Rng, records: u64) -> Result<(), String> {
    let machines = machine_codes()?;
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
        let machine = if rng.one_in(100) {
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
