//! Replays through the run itself (`replay.rs`): which flows a replayed record goes through, what
//! the dead letter says of each replay, and a broker message's topic levels after a replay.

use std::path::Path;

use super::*;
use crate::replay::lines::{DeadLetterFile, Outcome};
use crate::replay::plan;
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

const PROGRAM: ProgramInfo = ProgramInfo {
    mapping: "events_to_counts",
    version: "2",
    mapping_dir: None,
    dead_letter: "dl.jsonl",
    service: false,
    sources: &["events"],
    lookups: &[],
    connections: &[],
    manifest: &crate::Manifest::UNKNOWN,
};

/// A run of the two flows of `events`: `count` (which rejects negative counts unless
/// `negatives_allowed`: the mapping's fix) into `counts.jsonl`, and `copy` into `copies.jsonl`.
/// With a plan, the run replays it; returns the run after `drive`.
fn run_events(dir: &Path, negatives_allowed: bool, replay: Option<ReplayPlan>) -> Run {
    let config = RunConfig {
        base_dir: dir.to_path_buf(),
        outputs: if replay.is_some() {
            OutputMode::Append
        } else {
            OutputMode::Truncate
        },
        ..RunConfig::new(&PROGRAM)
    };
    let mut run = Run::new(&PROGRAM, config).unwrap();
    if let Some(plan) = replay {
        run.replay(plan);
    }
    let source = run.jsonl_source("events", "events.jsonl").unwrap();
    let counts = run.jsonl_target::<Count>("counts", "counts.jsonl").unwrap();
    let copies = run.jsonl_target::<Count>("copies", "copies.jsonl").unwrap();
    let count = run.flow("count", "events", counts);
    let copy = run.flow("copy", "events", copies);
    run.source(source, move |run, raw| {
        if let Some(event) = run.decode::<Event>(raw, "Event")? {
            let counted = if event.count < 0 && !negatives_allowed {
                MapOutcome::Rejected(Reject::new("negative count"))
            } else {
                MapOutcome::Mapped(Count {
                    machine: event.machine.clone(),
                    count: event.count,
                })
            };
            run.deliver(count, raw, counted)?;
            let copied = Count {
                machine: event.machine,
                count: event.count,
            };
            run.deliver(copy, raw, MapOutcome::Mapped(copied))?;
        }
        Ok(())
    });
    run.drive().unwrap();
    run
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn replay_all(dir: &Path) -> ReplayPlan {
    let file = DeadLetterFile::read(&dir.join("dl.jsonl")).unwrap();
    let chosen = crate::replay::select::choose(&file, &Default::default(), false);
    plan(chosen.to_replay)
}

#[test]
fn a_map_reject_replays_through_its_flow_and_a_decode_reject_through_every_flow() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("events.jsonl"),
        "{\"machine\":\"M\",\"count\":-1}\nnot json\n{\"machine\":\"M\",\"count\":2}\n",
    )
    .unwrap();
    run_events(dir.path(), false, None);
    assert_eq!(lines(&dir.path().join("counts.jsonl")).len(), 1);
    assert_eq!(lines(&dir.path().join("copies.jsonl")).len(), 2);

    // The fix: negative counts are counts. The file source is not read again.
    std::fs::write(dir.path().join("events.jsonl"), "").unwrap();
    let mut run = run_events(dir.path(), true, Some(replay_all(dir.path())));
    let summary = run.summary();
    assert!(summary.flows.iter().all(|f| f.balanced), "{summary:?}");
    let count = &summary.flows[0];
    let copy = &summary.flows[1];
    // `count` reads both (its map reject and the decode reject), `copy` the decode reject only.
    assert_eq!((count.read, count.written, count.rejected), (2, 1, 1));
    assert_eq!((copy.read, copy.written, copy.rejected), (1, 0, 1));
    assert_eq!(
        lines(&dir.path().join("counts.jsonl")),
        [
            json!({"machine": "M", "count": 2}),
            json!({"machine": "M", "count": -1})
        ]
    );
    assert_eq!(
        lines(&dir.path().join("copies.jsonl")).len(),
        2,
        "no copy twice"
    );

    let report = run.replay_report().unwrap();
    assert_eq!(
        (
            report.replayed,
            report.written,
            report.rejected,
            report.filtered
        ),
        (2, 1, 1, 0)
    );
    let file = DeadLetterFile::read(&dir.path().join("dl.jsonl")).unwrap();
    let (first, decode) = (&file.entries[0], &file.entries[1]);
    // The decode reject was rejected again once, as a new entry that names it.
    assert_eq!(file.entries.len(), 3);
    let again = &file.entries[2];
    assert_eq!(again.replay_of.as_deref(), Some(decode.id.as_str()));
    assert_eq!((again.flow.as_deref(), again.stage), (None, Stage::Decode));
    let marks = file.replays_by_entry();
    let written = marks[first.id.as_str()][0];
    assert_eq!(written.outcome, Some(Outcome::Written));
    assert_eq!(written.flows, [("count".into(), "written".into())].into());
    let rejected = marks[decode.id.as_str()][0];
    assert_eq!(rejected.outcome, Some(Outcome::Rejected));
    assert_eq!(rejected.rejected_as, std::slice::from_ref(&again.id));
    assert_eq!(rejected.flows.len(), 2);

    // A second replay takes only the new entry; the replayed ones are left alone.
    let mut run = run_events(dir.path(), true, Some(replay_all(dir.path())));
    let report = run.replay_report().unwrap();
    assert_eq!((report.replayed, report.rejected), (1, 1));
    assert_eq!(report.entries[0].id, again.id);
    assert_eq!(lines(&dir.path().join("counts.jsonl")).len(), 2);
}

