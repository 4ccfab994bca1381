use super::*;
use crate::source::JsonlSource;
use crate::target::{Column, TargetHandle};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Debug, Deserialize)]
struct Event {
    machine: String,
    count: i64,
}

#[derive(Debug, Serialize)]
struct Count {
    machine: String,
    count: i64,
}

fn program(dead_letter: &'static str) -> ProgramInfo {
    ProgramInfo {
        mapping: "events_to_counts",
        version: "1.2.3",
        mapping_dir: Some("/nonexistent"),
        dead_letter,
        sources: &["events"],
        lookups: &[],
        manifest: &crate::Manifest::UNKNOWN,
    }
}

fn start(base: &Path, batch_size: usize) -> Run {
    let program = program("out/dl.jsonl");
    let config = RunConfig {
        base_dir: base.to_path_buf(),
        batch_size,
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

/// One pass of the generated loop over a JSON Lines source, stopping after `limit` records.
fn pump(
    run: &mut Run,
    source: &mut JsonlSource,
    target: &mut TargetHandle<Count>,
    flow: FlowId,
    limit: usize,
) {
    for _ in 0..limit {
        let Some(raw) = source.read().unwrap() else {
            break;
        };
        if let Some(event) = run.decode::<Event>(&raw, "Event", &[flow]).unwrap() {
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
            run.deliver(flow, &raw, outcome, target).unwrap();
        }
        run.checkpoint(source, raw.position(), &mut [target])
            .unwrap();
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
    let mut target = run
        .jsonl_target::<Count>("counts", "out/counts.jsonl")
        .unwrap();
    let mut source = run.jsonl_source("events", "in/events.jsonl").unwrap();
    let flow = run.flow("count", "events", "counts");
    pump(&mut run, &mut source, &mut target, flow, usize::MAX);
    run.finish(&mut source, &mut [&mut target]).unwrap();

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

#[test]
fn checkpoint_flushes_before_it_acknowledges_every_batch() {
    let dir = tempfile::tempdir().unwrap();
    let lines: String = (1..=5)
        .map(|i| format!("{{\"machine\":\"M\",\"count\":{i}}}\n"))
        .collect();
    std::fs::write(dir.path().join("events.jsonl"), lines).unwrap();

    let mut run = start(dir.path(), 2);
    let mut target = run.jsonl_target::<Count>("counts", "counts.jsonl").unwrap();
    let mut source = run.jsonl_source("events", "events.jsonl").unwrap();
    let flow = run.flow("count", "events", "counts");
    let output = dir.path().join("counts.jsonl");

    pump(&mut run, &mut source, &mut target, flow, 1);
    assert_eq!(source.acknowledged(), None);
    pump(&mut run, &mut source, &mut target, flow, 2);
    assert_eq!(source.acknowledged(), Some(2));
    assert!(
        read_lines(&output).len() >= 2,
        "acknowledged records are in the file"
    );
    pump(&mut run, &mut source, &mut target, flow, 2);
    assert_eq!(source.acknowledged(), Some(4));
    run.finish(&mut source, &mut [&mut target]).unwrap();
    assert_eq!(source.acknowledged(), Some(5));
    assert_eq!(read_lines(&output).len(), 5);
    assert_eq!(run.summary().sources[0].acknowledged, Some(5));
}

#[test]
fn paths_resolve_against_the_base_directory() {
    let dir = tempfile::tempdir().unwrap();
    let run = start(dir.path(), 10);
    assert_eq!(run.resolve("a/b.csv"), dir.path().join("a/b.csv"));
    assert_eq!(run.resolve("/abs/b.csv"), PathBuf::from("/abs/b.csv"));
    assert_eq!(run.batch_size(), 10);
    let summary = run.summary();
    assert_eq!(summary.mapping, "events_to_counts");
    assert_eq!(
        summary.dead_letter.path,
        dir.path().join("out/dl.jsonl").display().to_string()
    );
}

#[test]
fn sqlite_targets_of_one_file_share_the_database() {
    use crate::target::SqlType;
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
    let mut run = start(dir.path(), 1000);
    let mut a = run
        .sqlite_target::<Count>("a", "out/x.db", "a", COLUMNS, &["machine"])
        .unwrap();
    let mut b = run
        .sqlite_target::<Count>("b", "out/x.db", "b", COLUMNS, &[])
        .unwrap();
    for i in 0..3 {
        a.write(&Count {
            machine: "M".into(),
            count: i,
        })
        .unwrap()
        .unwrap();
        b.write(&Count {
            machine: "M".into(),
            count: i,
        })
        .unwrap()
        .unwrap();
    }
    a.flush().unwrap();
    b.flush().unwrap();
    let connection = rusqlite::Connection::open(dir.path().join("out/x.db")).unwrap();
    let count = |table: &str| -> i64 {
        connection
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!((count("a"), count("b")), (1, 3));
}

/// A target that only records how it was asked to persist.
#[derive(Default)]
struct Recorder {
    calls: Vec<&'static str>,
}

impl Durable for Recorder {
    fn name(&self) -> &str {
        "recorder"
    }
    fn flush(&mut self) -> Result<(), RunError> {
        self.calls.push("flush");
        Ok(())
    }
    fn hand_over(&mut self) -> Result<(), RunError> {
        self.calls.push("hand_over");
        Ok(())
    }
}

/// A source whose acknowledgements leave the process, as a broker offset would.
struct Committing {
    acknowledged: Option<Position>,
}

impl Source for Committing {
    fn name(&self) -> &str {
        "events"
    }
    fn read(&mut self) -> Result<Option<crate::record::RawRecord>, RunError> {
        Ok(None)
    }
    fn acknowledge(&mut self, position: Position) -> Result<(), RunError> {
        self.acknowledged = Some(position);
        Ok(())
    }
    fn acknowledged(&self) -> Option<Position> {
        self.acknowledged
    }
    fn commits_positions(&self) -> bool {
        true
    }
}

#[test]
fn checkpoints_sync_only_for_sources_that_commit_positions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    std::fs::write(&path, "").unwrap();

    // A file source: checkpoints hand the writes to the OS; the end of the source syncs.
    let mut run = start(dir.path(), 2);
    let mut file = run.jsonl_source("events", "events.jsonl").unwrap();
    let mut target = Recorder::default();
    for position in 1..=4 {
        run.checkpoint(&mut file, position, &mut [&mut target])
            .unwrap();
    }
    run.finish(&mut file, &mut [&mut target]).unwrap();
    assert_eq!(target.calls, ["hand_over", "hand_over", "flush"]);
    assert_eq!(file.acknowledged(), Some(4));

    // A source that commits: every checkpoint makes the targets durable before acknowledging.
    let mut run = start(dir.path(), 2);
    let mut broker = Committing { acknowledged: None };
    let mut target = Recorder::default();
    for position in 1..=4 {
        run.checkpoint(&mut broker, position, &mut [&mut target])
            .unwrap();
    }
    assert_eq!(target.calls, ["flush", "flush"]);
    assert_eq!(broker.acknowledged, Some(4));
}
