//! The hand-written baselines: what a Rust programmer would write by hand to do each
//! workload's work with the same result. Typed serde structs deserialized straight from the
//! line (strings borrowed where the line outlives them), a `HashMap` lookup, a `match`, the same
//! numeric conversions, a `BufWriter`, one thread. Rejects go to a JSON Lines file with the
//! reason, as the generated program's dead letter does, so the two can be compared.
//!
//! Each baseline runs in its own process (`fdi-bench baseline NAME`), like the generated
//! program, so that its time and peak memory are measured the same way.

mod machine_state;
mod sqlite_upsert;
mod wide_csv;

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::workload::{Workload, DEAD_LETTER};

/// Runs one baseline over the run folder `run_dir` (its `data/` and `master/`), writing into
/// `out_dir` what the generated program writes into the run folder.
pub fn run(workload: Workload, run_dir: &Path, out_dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(out_dir.join("out")).map_err(|e| e.to_string())?;
    let input = run_dir.join(workload.input());
    let rejects = Rejects::create(&out_dir.join(DEAD_LETTER))?;
    match workload {
        Workload::MachineState => machine_state::run(&input, &machines(run_dir)?, out_dir, rejects),
        Workload::WideCsv => wide_csv::run(&input, out_dir, rejects),
        Workload::SqliteUpsert => sqlite_upsert::run(&input, &machines(run_dir)?, out_dir, rejects),
        Workload::Compiler => Err("the compiler workload has no baseline".into()),
    }
}

/// A row of the machines master data.
#[derive(Deserialize)]
pub struct Machine {
    pub machine_code: String,
    pub equipment_id: String,
    pub line: String,
}

fn machines(run_dir: &Path) -> Result<HashMap<String, Machine>, String> {
    let path = run_dir.join("master/machines.csv");
    let mut reader = csv::Reader::from_path(&path).map_err(|e| e.to_string())?;
    reader
        .deserialize::<Machine>()
        .map(|row| {
            row.map(|m| (m.machine_code.clone(), m))
                .map_err(|e| format!("{}: {e}", path.display()))
        })
        .collect()
}

/// A JSON Lines writer for mapped records.
pub fn jsonl_writer(path: &Path) -> Result<BufWriter<File>, String> {
    let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(BufWriter::with_capacity(1 << 16, file))
}

/// Flushes `out` and makes it durable, as the generated program does with its file targets and
/// dead letter when a source ends: a run that reports success has its output on disk. Without
/// it, the comparison would credit the baseline with leaving the disk writeback for later.
pub fn finish_file(mut out: BufWriter<File>) -> Result<(), String> {
    out.flush().map_err(|e| e.to_string())?;
    out.get_ref().sync_data().map_err(|e| e.to_string())
}

pub fn write_line<T: Serialize>(out: &mut impl Write, record: &T) -> Result<(), String> {
    serde_json::to_writer(&mut *out, record).map_err(|e| e.to_string())?;
    out.write_all(b"\n").map_err(|e| e.to_string())
}

/// The rejected records, one JSON object per line with the stage, the reason and the record.
pub struct Rejects {
    out: BufWriter<File>,
}

#[derive(Serialize)]
struct Reject<'a> {
    stage: &'a str,
    reason: &'a str,
    detail: &'a str,
    position: u64,
    record: &'a str,
}

impl Rejects {
    fn create(path: &Path) -> Result<Self, String> {
        Ok(Rejects {
            out: jsonl_writer(path)?,
        })
    }

    /// `stage` is `decode` (the record does not fit the source's type) or `map`.
    pub fn reject(
        &mut self,
        stage: &str,
        reason: &str,
        detail: &str,
        position: u64,
        record: &str,
    ) -> Result<(), String> {
        let reject = Reject {
            stage,
            reason,
            detail,
            position,
            record,
        };
        write_line(&mut self.out, &reject)
    }

    pub fn finish(self) -> Result<(), String> {
        finish_file(self.out)
    }
}

/// `to_int` of the mapping language: whole numbers in 64-bit range only.
pub fn whole(x: f64) -> Option<i64> {
    (x.fract() == 0.0 && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&x))
        .then_some(x as i64)
}

/// Timestamps as the mapping language reads and writes them: RFC 3339 in, UTC out with `Z`
/// and fractional seconds only when there are some.
pub fn utc_timestamp(text: &str) -> Option<String> {
    let instant = chrono::DateTime::parse_from_rfc3339(text.trim()).ok()?;
    Some(
        instant
            .to_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
    )
}
