//! The hand-written baselines: what a Rust programmer would write by hand to do each
//! workload's work with the same result. Typed serde structs deserialized straight from the
//! line (strings borrowed where the line outlives them), a `HashMap` lookup, a `match`, the same
//! numeric conversions, a `BufWriter`, one thread. Rejects go to a JSON Lines file with the
//! reason, as the generated program's dead letter does, so the two can be compared.
//!
//! The PostgreSQL baselines use tokio-postgres and rumqttc, the crates the runtime uses, on a
//! tokio runtime, with batched upserts in transactions (`job_rows.rs`) behind a local
//! store-and-forward queue in SQLite as the generated program has one (`local_queue.rs`); MQTT
//! acknowledgements are sent after the rows are committed to that queue.
//!
//! Each baseline runs in its own process (`fdi-bench baseline NAME`), like the generated
//! program, so that its time and peak memory are measured the same way.

mod cmm_quality;
mod job_rows;
mod local_queue;
mod machine_state;
mod mqtt_to_postgres;
mod postgres_upsert;
mod sqlite_upsert;
mod wide_csv;
// Issue 17's workloads (bench1).
mod machine_events;
mod zoned_history;

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use mqtt_to_postgres::Broker;

use crate::workload::{Workload, CLOCKS, DEAD_LETTER, EQUIPMENT};

/// The folder of the local queues, in a PostgreSQL baseline's output folder as in the generated
/// program's base folder (its `--queue-dir` default): the bench empties both before each run.
pub const QUEUE_DIR: &str = "queue";
/// The PostgreSQL baselines' local queue (`local_queue.rs`) in [`QUEUE_DIR`].
const QUEUE_FILE: &str = "job_counters.sqlite3";

/// The servers a network workload's baseline talks to.
#[derive(Default)]
pub struct Servers {
    /// A libpq connection string.
    pub postgres: Option<String>,
    pub broker: Option<Broker>,
}

/// Runs one baseline over the run folder `run_dir` (its `data/` and `master/`), writing into
/// `out_dir` what the generated program writes into the run folder (or into `servers`).
pub fn run(
    workload: Workload,
    run_dir: &Path,
    out_dir: &Path,
    servers: &Servers,
) -> Result<(), String> {
    std::fs::create_dir_all(out_dir.join("out")).map_err(|e| e.to_string())?;
    let input = run_dir.join(workload.input());
    let rejects = Rejects::create(&out_dir.join(DEAD_LETTER))?;
    let postgres = || {
        servers
            .postgres
            .as_deref()
            .ok_or(format!("{} needs --postgres", workload.name()))
    };
    match workload {
        Workload::MachineState => machine_state::run(&input, &machines(run_dir)?, out_dir, rejects),
        Workload::WideCsv => wide_csv::run(&input, out_dir, rejects),
        Workload::SqliteUpsert => sqlite_upsert::run(&input, &machines(run_dir)?, out_dir, rejects),
        Workload::PostgresUpsert => {
            let queue = out_dir.join(QUEUE_DIR).join(QUEUE_FILE);
            postgres_upsert::run(&input, &machines(run_dir)?, rejects, postgres()?, &queue)
        }
        Workload::MqttToPostgres => {
            let broker = servers
                .broker
                .as_ref()
                .ok_or("mqtt_to_postgres needs --mqtt-port and --client-id")?;
            let queue = out_dir.join(QUEUE_DIR).join(QUEUE_FILE);
            mqtt_to_postgres::run(&machines(run_dir)?, rejects, postgres()?, broker, &queue)
        }
        Workload::CmmQuality => cmm_quality::run(&input, run_dir, out_dir, rejects),
        Workload::Compiler => Err("the compiler workload has no baseline".into()),
        Workload::MachineEvents => {
            machine_events::run(&input, &run_dir.join(EQUIPMENT), out_dir, rejects)
        }
        Workload::ZonedHistory => {
            zoned_history::run(&input, &run_dir.join(CLOCKS), out_dir, rejects)
        }
    }
}

/// The runtime of the network baselines: tokio's default, a worker thread per core.
fn tokio_runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
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

/// A CSV reader of an input file with the generated program's 64 KiB read buffer (csv's default
/// is 8 KiB), so that neither side reads the file in smaller pieces than the other.
pub fn csv_reader(path: &Path) -> Result<csv::Reader<File>, String> {
    csv::ReaderBuilder::new()
        .buffer_capacity(1 << 16)
        .from_path(path)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// A JSON Lines input read a line at a time into one reused buffer, through the generated
/// program's 64 KiB read buffer.
pub struct Lines {
    reader: BufReader<File>,
    line: String,
    position: u64,
}

impl Lines {
    pub fn open(path: &Path) -> Result<Lines, String> {
        let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Lines {
            reader: BufReader::with_capacity(1 << 16, file),
            line: String::new(),
            position: 0,
        })
    }

    /// The next line without its line ending, with its position (its line number), blank
    /// lines included; `None` at the end of the file.
    pub fn next_line(&mut self) -> Result<Option<(u64, &str)>, String> {
        self.line.clear();
        if self
            .reader
            .read_line(&mut self.line)
            .map_err(|e| e.to_string())?
            == 0
        {
            return Ok(None);
        }
        self.position += 1;
        Ok(Some((
            self.position,
            self.line.trim_end_matches(['\n', '\r']),
        )))
    }
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
    /// Whether something was written since the file was last synced.
    unsynced: bool,
}

