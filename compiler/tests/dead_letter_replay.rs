//! `PROGRAM dead-letter list|show|replay` through a generated program
//! (`tests/programs/gauge_replay`): readings of a press the master data lacks are rejected; the
//! master data is fixed; a replay by reason writes exactly those readings once, through the flow
//! that rejected them only; a second replay writes nothing and says they were replayed already.
//! Every expectation is computed here from the input CSV and the master data, not from fdi.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::service::sqlite_rows;
use support::*;

/// One data row of `data/gauges.csv`: its position (1-based), press and thickness text.
struct GaugeRow {
    position: i64,
    press: String,
    thickness: String,
}

fn gauge_rows(dir: &Path) -> Vec<GaugeRow> {
    let mut reader = csv::Reader::from_path(dir.join("data/gauges.csv")).unwrap();
    reader
        .records()
        .enumerate()
        .map(|(index, row)| {
            let row = row.unwrap();
            GaugeRow {
                position: index as i64 + 1,
                press: row[0].to_string(),
                thickness: row[1].to_string(),
            }
        })
        .collect()
}

/// Press code -> cell, from `master/presses.csv`.
fn presses(dir: &Path) -> BTreeMap<String, String> {
    let mut reader = csv::Reader::from_path(dir.join("master/presses.csv")).unwrap();
    reader
        .records()
        .map(|row| {
            let row = row.unwrap();
            (row[0].to_string(), row[1].to_string())
        })
        .collect()
}

/// The rows of the results table: (press, cell, reading, thickness to the thousandth).
fn results(dir: &Path) -> BTreeSet<(String, String, i64, String)> {
    sqlite_rows(
        &dir.join("out/results.db"),
        "SELECT press, cell, reading, thickness_mm FROM gauge_results",
        |row| {
            let thickness: f64 = row.get(3)?;
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                format!("{thickness:.3}"),
            ))
        },
    )
    .into_iter()
    .collect()
}

/// What the results table holds when `presses` is the master data: every reading with a
/// non-negative number for a press it lists.
fn expected_results(
    rows: &[GaugeRow],
    presses: &BTreeMap<String, String>,
) -> BTreeSet<(String, String, i64, String)> {
    rows.iter()
        .filter_map(|row| {
            let thickness: f64 = row.thickness.parse().ok()?;
            let cell = presses.get(&row.press)?;
            (thickness >= 0.0).then(|| {
                (
                    row.press.clone(),
                    cell.clone(),
                    row.position,
                    format!("{thickness:.3}"),
                )
            })
        })
        .collect()
}

