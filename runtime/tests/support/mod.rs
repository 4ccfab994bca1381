//! Shared by the integration tests: the exact shape of a generated program, with hand-written structs standing
//! in for generated ones, and helpers to lay out its input files and read what it wrote.

#![allow(dead_code)] // Each test binary uses a different part.

use std::path::Path;

use fdi_runtime::cli;
use fdi_runtime::serde_json::Value;

// ---- what the compiler generates ----------------------------------------------------------------------------

fn main() -> std::process::ExitCode {
    fdi_runtime::cli::main(&PROGRAM, run)
}

pub const PROGRAM: fdi_runtime::ProgramInfo = fdi_runtime::ProgramInfo {
    mapping: "mill_to_mes",
    version: "0.1.0",
    mapping_dir: Some("/abs/path/of/the/mapping/file/dir"),
    dead_letter: "out/mill_to_mes.dead-letter.jsonl",
    service: false,
    sources: &["mill"],
    lookups: &["machines"],
    connections: &[],
    manifest: &fdi_runtime::Manifest::UNKNOWN,
};

pub enum EquipmentIdRule {}
impl fdi_runtime::IdRule for EquipmentIdRule {
    const TYPE_NAME: &'static str = "EquipmentId";
    const BASE: fdi_runtime::IdBase = fdi_runtime::IdBase::Text;
    const PATTERN: Option<&'static str> = Some("MILL-[0-9]{2}");
    fn compiled_pattern() -> &'static std::sync::OnceLock<fdi_runtime::IdPattern> {
        static COMPILED: std::sync::OnceLock<fdi_runtime::IdPattern> = std::sync::OnceLock::new();
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

pub mod flows {
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

pub fn run(run: &mut fdi_runtime::Run) -> Result<(), fdi_runtime::RunError> {
    // Every source opens first: a missing file or a header without a required column stops the run before a
    // target is touched.
    let mill = run.csv_source(
        "mill",
        "data/experiment_01.csv",
        &fdi_runtime::EntityColumns {
            required: &["machine", "sample_no", "phase", "taken_at"],
            optional: &["load"],
        },
    )?;
    let lookups = std::sync::Arc::new(flows::Lookups {
        machines: run.lookup_csv(
            "machines",
            "master/machines.csv",
            "Machine",
            |row: &Machine| row.machine_code.to_string(),
        )?,
    });
    let history = run.sqlite_target::<SpindleReading>(
        "history",
        "out/line.db",
        "spindle_history",
        SPINDLE_READING_COLUMNS,
        &["equipment_id", "sample_no"],
    )?;
    let states = run.jsonl_target::<EquipmentStatus>("states", "out/equipment_state.jsonl")?;

    // Source `mill` feeds `spindle`, `phase`.
    let spindle = run.flow("spindle", "mill", history);
    let phase = run.flow("phase", "mill", states);
    run.source(mill, move |run, raw| {
        if let Some(record) = run.decode::<MillSample>(raw, "MillSample")? {
            run.deliver(spindle, raw, flows::spindle(&record, raw, &lookups))?;
            run.deliver(phase, raw, flows::phase(&record, raw, &lookups))?;
        }
        Ok(())
    });
    Ok(())
}

// ---- helpers ------------------------------------------------------------------------------------------------

pub const MILL_CSV: &str = "\
,machine,sample_no,load,phase,taken_at
0,MILL-01,1,1.5,RUN,2024-03-01 12:00:00Z
1,MILL-09,2,2.0,RUN,2024-03-01 12:00:01+00:00
2,MILL-02,3
3,MILL-02,4,,IDLE,2024-03-01T12:00:03Z
4,MILL-02,5,3.0,RUN,2024-03-01T12:00:04Z
5,MILL-01,1,9.0,RUN,2024-03-01T13:00:05+01:00
6,MX-1,7,1.0,RUN,2024-03-01T12:00:06Z
";

pub const MACHINES_CSV: &str = "machine_code,scale\nMILL-01,2\nMILL-02,0\n";

pub fn write(base: &Path, relative: &str, text: &str) {
    let path = base.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

pub fn options(base: &Path, extra: &[&str]) -> cli::Options {
    let mut args = vec!["mill_to_mes", "--base-dir", base.to_str().unwrap()];
    args.extend_from_slice(extra);
    cli::parse_options(&PROGRAM, args).unwrap()
}

pub fn dead_letter_lines(base: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(base.join("out/mill_to_mes.dead-letter.jsonl")).unwrap();
    text.lines()
        .map(|line| fdi_runtime::serde_json::from_str(line).unwrap())
        .collect()
}
