//! The run loop as a generated program uses it: register targets, flows and sources, then `drive`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;
use crate::source::Source;
use crate::target::{Column, SqlType};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Debug, Deserialize)]
struct Event {
    machine: String,
    count: i64,
}

#[derive(Debug, Serialize)]
pub(super) struct Count {
    machine: String,
    pub(super) count: i64,
}

fn program(sources: &'static [&'static str]) -> ProgramInfo {
    ProgramInfo {
        mapping: "events_to_counts",
        version: "1.2.3",
        mapping_dir: Some("/nonexistent"),
        dead_letter: "out/dl.jsonl",
        service: false,
        sources,
        lookups: &[],
        connections: &[],
        manifest: &crate::Manifest::UNKNOWN,
    }
}

pub(super) fn start(base: &Path, checkpoint_every: usize) -> Run {
    let program = program(&["events", "quiet", "busy"]);
    let config = RunConfig {
        base_dir: base.to_path_buf(),
        checkpoint_every,
        ..RunConfig::new(&program)
    };
    Run::new(&program, config).unwrap()
}

fn read_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn event_lines(count: usize) -> String {
    (1..=count)
        .map(|i| format!("{{\"machine\":\"M\",\"count\":{i}}}\n"))
        .collect()
}

/// The map function of the `count` flow: negative counts are rejected, zero counts filtered.
pub(super) fn count_flow(
    flow: FlowId<Count>,
) -> impl FnMut(&mut Run, &RawRecord) -> Result<(), RunError> {
    move |run, raw| {
        if let Some(event) = run.decode::<Event>(raw, "Event")? {
            let outcome = if event.count < 0 {
                MapOutcome::Rejected(Reject::new("negative count"))
            } else if event.count == 0 {
                MapOutcome::Filtered
            } else {
                MapOutcome::Mapped(Count {
                    machine: event.machine,
                    count: event.count,
                })
            };
            run.deliver(flow, raw, outcome)?;
        }
        Ok(())
    }
}

/// What the test doubles saw, in order: writes, flushes, hand-overs and acknowledgements.
pub(super) type Log = Arc<Mutex<Vec<String>>>;

/// A target that records what it is asked to do.
struct Recorder {
    log: Log,
}

impl Durable for Recorder {
    fn name(&self) -> &str {
        "recorder"
    }
    fn flush(&mut self) -> Result<(), RunError> {
        self.log.lock().unwrap().push("flush".into());
        Ok(())
    }
    fn hand_over(&mut self) -> Result<(), RunError> {
        self.log.lock().unwrap().push("hand_over".into());
        Ok(())
    }
    fn hand_over_lazily(&mut self) -> Result<(), RunError> {
        self.log.lock().unwrap().push("hand_over_lazily".into());
        Ok(())
    }
}

impl Target<Count> for Recorder {
    fn write(&mut self, record: &Count) -> Result<Result<(), Reject>, RunError> {
        self.log
            .lock()
            .unwrap()
            .push(format!("write {}", record.count));
        Ok(Ok(()))
    }
}

/// A source of JSON lines that records its acknowledgements, may commit them outside the process (as a broker
/// would), and may wait, after its lines, for a flag before it ends (a quiet topic).
pub(super) struct Scripted {
    name: &'static str,
    lines: std::vec::IntoIter<String>,
    position: Position,
    commits: bool,
    log: Log,
    /// When set, after the last line the source waits (up to 20 s) until this is true.
    wait_for: Option<Arc<AtomicBool>>,
}

impl Scripted {
    pub(super) fn new(name: &'static str, count: usize, commits: bool, log: &Log) -> Self {
        Scripted {
            name,
            lines: event_lines(count)
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
                .into_iter(),
            position: 0,
            commits,
            log: log.clone(),
            wait_for: None,
        }
    }
}