#[derive(Serialize)]
struct Reject<'a, R: Serialize + ?Sized> {
    stage: &'a str,
    reason: &'a str,
    detail: &'a str,
    position: u64,
    record: &'a R,
}

/// A CSV record as the dead letter shows it, as the generated program writes it: an object of
/// header → cell, in header order (cells that are not UTF-8 with replacement characters).
pub struct CsvRecord<'a> {
    headers: &'a csv::ByteRecord,
    record: &'a csv::ByteRecord,
}

impl<'a> CsvRecord<'a> {
    pub fn new(headers: &'a csv::ByteRecord, record: &'a csv::ByteRecord) -> Self {
        CsvRecord { headers, record }
    }
}

impl Serialize for CsvRecord<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.record.len()))?;
        for (header, cell) in self.headers.iter().zip(self.record.iter()) {
            map.serialize_entry(
                &String::from_utf8_lossy(header),
                &String::from_utf8_lossy(cell),
            )?;
        }
        map.end()
    }
}

impl Rejects {
    fn create(path: &Path) -> Result<Self, String> {
        Ok(Rejects {
            out: jsonl_writer(path)?,
            unsynced: false,
        })
    }

    /// `stage` is `decode` (the record does not fit the source's type) or `map`; `record` is
    /// the line as read (text) or a [`CsvRecord`].
    pub fn reject(
        &mut self,
        stage: &str,
        reason: &str,
        detail: &str,
        position: u64,
        record: &(impl Serialize + ?Sized),
    ) -> Result<(), String> {
        let reject = Reject {
            stage,
            reason,
            detail,
            position,
            record,
        };
        self.unsynced = true;
        write_line(&mut self.out, &reject)
    }

    /// Makes what was written durable (before a source acknowledges it), if anything was.
    pub fn sync(&mut self) -> Result<(), String> {
        if self.unsynced {
            self.out.flush().map_err(|e| e.to_string())?;
            self.out.get_ref().sync_data().map_err(|e| e.to_string())?;
            self.unsynced = false;
        }
        Ok(())
    }

    pub fn finish(self) -> Result<(), String> {
        finish_file(self.out)
    }
}

/// The quality of a signal's value.
#[derive(Clone, Copy, PartialEq)]
pub enum Quality {
    Good,
    Uncertain,
    Bad,
}

/// A quality column as the runtime reads it: good, uncertain or bad in any case, or an OPC UA
/// status name that starts with one of them (`GoodClamped`); empty is uncertain; an OPC UA
/// numeric status code (decimal, signed or `0x` hex) by its severity, the top two bits. Any other
/// text is none: the record is a decode reject, "not a signal quality".
pub fn signal_quality(text: &str) -> Option<Quality> {
    let text = text.trim();
    let starts = |prefix: &str| {
        text.get(..prefix.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
    };
    if text.is_empty() || starts("uncertain") {
        Some(Quality::Uncertain)
    } else if starts("good") {
        Some(Quality::Good)
    } else if starts("bad") {
        Some(Quality::Bad)
    } else {
        let code = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => {
                (text.parse::<u32>().ok()).or_else(|| text.parse::<i32>().ok().map(|c| c as u32))
            }
        }?;
        Some(match code >> 30 {
            0 => Quality::Good,
            1 => Quality::Uncertain,
            _ => Quality::Bad,
        })
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

/// The reason fdi's decode stage gives a JSON record that serde_json refused: the kind of rule
/// the record broke (docs/language.md, "Decode reasons"), read from serde_json's error as a
/// hand-written program would. The generated bad records break one field each, so the first
/// error serde_json meets is the one fdi reports.
pub fn json_decode_reason(error: &serde_json::Error) -> &'static str {
    use serde_json::error::Category;
    match error.classify() {
        Category::Syntax | Category::Eof | Category::Io => "not valid JSON",
        Category::Data => {
            let text = error.to_string();
            if text.starts_with("missing field") {
                "missing field"
            } else if text.contains("expected f64") {
                "not a number"
            } else if text.contains("expected i64") {
                "not an integer"
            } else if text.contains("expected a borrowed string")
                || text.contains("expected a string")
            {
                "not text"
            } else {
                "not a JSON object"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{signal_quality, Quality};

    #[test]
    fn signal_qualities_read_as_the_runtime_reads_them() {
        for (text, quality) in [
            ("GOOD", Quality::Good),
            (" good ", Quality::Good),
            ("GoodClamped", Quality::Good),
            ("UncertainLastUsableValue", Quality::Uncertain),
            ("", Quality::Uncertain),
            ("BadSensorFailure", Quality::Bad),
            ("0", Quality::Good),
            ("0x40000000", Quality::Uncertain),
            ("0x80050000", Quality::Bad),
            ("-2147155968", Quality::Bad),
        ] {
            assert!(signal_quality(text) == Some(quality), "{text:?}");
        }
        for none in ["OK", "n/a", "-", "0xZZ", "g"] {
            assert!(signal_quality(none).is_none(), "{none:?}");
        }
    }
}
