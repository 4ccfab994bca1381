//! `main()` for generated programs: options, running, summary, exit code.
//!
//! Exit codes: 0 success; 1 the run stopped on an error (the summary of what happened so far is still
//! printed); 2 usage error; 3 `--fail-on-reject` and something was rejected.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use crate::error::RunError;
use crate::run::{ProgramInfo, Run, RunConfig, DEFAULT_BATCH_SIZE};
use crate::summary::{DeadLetterSummary, RunSummary};

/// The options every generated program accepts.
#[derive(Debug, Clone, PartialEq, Eq, clap::Parser)]
#[command(disable_version_flag = true)]
pub struct Options {
    /// Directory that relative paths in the mapping are resolved against [default: the mapping file's directory]
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
    /// Records between checkpoints (flush targets, then acknowledge the source)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BATCH_SIZE, value_parser = parse_batch_size)]
    pub batch_size: usize,
    /// Print the mapping's name and version and the fdi-runtime version
    #[arg(long)]
    pub version: bool,
}

/// Summary formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

fn parse_batch_size(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{text:?} is not a positive integer")),
    }
}

/// What a run produced, before anything is printed.
#[derive(Debug)]
pub struct Execution {
    pub summary: RunSummary,
    pub error: Option<RunError>,
    pub exit_code: u8,
}

/// `main()` of a generated program: parses the command line, runs `run_fn`, prints the summary to stdout (and an
/// error to stderr), and returns the exit code.
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
    let execution = execute(program, &options, run_fn);
    if let Some(error) = &execution.error {
        eprintln!("error: {error}");
    }
    match options.format {
        Format::Human => print!("{}", execution.summary.render_human()),
        Format::Json => println!("{}", execution.summary.to_json()),
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
    let matches = command.try_get_matches_from(args)?;
    Options::from_arg_matches(&matches)
}

/// "mill_to_mes 0.1.0 (fdi-runtime 0.1.0)".
pub fn version_text(program: &ProgramInfo) -> String {
    format!(
        "{} {} (fdi-runtime {})",
        program.mapping,
        program.version,
        env!("CARGO_PKG_VERSION")
    )
}

/// Runs `run_fn` with `options` and works out the summary and exit code, printing nothing.
pub fn execute<F>(program: &ProgramInfo, options: &Options, run_fn: F) -> Execution
where
    F: FnOnce(&mut Run) -> Result<(), RunError>,
{
    let mut config = RunConfig::new(program);
    if let Some(base_dir) = &options.base_dir {
        config.base_dir = base_dir.clone();
    }
    if let Some(dead_letter) = &options.dead_letter {
        // A path given on the command line is relative to where the command runs, not to the base directory.
        config.dead_letter =
            std::path::absolute(dead_letter).unwrap_or_else(|_| dead_letter.clone());
    }
    config.batch_size = options.batch_size;

    let mut run = match Run::new(program, config.clone()) {
        Ok(run) => run,
        Err(error) => {
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
            return Execution {
                summary,
                error: Some(error),
                exit_code: 1,
            };
        }
    };

    let result = run_fn(&mut run);
    let mut summary = run.summary();
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
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROGRAM: ProgramInfo = ProgramInfo {
        mapping: "mill_to_mes",
        version: "0.1.0",
        mapping_dir: "/nonexistent",
        dead_letter: "out/dl.jsonl",
    };

    #[test]
    fn options_parse_with_defaults() {
        let options = parse_options(&PROGRAM, ["prog"]).unwrap();
        assert_eq!(options.format, Format::Human);
        assert_eq!(options.batch_size, 1000);
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
            (options.format, options.batch_size, options.fail_on_reject),
            (Format::Json, 5, true)
        );
    }

    #[test]
    fn usage_errors_exit_with_2() {
        for args in [
            &["prog", "--batch-size", "0"][..],
            &["prog", "--format", "xml"],
            &["prog", "--nope"],
        ] {
            let err = parse_options(&PROGRAM, args).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{args:?}");
        }
    }

    #[test]
    fn version_names_mapping_and_runtime() {
        assert_eq!(
            version_text(&PROGRAM),
            format!(
                "mill_to_mes 0.1.0 (fdi-runtime {})",
                env!("CARGO_PKG_VERSION")
            )
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
            run.csv_source("mill", "missing.csv").map(|_| ())
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
