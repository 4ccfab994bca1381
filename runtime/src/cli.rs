//! `main()` for generated programs: options, running, summary, exit code.
//!
//! Exit codes: 0 success; 1 the run stopped on an error (the summary of what happened so far is still
//! printed); 2 usage error, including `--source`/`--lookup` with a name the mapping does not have; 3
//! `--fail-on-reject` and something was rejected.
//!
//! `--source`, `--lookup` and `--capture-targets` are for test runs (`fdi test`): they run the program on other
//! input files and write what every target receives as JSON Lines to a directory, leaving the real targets alone.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches};

use crate::error::RunError;
use crate::run::{OutputMode, ProgramInfo, Run, RunConfig, DEFAULT_CHECKPOINT_EVERY};
use crate::summary::{DeadLetterSummary, RunSummary};

/// The options every generated program accepts.
#[derive(Debug, Clone, PartialEq, Eq, clap::Parser)]
#[command(disable_version_flag = true)]
pub struct Options {
    /// Directory that relative paths in the mapping are resolved against [default: the mapping file's directory
    /// when `fdi build` built the program, else the current directory]
    #[arg(long, value_name = "DIR")]
    pub base_dir: Option<PathBuf>,
    /// Dead-letter file (relative to the current directory) [default: the mapping's, relative to the base dir]
    #[arg(long, value_name = "PATH")]
    pub dead_letter: Option<PathBuf>,
    /// Format of the summary printed at the end
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Exit with code 3 when any record was rejected
    #[arg(long)]
    pub fail_on_reject: bool,
    /// Records of a source between its checkpoints at most (flush its targets, then acknowledge it)
    #[arg(long, alias = "batch-size", value_name = "N", default_value_t = DEFAULT_CHECKPOINT_EVERY, value_parser = parse_checkpoint_every)]
    pub checkpoint_every: usize,
    /// The longest a record waits for its checkpoint: a quiet source is durable and acknowledged within it
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_positive_duration)]
    pub checkpoint_interval: Duration,
    /// After SIGTERM or SIGINT, the time to drain, flush and acknowledge before giving up (a second signal
    /// exits at once)
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = crate::ops::duration::parse_duration)]
    pub shutdown_timeout: Duration,
    /// Whether the dead letter and JSON Lines targets are truncated or appended to at start [default: auto:
    /// truncated when every source ends (files), appended to by a service]
    #[arg(long, value_enum, value_name = "MODE", default_value_t = OutputMode::Auto)]
    pub outputs: OutputMode,
    /// Read source NAME from PATH instead of the mapping's file (same format; relative to the current
    /// directory); repeatable
    #[arg(long = "source", value_name = "NAME=PATH", value_parser = parse_replacement)]
    pub sources: Vec<(String, PathBuf)>,
    /// Load lookup NAME from PATH instead of the mapping's file (same format; relative to the current
    /// directory); repeatable
    #[arg(long = "lookup", value_name = "NAME=PATH", value_parser = parse_replacement)]
    pub lookups: Vec<(String, PathBuf)>,
    /// Write every target, whatever its kind, as JSON Lines to DIR/NAME.jsonl (NAME: the target's) instead, for tests
    #[arg(long, value_name = "DIR")]
    pub capture_targets: Option<PathBuf>,
    /// The deployment settings: a TOML file with a `[connections.NAME]` table per connection the mapping names
    /// (address, client id, user, password, TLS files); `FDI_<NAME>_<SETTING>` variables override it
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print the mapping's name and version, the start of its hash, the fdi version and the git commit
    #[arg(long)]
    pub version: bool,
    /// Metrics, health, retries and logs (see `crate::ops`).
    #[command(flatten)]
    pub operations: crate::ops::OpsOptions,
    /// Store and forward: the queues of queued targets (see `crate::queue`).
    #[command(flatten)]
    pub queue: crate::queue::QueueOptions,
    /// Threads that decode and map the records of file sources, each a chunk at a time, while one
    /// thread writes them in their order [default: `FDI_MAP_THREADS`, else the cores the program may
    /// use; 1 maps on the thread that writes]
    #[arg(long, value_name = "N", value_parser = parse_map_threads)]
    pub map_threads: Option<usize>,
    #[command(subcommand)]
    pub command: Option<ProgramCommand>,
}

