//! `fdi test`: runs a mapping's `test` blocks through the mapping's own program.
//!
//! A test is run by the generated program itself, not by an interpreter of the typed program,
//! so a passing test says the code that will run in production does the right thing. Per
//! mapping: compile (diagnostics as `fdi check` shows them), emit and build once (debug, in
//! the shared target directory, in the crate folder `fdi run` uses); then per test: write its
//! records as input files ([`inputs`]), run the program with every source and the replaced
//! lookups pointed at them and its targets captured as JSON Lines, compare what the targets
//! and the dead letter received with the expectations ([`compare`]), and report ([`report`]).

pub mod compare;
pub mod inputs;
pub mod report;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::build::{build, git_state, mapping_crate_dir, BuildOptions};
use crate::compile;
use crate::diagnostic::{line_column, Diagnostic};
use crate::emit::emit;
use crate::ir::{Program, Test, TestRecord, DEAD_LETTER};
use crate::source_map::{SourceMap, Span};

use compare::{compare, Failure, OutputRecord};
pub use report::ReportFormat;

#[derive(Debug, Clone)]
pub struct TestOptions {
    /// Cargo's target directory shared by generated programs (see [`BuildOptions`]).
    pub target_dir: PathBuf,
    /// Build with every connector (see [`BuildOptions::all_connectors`]).
    pub all_connectors: bool,
}

/// What `fdi test` found for one mapping file.
#[derive(Debug)]
pub struct MappingOutcome {
    /// The path as the user gave it.
    pub file: String,
    /// Why the tests could not run: the mapping's errors, or a failed build. Empty otherwise.
    pub diagnostics: Vec<Diagnostic>,
    /// The files the diagnostics point into.
    pub sources: SourceMap,
    pub tests: Vec<TestOutcome>,
}

impl MappingOutcome {
    pub fn ok(&self) -> bool {
        self.diagnostics.is_empty() && self.tests.iter().all(TestOutcome::passed)
    }
}

/// One `test` block's result.
#[derive(Debug)]
pub struct TestOutcome {
    pub name: String,
    /// `file:line` of the test's name, for a reader to jump to.
    pub file: String,
    pub line: usize,
    pub failures: Vec<Failure>,
}

