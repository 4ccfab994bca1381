//! The exact shape of a generated program, with hand-written structs standing in for generated ones, run over a
//! small CSV: checks that the API composes, that the summary balances, and what lands in the dead letter and the
//! targets.

use std::path::Path;
use std::process::ExitCode;

use fdi_runtime::cli::{self, Format};
use fdi_runtime::serde_json::{json, Value};

// ---- what the compiler generates ----------------------------------------------------------------------------

#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    fdi_runtime::cli::main(&PROGRAM, run)
}

pub const PROGRAM: fdi_runtime::ProgramInfo = fdi_runtime::ProgramInfo {
    mapping: "mill_to_mes",
    version: "0.1.0",
    mapping_dir: "/abs/path/of/the/mapping/file/dir",
    dead_letter: "out/mill_to_mes.dead-letter.jsonl",
};

pub enum EquipmentIdRule {}
impl fdi_runtime::IdRule for EquipmentIdRule {
    const TYPE_NAME: &'static str = "EquipmentId";
    const BASE: fdi_runtime::IdBase = fdi_runtime::IdBase::Text;
    const PATTERN: Option<&'static str> = Some("MILL-[0-9]{2}");
    fn compiled_pattern() -> &'static std::sync::OnceLock<fdi_runtime::Regex> {
        static COMPILED: std::sync::OnceLock<fdi_runtime::Regex> = std::sync::OnceLock::new();
        &COMPILED
    }
}
pub type EquipmentId = fdi_runtime::Id<EquipmentIdRule>;

#[derive(
    Debug, Clone, Copy, PartialEq, fdi_runtime::serde::Serialize, fdi_runtime::serde::Deserialize,
)]
#[serde(crate = "fdi_runtime::serde")]
pub enum Phase {
    #[serde(rename = "RUN")]
    Run,
    #[serde(rename = "IDLE")]
    Idle,
}
impl fdi_runtime::EnumCode for Phase {
    fn code(&self) -> &'static str {
        match self {
            Phase::Run => "RUN",
            Phase::Idle => "IDLE",
        }
    }
}

#[derive(Debug, fdi_runtime::serde::Deserialize)]
#[serde(crate = "fdi_runtime::serde")]
pub struct MillSample {
    #[serde(rename = "machine")]
    pub machine: EquipmentId,
    pub sample_no: i64,
    pub load: Option<f64>,
    pub phase: Phase,
    pub taken_at: fdi_runtime::Timestamp,
}

#[derive(Debug, fdi_runtime::serde::Deserialize)]
#[serde(crate = "fdi_runtime::serde")]
pub struct Machine {
    pub machine_code: EquipmentId,
    pub scale: f64,
}

#[derive(Debug, fdi_runtime::serde::Serialize)]
#[serde(crate = "fdi_runtime::serde")]
pub struct SpindleReading {
    pub equipment_id: EquipmentId,
    pub sample_no: i64,
    pub scaled_load: f64,
    pub taken_at: fdi_runtime::Timestamp,
}

pub const SPINDLE_READING_COLUMNS: &[fdi_runtime::Column] = &[
    fdi_runtime::Column {
        name: "equipment_id",
        sql_type: fdi_runtime::SqlType::Text,
        nullable: false,
    },
    fdi_runtime::Column {
        name: "sample_no",
        sql_type: fdi_runtime::SqlType::Integer,
        nullable: false,
    },
    fdi_runtime::Column {
        name: "scaled_load",
        sql_type: fdi_runtime::SqlType::Real,
        nullable: false,
    },
    fdi_runtime::Column {
        name: "taken_at",
        sql_type: fdi_runtime::SqlType::Text,
        nullable: false,
    },
];

#[derive(Debug, fdi_runtime::serde::Serialize)]
#[serde(crate = "fdi_runtime::serde")]
pub struct EquipmentStatus {
    pub equipment_id: EquipmentId,
    pub phase: Phase,
    pub label: String,
}

mod flows {
    use super::*;
    use fdi_runtime::{MapOutcome, RawRecord};

    pub struct Lookups {
        pub machines: fdi_runtime::Lookup<Machine>,
    }

    /// `where phase == RUN`, `machine -> machines else reject "machine is not in master data"`,
    /// `load else reject "no load"`, `scaled_load = load / scale`.
    pub fn spindle(
        record: &MillSample,
        _raw: &RawRecord,
        lookups: &Lookups,
    ) -> MapOutcome<SpindleReading> {
        if record.phase != Phase::Run {
            return MapOutcome::Filtered;
        }
        let machine = match lookups.machines.get(record.machine.as_str()) {
            Ok(machine) => machine,
            Err(failure) => {
                return MapOutcome::Rejected(failure.reject("machine is not in master data"))
            }
        };
        let load = match fdi_runtime::present(record.load, "load") {
            Ok(load) => load,
            Err(failure) => return MapOutcome::Rejected(failure.reject("no load")),
        };
        MapOutcome::Mapped(SpindleReading {
            equipment_id: record.machine.clone(),
            sample_no: record.sample_no,
            scaled_load: fdi_runtime::stdlib::round(load / machine.scale, 2),
            taken_at: record.taken_at,
        })
    }