/// What a program can do besides running.
#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum ProgramCommand {
    /// Print what the program was built from: the SHA-256 of the mapping, its modules, schemas, master data and
    /// generated code, the fdi version, the git commit and the build time
    Manifest {
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// List, show or replay the records in the dead letter (`--dead-letter` and `--base-dir` go
    /// before `dead-letter`)
    #[command(subcommand)]
    DeadLetter(crate::replay::DeadLetterCommand),
}

/// Summary formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    match crate::ops::duration::parse_duration(text)? {
        duration if duration.is_zero() => Err(format!("{text:?} is not a positive duration")),
        duration => Ok(duration),
    }
}

fn parse_checkpoint_every(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{text:?} is not a positive integer")),
    }
}

fn parse_map_threads(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{text:?} is not a positive number of threads")),
    }
}

/// `NAME=PATH`, split at the first `=` (a path may contain `=`, a name cannot).
fn parse_replacement(text: &str) -> Result<(String, PathBuf), String> {
    match text.split_once('=') {
        Some((name, path)) if !name.is_empty() && !path.is_empty() => {
            Ok((name.to_string(), PathBuf::from(path)))
        }
        _ => Err(format!("{text:?} is not NAME=PATH")),
    }
}

/// What a run produced, before anything is printed.
#[derive(Debug)]
pub struct Execution {
    pub summary: RunSummary,
    pub error: Option<RunError>,
    pub exit_code: u8,
    /// What a replay of the dead letter did (`dead-letter replay`); `None` for other runs.
    pub replay: Option<crate::run::ReplayReport>,
}

/// `main()` of a generated program: parses the command line, lets `run_fn` open and register what the program
/// has (lookups, targets, flows, and per source its map function), drives the run ([`Run::drive`]), prints the
/// summary to stdout (and an error to stderr), and returns the exit code.
pub fn main<F>(program: &ProgramInfo, run_fn: F) -> ExitCode
where
    F: FnOnce(&mut Run) -> Result<(), RunError>,
{
    main_with_args(program, std::env::args_os(), run_fn)
}

