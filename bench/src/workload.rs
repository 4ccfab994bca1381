//! The workloads and where each keeps its files.

use std::path::{Path, PathBuf};

use crate::fdi::workspace_root;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Workload {
    /// JSON Lines machine-state events through a lookup, an enum mapping, unit conversions
    /// and identifier checks into JSON Lines; 1% bad records.
    #[value(name = "machine_state")]
    MachineState,
    /// CSV rows shaped like the CNC mill samples (48 numeric columns) converted column by
    /// column into JSON Lines.
    #[value(name = "wide_csv")]
    WideCsv,
    /// JSON Lines counter events upserted into SQLite, half of them updates.
    #[value(name = "sqlite_upsert")]
    SqliteUpsert,
    /// The same counter events upserted into PostgreSQL (a real server, started by the bench).
    #[value(name = "postgres_upsert")]
    PostgresUpsert,
    /// The same counter events as QoS 1 messages on a real mosquitto, read by an MQTT source
    /// with a persistent session and upserted into PostgreSQL.
    #[value(name = "mqtt_to_postgres")]
    MqttToPostgres,
    /// CSV measurements of a CMM (GS1 serials, Berlin local times across both clock changes, a
    /// quality column, a unit column) upserted into SQLite with provenance, the ones outside
    /// their tolerance also into a JSON Lines feed; 1% bad records.
    #[value(name = "cmm_quality")]
    CmmQuality,
    /// `fdi check` of a 10,000-line mapping and a warm rebuild after a one-line change.
    #[value(name = "compiler")]
    Compiler,
    /// JSON Lines machine execution events through a lookup keyed by line and machine, a match
    /// with many arms, `round`, and optional fields handled with `let ... else reject`, `??`,
    /// `coalesce` and `present`, into JSON Lines; 1% bad records.
    #[value(name = "machine_events")]
    MachineEvents,
    /// CSV historian samples with a quality column, their times moved by a clock offset from
    /// master data and formatted in the plants' time zones, into JSON Lines with provenance; 1%
    /// bad records.
    #[value(name = "zoned_history")]
    ZonedHistory,
}

/// Where a workload's mapped output is, for the comparison.
pub enum Output {
    Jsonl(&'static str),
    /// Database file, table, and the key columns to order rows by.
    Sqlite(&'static str, &'static str, &'static str),
    /// A table of the PostgreSQL peer (each program writes its own database), and the key
    /// columns to order rows by.
    Postgres(&'static str, &'static str),
}

/// Where a workload's records come from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    /// The program reads the input file and ends with it.
    File,
    /// The bench publishes every line of the input file as a QoS 1 message to this topic, into
    /// the program's persistent session, before the program starts; the program never ends by
    /// itself and is stopped with SIGTERM once the last message's row is in its table.
    Mqtt(&'static str),
}

impl Workload {
    pub const ALL: [Workload; 9] = [
        Workload::MachineState,
        Workload::WideCsv,
        Workload::SqliteUpsert,
        Workload::PostgresUpsert,
        Workload::MqttToPostgres,
        Workload::CmmQuality,
        Workload::MachineEvents,
        Workload::ZonedHistory,
        Workload::Compiler,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Workload::MachineState => "machine_state",
            Workload::WideCsv => "wide_csv",
            Workload::SqliteUpsert => "sqlite_upsert",
            Workload::PostgresUpsert => "postgres_upsert",
            Workload::MqttToPostgres => "mqtt_to_postgres",
            Workload::CmmQuality => "cmm_quality",
            Workload::Compiler => "compiler",
            Workload::MachineEvents => "machine_events",
            Workload::ZonedHistory => "zoned_history",
        }
    }

    /// The committed mapping (the compiler workload's is generated instead).
    pub fn mapping(self) -> PathBuf {
        let name = self.name();
        workspace_root()
            .join("bench/workloads")
            .join(name)
            .join(format!("{name}.fdi"))
    }

    /// The input file, relative to the run folder, as the mapping names it (for an MQTT
    /// workload: the messages the bench publishes, one a line).
    pub fn input(self) -> &'static str {
        match self {
            Workload::MachineState => "data/events.jsonl",
            Workload::WideCsv => "data/mill.csv",
            Workload::SqliteUpsert | Workload::PostgresUpsert | Workload::MqttToPostgres => {
                "data/counters.jsonl"
            }
            Workload::CmmQuality => "data/measurements.csv",
            Workload::Compiler => "generated.fdi",
            Workload::MachineEvents => "data/events.jsonl",
            Workload::ZonedHistory => "data/samples.csv",
        }
    }

    /// How many records the workload runs with when `asked` are asked for: the MQTT workload
    /// queues all of its messages in one session before the program starts, and a backlog of
    /// more than about 65,000 QoS 1 messages stalls mosquitto 2.0 and rumqttc 0.25 (every
    /// program, the hand-written one too; BENCHMARKS.md), so it takes at most
    /// [`MAX_MQTT_BACKLOG`].
    pub fn records(self, asked: u64) -> u64 {
        match self.feed() {
            Feed::Mqtt(_) => asked.min(MAX_MQTT_BACKLOG),
            Feed::File => asked,
        }
    }

