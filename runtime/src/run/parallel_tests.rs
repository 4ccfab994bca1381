//! Parallel mapping (`parallel.rs`): map workers write, dead-letter, count and acknowledge exactly
//! what one core does, in the same order.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::*;
use crate::target::{Column, SqlType};

#[derive(Debug, Deserialize)]
struct Reading {
    machine: String,
    value: f64,
    kind: String,
}

#[derive(Debug, Serialize)]
struct Line {
    machine: String,
    value: f64,
}

#[derive(Debug, Serialize)]
struct Row {
    machine: String,
    scaled: f64,
}

const ROW_COLUMNS: &[Column] = &[
    Column {
        name: "machine",
        sql_type: SqlType::Text,
        nullable: false,
    },
    Column {
        name: "scaled",
        sql_type: SqlType::Real,
        nullable: false,
    },
];

/// Readings with every kind of outcome: lines that are not JSON (decode), machines the shared
/// stage rejects, negative values one flow rejects, kinds one flow filters, values that overflow
/// to infinity when scaled (a write reject of a JSON Lines target on the worker, of an SQLite
/// target on the core), and texts that need escapes (the serializer's general path).
fn readings(count: usize) -> String {
    let mut text = String::new();
    for i in 1..=count {
        if i % 97 == 0 {
            text.push_str("{not json\n");
            continue;
        }
        let machine = match i % 50 {
            0 => "X".to_string(),
            7 => format!("M\"{}\"", i % 5),
            n => format!("M{}", n % 9),
        };
        let value = if i % 31 == 0 {
            -(i as f64)
        } else {
            (i % 40) as f64 + 0.25
        };
        let kind = if i % 3 == 0 { "alert" } else { "info" };
        let line = serde_json::json!({"machine": machine, "value": value, "kind": kind});
        text.push_str(&format!("{line}\n"));
    }
    text
}

/// What a run of the readings left: every file, the database's rows, the dead letter without the
/// id and time of its lines, the summary, and the error it stopped on.
#[derive(Debug, PartialEq)]
struct Outputs {
    all: String,
    alerts: String,
    rows: Vec<(String, f64)>,
    dead_letter: Vec<Value>,
    summary: Value,
    error: Option<String>,
}

/// Holds each map worker at the records it maps until the core has mapped one itself, so that the
/// core certainly takes chunks from the workers' queue (as it does when the OS sets a worker aside).
#[derive(Default)]
struct CoreFirst {
    core_mapped: Mutex<bool>,
    changed: Condvar,
}

impl CoreFirst {
    fn pass(&self) {
        let on_worker = std::thread::current()
            .name()
            .is_some_and(|name| name.starts_with("fdi-map-"));
        let core_mapped = self.core_mapped.lock().unwrap();
        if on_worker {
            // Bounded: a core that never maps fails the test's assertion instead of hanging it.
            let _released = self
                .changed
                .wait_timeout_while(core_mapped, Duration::from_secs(60), |mapped| !*mapped)
                .unwrap();
        } else {
            let mut core_mapped = core_mapped;
            *core_mapped = true;
            self.changed.notify_all();
        }
    }
}