impl Source for Scripted {
    fn name(&self) -> &str {
        self.name
    }
    fn read(&mut self) -> Result<Option<RawRecord>, RunError> {
        // Paced like a slow device, so that acknowledgements come back while it is still being read.
        std::thread::sleep(Duration::from_millis(2));
        if let Some(line) = self.lines.next() {
            self.position += 1;
            return Ok(Some(RawRecord::json_line(
                Arc::from(self.name),
                self.position,
                line,
            )));
        }
        if let Some(flag) = &self.wait_for {
            let released = (0..2000).any(|_| {
                let set = flag.load(Ordering::SeqCst);
                if !set {
                    std::thread::sleep(Duration::from_millis(10));
                }
                set
            });
            if !released {
                self.log.lock().unwrap().push("gave up waiting".into());
            }
        }
        Ok(None)
    }
    fn acknowledge(&mut self, position: Position) -> Result<(), RunError> {
        self.log.lock().unwrap().push(format!("ack {position}"));
        Ok(())
    }
    fn acknowledged(&self) -> Option<Position> {
        None
    }
    fn commits_positions(&self) -> bool {
        self.commits
    }
}

/// A stream source that delivers one record, then is silent until `release` is set (a quiet topic).
struct Quiet {
    /// Whether it commits its positions (a broker), or not (a live stream such as an adapter).
    commits: bool,
    sent: bool,
    release: Arc<AtomicBool>,
    log: Log,
}

impl crate::source::StreamSource for Quiet {
    fn name(&self) -> &str {
        "quiet"
    }
    async fn next(&mut self) -> Result<Option<crate::source::Delivery>, RunError> {
        if !self.sent {
            self.sent = true;
            let line = event_lines(1);
            let raw = RawRecord::json_line(Arc::from("quiet"), 1, line.trim_end());
            return Ok(Some(crate::source::Delivery {
                records: vec![raw],
                position: 1,
            }));
        }
        while !self.release.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(None)
    }
    async fn acknowledge(&mut self, position: Position) -> Result<(), RunError> {
        self.log.lock().unwrap().push(format!("ack {position}"));
        Ok(())
    }
    fn commits_positions(&self) -> bool {
        self.commits
    }
}

#[test]
fn jsonl_invalid_line_goes_to_the_dead_letter_with_the_raw_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in/events.jsonl");
    std::fs::create_dir_all(input.parent().unwrap()).unwrap();
    std::fs::write(
        &input,
        "{\"machine\":\"A\",\"count\":1}\n{broken\n\n{\"machine\":\"B\",\"count\":-1}\n{\"machine\":\"C\",\"count\":0}\n",
    )
    .unwrap();

    let mut run = start(dir.path(), 1000);
    let source = run.jsonl_source("events", "in/events.jsonl").unwrap();
    let target = run
        .jsonl_target::<Count>("counts", "out/counts.jsonl")
        .unwrap();
    let flow = run.flow("count", "events", target);
    run.source(source, count_flow(flow));
    run.drive().unwrap();

    let dead = read_lines(&dir.path().join("out/dl.jsonl"));
    assert_eq!(dead.len(), 2);
    assert_eq!(dead[0]["stage"], json!("decode"));
    assert_eq!(dead[0]["flow"], Value::Null);
    assert_eq!(dead[0]["record"], json!("{broken"));
    assert_eq!(dead[0]["position"], json!(2));
    assert!(dead[0]["detail"]
        .as_str()
        .unwrap()
        .starts_with("the line is not valid JSON"));
    assert_eq!(dead[1]["stage"], json!("map"));
    assert_eq!(dead[1]["flow"], json!("count"));
    assert_eq!(dead[1]["record"], json!({"machine": "B", "count": -1}));
    assert_eq!(dead[1]["position"], json!(4));

    let summary = run.summary();
    let flow = &summary.flows[0];
    assert_eq!(
        (flow.read, flow.written, flow.rejected, flow.filtered),
        (4, 1, 2, 1)
    );
    assert!(flow.balanced);
    assert_eq!(
        summary.sources[0].acknowledged,
        Some(5),
        "the last line read is acknowledged"
    );
    assert_eq!(
        read_lines(&dir.path().join("out/counts.jsonl")),
        vec![json!({"machine": "A", "count": 1})]
    );
}

