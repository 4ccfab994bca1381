//! What a run needs to know before it starts: the program's facts and the options it runs with.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// What the compiler knows about the program it generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgramInfo {
    /// The mapping's name.
    pub mapping: &'static str,
    /// The mapping's version.
    pub version: &'static str,
    /// The directory of the mapping file, as `fdi build` gives it to the program's build
    /// (`FDI_MAPPING_DIR`): the default base directory for relative paths. `None` for a program
    /// built from its crate by cargo alone; its base directory is the current directory.
    pub mapping_dir: Option<&'static str>,
    /// The default dead-letter file, relative to the base directory.
    pub dead_letter: &'static str,
    /// Whether a source of the mapping never ends (a broker topic, a polled table): the program is then a
    /// service, which appends to its files instead of truncating them (see [`OutputMode`]).
    pub service: bool,
    /// The names of the mapping's sources, so that `--source NAME=PATH` can refuse a name that is not one
    /// before anything is read.
    pub sources: &'static [&'static str],
    /// The names of the mapping's lookups, for `--lookup NAME=PATH`.
    pub lookups: &'static [&'static str],
    /// The connections the mapping's connectors name, whose settings come from the deployment
    /// settings (`--config`, `FDI_<CONNECTION>_<SETTING>`).
    pub connections: &'static [&'static str],
    /// What the program was built from (`--version`, `manifest`).
    pub manifest: &'static crate::manifest::Manifest,
}

/// How to run: the command-line options after defaults were applied.
///
/// Relative paths in it are resolved against `base_dir`; the command line makes its paths absolute first, so
/// that there they are relative to where the command runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunConfig {
    /// Relative paths of the mapping are resolved against this directory.
    pub base_dir: PathBuf,
    /// The dead-letter file.
    pub dead_letter: PathBuf,
    /// Records of one source between its checkpoints (flush, then acknowledge) at most, and per SQLite
    /// transaction.
    pub checkpoint_every: usize,
    /// The longest a record waits for its checkpoint: a quiet source is made durable and acknowledged
    /// within this time.
    pub checkpoint_interval: Duration,
    /// After SIGTERM or SIGINT, how long the run may take to drain, flush and acknowledge before it gives up.
    pub shutdown_timeout: Duration,
    /// Whether files are truncated or appended to when the run starts.
    pub outputs: OutputMode,
    /// Source name -> the file to read instead of the mapping's (same format).
    pub source_paths: BTreeMap<String, PathBuf>,
    /// Lookup name -> the file to load instead of the mapping's (same format).
    pub lookup_paths: BTreeMap<String, PathBuf>,
    /// When set, every target, whatever its kind, writes JSON Lines to `<dir>/<target name>.jsonl` instead, so a
    /// test harness can read what each target received.
    pub capture_targets: Option<PathBuf>,
    /// Metrics, health, retries and logs (see `crate::ops`).
    pub operations: crate::ops::OpsOptions,
    /// The connections' addresses and credentials (see `crate::settings`).
    pub settings: crate::settings::Settings,
    /// Store and forward: where the queues of queued targets live, how large they grow, when they make the
    /// program unhealthy (see `crate::queue`).
    pub queue: crate::queue::QueueOptions,
    /// Threads that decode and map the records of file sources (`--map-threads`, see
    /// `run/parallel.rs`); 0: as many as the machine has cores. 1 maps on the core.
    pub map_threads: usize,
}

impl RunConfig {
    /// The defaults of `program`: base directory = the mapping's directory (else the current directory), its
    /// dead letter, checkpoints every 1000 records or second, the mapping's own files and targets.
    pub fn new(program: &ProgramInfo) -> Self {
        RunConfig {
            base_dir: PathBuf::from(program.mapping_dir.unwrap_or(".")),
            dead_letter: PathBuf::from(program.dead_letter),
            checkpoint_every: DEFAULT_CHECKPOINT_EVERY,
            checkpoint_interval: DEFAULT_CHECKPOINT_INTERVAL,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            outputs: OutputMode::Auto,
            source_paths: BTreeMap::new(),
            lookup_paths: BTreeMap::new(),
            capture_targets: None,
            operations: crate::ops::OpsOptions::default(),
            settings: crate::settings::Settings::default(),
            queue: crate::queue::QueueOptions::default(),
            map_threads: 0,
        }
    }

    /// The map threads the run starts: `map_threads`, else the cores the process may use.
    pub fn map_threads(&self) -> usize {
        match self.map_threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }

    /// Checks that every source and lookup the configuration replaces exists in `program`. The error names the
    /// option, the unknown name and the known ones:
    /// `--source mil=...: mapping mill_to_mes has no source "mil"; its sources are: mill`.
    pub fn check_names(&self, program: &ProgramInfo) -> Result<(), String> {
        let checks = [
            ("source", &self.source_paths, program.sources),
            ("lookup", &self.lookup_paths, program.lookups),
        ];
        for (kind, replaced, known) in checks {
            if let Some(name) = replaced.keys().find(|name| !known.contains(&name.as_str())) {
                let listed = if known.is_empty() {
                    format!("it has no {kind}s")
                } else {
                    format!("its {kind}s are: {}", known.join(", "))
                };
                return Err(format!(
                    "--{kind} {name}=...: mapping {} has no {kind} {name:?}; {listed}",
                    program.mapping
                ));
            }
        }
        Ok(())
    }
}

/// Records of a source between checkpoints unless `--checkpoint-every` says otherwise.
pub const DEFAULT_CHECKPOINT_EVERY: usize = 1000;

/// The longest a record waits for its checkpoint unless `--checkpoint-interval` says otherwise.
pub const DEFAULT_CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);

/// The time a stopping run has to drain, unless `--shutdown-timeout` says otherwise.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// What happens to the dead letter and the JSON Lines targets when a run starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputMode {
    /// Truncate them for a batch run (every source ends), append for a service.
    Auto,
    /// Start them empty, as a batch job that produces its outputs again expects.
    Truncate,
    /// Keep what is there and add to it, as a service that restarts must.
    Append,
}

impl OutputMode {
    /// Whether a run of `program` in this mode appends.
    pub fn appends(self, program: &ProgramInfo) -> bool {
        match self {
            OutputMode::Auto => program.service,
            OutputMode::Truncate => false,
            OutputMode::Append => true,
        }
    }
}

/// The program the runtime's own tests run as: the mill example's shape, without a build.
#[cfg(test)]
pub(crate) const MILL_PROGRAM: ProgramInfo = ProgramInfo {
    mapping: "mill_to_mes",
    version: "0.1.0",
    mapping_dir: Some("/nonexistent"),
    dead_letter: "out/dl.jsonl",
    service: false,
    sources: &["mill"],
    lookups: &["machines"],
    connections: &[],
    manifest: &crate::Manifest::UNKNOWN,
};
