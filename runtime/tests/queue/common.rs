//! What the queue tests share: a readings table keyed by a sequence number, a run whose readings go to it
//! through a queue, a FIFO source the test writes, and checks at the server and of the process's memory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fdi_runtime::postgres::PostgresTable;
use fdi_runtime::serde::{Deserialize, Serialize};
use fdi_runtime::{
    Column, FlowId, MapOutcome, ProgramInfo, RawRecord, Run, RunConfig, RunError, SqlType, TargetId,
};

use crate::support::Peer;

#[derive(Debug, Serialize, Deserialize)]
#[serde(crate = "fdi_runtime::serde")]
pub struct Reading {
    pub seq: i64,
    pub machine: String,
    pub value: f64,
}

const READING_COLUMNS: &[Column] = &[
    Column {
        name: "seq",
        sql_type: SqlType::Integer,
        nullable: false,
    },
    Column {
        name: "machine",
        sql_type: SqlType::Text,
        nullable: false,
    },
    Column {
        name: "value",
        sql_type: SqlType::Real,
        nullable: false,
    },
];

pub const READINGS: PostgresTable<'static> = PostgresTable {
    table: "readings",
    columns: READING_COLUMNS,
    keys: &["seq"],
    numeric: &[],
};

pub const PROGRAM: ProgramInfo = ProgramInfo {
    mapping: "readings_to_mes",
    version: "1.0.0",
    mapping_dir: None,
    dead_letter: "out/dead-letter.jsonl",
    service: false,
    sources: &["readings"],
    lookups: &[],
    connections: &[],
    manifest: &fdi_runtime::Manifest::UNKNOWN,
};

/// The reading `seq` as its source line: a value that is not a whole number, to see floats arrive unchanged.
pub fn line(seq: i64) -> String {
    format!(
        "{{\"seq\":{seq},\"machine\":\"M{}\",\"value\":{}}}\n",
        seq % 7,
        seq as f64 / 3.0
    )
}

/// A run in `base` (queue in `base/queue`, at most `max_bytes`) that checkpoints every 100 records and gives
/// an unreachable target `retry` at the end.
pub fn start(base: &Path, max_bytes: u64, retry: Duration) -> Run {
    let mut config = RunConfig {
        base_dir: base.to_path_buf(),
        checkpoint_every: 100,
        ..RunConfig::new(&PROGRAM)
    };
    config.operations.retry_targets_for = retry;
    config.queue.queue_max_bytes = max_bytes;
    Run::new(&PROGRAM, config).unwrap()
}

/// Opens the readings table on `peer` through its queue.
pub fn queued_readings(run: &mut Run, peer: &Peer) -> TargetId<Reading> {
    run.connect_queued_postgres_target::<Reading>(
        "mes",
        &peer.connection("fdi-queue-test"),
        &READINGS,
    )
    .unwrap()
}

/// Opens the readings source (at `path`, relative to the run's base; a FIFO's opening waits for its writer)
/// and registers the flow that copies each reading into `target`.
pub fn read_readings(run: &mut Run, path: &str, target: TargetId<Reading>) {
    let source = run.jsonl_source("readings", path).unwrap();
    let flow = run.flow("readings", "readings", target);
    run.source(source, copy(flow));
}

/// The queue file of the readings table in a run with base folder `base`.
pub fn queue_file(base: &Path) -> PathBuf {
    base.join("queue/mes.sqlite")
}

fn copy(flow: FlowId<Reading>) -> impl FnMut(&mut Run, &RawRecord) -> Result<(), RunError> {
    move |run, raw| {
        if let Some(reading) = run.decode::<Reading>(raw, "Reading")? {
            run.deliver(flow, raw, MapOutcome::Mapped(reading))?;
        }
        Ok(())
    }
}

/// A named pipe the test writes the source's lines into, at its own pace.
pub struct Fifo {
    pub path: PathBuf,
}

impl Fifo {
    pub fn create(path: PathBuf) -> Fifo {
        let status = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .expect("mkfifo runs");
        assert!(status.success(), "mkfifo {}", path.display());
        Fifo { path }
    }

    /// Opens the writing end (waits until the run opens the reading end).
    pub fn writer(&self) -> std::fs::File {
        std::fs::OpenOptions::new()
            .write(true)
            .open(&self.path)
            .expect("open the FIFO for writing")
    }
}

/// Writes readings `seqs` into `pipe`.
pub fn send(pipe: &mut std::fs::File, seqs: std::ops::Range<i64>) {
    let text: String = seqs.map(line).collect();
    pipe.write_all(text.as_bytes()).expect("write the FIFO");
}

/// Rows of the readings table.
pub fn stored(peer: &Peer) -> u64 {
    peer.value("SELECT count(*) FROM readings").parse().unwrap()
}

/// Waits until `ready` says yes, for at most `within` (the run's progress, not a timing: a failure means
/// it stalled). An error rather than a panic: a test's helper thread must still bring the server back, or
/// the run it watches would wait for it forever.
pub fn wait_for(
    what: &str,
    within: Duration,
    mut ready: impl FnMut() -> bool,
) -> Result<(), String> {
    let deadline = Instant::now() + within;
    while !ready() {
        if Instant::now() > deadline {
            return Err(format!("waited {within:?} for {what}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// Records in the queue file at `path`, read with a connection of the test's own.
pub fn queued(path: &Path) -> u64 {
    let connection =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    connection
        .query_row("SELECT count(*) FROM queue", [], |row| row.get::<_, i64>(0))
        .unwrap() as u64
}

/// `VmRSS` and `VmHWM` of this process, in KiB.
pub fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} in /proc/self/status"))
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Checks the table holds readings `0..count`, each once and unchanged, and that they arrived in order: a
/// later transaction (`xmin`, PostgreSQL's transaction id, in commit order here: one writer) never holds an
/// earlier reading than an earlier one.
pub fn assert_all_arrived_in_order(peer: &Peer, count: i64) {
    let rows =
        peer.rows("SELECT seq, machine, value, xmin::text::bigint FROM readings ORDER BY seq");
    assert_eq!(rows.len() as i64, count, "every reading once");
    let mut last_transaction = 0i64;
    for (i, row) in rows.iter().enumerate() {
        let seq = i as i64;
        let expected = line(seq);
        let reading: Reading = fdi_runtime::serde_json::from_str(expected.trim()).unwrap();
        assert_eq!(row[0].as_deref(), Some(seq.to_string().as_str()));
        assert_eq!(row[1].as_deref(), Some(reading.machine.as_str()));
        let value: f64 = row[2].as_deref().unwrap().parse().unwrap();
        assert_eq!(value, reading.value, "reading {seq}");
        let transaction: i64 = row[3].as_deref().unwrap().parse().unwrap();
        assert!(
            transaction >= last_transaction,
            "reading {seq} was committed in transaction {transaction}, before the one of reading {} ({last_transaction})",
            seq - 1
        );
        last_transaction = transaction;
    }
}
