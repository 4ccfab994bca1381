//! The options of test runs: `--source` and `--lookup` replace input files by name, `--capture-targets` writes
//! what every target receives as JSON Lines and leaves the real targets alone.

mod support;

use std::path::Path;
use std::process::ExitCode;

use fdi_runtime::cli;
use fdi_runtime::serde_json::{self, json, Value};

use support::{dead_letter_lines, options, run, write, MACHINES_CSV, MILL_CSV, PROGRAM};

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn arg(name: &str, path: &Path) -> String {
    format!("{name}={}", path.display())
}

#[test]
fn source_and_lookup_read_the_replacement_files() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("line");
    // The mapping's own input does not exist in the base directory: only the replacements can be read.
    write(&base, "master/machines.csv", MACHINES_CSV);
    let cases = dir.path().join("cases");
    write(
        &cases,
        "two_rows.csv",
        ",machine,sample_no,load,phase,taken_at\n\
         0,MILL-01,1,1.5,RUN,2024-03-01T12:00:00Z\n\
         1,MILL-09,2,2.0,RUN,2024-03-01T12:00:01Z\n",
    );
    write(&cases, "machines.csv", "machine_code,scale\nMILL-09,4\n");

    let source = arg("mill", &cases.join("two_rows.csv"));
    let execution = cli::execute(&PROGRAM, &options(&base, &["--source", &source]), run);
    assert_eq!(execution.exit_code, 0, "{:?}", execution.error);
    let spindle = &execution.summary.flows[0];
    // MILL-09 is not in the mapping's master data.
    assert_eq!((spindle.read, spindle.written, spindle.rejected), (2, 1, 1));

    let lookup = arg("machines", &cases.join("machines.csv"));
    let execution = cli::execute(
        &PROGRAM,
        &options(&base, &["--source", &source, "--lookup", &lookup]),
        run,
    );
    assert_eq!(execution.exit_code, 0, "{:?}", execution.error);
    let spindle = &execution.summary.flows[0];
    // With the replacement master data, MILL-09 is known and MILL-01 is not.
    assert_eq!((spindle.read, spindle.written, spindle.rejected), (2, 1, 1));
    let dead = dead_letter_lines(&base);
    assert_eq!(
        dead[0]["detail"],
        json!("lookup machines has no entry \"MILL-01\"")
    );
}

#[test]
fn capture_targets_writes_json_lines_per_target_and_leaves_the_real_ones_alone() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path();
    write(base, "data/experiment_01.csv", MILL_CSV);
    write(base, "master/machines.csv", MACHINES_CSV);
    let capture = dir.path().join("captured");

    let execution = cli::execute(
        &PROGRAM,
        &options(base, &["--capture-targets", capture.to_str().unwrap()]),
        run,
    );
    assert_eq!(execution.exit_code, 0, "{:?}", execution.error);
    assert!(
        !base.join("out/line.db").exists(),
        "the SQLite target was opened"
    );
    assert!(!base.join("out/equipment_state.jsonl").exists());

    // The SQLite target's records, serialized as the JSON Lines target serializes them. Both writes of
    // (MILL-01, 1) are there: the capture records what the target received, not the upserted table.
    assert_eq!(
        lines(&capture.join("history.jsonl")),
        vec![
            json!({"equipment_id": "MILL-01", "sample_no": 1, "scaled_load": 0.75,
                   "taken_at": "2024-03-01T12:00:00Z"}),
            json!({"equipment_id": "MILL-01", "sample_no": 1, "scaled_load": 4.5,
                   "taken_at": "2024-03-01T12:00:05Z"}),
        ]
    );
    let states = lines(&capture.join("states.jsonl"));
    assert_eq!(states.len(), 5);
    assert_eq!(
        states[0],
        json!({"equipment_id": "MILL-01", "phase": "RUN", "label": "MILL-01:RUN"})
    );

    // The accounting is that of a real run, including the infinite value the write stage rejects.
    let summary = &execution.summary;
    let spindle = &summary.flows[0];
    assert_eq!(
        (
            spindle.read,
            spindle.written,
            spindle.rejected,
            spindle.filtered
        ),
        (7, 2, 4, 1)
    );
    assert_eq!(
        spindle.reasons.get("value is not a finite number"),
        Some(&1)
    );
    assert_eq!(summary.targets[0].written, 2);
    assert_eq!(summary.targets[1].written, 5);
}

#[test]
fn an_unknown_name_is_a_usage_error_that_lists_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path();
    write(base, "data/experiment_01.csv", MILL_CSV);
    write(base, "master/machines.csv", MACHINES_CSV);
    let base_arg = base.to_str().unwrap();

    let err = cli::parse_options(
        &PROGRAM,
        [
            "mill_to_mes",
            "--base-dir",
            base_arg,
            "--source",
            "mil=x.csv",
        ],
    )
    .unwrap_err();
    assert_eq!(err.exit_code(), 2);
    let text = err.to_string();
    assert!(
        text.contains(
            "--source mil=...: mapping mill_to_mes has no source \"mil\"; its sources are: mill"
        ),
        "{text}"
    );
    let err =
        cli::parse_options(&PROGRAM, ["mill_to_mes", "--lookup", "machine=x.csv"]).unwrap_err();
    assert!(
        err.to_string().contains("its lookups are: machines"),
        "{err}"
    );
    for bad in [
        &["--source", "mill"][..],
        &["--source", "=x.csv"],
        &["--lookup", "machines="],
        &["--source", "mill=a.csv", "--source", "mill=b.csv"],
    ] {
        let mut args = vec!["mill_to_mes"];
        args.extend_from_slice(bad);
        assert_eq!(
            cli::parse_options(&PROGRAM, args).unwrap_err().exit_code(),
            2,
            "{bad:?}"
        );
    }

    // The whole program: exit code 2 and nothing touched, not even the dead letter.
    let code = cli::main_with_args(
        &PROGRAM,
        [
            "mill_to_mes",
            "--base-dir",
            base_arg,
            "--source",
            "mil=x.csv",
        ],
        run,
    );
    assert_eq!(code, ExitCode::from(2));
    assert!(!base.join("out/mill_to_mes.dead-letter.jsonl").exists());
}

#[test]
fn options_built_without_the_parser_are_checked_by_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path();
    let mut options = options(base, &[]);
    options
        .lookups
        .push(("plants".to_string(), base.join("plants.csv")));
    let execution = cli::execute(&PROGRAM, &options, run);
    assert_eq!(execution.exit_code, 2);
    assert!(matches!(
        execution.error,
        Some(fdi_runtime::RunError::Usage(_))
    ));
    assert_eq!(
        execution.summary.error.as_deref(),
        Some("--lookup plants=...: mapping mill_to_mes has no lookup \"plants\"; its lookups are: machines")
    );
    assert!(!base.join("out/mill_to_mes.dead-letter.jsonl").exists());
}