impl TestOutcome {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Tests every file, printing each mapping's results as they come (human format) or one JSON
/// document at the end; returns the exit code: 0 when every test passed, 1 otherwise.
pub fn run_and_report(files: &[PathBuf], options: &TestOptions, format: ReportFormat) -> u8 {
    let mut outcomes = Vec::new();
    for file in files {
        let outcome = test_mapping(file, options);
        if format == ReportFormat::Human {
            report::print_human(&outcome);
        }
        outcomes.push(outcome);
    }
    let end = match format {
        ReportFormat::Human => report::summary_line(&outcomes),
        ReportFormat::Json => {
            serde_json::to_string_pretty(&report::to_json(&outcomes)).unwrap_or_default()
        }
    };
    report::print(&format!("{end}\n"));
    u8::from(!outcomes.iter().all(MappingOutcome::ok))
}

/// Compiles, builds and tests one mapping.
pub fn test_mapping(file: &Path, options: &TestOptions) -> MappingOutcome {
    let mut outcome = MappingOutcome {
        file: file.display().to_string(),
        diagnostics: Vec::new(),
        sources: SourceMap::new(),
        tests: Vec::new(),
    };
    let program = match compile(file, &mut outcome.sources) {
        Ok(program) => program,
        Err(diagnostics) => {
            outcome.diagnostics = diagnostics;
            return outcome;
        }
    };
    // A module cannot hold tests (E0005), so it ends here too and is never built.
    if program.tests.is_empty() {
        return outcome;
    }
    let generated = emit(&program, &crate::emit_options(file, &outcome.sources));
    let build_options = BuildOptions {
        crate_dir: mapping_crate_dir(file, &options.target_dir),
        target_dir: options.target_dir.clone(),
        // Tests run small inputs: building fast matters, running fast does not.
        release: false,
        mapping_dir: crate::mapping_dir(file),
        git: git_state(
            &outcome
                .sources
                .files()
                .map(|f| f.path.clone())
                .collect::<Vec<_>>(),
        ),
        deny_warnings: false,
        all_connectors: options.all_connectors,
    };
    let binary = match build(&generated, &generated.bin, &build_options) {
        Ok(binary) => binary,
        Err(diagnostic) => {
            outcome.diagnostics.push(diagnostic);
            return outcome;
        }
    };
    for test in &program.tests {
        let (file, line) = file_line(&outcome.sources, test.span);
        outcome.tests.push(TestOutcome {
            name: test.name.clone(),
            file,
            line,
            failures: run_test(&program, test, &binary, &outcome.sources),
        });
    }
    outcome
}

fn file_line(sources: &SourceMap, span: Span) -> (String, usize) {
    let file = sources.get(span.file);
    (file.display_name(), line_column(&file.text, span.start).0)
}

/// Runs one test in a folder of its own and returns how it failed (nothing when it passed).
fn run_test(program: &Program, test: &Test, binary: &Path, sources: &SourceMap) -> Vec<Failure> {
    let scratch = match Scratch::create() {
        Ok(scratch) => scratch,
        Err(e) => {
            return vec![not_run(format!(
                "cannot create a folder for its files: {e}"
            ))]
        }
    };
    let captured = scratch.path.join("targets");
    let dead_letter = scratch.path.join("dead-letter.jsonl");
    let mut args = match inputs::write_inputs(program, test, &scratch.path.join("inputs")) {
        Ok(args) => args,
        Err(e) => return vec![not_run(format!("cannot write its input files: {e}"))],
    };
    // The dead letter lives outside the capture folder: a target may be called `rejected`.
    args.extend([
        OsString::from("--capture-targets"),
        captured.clone().into(),
        "--dead-letter".into(),
        dead_letter.clone().into(),
        "--format".into(),
        "json".into(),
    ]);
    let output = match Command::new(binary).args(&args).output() {
        Ok(output) => output,
        Err(e) => {
            return vec![not_run(format!("cannot start {}: {e}", binary.display()))];
        }
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return vec![Failure::RunFailed {
            exit_code: output.status.code(),
            message: scratch.shorten(stderr.trim_end()),
        }];
    }

    let line_of =
        |record: &TestRecord| line_column(&sources.get(record.span.file).text, record.span.start).0;
    let mut failures = Vec::new();
    let mut check = |name: &str, expected: &[TestRecord], file: &Path| match read_jsonl(file) {
        Ok(mut actual) => {
            if name == DEAD_LETTER {
                actual.iter_mut().for_each(without_bookkeeping);
            }
            failures.extend(compare(name, expected, &actual, &line_of))
        }
        Err(message) => failures.push(not_run(scratch.shorten(&message))),
    };
    for expect in test.expects.iter().filter(|e| e.name != DEAD_LETTER) {
        check(
            &expect.name,
            &expect.records,
            &captured.join(format!("{}.jsonl", expect.name)),
        );
    }
    // The dead letter is always checked: a reject the test did not expect fails it.
    let rejects = test.expects.iter().find(|e| e.name == DEAD_LETTER);
    check(
        DEAD_LETTER,
        rejects.map_or(&[][..], |e| &e.records[..]),
        &dead_letter,
    );
    failures
}

fn not_run(message: String) -> Failure {
    Failure::RunFailed {
        exit_code: None,
        message,
    }
}

/// A dead-letter line without what the runtime keeps for its own bookkeeping (the line's id and
/// time differ at every run; its format, line and mapping are for `dead-letter replay`): a test
/// compares, and a report shows, what the record was and why it was rejected.
fn without_bookkeeping(line: &mut OutputRecord) {
    const BOOKKEEPING: [&str; 6] = ["id", "time", "format", "columns", "line", "mapping"];
    line.0
        .retain(|(key, _)| !BOOKKEEPING.contains(&key.as_str()));
}

/// The records of a JSON Lines file the program wrote; a file it did not write holds none.
fn read_jsonl(path: &Path) -> Result<Vec<OutputRecord>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            OutputRecord::parse(line).map_err(|e| {
                format!(
                    "line {} of {} is not a JSON object: {e}",
                    i + 1,
                    path.display()
                )
            })
        })
        .collect()
}

/// A test's own folder under the system's temporary folder, removed when the test is done.
struct Scratch {
    path: PathBuf,
}

impl Scratch {
    fn create() -> std::io::Result<Scratch> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "fdi-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        // Left over by an earlier process of the same id that was killed.
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)?;
        Ok(Scratch { path })
    }

    /// Messages name the test's files by a placeholder: the folder is gone when the report
    /// is read, and a report that does not change from run to run can be compared.
    fn shorten(&self, message: &str) -> String {
        message.replace(&self.path.display().to_string(), "<test>")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A test record with the given fields, for the unit tests of this module's parts.
#[cfg(test)]
fn record(fields: &[(&str, crate::ir::TestValue)]) -> TestRecord {
    let file = crate::source_map::SourceMap::new().add("t.fdi", "");
    TestRecord {
        fields: fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        span: crate::source_map::Span::new(file, 0, 0),
    }
}