/// Runs the program with `args` and returns its exit code and stdout.
fn run(binary: &Path, dir: &Path, args: &[&str]) -> (i32, String) {
    let output = Command::new(binary)
        .arg("--base-dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("run the generated program");
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !stderr.is_empty() {
        eprintln!("{} {args:?} said on stderr:\n{stderr}", binary.display());
    }
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

fn run_json(binary: &Path, dir: &Path, args: &[&str]) -> Value {
    let (code, stdout) = run(binary, dir, args);
    assert_eq!(code, 0, "{args:?}:\n{stdout}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}):\n{stdout}"))
}

fn ids(entries: &Value) -> BTreeSet<String> {
    entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_replay_after_a_master_data_fix_writes_the_rejected_records_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("gauge_replay");
    copy_dir(&workspace_root().join("tests/programs/gauge_replay"), &dir);
    let binary = build(&dir.join("gauge_replay.fdi"), &tmp.path().join("crate"));
    let rows = gauge_rows(&dir);
    let known = presses(&dir);

    // The batch run: readings of a press the master data lacks are rejected (a thickness that is
    // not a number is a decode reject first; the press is looked up before the sign is checked).
    let started = now_to_the_second();
    let (code, summary) = support::run_json(&binary, &["--base-dir", dir.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_balanced(&summary);
    assert_eq!(results(&dir), expected_results(&rows, &known));
    let unknown: Vec<&GaugeRow> = rows
        .iter()
        .filter(|r| r.thickness.parse::<f64>().is_ok() && !known.contains_key(&r.press))
        .collect();
    let not_numbers = rows
        .iter()
        .filter(|r| r.thickness.parse::<f64>().is_err())
        .count();
    assert!(
        !unknown.is_empty() && not_numbers > 0,
        "the data has both kinds of reject"
    );
    let audited = read_jsonl(&dir.join("out/audit_log.jsonl")).len();

    // `list`, filtered by reason: one entry per reading of an unknown press, with its position.
    let listed = run_json(
        &binary,
        &dir,
        &[
            "dead-letter",
            "list",
            "--reason",
            "unknown press",
            "--format",
            "json",
        ],
    );
    let entries = listed["entries"].as_array().unwrap();
    let positions: Vec<i64> = entries
        .iter()
        .map(|e| e["position"].as_i64().unwrap())
        .collect();
    let expected_positions: Vec<i64> = unknown.iter().map(|r| r.position).collect();
    assert_eq!(positions, expected_positions);
    assert!(entries.iter().all(|e| e["flow"] == "measure"
        && e["stage"] == "map"
        && e["source"] == "gauges"
        && e["replays"] == serde_json::json!([])));
    assert_eq!(listed["by_reason"]["unknown press"], unknown.len());
    assert_eq!(
        ids(&listed["entries"]).len(),
        unknown.len(),
        "ids are unique"
    );

    // The whole list counts every reason; the human form has a line per entry and the counts.
    let all = run_json(&binary, &dir, &["dead-letter", "list", "--format", "json"]);
    assert_eq!(all["by_reason"]["not a number"], not_numbers);
    let (code, human) = run(
        &binary,
        &dir,
        &["dead-letter", "list", "--reason", "unknown press"],
    );
    assert_eq!(code, 0);
    let first = &unknown[0];
    let first_id = entries[0]["id"].as_str().unwrap();
    let first_line = human
        .lines()
        .find(|line| line.starts_with(first_id))
        .unwrap_or_else(|| panic!("no line for {first_id}:\n{human}"));
    for part in [
        "measure",
        "map",
        &format!("gauges {}", first.position),
        "unknown press",
    ] {
        assert!(first_line.contains(part), "{part:?} in {first_line:?}");
    }
    assert!(
        human.contains(&format!("{:>8}  unknown press\n", unknown.len())),
        "{human}"
    );

    // `--since`: a time before the run selects them all, one after it none, a duration too.
    let since = |time: &str| {
        let listed = run_json(
            &binary,
            &dir,
            &[
                "dead-letter",
                "list",
                "--reason",
                "unknown press",
                "--since",
                time,
                "--format",
                "json",
            ],
        );
        listed["entries"].as_array().unwrap().len()
    };
    assert_eq!(since(&started), unknown.len());
    assert_eq!(since("2999-01-01T00:00:00Z"), 0);
    assert_eq!(since("1h"), unknown.len());

    // `show`: the whole entry, its record decoded, the mapping that rejected it.
    let (code, shown) = run(&binary, &dir, &["dead-letter", "show", first_id]);
    assert_eq!(code, 0);
    for part in [
        format!("id          {first_id}"),
        "mapping     gauge_replay 1.0.0 (mapping sha256 ".to_string(),
        "reason      unknown press".to_string(),
        format!(
            "detail      lookup presses has no entry \"{}\"",
            first.press
        ),
        format!("position    {}", first.position),
        format!("\"press\": \"{}\"", first.press),
        format!("\"thickness_mm\": \"{}\"", first.thickness),
    ] {
        assert!(shown.contains(&part), "{part:?} in:\n{shown}");
    }
    let (code, _) = run(&binary, &dir, &["dead-letter", "show", "no-such-id"]);
    assert_eq!(code, 1);

    // The master data is fixed: every press gets its cell.
    let mut presses_csv = std::fs::read_to_string(dir.join("master/presses.csv")).unwrap();
    let missing: BTreeSet<&str> = unknown.iter().map(|r| r.press.as_str()).collect();
    for press in &missing {
        presses_csv.push_str(&format!("{press},cell-fixed-{press}\n"));
    }
    std::fs::write(dir.join("master/presses.csv"), presses_csv).unwrap();
    let fixed = presses(&dir);

    // A dry run replays nothing.
    let dry = run_json(
        &binary,
        &dir,
        &[
            "dead-letter",
            "replay",
            "--reason",
            "unknown press",
            "--dry-run",
            "--format",
            "json",
        ],
    );
    assert_eq!(dry["to_replay"].as_array().unwrap().len(), unknown.len());
    assert_eq!(results(&dir), expected_results(&rows, &known));

    // The replay: exactly the rejected readings are written, once; a negative one is rejected
    // again, now for its sign; the audit flow, which had them all, gets none again.
    let replay = run_json(
        &binary,
        &dir,
        &[
            "dead-letter",
            "replay",
            "--reason",
            "unknown press",
            "--format",
            "json",
        ],
    );
    let negative = unknown
        .iter()
        .filter(|r| r.thickness.parse::<f64>().unwrap() < 0.0)
        .count();
    let report = &replay["replay"];
    assert_eq!(report["replayed"], unknown.len());
    assert_eq!(report["written"], unknown.len() - negative);
    assert_eq!(report["rejected"], negative);
    assert_eq!(report["filtered"], 0);
    assert_eq!(report["already_replayed"], 0);
    assert_balanced(&replay["run"]);
    assert_eq!(results(&dir), expected_results(&rows, &fixed));
    assert_eq!(
        read_jsonl(&dir.join("out/audit_log.jsonl")).len(),
        audited,
        "a map reject of `measure` is replayed through `measure` only"
    );

    // A record rejected again is a new entry that names the one it replays.
    let again_rejected: Vec<&Value> = report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["outcome"] == "rejected")
        .collect();
    assert_eq!(again_rejected.len(), negative);
    for entry in again_rejected {
        let new_id = entry["rejected_as"][0].as_str().unwrap();
        let shown = run_json(
            &binary,
            &dir,
            &["dead-letter", "show", new_id, "--format", "json"],
        );
        assert_eq!(shown["replay_of"], entry["id"]);
        assert_eq!(shown["reason"], "negative thickness");
    }

    // The second replay writes nothing: every entry was replayed already.
    let second = run_json(
        &binary,
        &dir,
        &[
            "dead-letter",
            "replay",
            "--reason",
            "unknown press",
            "--format",
            "json",
        ],
    );
    assert_eq!(second["replay"]["replayed"], 0);
    assert_eq!(second["replay"]["already_replayed"], unknown.len());
    assert!(second["run"].is_null(), "nothing to replay, no run");
    assert_eq!(results(&dir), expected_results(&rows, &fixed));
    let (code, human) = run(
        &binary,
        &dir,
        &["dead-letter", "replay", "--reason", "unknown press"],
    );
    assert_eq!(code, 0);
    assert!(
        human.contains(&format!(
            "0 replayed (0 written, 0 rejected again, 0 filtered); {} skipped as already replayed",
            unknown.len()
        )),
        "{human}"
    );

    // `list` now says what became of each.
    let listed = run_json(
        &binary,
        &dir,
        &[
            "dead-letter",
            "list",
            "--reason",
            "unknown press",
            "--format",
            "json",
        ],
    );
    for entry in listed["entries"].as_array().unwrap() {
        let replays = entry["replays"].as_array().unwrap();
        assert_eq!(replays.len(), 1, "{entry}");
        // From the input: a negative thickness is rejected again, for its sign.
        let position = entry["position"].as_i64().unwrap();
        let row = unknown
            .iter()
            .find(|r| r.position == position)
            .unwrap_or_else(|| panic!("an entry of a reading of an unknown press: {entry}"));
        let expected = if row.thickness.parse::<f64>().unwrap() < 0.0 {
            "rejected"
        } else {
            "written"
        };
        assert_eq!(replays[0]["outcome"], expected, "{entry}");
    }
}

/// Now, RFC 3339 in UTC to the whole second before (dead-letter lines give milliseconds).
fn now_to_the_second() -> String {
    let now = fdi_runtime::Timestamp::now().to_rfc3339();
    match now.split_once('.') {
        Some((seconds, _)) => format!("{seconds}Z"),
        None => now,
    }
}
