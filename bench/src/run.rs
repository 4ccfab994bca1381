//! Runs the workloads: generated program and baseline alternately, each in its own process,
//! with the outputs compared after every run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::baseline::QUEUE_DIR;
use crate::compare::{self, Agreement};
use crate::fdi::Fdi;
use crate::generate::{self, Input, MappingSize};
use crate::measure::{pin_to_cpu, run_measured, run_service, Measured};
use crate::peers::{LastRow, Peers, Watchdog, BASELINE_DATABASE, GENERATED_DATABASE};
use crate::workload::{
    further_outputs, remove, Feed, Layout, Output, Workload, COUNTERS_SOURCE, DEAD_LETTER, MACHINES,
};

pub struct Settings {
    pub records: u64,
    pub runs: usize,
    pub flows: usize,
    pub layout: Layout,
    pub fdi: Fdi,
    /// The generated programs' `--map-threads`.
    pub map_threads: usize,
    /// The CPU both programs are pinned to when `map_threads` is 1 (see `main.rs`).
    pub one_cpu: Option<usize>,
}

/// Times and peak memory of one program over the runs.
#[derive(Default)]
pub struct Samples {
    pub walls: Vec<Duration>,
    /// User and system CPU time of each run.
    pub cpu: Vec<(Duration, Duration)>,
    pub peak_rss_kib: Vec<u64>,
}

impl Samples {
    fn add(&mut self, m: &Measured) {
        self.walls.push(m.wall);
        self.cpu.push((m.user, m.system));
        self.peak_rss_kib.push(m.peak_rss_kib);
    }
}

pub struct ProgramsResult {
    pub workload: Workload,
    pub input: Input,
    pub generated: Samples,
    pub baseline: Samples,
    /// What agreed in the last run (every run must agree).
    pub agreement: Agreement,
}

pub struct CompilerResult {
    pub lines: usize,
    pub flows: usize,
    pub checks: Vec<Duration>,
    pub first_build: Duration,
    pub rebuilds: Vec<Duration>,
    pub change: String,
}

pub enum Outcome {
    Programs(ProgramsResult),
    Compiler(CompilerResult),
}

pub fn workload(settings: &Settings, workload: Workload) -> Result<Outcome, String> {
    match workload {
        Workload::Compiler => compiler(settings).map(Outcome::Compiler),
        _ => programs(settings, workload).map(Outcome::Programs),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Generated,
    Baseline,
}

impl Side {
    /// The PostgreSQL database this side writes.
    fn database(self) -> &'static str {
        match self {
            Side::Generated => GENERATED_DATABASE,
            Side::Baseline => BASELINE_DATABASE,
        }
    }
}

/// The command of one run of one side, with what it needs from the servers made ready before
/// its clock starts: its table dropped, its settings written, and for an MQTT workload the
/// messages published into a new persistent session of its own.
fn prepare(
    settings: &Settings,
    workload: Workload,
    program: &Path,
    peers: Option<&Peers>,
    side: Side,
    label: &str,
) -> Result<Command, String> {
    let layout = &settings.layout;
    let run_dir = layout.run_dir(workload);
    let mut command = match side {
        Side::Generated => {
            let mut c = Command::new(program);
            c.arg("--base-dir").arg(&run_dir).args(["--format", "json"]);
            // Parallel mapping: as many map threads as the bench is asked for.
            c.args(["--map-threads", &settings.map_threads.to_string()]);
            c
        }
        Side::Baseline => {
            let self_exe = std::env::current_exe().map_err(|e| e.to_string())?;
            let mut c = Command::new(self_exe);
            c.args(["baseline", workload.name(), "--run-dir"])
                .arg(&run_dir)
                .arg("--out")
                .arg(layout.baseline_dir(workload));
            c
        }
    };
    if let Some(cpu) = settings.one_cpu {
        pin_to_cpu(&mut command, cpu);
    }
    let Some(peers) = peers else {
        return Ok(command);
    };
    if let Some(Output::Postgres(table, _)) = workload.output() {
        peers.drop_table(side.database(), table)?;
        // The local queues in front of PostgreSQL (the generated program's in its base folder,
        // the baseline's in its output folder): a batch forwarded but not yet deleted when the
        // last run stopped would otherwise be forwarded again at this one's start.
        let queues = match side {
            Side::Generated => run_dir.join(QUEUE_DIR),
            Side::Baseline => layout.baseline_dir(workload).join(QUEUE_DIR),
        };
        match std::fs::remove_dir_all(&queues) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(format!("{}: {e}", queues.display()))
            }
            _ => {}
        }
    }
    // A client id per run: every run starts with a session of its own.
    let client_id = format!("fdi-bench-{label}");
    // The generated program's MQTT source connects as `<client_id>-<source name>`.
    let session = match side {
        Side::Generated => format!("{client_id}-{COUNTERS_SOURCE}"),
        Side::Baseline => client_id.clone(),
    };
    match side {
        Side::Generated => {
            let config = layout.logs(workload).join(format!("{label}.toml"));
            std::fs::write(&config, peers.config(side.database(), &client_id))
                .map_err(|e| format!("{}: {e}", config.display()))?;
            command.arg("--config").arg(config);
        }
        Side::Baseline => {
            command
                .arg("--postgres")
                .arg(peers.connection_string(side.database()));
            if let Some(broker) = &peers.broker {
                command
                    .args(["--mqtt-port", &broker.port().to_string()])
                    .args(["--client-id", &session]);
            }
        }
    }
    if let Feed::Mqtt(topic) = workload.feed() {
        eprintln!("{}: {label}: publishing the messages", workload.name());
        peers.publish_backlog(&session, topic, &run_dir.join(workload.input()))?;
    }
    Ok(command)
}