/// Runs the readings through three flows (two JSON Lines targets, one SQLite table) with
/// `map_threads`, chunks of `checkpoint_every`; the map function fails at record `fail_at`, and
/// passes `core_first` before each record when given.
fn run_readings(
    dir: &Path,
    map_threads: usize,
    checkpoint_every: usize,
    fail_at: Option<u64>,
    core_first: Option<Arc<CoreFirst>>,
) -> Outputs {
    std::fs::write(dir.join("events.jsonl"), readings(3000)).unwrap();
    let program = ProgramInfo {
        mapping: "readings",
        version: "1",
        mapping_dir: None,
        dead_letter: "out/dl.jsonl",
        service: false,
        sources: &["events"],
        lookups: &[],
        connections: &[],
        manifest: &crate::Manifest::UNKNOWN,
    };
    let config = RunConfig {
        base_dir: dir.to_path_buf(),
        checkpoint_every,
        map_threads,
        ..RunConfig::new(&program)
    };
    let mut run = Run::new(&program, config).unwrap();
    let source = run.jsonl_source("events", "events.jsonl").unwrap();
    let all = run.jsonl_target::<Line>("all", "out/all.jsonl").unwrap();
    let alerts = run
        .jsonl_target::<Line>("alerts", "out/alerts.jsonl")
        .unwrap();
    let rows = run
        .sqlite_target::<Row>("rows", "out/rows.db", "rows", ROW_COLUMNS, &[])
        .unwrap();
    let all = run.flow("all", "events", all);
    let alerts = run.flow("alerts", "events", alerts);
    let rows = run.flow("rows", "events", rows);
    run.parallel_source(source, move |run, raw| {
        if let Some(core_first) = &core_first {
            core_first.pass();
        }
        if fail_at == Some(raw.position()) {
            return Err(RunError::Program(format!("failed at {}", raw.position())));
        }
        let Some(reading) = run.decode::<Reading>(raw, "Reading")? else {
            return Ok(());
        };
        let shared = match reading.machine.as_str() {
            "X" => Err(Reject::new("machine X is retired")),
            _ => Ok(reading.value * 1e307),
        };
        let Some(scaled) = run.share(raw, shared)? else {
            return Ok(());
        };
        let line = |value| Line {
            machine: reading.machine.clone(),
            value,
        };
        let outcome = if reading.value < 0.0 {
            MapOutcome::Rejected(
                Reject::new("negative value").with_detail(reading.value.to_string()),
            )
        } else {
            MapOutcome::Mapped(line(reading.value))
        };
        run.deliver(all, raw, outcome)?;
        let outcome = match reading.kind.as_str() {
            "alert" => MapOutcome::Mapped(line(scaled)),
            _ => MapOutcome::Filtered,
        };
        run.deliver(alerts, raw, outcome)?;
        let row = Row {
            machine: reading.machine.clone(),
            scaled,
        };
        run.deliver(rows, raw, MapOutcome::Mapped(row))
    });
    let error = run.drive().err().map(|e| e.to_string());
    let mut summary = serde_json::to_value(run.summary()).unwrap();
    summary["dead_letter"]["path"] = Value::Null;
    drop(run);
    let read = |name: &str| std::fs::read_to_string(dir.join("out").join(name)).unwrap();
    let dead_letter = read("dl.jsonl")
        .lines()
        .map(|line| {
            let mut entry: Value = serde_json::from_str(line).unwrap();
            let fields = entry.as_object_mut().unwrap();
            assert!(fields.remove("id").is_some() && fields.remove("time").is_some());
            entry
        })
        .collect();
    let connection = rusqlite::Connection::open(dir.join("out/rows.db")).unwrap();
    let mut statement = connection
        .prepare("SELECT machine, scaled FROM rows ORDER BY rowid")
        .unwrap();
    let rows = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    Outputs {
        all: read("all.jsonl"),
        alerts: read("alerts.jsonl"),
        rows,
        dead_letter,
        summary,
        error,
    }
}

#[test]
fn workers_write_dead_letter_and_count_what_one_core_does() {
    let one = tempfile::tempdir().unwrap();
    let expected = run_readings(one.path(), 1, 7, None, None);
    // Every outcome is there, so that the comparison covers each.
    let flows = &expected.summary["flows"];
    for (flow, outcome) in [
        (0, "written"),
        (0, "rejected"),
        (1, "filtered"),
        (1, "rejected"),
        (2, "rejected"),
    ] {
        assert!(
            flows[flow][outcome].as_u64().unwrap() > 0,
            "{flow} {outcome}: {flows}"
        );
    }
    let stages: Vec<&str> = expected
        .dead_letter
        .iter()
        .map(|e| e["stage"].as_str().unwrap())
        .collect();
    for stage in ["decode", "map", "write"] {
        assert!(stages.contains(&stage), "no {stage} reject: {stages:?}");
    }
    assert_eq!(expected.summary["sources"][0]["acknowledged"], 3000);
    assert!(
        expected.alerts.contains("\\\""),
        "a line took serde_json's path"
    );
    // Small chunks (7 records) on three workers come back out of order: still one core's outputs.
    for (threads, checkpoint_every) in [(2, 7), (3, 7), (2, 1000)] {
        let many = tempfile::tempdir().unwrap();
        let got = run_readings(many.path(), threads, checkpoint_every, None, None);
        if checkpoint_every == 7 {
            assert_eq!(got, expected, "{threads} map threads");
        } else {
            assert_eq!(
                (&got.all, &got.alerts, &got.rows, &got.dead_letter),
                (
                    &expected.all,
                    &expected.alerts,
                    &expected.rows,
                    &expected.dead_letter
                ),
                "{threads} map threads, chunks of 512"
            );
        }
    }
}

#[test]
fn a_map_error_on_a_worker_stops_the_run_where_one_core_stops() {
    let one = tempfile::tempdir().unwrap();
    let expected = run_readings(one.path(), 1, 7, Some(1234), None);
    let error = expected.error.as_deref().unwrap_or_default();
    assert!(error.contains("failed at 1234"), "{error}");
    let many = tempfile::tempdir().unwrap();
    assert_eq!(run_readings(many.path(), 3, 7, Some(1234), None), expected);
}

#[test]
fn chunks_the_core_maps_while_the_workers_are_held_are_written_in_their_turn() {
    let one = tempfile::tempdir().unwrap();
    let expected = run_readings(one.path(), 1, 7, None, None);
    // The workers wait at their first chunks until the core has mapped a chunk from their
    // queue: one behind theirs, into a batch applied after them (or the first, straight).
    let core_first = Arc::new(CoreFirst::default());
    let many = tempfile::tempdir().unwrap();
    let got = run_readings(many.path(), 2, 7, None, Some(core_first.clone()));
    assert!(
        *core_first.core_mapped.lock().unwrap(),
        "the core mapped no chunk"
    );
    assert_eq!(got, expected);
}