#[test]
fn a_record_rejected_by_two_flows_is_read_once_and_a_flow_gone_from_the_mapping_is_not_replayed() {
    let dir = tempfile::tempdir().unwrap();
    let entry = |id: &str, flow: &str| {
        format!(
            r#"{{"id":"{id}","time":"2026-12-07T05:00:00.000Z","flow":"{flow}","stage":"map","reason":"r","detail":null,"source":"events","position":4,"format":"json","record":{{"machine":"M","count":-5}}}}"#
        )
    };
    let text = [
        entry("a", "count"),
        entry("b", "copy"),
        entry("c", "renamed"),
    ]
    .join("\n");
    std::fs::write(dir.path().join("dl.jsonl"), text + "\n").unwrap();
    std::fs::write(dir.path().join("events.jsonl"), "").unwrap();
    let mut run = run_events(dir.path(), true, Some(replay_all(dir.path())));
    let summary = run.summary();
    assert_eq!(summary.sources[0].read, 1, "one record for three entries");
    assert_eq!((summary.flows[0].written, summary.flows[1].written), (1, 1));
    let report = run.replay_report().unwrap();
    assert_eq!((report.replayed, report.written), (2, 2));
    assert_eq!(
        (report.not_in_mapping, report.not_in_mapping_ids.as_slice()),
        (1, &["c".to_string()][..])
    );
    let file = DeadLetterFile::read(&dir.path().join("dl.jsonl")).unwrap();
    let replayed: Vec<&str> = file.replays.iter().map(|m| m.replayed.as_str()).collect();
    assert_eq!(replayed, ["a", "b"]);
}

#[test]
fn a_replayed_message_reads_the_levels_of_its_topic() {
    let dir = tempfile::tempdir().unwrap();
    let line = r#"{"id":"m1","time":"2026-12-07T05:00:00.000Z","flow":"levels","stage":"map","reason":"r","detail":null,"source":"events","position":7,"topic":"plant/3/m1","format":"message","record":{"count":1}}"#;
    std::fs::write(dir.path().join("dl.jsonl"), format!("{line}\n")).unwrap();
    let config = RunConfig {
        base_dir: dir.path().to_path_buf(),
        outputs: OutputMode::Append,
        ..RunConfig::new(&PROGRAM)
    };
    let mut run = Run::new(&PROGRAM, config).unwrap();
    run.replay(replay_all(dir.path()));
    let filter = crate::TopicFilter::parse("plant/+line/+machine").unwrap();
    let stand_in = run.replay_stand_in("events", false, vec![filter]).unwrap();
    let target = run.jsonl_target::<Value>("lines", "lines.jsonl").unwrap();
    let flow = run.flow("levels", "events", target);
    run.source(OpenSource::blocking(stand_in), move |run, raw| {
        let levels = json!({
            "line": raw.topic_level("line").ok(),
            "machine": raw.topic_level("machine").ok(),
            "position": raw.position(),
        });
        run.deliver(flow, raw, MapOutcome::Mapped(levels))
    });
    run.drive().unwrap();
    assert_eq!(
        lines(&dir.path().join("lines.jsonl")),
        [json!({"line": "3", "machine": "m1", "position": 7})]
    );
}

