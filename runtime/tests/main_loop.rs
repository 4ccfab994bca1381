//! A generated program (see `support/`) run over a small CSV: checks that the API composes, that the summary
//! balances, and what lands in the dead letter and the targets.

mod support;

use std::process::ExitCode;

use fdi_runtime::cli::{self, Format};
use fdi_runtime::serde_json::{json, Value};

use support::{dead_letter_lines, options, run, write, MACHINES_CSV, MILL_CSV, PROGRAM};

#[test]
fn main_loop_accounts_for_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path();
    write(base, "data/experiment_01.csv", MILL_CSV);
    write(base, "master/machines.csv", MACHINES_CSV);

    let execution = cli::execute(&PROGRAM, &options(base, &["--batch-size", "2"]), run);
    assert!(execution.error.is_none(), "{:?}", execution.error);
    assert_eq!(execution.exit_code, 0);
    let summary = execution.summary;
    assert!(summary.ok);

    assert_eq!(summary.sources.len(), 1);
    assert_eq!(
        (summary.sources[0].read, summary.sources[0].acknowledged),
        (7, Some(7))
    );

    let spindle = &summary.flows[0];
    assert_eq!(spindle.name, "spindle");
    // 1: written; 2: unknown machine; 3: short row; 4: IDLE -> filtered; 5: scale 0 -> inf; 6: written (upsert
    // of 1); 7: invalid EquipmentId.
    assert_eq!(
        (
            spindle.read,
            spindle.written,
            spindle.rejected,
            spindle.filtered
        ),
        (7, 2, 4, 1)
    );
    assert!(spindle.balanced);
    assert_eq!(
        spindle.reasons.get("machine is not in master data"),
        Some(&1)
    );
    // Each decode reject is counted by the rule it broke.
    assert_eq!(spindle.reasons.get("wrong number of fields"), Some(&1));
    assert_eq!(spindle.reasons.get("EquipmentId pattern"), Some(&1));
    assert_eq!(
        spindle.reasons.get("value is not a finite number"),
        Some(&1)
    );

    let phase = &summary.flows[1];
    assert_eq!(
        (phase.read, phase.written, phase.rejected, phase.filtered),
        (7, 5, 2, 0)
    );
    assert!(phase.balanced);

    assert_eq!(summary.targets[0].name, "history");
    assert_eq!(summary.targets[0].written, 2);
    assert_eq!(summary.targets[1].written, 5);
    assert_eq!(summary.dead_letter.records, 4);

    let mut dead = dead_letter_lines(base);
    assert_eq!(dead.len(), 4);
    // Each line has an id and a time of its own (tested in the runtime's dead_letter.rs).
    for line in &mut dead[..2] {
        let object = line.as_object_mut().unwrap();
        assert!(object.remove("id").unwrap().is_string());
        assert!(object.remove("time").unwrap().is_string());
    }
    let mapping = json!({"name": "mill_to_mes", "version": "0.1.0", "sha256": "unknown"});
    assert_eq!(
        dead[0],
        json!({"flow": "spindle", "stage": "map", "reason": "machine is not in master data",
               "detail": "lookup machines has no entry \"MILL-09\"", "source": "mill", "position": 2,
               "format": "csv", "columns": 6, "line": 3, "mapping": mapping,
               "record": {"": "1", "machine": "MILL-09", "sample_no": "2", "load": "2.0", "phase": "RUN",
                          "taken_at": "2024-03-01 12:00:01+00:00"}})
    );
    assert_eq!(
        dead[1],
        json!({"flow": null, "stage": "decode", "reason": "wrong number of fields",
               "detail": "the row has 3 fields but the header has 6 columns", "source": "mill", "position": 3,
               "format": "csv", "columns": 6, "line": 4, "mapping": mapping,
               "record": {"": "2", "machine": "MILL-02", "sample_no": "3"}})
    );
    assert_eq!(
        (dead[2]["stage"].as_str(), dead[2]["position"].as_u64()),
        (Some("write"), Some(5))
    );
    assert_eq!(dead[2]["detail"], json!("field scaled_load is inf"));
    assert_eq!(dead[3]["stage"], json!("decode"));
    assert_eq!(dead[3]["reason"], json!("EquipmentId pattern"));
    let detail = dead[3]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("column \"machine\": \"MX-1\" is not a valid EquipmentId"),
        "{detail}"
    );

    let connection = rusqlite::Connection::open(base.join("out/line.db")).unwrap();
    let rows: Vec<(String, i64, f64, String)> = connection
        .prepare("SELECT equipment_id, sample_no, scaled_load, taken_at FROM spindle_history")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows,
        vec![(
            "MILL-01".to_string(),
            1,
            4.5,
            "2024-03-01T12:00:05Z".to_string()
        )]
    );

    let states = std::fs::read_to_string(base.join("out/equipment_state.jsonl")).unwrap();
    assert_eq!(states.lines().count(), 5);
    assert_eq!(
        states.lines().next().unwrap(),
        r#"{"equipment_id":"MILL-01","phase":"RUN","label":"MILL-01:RUN"}"#
    );

    let human = summary.render_human();
    assert!(
        human.contains(
            "flow spindle (mill -> history, at_least_once): read 7 = written 2 + rejected 4 + filtered 1"
        ),
        "{human}"
    );
    assert!(
        human.contains("source mill: 7 records read, acknowledged through 7"),
        "{human}"
    );
}