/// Run `run`'s wall time with its CPU time beside it: `1.23 s (CPU 1.10 user + 0.05 sys)`.
pub fn run_time(samples: &Samples, run: usize) -> String {
    let (user, system) = samples.cpu[run];
    format!(
        "{:.2} s (CPU {:.2} user + {:.2} sys)",
        samples.walls[run].as_secs_f64(),
        user.as_secs_f64(),
        system.as_secs_f64()
    )
}

fn programs(settings: &Settings, workload: Workload) -> Result<ProgramsResult, String> {
    let layout = &settings.layout;
    let (run_dir, logs) = (layout.run_dir(workload), layout.logs(workload));
    let name = workload.name();
    let records = workload.records(settings.records);
    if records < settings.records {
        eprintln!(
            "{name}: {records} messages, not {}: a larger backlog stalls the broker's session \
             (BENCHMARKS.md)",
            settings.records
        );
    }
    eprintln!("{name}: generating {records} records (if not already there)");
    let input = generate::ensure_input(layout, workload, records)?;
    if let Some((relative, committed)) = workload.master_data() {
        let copy = run_dir.join(relative);
        std::fs::create_dir_all(copy.parent().unwrap_or(&run_dir)).map_err(|e| e.to_string())?;
        std::fs::copy(&committed, &copy).map_err(|e| format!("{}: {e}", committed.display()))?;
    }
    eprintln!("{name}: fdi build {}", workload.mapping().display());
    let (program, _) =
        settings
            .fdi
            .build_program(&workload.mapping(), &layout.crate_dir(workload), &logs)?;
    let peers = Peers::start(workload)?;
    let last_row = match workload.feed() {
        Feed::Mqtt(_) => Some(LastRow::of_input(
            &run_dir.join(workload.input()),
            &run_dir.join(MACHINES),
        )?),
        Feed::File => None,
    };
    let (mut generated, mut baseline) = (Samples::default(), Samples::default());
    let mut agreement = Agreement::default();
    for run in 0..settings.runs {
        // Alternate which goes first, so neither always gets the warmer page cache.
        let order = if run % 2 == 0 {
            [Side::Generated, Side::Baseline]
        } else {
            [Side::Baseline, Side::Generated]
        };
        remove(&run_dir.join("out"))?;
        remove(&layout.baseline_dir(workload))?;
        for side in order {
            let label = match side {
                Side::Generated => format!("generated-{run}"),
                Side::Baseline => format!("baseline-{run}"),
            };
            let mut command = prepare(settings, workload, &program, peers.as_ref(), side, &label)?;
            let measured = match (&peers, &last_row) {
                (Some(peers), Some(last_row)) => {
                    // Connected before the clock starts; one indexed lookup every 5 ms, and
                    // a look for progress every 2 s.
                    let mut client = peers.client(side.database())?;
                    let mut watchdog = Watchdog::new();
                    let mut done = || {
                        let done = last_row.is_in(&mut client)?;
                        if !done {
                            watchdog
                                .check(&mut client)
                                .map_err(|e| format!("{label}: {e}"))?;
                        }
                        Ok(done)
                    };
                    run_service(&mut command, &logs, &label, &mut done)?
                }
                _ => run_measured(&mut command, &logs, &label)?,
            };
            check_run(&measured, side, &label, last_row.is_some())?;
            match side {
                Side::Generated => generated.add(&measured),
                Side::Baseline => baseline.add(&measured),
            }
        }
        agreement = compare_outputs(settings, workload, peers.as_ref())
            .map_err(|e| format!("{name}, run {}: the outputs disagree: {e}", run + 1))?;
        eprintln!(
            "{name}: run {}: generated {}, hand-written {}, outputs agree",
            run + 1,
            run_time(&generated, run),
            run_time(&baseline, run)
        );
    }
    Ok(ProgramsResult {
        workload,
        input,
        generated,
        baseline,
        agreement,
    })
}