/// A target that refuses negative counts when it flushes, as a database checks a constraint.
#[derive(Default)]
struct RefusesNegativeAtFlush {
    pending: Vec<i64>,
    refused: Vec<crate::target::Refusal>,
    durable: Vec<i64>,
}

impl Durable for RefusesNegativeAtFlush {
    fn name(&self) -> &str {
        "checked"
    }
    fn flush(&mut self) -> Result<(), RunError> {
        for (write, count) in self.pending.drain(..).enumerate() {
            if count < 0 {
                self.refused.push(crate::target::Refusal {
                    write,
                    reject: Reject::new("the database rejected the record"),
                });
            } else {
                self.durable.push(count);
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

impl Target<Count> for RefusesNegativeAtFlush {
    fn write(&mut self, record: &Count) -> Result<Result<(), Reject>, RunError> {
        self.pending.push(record.count);
        Ok(Ok(()))
    }
}

#[test]
fn a_record_a_target_refuses_again_when_it_flushes_is_a_new_entry_before_its_replay_line() {
    let dir = tempfile::tempdir().unwrap();
    let entry = |id: &str, position: u64, count: i64| {
        format!(
            r#"{{"id":"{id}","time":"2026-12-07T05:00:00.000Z","flow":"count","stage":"write","reason":"the database rejected the record","detail":null,"source":"events","position":{position},"format":"json","record":{{"machine":"M","count":{count}}}}}"#
        )
    };
    let text = [entry("w1", 1, -3), entry("w2", 2, 4)].join("\n");
    std::fs::write(dir.path().join("dl.jsonl"), text + "\n").unwrap();
    let config = RunConfig {
        base_dir: dir.path().to_path_buf(),
        outputs: OutputMode::Append,
        // One checkpoint for both records: the replay itself must flush to learn of a refusal.
        checkpoint_every: 100,
        ..RunConfig::new(&PROGRAM)
    };
    let mut run = Run::new(&PROGRAM, config).unwrap();
    run.replay(replay_all(dir.path()));
    let source = run.jsonl_source("events", "events.jsonl").unwrap();
    let target = run.add_target::<Count>("checked", Box::<RefusesNegativeAtFlush>::default());
    let count = run.flow("count", "events", target);
    run.source(source, move |run, raw| {
        if let Some(event) = run.decode::<Event>(raw, "Event")? {
            let counted = Count {
                machine: event.machine,
                count: event.count,
            };
            run.deliver(count, raw, MapOutcome::Mapped(counted))?;
        }
        Ok(())
    });
    run.drive().unwrap();
    let summary = run.summary();
    let flow = &summary.flows[0];
    assert_eq!((flow.read, flow.written, flow.rejected), (2, 1, 1));
    let report = run.replay_report().unwrap();
    assert_eq!((report.written, report.rejected), (1, 1));

    let file = DeadLetterFile::read(&dir.path().join("dl.jsonl")).unwrap();
    let again = &file.entries[2];
    assert_eq!(again.replay_of.as_deref(), Some("w1"));
    assert_eq!(again.stage, Stage::Write);
    let marks = file.replays_by_entry();
    assert_eq!(marks["w1"][0].outcome, Some(Outcome::Rejected));
    assert_eq!(marks["w1"][0].rejected_as, std::slice::from_ref(&again.id));
    assert!(marks["w1"][0].line > again.line, "the entry comes first");
    assert_eq!(marks["w2"][0].outcome, Some(Outcome::Written));
}