    pub fn phase(
        record: &MillSample,
        _raw: &RawRecord,
        _lookups: &Lookups,
    ) -> MapOutcome<EquipmentStatus> {
        MapOutcome::Mapped(EquipmentStatus {
            equipment_id: record.machine.clone(),
            phase: record.phase,
            label: fdi_runtime::stdlib::concat(&[
                record.machine.as_str(),
                ":",
                &fdi_runtime::stdlib::string(&record.phase),
            ]),
        })
    }
}

fn run(run: &mut fdi_runtime::Run) -> Result<(), fdi_runtime::RunError> {
    use fdi_runtime::Source;
    let lookups = flows::Lookups {
        machines: run.lookup_csv(
            "machines",
            "master/machines.csv",
            "Machine",
            |row: &Machine| row.machine_code.to_string(),
        )?,
    };
    let mut history = run.sqlite_target::<SpindleReading>(
        "history",
        "out/line.db",
        "spindle_history",
        SPINDLE_READING_COLUMNS,
        &["equipment_id", "sample_no"],
    )?;
    let mut states = run.jsonl_target::<EquipmentStatus>("states", "out/equipment_state.jsonl")?;

    let mut mill = run.csv_source("mill", "data/experiment_01.csv")?;
    let spindle = run.flow("spindle", "mill", "history");
    let phase = run.flow("phase", "mill", "states");
    while let Some(raw) = mill.read()? {
        if let Some(record) = run.decode::<MillSample>(&raw, "MillSample", &[spindle, phase])? {
            run.deliver(
                spindle,
                &raw,
                flows::spindle(&record, &raw, &lookups),
                &mut history,
            )?;
            run.deliver(
                phase,
                &raw,
                flows::phase(&record, &raw, &lookups),
                &mut states,
            )?;
        }
        run.checkpoint(&mut mill, raw.position(), &mut [&mut history, &mut states])?;
    }
    run.finish(&mut mill, &mut [&mut history, &mut states])?;
    Ok(())
}

// ---- the test -----------------------------------------------------------------------------------------------

const MILL_CSV: &str = "\
,machine,sample_no,load,phase,taken_at
0,MILL-01,1,1.5,RUN,2024-03-01 12:00:00Z
1,MILL-09,2,2.0,RUN,2024-03-01 12:00:01+00:00
2,MILL-02,3
3,MILL-02,4,,IDLE,2024-03-01T12:00:03Z
4,MILL-02,5,3.0,RUN,2024-03-01T12:00:04Z
5,MILL-01,1,9.0,RUN,2024-03-01T13:00:05+01:00
6,MX-1,7,1.0,RUN,2024-03-01T12:00:06Z
";

const MACHINES_CSV: &str = "machine_code,scale\nMILL-01,2\nMILL-02,0\n";

fn write(base: &Path, relative: &str, text: &str) {
    let path = base.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn options(base: &Path, extra: &[&str]) -> cli::Options {
    let mut args = vec!["mill_to_mes", "--base-dir", base.to_str().unwrap()];
    args.extend_from_slice(extra);
    cli::parse_options(&PROGRAM, args).unwrap()
}

fn dead_letter_lines(base: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(base.join("out/mill_to_mes.dead-letter.jsonl")).unwrap();
    text.lines()
        .map(|line| fdi_runtime::serde_json::from_str(line).unwrap())
        .collect()
}

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
    assert_eq!(
        spindle.reasons.get("record does not match MillSample"),
        Some(&2)
    );
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

    let dead = dead_letter_lines(base);
    assert_eq!(dead.len(), 4);
    assert_eq!(
        dead[0],
        json!({"flow": "spindle", "stage": "map", "reason": "machine is not in master data",
               "detail": "lookup machines has no entry \"MILL-09\"", "source": "mill", "position": 2,
               "record": {"": "1", "machine": "MILL-09", "sample_no": "2", "load": "2.0", "phase": "RUN",
                          "taken_at": "2024-03-01 12:00:01+00:00"}})
    );
    assert_eq!(
        dead[1],
        json!({"flow": null, "stage": "decode", "reason": "record does not match MillSample",
               "detail": "the row has 3 fields but the header has 6 columns", "source": "mill", "position": 3,
               "record": {"": "2", "machine": "MILL-02", "sample_no": "3"}})
    );
    assert_eq!(
        (dead[2]["stage"].as_str(), dead[2]["position"].as_u64()),
        (Some("write"), Some(5))
    );
    assert_eq!(dead[2]["detail"], json!("field scaled_load is inf"));
    assert_eq!(dead[3]["stage"], json!("decode"));
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
            "flow spindle (mill -> history): read 7 = written 2 + rejected 4 + filtered 1"
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
    assert_eq!(execution.summary.targets.len(), 2);
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
    assert!(execution.summary.sources.is_empty());
}