/// [`main`] with explicit arguments (the first is the program name), for tests.
pub fn main_with_args<I, A, F>(program: &ProgramInfo, args: I, run_fn: F) -> ExitCode
where
    I: IntoIterator<Item = A>,
    A: Into<OsString> + Clone,
    F: FnOnce(&mut Run) -> Result<(), RunError>,
{
    let options = match parse_options(program, args) {
        Ok(options) => options,
        Err(e) => {
            // clap prints help and usage errors itself; its exit code is 0 for --help and 2 for usage errors.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    if options.version {
        println!("{}", version_text(program));
        return ExitCode::SUCCESS;
    }
    if let Some(ProgramCommand::Manifest { format }) = options.command {
        let manifest = program.manifest;
        match format {
            Format::Human => print!(
                "{}",
                manifest.render_human(program.mapping, program.version)
            ),
            Format::Json => println!("{}", manifest.to_json(program.mapping, program.version)),
        }
        return ExitCode::SUCCESS;
    }
    crate::ops::init_logging(&options.operations);
    if let Some(ProgramCommand::DeadLetter(command)) = &options.command {
        return crate::replay::main(program, &options, command, run_fn);
    }
    let execution = execute(program, &options, run_fn);
    if let Some(error) = &execution.error {
        crate::ops::report_run_error(&options.operations, error);
    }
    match options.format {
        Format::Human => print!("{}", execution.summary.render_human()),
        Format::Json => println!("{}", execution.summary.to_json()),
    }
    // Only a run that ended well keeps serving: a failed one must exit with its code, so that
    // a supervisor (systemd's Restart=on-failure) sees the failure and restarts it.
    if execution.error.is_none() {
        crate::ops::serve_until_stopped(&options.operations);
    }
    ExitCode::from(execution.exit_code)
}

/// Parses the command line of `program`.
pub fn parse_options<I, A>(program: &ProgramInfo, args: I) -> Result<Options, clap::Error>
where
    I: IntoIterator<Item = A>,
    A: Into<OsString> + Clone,
{
    let command = Options::command().name(program.mapping).about(format!(
        "Runs the fdi mapping {} {}",
        program.mapping, program.version
    ));
    let mut command = command;
    let matches = command.try_get_matches_from_mut(args)?;
    let options = Options::from_arg_matches(&matches)?;
    // Refuse unknown or repeated names here, where they are usage errors, before anything runs.
    config(program, &options)
        .and_then(|config| config.check_names(program))
        .map_err(|message| command.error(clap::error::ErrorKind::ValueValidation, message))?;
    Ok(options)
}

/// The run configuration `options` ask for. Paths given on the command line are relative to where the command
/// runs, not to the base directory, so they are made absolute here. Fails for a source or lookup replaced twice.
pub fn config(program: &ProgramInfo, options: &Options) -> Result<RunConfig, String> {
    let mut config = RunConfig::new(program);
    if let Some(base_dir) = &options.base_dir {
        config.base_dir = base_dir.clone();
    }
    if let Some(dead_letter) = &options.dead_letter {
        config.dead_letter = absolute(dead_letter);
    }
    config.checkpoint_every = options.checkpoint_every;
    config.checkpoint_interval = options.checkpoint_interval;
    config.shutdown_timeout = options.shutdown_timeout;
    config.outputs = options.outputs;
    config.source_paths = replacements("source", &options.sources)?;
    config.lookup_paths = replacements("lookup", &options.lookups)?;
    config.capture_targets = options.capture_targets.as_deref().map(absolute);
    config.operations = options.operations.clone();
    config.queue = crate::queue::QueueOptions {
        queue_dir: options.queue.queue_dir.as_deref().map(absolute),
        ..options.queue.clone()
    };
    // A deployment may set the map threads for every program of a machine in its environment.
    config.map_threads = match options.map_threads {
        Some(threads) => threads,
        None => match std::env::var("FDI_MAP_THREADS") {
            Ok(text) => parse_map_threads(&text).map_err(|e| format!("FDI_MAP_THREADS: {e}"))?,
            Err(_) => 0,
        },
    };
    config.settings = crate::settings::Settings::load(
        options.config.as_deref(),
        program.connections,
        std::env::vars(),
    )
    .map_err(|e| e.to_string())?;
    Ok(config)
}

fn replacements(
    kind: &str,
    given: &[(String, PathBuf)],
) -> Result<BTreeMap<String, PathBuf>, String> {
    let mut paths = BTreeMap::new();
    for (name, path) in given {
        if paths.insert(name.clone(), absolute(path)).is_some() {
            return Err(format!("--{kind} {name}=... is given more than once"));
        }
    }
    Ok(paths)
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// "mill_to_mes 0.1.0 (mapping sha256 3f2a9c1b07de, fdi 0.1.0, git 1a2b3c4d5e6f)".
pub fn version_text(program: &ProgramInfo) -> String {
    crate::manifest::version_line(program.mapping, program.version, program.manifest)
}

/// Runs `run_fn` with `options`, then [`Run::drive`], and works out the summary and exit code, printing nothing.
pub fn execute<F>(program: &ProgramInfo, options: &Options, run_fn: F) -> Execution
where
    F: FnOnce(&mut Run) -> Result<(), RunError>,
{
    let config = config(program, options);
    let started = match &config {
        Ok(config) => Run::new(program, config.clone()),
        Err(message) => Err(RunError::Usage(message.clone())),
    };
    let mut run = match started {
        Ok(run) => run,
        Err(error) => {
            let config = config.unwrap_or_else(|_| RunConfig::new(program));
            return not_started(program, &config, error);
        }
    };

    let result = run_fn(&mut run).and_then(|()| run.drive());
    let mut summary = run.summary();
    let replay = run.replay_report();
    match result {
        Ok(()) => {
            let exit_code = if options.fail_on_reject && summary.has_rejects() {
                3
            } else {
                0
            };
            Execution {
                summary,
                error: None,
                exit_code,
                replay,
            }
        }
        Err(error) => {
            // Keep what was dead-lettered so far; the run already failed, so a second error only adds noise.
            let _ = run.flush_dead_letter();
            summary.ok = false;
            summary.error = Some(error.to_string());
            Execution {
                summary,
                error: Some(error),
                exit_code: 1,
                replay,
            }
        }
    }
}

/// The execution of a run that failed before it started: nothing read, a usage error exits with 2.
fn not_started(program: &ProgramInfo, config: &RunConfig, error: RunError) -> Execution {
    let summary = RunSummary {
        mapping: program.mapping.to_string(),
        version: program.version.to_string(),
        ok: false,
        error: Some(error.to_string()),
        sources: Vec::new(),
        flows: Vec::new(),
        targets: Vec::new(),
        dead_letter: DeadLetterSummary {
            path: config
                .base_dir
                .join(&config.dead_letter)
                .display()
                .to_string(),
            records: 0,
        },
    };
    let exit_code = match error {
        RunError::Usage(_) => 2,
        _ => 1,
    };
    Execution {
        summary,
        error: Some(error),
        exit_code,
        replay: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROGRAM: ProgramInfo = crate::run::MILL_PROGRAM;

    #[test]
    fn options_parse_with_defaults() {
        let options = parse_options(&PROGRAM, ["prog"]).unwrap();
        assert_eq!(options.format, Format::Human);
        assert_eq!(options.checkpoint_every, 1000);
        assert_eq!(options.checkpoint_interval, Duration::from_secs(1));
        assert_eq!(options.outputs, OutputMode::Auto);
        assert!(!options.fail_on_reject);
        let options = parse_options(
            &PROGRAM,
            [
                "prog",
                "--base-dir",
                "/x",
                "--format",
                "json",
                "--fail-on-reject",
                "--batch-size",
                "5",
            ],
        )
        .unwrap();
        assert_eq!(options.base_dir, Some(PathBuf::from("/x")));
        assert_eq!(
            (
                options.format,
                options.checkpoint_every,
                options.fail_on_reject
            ),
            (Format::Json, 5, true)
        );
    }

    #[test]
    fn usage_errors_exit_with_2() {
        for args in [
            &["prog", "--batch-size", "0"][..],
            &["prog", "--checkpoint-every", "0"],
            &["prog", "--checkpoint-interval", "0"],
            &["prog", "--outputs", "keep"],
            &["prog", "--format", "xml"],
            &["prog", "--nope"],
        ] {
            let err = parse_options(&PROGRAM, args).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{args:?}");
        }
    }

    #[test]
    fn command_line_paths_are_relative_to_the_current_directory() {
        let options = parse_options(
            &PROGRAM,
            [
                "prog",
                "--base-dir",
                "/base",
                "--source",
                "mill=cases/a=b.csv",
                "--lookup",
                "machines=/abs/m.csv",
                "--capture-targets",
                "captured",
            ],
        )
        .unwrap();
        assert_eq!(
            options.sources,
            vec![("mill".to_string(), PathBuf::from("cases/a=b.csv"))]
        );
        let config = config(&PROGRAM, &options).unwrap();
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(config.source_paths["mill"], cwd.join("cases/a=b.csv"));
        assert_eq!(config.lookup_paths["machines"], PathBuf::from("/abs/m.csv"));
        assert_eq!(config.capture_targets, Some(cwd.join("captured")));
        assert_eq!(config.base_dir, PathBuf::from("/base"));
    }

    #[test]
    fn version_names_mapping_and_runtime() {
        assert_eq!(
            version_text(&PROGRAM),
            "mill_to_mes 0.1.0 (mapping sha256 unknown, fdi unknown, not in git)"
        );
        let options = parse_options(&PROGRAM, ["prog", "manifest", "--format", "json"]).unwrap();
        assert_eq!(
            options.command,
            Some(ProgramCommand::Manifest {
                format: Format::Json
            })
        );
        assert!(
            parse_options(&PROGRAM, ["prog", "--version"])
                .unwrap()
                .version
        );
    }

    #[test]
    fn exit_codes_for_error_and_rejects() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().to_str().unwrap();
        let options = parse_options(&PROGRAM, ["prog", "--base-dir", base]).unwrap();
        let failed = execute(&PROGRAM, &options, |run| {
            let columns = crate::EntityColumns {
                required: &[],
                optional: &[],
            };
            run.csv_source("mill", "missing.csv", &columns).map(|_| ())
        });
        assert_eq!(failed.exit_code, 1);
        assert!(!failed.summary.ok);
        assert!(failed
            .summary
            .error
            .as_deref()
            .unwrap_or("")
            .contains("missing.csv"));
        assert!(dir.path().join("out/dl.jsonl").exists());

        let ok = execute(&PROGRAM, &options, |_| Ok(()));
        assert_eq!((ok.exit_code, ok.summary.ok), (0, true));
    }
}