/// Every acknowledged position comes after a flush (or hand-over) that follows the writes of every record up
/// to it, and positions only move forward.
fn assert_flushed_before_acknowledged(log: &[String]) {
    let mut written_through = 0;
    let mut durable_through = 0;
    let mut acknowledged = 0;
    for entry in log {
        let (what, number) = entry.split_once(' ').unwrap_or((entry, ""));
        match what {
            "write" => written_through = number.parse().unwrap(),
            "ack" => {
                let position: u64 = number.parse().unwrap();
                assert!(
                    position <= durable_through,
                    "{entry} before its flush: {log:?}"
                );
                assert!(
                    position > acknowledged,
                    "{entry} does not move forward: {log:?}"
                );
                acknowledged = position;
            }
            _ => durable_through = written_through,
        }
    }
}

#[test]
fn every_checkpoint_flushes_before_it_acknowledges() {
    let dir = tempfile::tempdir().unwrap();
    // A file source, read again from its start after a crash, lets its targets hand over lazily.
    for (commits, persist) in [(true, "flush"), (false, "hand_over_lazily")] {
        let log = Log::default();
        let mut run = start(dir.path(), 2);
        let target = run.add_target::<Count>("counts", Box::new(Recorder { log: log.clone() }));
        let flow = run.flow("count", "events", target);
        run.source(
            OpenSource::blocking(Scripted::new("events", 9, commits, &log)),
            count_flow(flow),
        );
        run.drive().unwrap();

        let log = log.lock().unwrap().clone();
        let acks = log.iter().filter(|e| e.starts_with("ack")).count();
        assert!(
            acks >= 3,
            "checkpoints every 2 records acknowledge as they go: {log:?}"
        );
        assert_flushed_before_acknowledged(&log);
        // Checkpoints before the end persist as the source needs; its end makes everything durable.
        let last_write = log.iter().rposition(|e| e.starts_with("write")).unwrap();
        let persisted = |entries: &[String]| -> Vec<String> {
            let mut kinds: Vec<String> = entries
                .iter()
                .filter(|e| e.starts_with("flush") || e.starts_with("hand_over"))
                .cloned()
                .collect();
            kinds.dedup();
            kinds
        };
        assert_eq!(persisted(&log[..last_write]), [persist], "{log:?}");
        assert_eq!(persisted(&log[last_write..]), ["flush"], "{log:?}");
        assert_eq!(run.summary().sources[0].acknowledged, Some(9));
        assert_eq!(run.summary().flows[0].written, 9);
    }
}

#[test]
fn a_quiet_source_is_made_durable_within_the_checkpoint_interval() {
    // A live stream that commits nothing is not read again: its checkpoints hand its records to
    // the operating system at once, never lazily.
    for (commits, persist) in [(true, "flush"), (false, "hand_over")] {
        a_quiet_source_persists_within_the_checkpoint_interval(commits, persist);
    }
}