    pub fn feed(self) -> Feed {
        match self {
            Workload::MqttToPostgres => Feed::Mqtt(COUNTERS_TOPIC),
            _ => Feed::File,
        }
    }

    /// Whether the workload needs the PostgreSQL peer.
    pub fn uses_postgres(self) -> bool {
        matches!(self.output(), Some(Output::Postgres(..)))
    }

    /// What the mapping writes; `None` for the compiler workload, which runs no program.
    pub fn output(self) -> Option<Output> {
        match self {
            Workload::MachineState => Some(Output::Jsonl("out/equipment_events.jsonl")),
            Workload::WideCsv => Some(Output::Jsonl("out/mill_si.jsonl")),
            Workload::SqliteUpsert => Some(Output::Sqlite(
                "out/jobs.db",
                "job_counters",
                "equipment_id, job",
            )),
            Workload::PostgresUpsert | Workload::MqttToPostgres => {
                Some(Output::Postgres("job_counters", "equipment_id, job"))
            }
            Workload::CmmQuality => Some(Output::Sqlite(
                "out/spc.db",
                "spc_measurements",
                "gtin, serial, characteristic",
            )),
            Workload::Compiler => None,
            Workload::MachineEvents => Some(Output::Jsonl("out/machine_status.jsonl")),
            Workload::ZonedHistory => Some(Output::Jsonl("out/history.jsonl")),
        }
    }

    /// Master data the mapping's lookups read (relative to the run folder), kept in the repo.
    pub fn master_data(self) -> Option<(&'static str, PathBuf)> {
        match self {
            Workload::MachineState
            | Workload::SqliteUpsert
            | Workload::PostgresUpsert
            | Workload::MqttToPostgres => Some((
                MACHINES,
                workspace_root().join("bench/workloads/machine_state/master/machines.csv"),
            )),
            Workload::MachineEvents => Some((
                EQUIPMENT,
                workspace_root().join("bench/workloads/machine_events/master/equipment.csv"),
            )),
            Workload::ZonedHistory => Some((
                CLOCKS,
                workspace_root().join("bench/workloads/zoned_history/master/clocks.csv"),
            )),
            Workload::CmmQuality => Some((
                CHARACTERISTICS,
                workspace_root().join("bench/workloads/cmm_quality/master/characteristics.csv"),
            )),
            _ => None,
        }
    }
}

/// The equipment master data of `machine_events`, relative to the run folder.
pub const EQUIPMENT: &str = "master/equipment.csv";
/// The machines' clocks and zones of `zoned_history`, relative to the run folder.
pub const CLOCKS: &str = "master/clocks.csv";

/// The outputs a workload writes beside [`Workload::output`], compared the same way after every
/// run: the further targets of a source that feeds several.
pub fn further_outputs(workload: Workload) -> &'static [Output] {
    match workload {
        Workload::CmmQuality => &[Output::Jsonl("out/failures.jsonl")],
        _ => &[],
    }
}

/// The characteristics (nominal and tolerances by part and characteristic) of `cmm_quality`,
/// relative to the run folder.
pub const CHARACTERISTICS: &str = "master/characteristics.csv";

/// The most messages the MQTT workload queues (see [`Workload::records`]).
pub const MAX_MQTT_BACKLOG: u64 = 50_000;

/// The topic the MQTT workload's messages are published to.
pub const COUNTERS_TOPIC: &str = "plant/mills/counters";
/// The name of the MQTT workload's source in its mapping (its session's client id ends in it).
pub const COUNTERS_SOURCE: &str = "counters";
/// The filter its mapping (and its baseline) subscribe to.
pub const COUNTERS_FILTER: &str = "plant/+/counters";

/// The machines' master data, relative to the run folder.
pub const MACHINES: &str = "master/machines.csv";

/// The dead letter, relative to the run folder, for both programs.
pub const DEAD_LETTER: &str = "out/rejected.jsonl";

/// The folders of one bench invocation, all under the work folder (`target/fdi-bench`).
pub struct Layout {
    pub work: PathBuf,
}

impl Layout {
    /// A workload's run folder: the generated program's `--base-dir` (it reads `data/` and
    /// `master/` and writes `out/` there).
    pub fn run_dir(&self, w: Workload) -> PathBuf {
        self.work.join(w.name())
    }

    /// Where the baseline reads from (the same run folder) and writes to.
    pub fn baseline_dir(&self, w: Workload) -> PathBuf {
        self.run_dir(w).join("baseline")
    }

    pub fn logs(&self, w: Workload) -> PathBuf {
        self.run_dir(w).join("logs")
    }

    /// The generated program's crate (`fdi build -o`).
    pub fn crate_dir(&self, w: Workload) -> PathBuf {
        self.work.join("crates").join(w.name())
    }
}

/// Removes a file or folder if it is there.
pub fn remove(path: &Path) -> Result<(), String> {
    let result = if path.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
    match result {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("remove {}: {e}", path.display()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_mqtt_workload_is_held_to_its_backlog_limit() {
        assert_eq!(
            Workload::MqttToPostgres.records(1_000_000),
            MAX_MQTT_BACKLOG
        );
        assert_eq!(Workload::MqttToPostgres.records(2_000), 2_000);
        assert_eq!(Workload::PostgresUpsert.records(1_000_000), 1_000_000);
    }
}