/// A run must succeed, and the generated program's summary must say so (every flow balanced).
/// A service (`service`) must also have acknowledged every message it read: its positions
/// count messages, one record each.
fn check_run(measured: &Measured, side: Side, label: &str, service: bool) -> Result<(), String> {
    let said = || format!("{}{}", measured.stdout, measured.stderr);
    if !measured.succeeded() {
        return Err(format!(
            "{label} exited with {:?}:\n{}",
            measured.exit_code,
            said()
        ));
    }
    if side == Side::Generated {
        let summary: serde_json::Value = serde_json::from_str(measured.stdout.trim())
            .map_err(|e| format!("{label}: the summary is not JSON ({e}):\n{}", said()))?;
        if summary["ok"] != true {
            return Err(format!("{label}: the run summary is not ok:\n{}", said()));
        }
        let sources = summary["sources"].as_array().map_or(&[][..], Vec::as_slice);
        if let Some(source) = sources
            .iter()
            .find(|s| service && s["acknowledged"] != s["read"])
        {
            return Err(format!(
                "{label}: source {} acknowledged {} of the {} records it read:\n{}",
                source["name"],
                source["acknowledged"],
                source["read"],
                said()
            ));
        }
    }
    Ok(())
}

fn compare_outputs(
    settings: &Settings,
    workload: Workload,
    peers: Option<&Peers>,
) -> Result<Agreement, String> {
    let layout = &settings.layout;
    let generated: PathBuf = layout.run_dir(workload);
    let baseline = layout.baseline_dir(workload);
    let mut agreement = Agreement::default();
    match workload.output() {
        Some(Output::Jsonl(file)) => {
            compare::jsonl(&generated.join(file), &baseline.join(file), &mut agreement)?
        }
        Some(Output::Sqlite(file, table, key)) => compare::sqlite(
            &generated.join(file),
            &baseline.join(file),
            table,
            key,
            &mut agreement,
        )?,
        Some(Output::Postgres(table, key)) => {
            let peers = peers.ok_or("the PostgreSQL peer is not running")?;
            compare::postgres(
                &mut peers.client(GENERATED_DATABASE)?,
                &mut peers.client(BASELINE_DATABASE)?,
                table,
                key,
                &mut agreement,
            )?
        }
        None => return Ok(agreement),
    }
    compare_further_outputs(&generated, &baseline, workload, &mut agreement)?;
    // The records of rejects from a JSON Lines source are checked against its lines.
    let input = generated.join(workload.input());
    let json_input = (input.extension().is_some_and(|e| e == "jsonl")).then_some(input.as_path());
    compare::rejects(
        &generated.join(DEAD_LETTER),
        &baseline.join(DEAD_LETTER),
        json_input,
        &mut agreement,
    )?;
    Ok(agreement)
}

/// The outputs a workload writes beside its first (`workload::further_outputs`): the file targets
/// of the other flows of its source.
fn compare_further_outputs(
    generated: &Path,
    baseline: &Path,
    workload: Workload,
    agreement: &mut Agreement,
) -> Result<(), String> {
    for output in further_outputs(workload) {
        match output {
            Output::Jsonl(file) => {
                compare::jsonl(&generated.join(file), &baseline.join(file), agreement)
                    .map_err(|e| format!("{file}: {e}"))?
            }
            Output::Sqlite(file, table, key) => compare::sqlite(
                &generated.join(file),
                &baseline.join(file),
                table,
                key,
                agreement,
            )
            .map_err(|e| format!("{file}: {e}"))?,
            Output::Postgres(table, _) => {
                return Err(format!(
                    "{table}: a second PostgreSQL output is not compared by the bench"
                ))
            }
        }
    }
    Ok(())
}

/// How many warm rebuilds to time: each is a full build of the changed crate, so fewer than
/// the program runs when those are many.
const MAX_REBUILDS: usize = 3;

fn compiler(settings: &Settings) -> Result<CompilerResult, String> {
    let layout = &settings.layout;
    let workload = Workload::Compiler;
    let (dir, logs) = (layout.run_dir(workload), layout.logs(workload));
    let size = MappingSize {
        flows: settings.flows,
    };
    let (mapping, lines) = generate::generate_mapping(&dir, size, false)?;
    eprintln!("compiler: fdi check of {lines} lines, {} flows", size.flows);
    let checks = (0..settings.runs)
        .map(|_| settings.fdi.check(&mapping, &logs).map(|m| m.wall))
        .collect::<Result<Vec<_>, _>>()?;
    eprintln!("compiler: first fdi build of the generated mapping");
    let crate_dir = layout.crate_dir(workload);
    let (_, first) = settings.fdi.build_program(&mapping, &crate_dir, &logs)?;
    let mut rebuilds = Vec::new();
    for n in 0..settings.runs.min(MAX_REBUILDS) {
        generate::generate_mapping(&dir, size, n % 2 == 0)?;
        let (_, measured) = settings.fdi.build_program(&mapping, &crate_dir, &logs)?;
        eprintln!(
            "compiler: rebuild {} after a one-line change: {:.1} s",
            n + 1,
            measured.wall.as_secs_f64()
        );
        rebuilds.push(measured.wall);
    }
    Ok(CompilerResult {
        lines,
        flows: size.flows,
        checks,
        first_build: first.wall,
        rebuilds,
        change: generate::one_line_change(size),
    })
}