fn a_quiet_source_persists_within_the_checkpoint_interval(commits: bool, persist: &str) {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::default();
    let program = program(&["quiet"]);
    let config = RunConfig {
        base_dir: dir.path().to_path_buf(),
        checkpoint_every: 1000,
        checkpoint_interval: Duration::from_millis(50),
        ..RunConfig::new(&program)
    };
    let mut run = Run::new(&program, config).unwrap();
    let target = run.add_target::<Count>("counts", Box::new(Recorder { log: log.clone() }));
    let flow = run.flow("count", "quiet", target);
    // One record, then silence until the test has seen it flushed and acknowledged.
    let release = Arc::new(AtomicBool::new(false));
    let quiet = Quiet {
        commits,
        sent: false,
        release: release.clone(),
        log: log.clone(),
    };
    run.source(OpenSource::stream(quiet), count_flow(flow));

    let watcher = {
        let log = log.clone();
        std::thread::spawn(move || {
            // Far longer than the interval, far shorter than the source's silence.
            for _ in 0..1000 {
                if log.lock().unwrap().iter().any(|e| e == "ack 1") {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            let seen = log.lock().unwrap().clone();
            release.store(true, Ordering::SeqCst);
            seen
        })
    };
    run.drive().unwrap();
    let seen_while_quiet = watcher.join().unwrap();
    assert_eq!(
        seen_while_quiet,
        ["write 1", persist, "ack 1"],
        "the one record was flushed and acknowledged while its source was still silent"
    );
}

#[test]
fn a_busy_source_and_a_quiet_one_run_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("busy.jsonl"), event_lines(20_000)).unwrap();
    let log = Log::default();
    let mut run = start(dir.path(), 500);
    let busy_out = run
        .jsonl_target::<Count>("busy_out", "busy_out.jsonl")
        .unwrap();
    let quiet_out = run.add_target::<Count>("quiet_out", Box::new(Recorder { log: log.clone() }));
    let busy_flow = run.flow("busy_count", "busy", busy_out);
    let quiet_flow = run.flow("quiet_count", "quiet", quiet_out);
    // The quiet source ends only once the busy one has been read to its end: if the quiet one held up the
    // core, the busy one would never finish and the quiet one would give up after 20 s.
    let busy_done = Arc::new(AtomicBool::new(false));
    let mut quiet = Scripted::new("quiet", 1, true, &log);
    quiet.wait_for = Some(busy_done.clone());
    run.source(OpenSource::blocking(quiet), count_flow(quiet_flow));
    let busy = run.jsonl_source("busy", "busy.jsonl").unwrap();
    let mut count = count_flow(busy_flow);
    run.source(busy, move |run, raw| {
        count(run, raw)?;
        if raw.position() == 20_000 {
            busy_done.store(true, Ordering::SeqCst);
        }
        Ok(())
    });
    run.drive().unwrap();
    assert!(
        !log.lock().unwrap().iter().any(|e| e == "gave up waiting"),
        "the busy source was held up by the quiet one"
    );
    let summary = run.summary();
    let read: Vec<(&str, u64)> = summary
        .sources
        .iter()
        .map(|s| (s.name.as_str(), s.read))
        .collect();
    assert_eq!(read, [("busy", 20_000), ("quiet", 1)]);
    assert!(summary.flows.iter().all(|f| f.balanced));
    assert_eq!(read_lines(&dir.path().join("busy_out.jsonl")).len(), 20_000);
}

#[test]
fn paths_resolve_against_the_base_directory() {
    let dir = tempfile::tempdir().unwrap();
    let run = start(dir.path(), 10);
    assert_eq!(run.resolve("a/b.csv"), dir.path().join("a/b.csv"));
    assert_eq!(run.resolve("/abs/b.csv"), PathBuf::from("/abs/b.csv"));
    assert_eq!(run.checkpoint_every(), 10);
    let summary = run.summary();
    assert_eq!(summary.mapping, "events_to_counts");
    assert_eq!(
        summary.dead_letter.path,
        dir.path().join("out/dl.jsonl").display().to_string()
    );
}

#[test]
fn sqlite_targets_of_one_file_share_the_database() {
    const COLUMNS: &[Column] = &[
        Column {
            name: "machine",
            sql_type: SqlType::Text,
            nullable: false,
        },
        Column {
            name: "count",
            sql_type: SqlType::Integer,
            nullable: false,
        },
    ];
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("events.jsonl"), event_lines(3)).unwrap();
    let mut run = start(dir.path(), 1000);
    let source = run.jsonl_source("events", "events.jsonl").unwrap();
    let a = run
        .sqlite_target::<Count>("a", "out/x.db", "a", COLUMNS, &["machine"])
        .unwrap();
    let b = run
        .sqlite_target::<Count>("b", "out/x.db", "b", COLUMNS, &[])
        .unwrap();
    let (to_a, to_b) = (run.flow("to_a", "events", a), run.flow("to_b", "events", b));
    let (mut map_a, mut map_b) = (count_flow(to_a), count_flow(to_b));
    run.source(source, move |run, raw| {
        map_a(run, raw)?;
        // The second flow reads the record again: `decode` counts it as read by both flows each time.
        map_b(run, raw)
    });
    run.drive().unwrap();
    let connection = rusqlite::Connection::open(dir.path().join("out/x.db")).unwrap();
    let count = |table: &str| -> i64 {
        connection
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!((count("a"), count("b")), (1, 3), "a keys on machine");
}

