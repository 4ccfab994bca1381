//! `Run::share`: the bindings the flows of one source share reject a record once for all of them.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::tests::start;
use super::*;

#[derive(Debug, Deserialize)]
struct Event {
    machine: String,
    count: i64,
}

#[derive(Debug, Serialize)]
struct Tally {
    machine: String,
    count: i64,
}

/// What both flows read: the count doubled, computed once; a negative count rejects the record.
struct Shared {
    doubled: i64,
}

fn shared_of(event: &Event) -> Result<Shared, Reject> {
    if event.count < 0 {
        return Err(Reject::new("negative count"));
    }
    Ok(Shared {
        doubled: event.count * 2,
    })
}

#[test]
fn a_shared_reject_is_dead_lettered_once_and_counted_by_every_flow() {
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        json!({"machine": "A", "count": 1}),
        json!({"machine": "B", "count": -1}),
        json!({"machine": "C", "count": 2}),
        json!({"machine": "D", "count": -5}),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.path().join("events.jsonl"), text).unwrap();

    let mut run = start(dir.path(), 1000);
    let source = run.jsonl_source("events", "events.jsonl").unwrap();
    let all = run.jsonl_target::<Tally>("all", "all.jsonl").unwrap();
    let even = run.jsonl_target::<Tally>("even", "even.jsonl").unwrap();
    let all = run.flow("all", "events", all);
    let even = run.flow("even", "events", even);
    run.source(source, move |run, raw| {
        if let Some(event) = run.decode::<Event>(raw, "Event")? {
            if let Some(shared) = run.share(raw, shared_of(&event))? {
                let tally = |count| Tally {
                    machine: event.machine.clone(),
                    count,
                };
                run.deliver(all, raw, MapOutcome::Mapped(tally(shared.doubled)))?;
                let outcome = if event.count % 2 == 0 {
                    MapOutcome::Mapped(tally(event.count))
                } else {
                    MapOutcome::Filtered
                };
                run.deliver(even, raw, outcome)?;
            }
        }
        Ok(())
    });
    run.drive().unwrap();

    let dead: Vec<Value> = std::fs::read_to_string(dir.path().join("out/dl.jsonl"))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let rejected: Vec<(Value, Value, Value)> = dead
        .iter()
        .map(|d| (d["flow"].clone(), d["stage"].clone(), d["position"].clone()))
        .collect();
    assert_eq!(
        rejected,
        vec![
            (Value::Null, json!("map"), json!(2)),
            (Value::Null, json!("map"), json!(4)),
        ],
        "one line per record, naming no flow"
    );
    assert!(dead.iter().all(|d| d["reason"] == "negative count"));

    let summary = run.summary();
    assert_eq!(summary.dead_letter.records, 2);
    let counts: Vec<(&str, u64, u64, u64, u64)> = summary
        .flows
        .iter()
        .map(|f| (f.name.as_str(), f.read, f.written, f.rejected, f.filtered))
        .collect();
    assert_eq!(counts, vec![("all", 4, 2, 2, 0), ("even", 4, 1, 2, 1)]);
    assert!(summary.flows.iter().all(|f| f.balanced));
    assert!(summary
        .flows
        .iter()
        .all(|f| f.reasons.get("negative count") == Some(&2)));
}
