//! Hand-written `sqlite_upsert`: the same work as `bench/workloads/sqlite_upsert`, with one
//! prepared `INSERT ... ON CONFLICT DO UPDATE` and one transaction per 1000 records (the
//! generated program's default `--batch-size`), in WAL mode as the runtime opens databases.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use regex::Regex;
use rusqlite::{params, Connection};
use serde::Deserialize;

use super::{json_decode_reason, utc_timestamp, Machine, Rejects};

const BATCH: u64 = 1000;

#[derive(Deserialize)]
struct CounterEvent<'a> {
    #[serde(borrow)]
    machine: Cow<'a, str>,
    #[serde(borrow)]
    job: Cow<'a, str>,
    #[serde(borrow)]
    timestamp: Cow<'a, str>,
    good_parts: i64,
    scrap_parts: i64,
    energy: f64,
}

/// The table as the runtime creates it for the `JobCounter` entity.
const CREATE: &str = "CREATE TABLE IF NOT EXISTS job_counters (equipment_id TEXT NOT NULL, \
    job TEXT NOT NULL, line TEXT NOT NULL, updated_at TEXT NOT NULL, good_parts INTEGER NOT NULL, \
    total_parts INTEGER NOT NULL, energy REAL NOT NULL, sequence INTEGER NOT NULL, \
    PRIMARY KEY (equipment_id, job))";

const UPSERT: &str = "INSERT INTO job_counters (equipment_id, job, line, updated_at, good_parts, \
    total_parts, energy, sequence) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
    ON CONFLICT (equipment_id, job) DO UPDATE SET line = excluded.line, \
    updated_at = excluded.updated_at, good_parts = excluded.good_parts, \
    total_parts = excluded.total_parts, energy = excluded.energy, sequence = excluded.sequence";

pub fn run(
    input: &Path,
    machines: &HashMap<String, Machine>,
    out_dir: &Path,
    mut rejects: Rejects,
) -> Result<(), String> {
    let sql = |e: rusqlite::Error| e.to_string();
    let machine_code = Regex::new("^(?:[A-Z]+-[0-9]{3})$").map_err(|e| e.to_string())?;
    let job_id = Regex::new("^(?:J-[0-9]{6})$").map_err(|e| e.to_string())?;
    let db = Connection::open(out_dir.join("out/jobs.db")).map_err(sql)?;
    db.query_row("PRAGMA journal_mode=WAL", [], |row| row.get::<_, String>(0))
        .map_err(sql)?;
    db.execute_batch(CREATE).map_err(sql)?;
    let mut upsert = db.prepare(UPSERT).map_err(sql)?;
    let mut lines = super::Lines::open(input)?;
    db.execute_batch("BEGIN").map_err(sql)?;
    while let Some((position, text)) = lines.next_line()? {
        if position % BATCH == 0 {
            db.execute_batch("COMMIT; BEGIN").map_err(sql)?;
        }
        if text.trim().is_empty() {
            continue;
        }
        let decoded = serde_json::from_str::<CounterEvent>(text)
            .map_err(|e| (json_decode_reason(&e), e.to_string()))
            .and_then(|event| match utc_timestamp(&event.timestamp) {
                Some(time) => Ok((event, time)),
                None => Err((
                    "not a timestamp",
                    format!("{:?} is not a timestamp", event.timestamp),
                )),
            });
        let (event, updated_at) = match decoded {
            Ok(decoded) => decoded,
            Err((reason, detail)) => {
                rejects.reject("decode", reason, &detail, position, text)?;
                continue;
            }
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
        if !job_id.is_match(&event.job) {
            reject("malformed job id")?;
            continue;
        }
        let energy = event.energy * 1e-3;
        if !energy.is_finite() {
            rejects.reject("write", "value is not a finite number", "", position, text)?;
            continue;
        }
        upsert
            .execute(params![
                machine.equipment_id,
                event.job.as_ref(),
                machine.line,
                updated_at,
                event.good_parts,
                event.good_parts.saturating_add(event.scrap_parts),
                energy,
                position as i64,
            ])
            .map_err(sql)?;
    }
    db.execute_batch("COMMIT").map_err(sql)?;
    rejects.finish()
}