#[test]
fn fail_on_reject_exits_with_3_and_json_summary() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path();
    write(base, "data/experiment_01.csv", MILL_CSV);
    write(base, "master/machines.csv", MACHINES_CSV);
    let options = options(base, &["--fail-on-reject", "--format", "json"]);
    assert_eq!(options.format, Format::Json);
    let execution = cli::execute(&PROGRAM, &options, run);
    assert_eq!(execution.exit_code, 3);
    let json: Value = fdi_runtime::serde_json::from_str(&execution.summary.to_json()).unwrap();
    assert_eq!(json["flows"][0]["balanced"], json!(true));
    assert_eq!(json["sources"][0]["acknowledged"], json!(7));

    let code = cli::main_with_args(
        &PROGRAM,
        [
            "mill_to_mes",
            "--base-dir",
            base.to_str().unwrap(),
            "--fail-on-reject",
            "--format",
            "json",
        ],
        run,
    );
    assert_eq!(code, ExitCode::from(3));
}

#[test]
fn missing_input_fails_with_exit_1_and_a_partial_summary() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path();
    write(base, "master/machines.csv", MACHINES_CSV);
    let execution = cli::execute(&PROGRAM, &options(base, &[]), run);
    assert_eq!(execution.exit_code, 1);
    let error = execution.error.unwrap().to_string();
    assert!(error.contains("source mill"), "{error}");
    assert!(error.contains("data/experiment_01.csv"), "{error}");
    assert!(!execution.summary.ok);
    // The sources open first: no target was opened, so none was created or emptied.
    assert!(execution.summary.targets.is_empty());
    assert!(!base.join("out/equipment_state.jsonl").exists());
    assert!(!base.join("out/line.db").exists());
}

#[test]
fn a_header_without_a_required_column_stops_the_run_before_a_record_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path();
    // The export renamed `phase`; every record would be rejected for it.
    write(
        base,
        "data/experiment_01.csv",
        &MILL_CSV.replacen(",phase,", ",Phase_,", 1),
    );
    write(base, "master/machines.csv", MACHINES_CSV);
    let execution = cli::execute(&PROGRAM, &options(base, &[]), run);
    assert_eq!(execution.exit_code, 1);
    let error = execution.error.unwrap().to_string();
    let path = base.join("data/experiment_01.csv");
    assert!(
        error.starts_with(&format!(
            "source `mill`: the header of {} has no column `phase` (did you mean `Phase_`?); no record was read.",
            path.display()
        )),
        "{error}"
    );
    let summary = execution.summary;
    assert!(!summary.ok);
    assert_eq!(summary.error.as_deref(), Some(error.as_str()));
    // Every record is accounted for: none was read, none written, none dead-lettered.
    assert_eq!(summary.sources.len(), 1);
    assert_eq!(
        (summary.sources[0].read, summary.sources[0].acknowledged),
        (0, None)
    );
    assert!(summary.flows.is_empty() && summary.targets.is_empty());
    assert_eq!(summary.dead_letter.records, 0);
    assert!(dead_letter_lines(base).is_empty());
    assert!(!base.join("out/equipment_state.jsonl").exists());
    assert!(!base.join("out/line.db").exists());
}

#[test]
fn bad_master_data_stops_the_run_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path();
    write(base, "data/experiment_01.csv", MILL_CSV);
    write(
        base,
        "master/machines.csv",
        "machine_code,scale\nMILL-01,2\nMILL-01,3\n",
    );
    let execution = cli::execute(&PROGRAM, &options(base, &[]), run);
    assert_eq!(execution.exit_code, 1);
    assert!(execution
        .error
        .unwrap()
        .to_string()
        .contains("\"MILL-01\" appears in row 1 and again in row 2"));
    // The source was opened (and its header checked) before the lookups were loaded; nothing was read.
    assert_eq!(execution.summary.sources.len(), 1);
    assert_eq!(execution.summary.sources[0].read, 0);
    assert!(execution.summary.targets.is_empty());
}