#[test]
fn a_service_appends_to_its_outputs_and_a_batch_run_truncates_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("events.jsonl"),
        "{broken\n{\"machine\":\"M\",\"count\":1}\n",
    )
    .unwrap();
    let run_once = |outputs: OutputMode| {
        let program = program(&["events"]);
        let config = RunConfig {
            base_dir: dir.path().to_path_buf(),
            outputs,
            ..RunConfig::new(&program)
        };
        let mut run = Run::new(&program, config).unwrap();
        let source = run.jsonl_source("events", "events.jsonl").unwrap();
        let target = run.jsonl_target::<Count>("counts", "counts.jsonl").unwrap();
        let flow = run.flow("count", "events", target);
        run.source(source, count_flow(flow));
        run.drive().unwrap();
    };
    let lines = |file: &str| read_lines(&dir.path().join(file)).len();
    run_once(OutputMode::Auto);
    run_once(OutputMode::Append);
    assert_eq!((lines("counts.jsonl"), lines("out/dl.jsonl")), (2, 2));
    run_once(OutputMode::Truncate);
    assert_eq!((lines("counts.jsonl"), lines("out/dl.jsonl")), (1, 1));
    let service = ProgramInfo {
        service: true,
        ..program(&["events"])
    };
    assert!(OutputMode::Auto.appends(&service));
    assert!(!OutputMode::Auto.appends(&program(&["events"])));
}

/// A target that, like a database checking a constraint at commit, refuses odd counts when it flushes.
struct RefusesOddAtFlush {
    counts: Vec<i64>,
    refused: Vec<crate::target::Refusal>,
}

impl Durable for RefusesOddAtFlush {
    fn name(&self) -> &str {
        "checked"
    }
    fn flush(&mut self) -> Result<(), RunError> {
        for (write, count) in self.counts.drain(..).enumerate() {
            if count % 2 == 1 {
                self.refused.push(crate::target::Refusal {
                    write,
                    reject: Reject::new("the database rejected the record")
                        .with_detail(format!("count {count} is odd")),
                });
            }
        }
        Ok(())
    }
    fn refuses_on_flush(&self) -> bool {
        true
    }
    fn take_refused(&mut self) -> Vec<crate::target::Refusal> {
        std::mem::take(&mut self.refused)
    }
}

impl Target<Count> for RefusesOddAtFlush {
    fn write(&mut self, record: &Count) -> Result<Result<(), Reject>, RunError> {
        self.counts.push(record.count);
        Ok(Ok(()))
    }
}

#[test]
fn records_a_target_refuses_when_it_flushes_are_dead_lettered_with_their_originals() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("events.jsonl"), event_lines(7)).unwrap();
    let mut run = start(dir.path(), 3);
    let source = run.jsonl_source("events", "events.jsonl").unwrap();
    let target = run.add_target::<Count>(
        "checked",
        Box::new(RefusesOddAtFlush {
            counts: Vec::new(),
            refused: Vec::new(),
        }),
    );
    let flow = run.flow("count", "events", target);
    run.source(source, count_flow(flow));
    run.drive().unwrap();

    let summary = run.summary();
    let flow = &summary.flows[0];
    assert_eq!((flow.read, flow.written, flow.rejected), (7, 3, 4));
    assert!(flow.balanced);
    assert_eq!(summary.targets[0].written, 3);
    let dead = read_lines(&dir.path().join("out/dl.jsonl"));
    let refused: Vec<(Value, Value, Value)> = dead
        .iter()
        .map(|d| {
            (
                d["stage"].clone(),
                d["position"].clone(),
                d["detail"].clone(),
            )
        })
        .collect();
    let expected: Vec<(Value, Value, Value)> = [1, 3, 5, 7]
        .iter()
        .map(|n| (json!("write"), json!(n), json!(format!("count {n} is odd"))))
        .collect();
    assert_eq!(refused, expected);
    assert_eq!(dead[2]["record"], json!({"machine": "M", "count": 5}));
}
