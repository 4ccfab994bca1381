//! The example `examples/okuma-to-mes/` built and run over the real recording.

use std::collections::BTreeMap;

use crate::recording::{self, instant, Seen};
use crate::support::{self, service::sqlite_rows};

/// The program runs of the recording: each `pprogram` observation starts one, holding the
/// execution states and part counts that follow it in the file.
#[derive(Debug, Default, PartialEq)]
struct Run {
    program: String,
    states: Vec<String>,
    counts: Vec<i64>,
}

fn runs(observations: &[Seen]) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    for o in observations {
        match o.key.as_str() {
            "pprogram" => runs.push(Run {
                program: o.value.clone(),
                ..Run::default()
            }),
            "pexecution" => runs.last_mut().unwrap().states.push(o.value.clone()),
            "ppartcount" => runs
                .last_mut()
                .unwrap()
                .counts
                .push(o.value.parse().unwrap()),
            _ => unreachable!(),
        }
    }
    runs
}

#[test]
fn the_okuma_recording_yields_its_program_runs_states_and_part_counts() {
    let example = support::workspace_root().join("examples/okuma-to-mes");
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("example");
    support::copy_dir(&example, &dir);
    let binary = support::build(&dir.join("okuma_to_mes.fdi"), &scratch.path().join("crate"));
    let started = std::time::Instant::now();
    let (code, summary) = support::run_json(&binary, &[]);
    eprintln!(
        "okuma_to_mes read the recording in {} ms",
        started.elapsed().as_millis()
    );
    assert_eq!(code, 0, "{summary}");
    support::assert_balanced(&summary);

    let seen = recording::observations(
        &recording::path(),
        &["pprogram", "pexecution", "ppartcount"],
    );
    let expected = runs(&seen);
    // What the file holds, as its description says: four runs, each READY, ACTIVE,
    // PROGRAM_COMPLETED, READY; their part counts reset when the program changes.
    assert_eq!(expected.len(), 4, "{expected:?}");
    assert!(expected
        .iter()
        .all(|r| r.states == ["READY", "ACTIVE", "PROGRAM_COMPLETED", "READY"]));
    assert_eq!(
        expected
            .iter()
            .map(|r| r.counts.clone())
            .collect::<Vec<_>>(),
        [vec![0, 1], vec![0, 1], vec![2, 3], vec![0, 1]]
    );

    let db = dir.join("out/mes.db");
    let programs = sqlite_rows(
        &db,
        "SELECT started_at, program FROM program_runs ORDER BY rowid",
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
    );
    let want_programs: Vec<_> = seen
        .iter()
        .filter(|o| o.key == "pprogram")
        .map(|o| (instant(&o.timestamp), o.value.clone()))
        .collect();
    let got_programs: Vec<_> = programs
        .iter()
        .map(|(at, p)| (instant(at), p.clone()))
        .collect();
    assert_eq!(got_programs, want_programs);

    let states = sqlite_rows(
        &db,
        "SELECT since, execution, state FROM machine_states ORDER BY rowid",
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        },
    );
    let want_states: Vec<_> = seen
        .iter()
        .filter(|o| o.key == "pexecution")
        .map(|o| (instant(&o.timestamp), o.value.clone()))
        .collect();
    let got_states: Vec<_> = states
        .iter()
        .map(|(at, e, _)| (instant(at), e.clone()))
        .collect();
    assert_eq!(got_states, want_states);
    let mes_state: BTreeMap<&str, &str> = states
        .iter()
        .map(|(_, e, s)| (e.as_str(), s.as_str()))
        .collect();
    assert_eq!(mes_state["ACTIVE"], "RUNNING");
    assert_eq!(mes_state["PROGRAM_COMPLETED"], "IDLE");

    let counts = sqlite_rows(
        &db,
        "SELECT counted_at, part_count FROM part_counts ORDER BY rowid",
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
    );
    let want_counts: Vec<_> = seen
        .iter()
        .filter(|o| o.key == "ppartcount")
        .map(|o| (instant(&o.timestamp), o.value.parse::<i64>().unwrap()))
        .collect();
    let got_counts: Vec<_> = counts.iter().map(|(at, n)| (instant(at), *n)).collect();
    assert_eq!(got_counts, want_counts);
    let dead = std::fs::read_to_string(dir.join("out/rejected.jsonl")).unwrap_or_default();
    assert!(dead.is_empty(), "nothing is rejected: {dead}");

    // A line whose timestamp is broken, and one without any, go to the dead letter as they came;
    // the rest of the file is read as before.
    let data = dir.join("data/okuma_shdr_2022-08-08.txt");
    let mut text = std::fs::read_to_string(&data).unwrap();
    text.push_str("2022-08-08T25:61:00Z|pexecution|ACTIVE\n|ppartcount|9\n");
    std::fs::write(&data, text).unwrap();
    let (code, summary) = support::run_json(&binary, &[]);
    assert_eq!(code, 0, "{summary}");
    support::assert_balanced(&summary);
    let dead = support::read_jsonl(&dir.join("out/rejected.jsonl"));
    let originals: Vec<&str> = dead
        .iter()
        .filter_map(|d| d["record"].as_str().or(d["original"].as_str()))
        .collect();
    assert!(
        originals.contains(&"2022-08-08T25:61:00Z|pexecution|ACTIVE")
            && originals.contains(&"|ppartcount|9"),
        "{dead:?}"
    );
    // Each source rejects them (each reads the whole file): three sources, two lines.
    assert_eq!(dead.len(), 6, "{dead:?}");
}
