//! `fdi`: check, emit, build and run integration mappings.

mod cli_trace;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use fdi_compiler::build::{build, default_target_dir, git_state, mapping_crate_dir, BuildOptions};
use fdi_compiler::data_check::check_data;
use fdi_compiler::diagnostic::{Code, Diagnostic};
use fdi_compiler::emit::{emit, GeneratedCrate};
use fdi_compiler::format::{format_text, FormatError};
use fdi_compiler::source_map::SourceMap;
use fdi_compiler::{compile, emit_options, ir, read_mapping, testing};

#[derive(Parser)]
#[command(name = "fdi", version, about = "The fdi integration mapping compiler")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Human,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Type-check mapping files against their schemas.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Fail (exit 1) on warnings too, as on errors: for CI.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Print the generated Rust program without building it.
    Emit { file: PathBuf },
    /// Generate the program's crate into DIR and build it with cargo.
    Build {
        file: PathBuf,
        #[arg(short, long, value_name = "DIR")]
        out: PathBuf,
        #[command(flatten)]
        build: BuildArgs,
    },
    /// Build the program and run it once over its inputs.
    Run {
        file: PathBuf,
        #[command(flatten)]
        build: BuildArgs,
        /// Print the run summary as JSON.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Exit with code 3 when any record was rejected.
        #[arg(long)]
        fail_on_reject: bool,
        /// More options for the program (see the program's --help).
        #[arg(last = true)]
        program_args: Vec<String>,
    },
    /// Build each mapping's program and run the mapping's `test` blocks through it.
    Test {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Cargo target directory shared by generated programs [default: $FDI_TARGET_DIR or ~/.cache/fdi/target].
        #[arg(long, value_name = "DIR")]
        target_dir: Option<PathBuf>,
        /// Compile the runtime with every connector, so that mappings using different connectors share one build of it.
        #[arg(long)]
        all_connectors: bool,
    },
    /// Format mapping files in place, in the one canonical layout.
    Fmt {
        /// Mapping files, or folders to search for `*.fdi` files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Write nothing: show what would change, and exit 1 if any file is not formatted.
        #[arg(long)]
        check: bool,
    },
    /// Draw sources, lookups, flows and targets, with which fields each target field reads.
    Graph {
        file: PathBuf,
        #[arg(long, value_enum, default_value = "mermaid")]
        format: cli_trace::GraphFormat,
        /// Write to this file instead of standard output.
        #[arg(short, long, value_name = "OUT")]
        out: Option<PathBuf>,
    },
    /// Say what one target field depends on: `fdi lineage FILE states.line`.
    Lineage {
        file: PathBuf,
        /// The target field, as TARGET.FIELD.
        field: String,
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// Show what changes in meaning between two versions of a mapping (exit 1 if anything does).
    Diff {
        /// OLD.fdi NEW.fdi, or with --git: REV1 REV2 FILE.
        #[arg(required = true, num_args = 2..=3)]
        args: Vec<String>,
        /// Compare FILE at two git revisions (with its imports and schemas at each).
        #[arg(long)]
        git: bool,
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// Schemas from machine models: `fdi schema import`.
    Schema {
        #[command(subcommand)]
        command: SchemaCommand,
    },
    /// Explain a diagnostic code: `fdi explain E0311`.
    Explain {
        /// The code, as `E0311`, `fdi::E0311`, `e0311` or `0311`.
        #[arg(required_unless_present = "list")]
        code: Option<String>,
        /// List every code with its one-line summary.
        #[arg(long, conflicts_with = "code")]
        list: bool,
    },
}

#[derive(Subcommand)]
enum SchemaCommand {
    /// Write a schema YAML for variables picked from a machine's model, typed and with units
    /// as the model declares them.
    Import {
        /// The model files: for OPC UA, the server's instance NodeSet2 first, then the
        /// companion NodeSets it uses; for MTConnect, the device model (a `Devices.xml` or a
        /// saved `/probe` answer).
        #[arg(required = true, value_name = "MODEL")]
        models: Vec<PathBuf>,
        /// The model's format (`opcua`, `mtconnect`) [default: by the first file's root
        /// element].
        #[arg(long, value_name = "FORMAT")]
        from: Option<String>,
        /// MTConnect: the device whose data items are picked, by name, uuid or id [default:
        /// the model's only device].
        #[arg(long, value_name = "NAME")]
        device: Option<String>,
        /// The entity's name (a prefix when the picks need several entities).
        #[arg(long, value_name = "NAME")]
        entity: String,
        /// A variable, or an object for all its variables: for OPC UA a browse path or a node
        /// id, for MTConnect a data item's id or name, or a component's name; as the
        /// connector takes them. Repeat for more.
        #[arg(long = "pick", required = true, value_name = "PICK")]
        picks: Vec<String>,
        /// Write the schema to this file (which must not exist yet) instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
struct BuildArgs {
    /// Cargo target directory shared by generated programs [default: $FDI_TARGET_DIR or ~/.cache/fdi/target].
    #[arg(long, value_name = "DIR")]
    target_dir: Option<PathBuf>,
    /// Build without optimisations (faster to build, slower to run).
    #[arg(long)]
    debug: bool,
    /// Fail if the compiler warns about the generated code (it should not: fdi's tests use this).
    #[arg(long)]
    deny_warnings: bool,
    /// Compile the runtime with every connector, so that mappings using different connectors share one build of it.
    #[arg(long)]
    all_connectors: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let inputs = cli.command.mapping_paths();
    // Deeply nested input recurses deeply; a large stack keeps that a diagnostic, not a crash.
    // Any panic left in the compiler becomes one E0006 diagnostic (internal_error.rs).
    let worker = std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(move || {
            fdi_compiler::internal_error::guard(
                || {
                    deliberate_internal_error(&inputs);
                    run(cli)
                },
                || read_inputs(&inputs),
            )
        });
    match worker.map(|w| w.join()) {
        Ok(Ok(Ok(code))) => code,
        Ok(Ok(Err(internal))) => {
            report(&[internal], &SourceMap::new());
            ExitCode::from(INTERNAL_ERROR_EXIT)
        }
        // The guard catches every panic of `run`; this is one in the guard itself, or a thread
        // that could not start.
        _ => {
            eprintln!(
                "error[fdi::{}]: internal compiler error; please report it with the mapping file",
                Code::InternalError
            );
            ExitCode::from(INTERNAL_ERROR_EXIT)
        }
    }
}

/// The exit code of an internal compiler error, as rustc's: not 1, which means "the mapping
/// has errors".
const INTERNAL_ERROR_EXIT: u8 = 101;

/// The variable that makes a compilation panic on purpose, for the test of the guard
/// (compiler/tests/robustness): it must hold the SHA-256 of one of the command's mapping files,
/// so no one sets it by accident.
const INTERNAL_ERROR_TEST_VARIABLE: &str = "FDI_TEST_INTERNAL_ERROR_FOR_SHA256";

fn deliberate_internal_error(inputs: &[PathBuf]) {
    let Some(wanted) = std::env::var_os(INTERNAL_ERROR_TEST_VARIABLE) else {
        return;
    };
    for (path, text) in read_inputs(inputs) {
        if text.is_some_and(|t| wanted == *fdi_compiler::internal_error::input_hash(&t)) {
            panic!(
                "{} is set to the hash of {}",
                INTERNAL_ERROR_TEST_VARIABLE,
                path.display()
            );
        }
    }
}

fn read_inputs(paths: &[PathBuf]) -> Vec<(PathBuf, Option<Vec<u8>>)> {
    paths
        .iter()
        .map(|path| (path.clone(), std::fs::read(path).ok()))
        .collect()
}

impl Command {
    /// The mapping files the command names (not folders): what an internal error names.
    fn mapping_paths(&self) -> Vec<PathBuf> {
        let named: Vec<PathBuf> = match self {
            Command::Check { files, .. } | Command::Test { files, .. } => files.clone(),
            Command::Fmt { paths, .. } => paths.clone(),
            Command::Emit { file }
            | Command::Build { file, .. }
            | Command::Run { file, .. }
            | Command::Graph { file, .. }
            | Command::Lineage { file, .. } => vec![file.clone()],
            // OLD NEW, or REV1 REV2 FILE: the files among them.
            Command::Diff { args, .. } => args.iter().map(PathBuf::from).collect(),
            Command::Explain { .. } | Command::Schema { .. } => Vec::new(),
        };
        named.into_iter().filter(|p| p.is_file()).collect()
    }
}

fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Check {
            files,
            format,
            deny_warnings,
        } => check(&files, format, deny_warnings),
        Command::Test {
            files,
            format,
            target_dir,
            all_connectors,
        } => test(&files, format, target_dir, all_connectors),
        Command::Fmt { paths, check } => fmt(&paths, check),
        Command::Explain { code, list } => explain(code.as_deref(), list),
        Command::Schema {
            command:
                SchemaCommand::Import {
                    models,
                    from,
                    device,
                    entity,
                    picks,
                    out,
                },
        } => schema_import(
            &models,
            from.as_deref(),
            device.as_deref(),
            entity,
            picks,
            out.as_deref(),
        ),
        Command::Graph { file, format, out } => cli_trace::graph(&file, format, out.as_deref()),
        Command::Lineage {
            file,
            field,
            format,
        } => cli_trace::lineage(&file, &field, format),
        Command::Diff { args, git, format } => cli_trace::diff(&args, git, format),
        Command::Emit { file } => match generate(&file) {
            Ok((_, generated, _)) => {
                let mut out = std::io::stdout().lock();
                for (path, text) in &generated.files {
                    let _ = writeln!(out, "// ===== {path} =====\n{text}");
                }
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        Command::Build {
            file,
            out,
            build: args,
        } => match build_program(&file, &out, &args) {
            Ok(binary) => {
                print_out(&format!("{}\n", binary.display()));
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        Command::Run {
            file,
            build: args,
            format,
            fail_on_reject,
            program_args,
        } => {
            let crate_dir = run_crate_dir(&file, &args);
            let binary = match build_program(&file, &crate_dir, &args) {
                Ok(b) => b,
                Err(code) => return code,
            };
            let mut command = std::process::Command::new(&binary);
            if format == Format::Json {
                command.args(["--format", "json"]);
            }
            if fail_on_reject {
                command.arg("--fail-on-reject");
            }
            command.args(program_args);
            match command.status() {
                Ok(status) => ExitCode::from(status.code().unwrap_or(1).clamp(0, 255) as u8),
                Err(e) => {
                    eprintln!("error: cannot start {}: {e}", binary.display());
                    ExitCode::from(1)
                }
            }
        }
    }
}

/// `fdi schema import`: reads the model files, writes the schema (`schema_import` does the
/// rest, without IO). Exit 1, writing nothing, when a file or a pick is wrong.
fn schema_import(
    models: &[PathBuf],
    from: Option<&str>,
    device: Option<&str>,
    entity: String,
    picks: Vec<String>,
    out: Option<&Path>,
) -> ExitCode {
    use fdi_compiler::schema_import::{import, ImportRequest, ModelFile, ModelFormat};
    let fail = |problems: &[String]| {
        for problem in problems {
            eprintln!("error: {problem}");
        }
        ExitCode::from(1)
    };
    let mut files = Vec::new();
    for path in models {
        match std::fs::read_to_string(path) {
            Ok(text) => files.push(ModelFile {
                path: path.display().to_string(),
                text,
            }),
            Err(e) => return fail(&[format!("cannot read the model `{}`: {e}", path.display())]),
        }
    }
    let names = || {
        let names: Vec<&str> = ModelFormat::ALL.iter().map(|(n, _)| *n).collect();
        names.join(", ")
    };
    let format = match from {
        Some(name) => match ModelFormat::from_name(name) {
            Some(format) => format,
            None => return fail(&[format!("`--from {name}`: fdi reads the model formats {}", names())]),
        },
        None => match files.first().and_then(|f| ModelFormat::detect(&f.text)) {
            Some(format) => format,
            None => {
                return fail(&[format!(
                    "`{}` is no model fdi recognises by its root element; say which it is with `--from` ({})",
                    models[0].display(),
                    names()
                )])
            }
        },
    };
    let reader = match format.read(&files, device) {
        Ok(reader) => reader,
        Err(e) => return fail(&e.0),
    };
    let imported = match import(reader.as_ref(), &ImportRequest { entity, picks }) {
        Ok(imported) => imported,
        Err(e) => return fail(&e.0),
    };
    for warning in &imported.warnings {
        eprintln!("warning: {warning}");
    }
    match out {
        None => {
            print_out(&imported.yaml);
            ExitCode::SUCCESS
        }
        Some(path) => {
            let written = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .and_then(|mut file| file.write_all(imported.yaml.as_bytes()));
            match written {
                Ok(()) => {
                    for (name, variables) in &imported.entities {
                        eprintln!("{name}: {} variables", variables.len());
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&[format!("cannot write `{}`: {e}", path.display())]),
            }
        }
    }
}

fn test(
    files: &[PathBuf],
    format: Format,
    target_dir: Option<PathBuf>,
    all_connectors: bool,
) -> ExitCode {
    let options = testing::TestOptions {
        target_dir: target_dir.unwrap_or_else(default_target_dir),
        all_connectors,
    };
    let format = match format {
        Format::Human => testing::ReportFormat::Human,
        Format::Json => testing::ReportFormat::Json,
    };
    ExitCode::from(testing::run_and_report(files, &options, format))
}

fn check(files: &[PathBuf], format: Format, deny_warnings: bool) -> ExitCode {
    let mut all = Vec::new();
    let mut failed = false;
    for file in files {
        let mut sources = SourceMap::new();
        // The data check follows the check: the files the mapping names, where they exist here.
        let diagnostics = match compile(file, &mut sources) {
            Ok(program) => {
                let mut diagnostics = program.warnings.clone();
                if let Err(errors) = check_data(&program, file, &sources) {
                    diagnostics.extend(errors);
                }
                diagnostics
            }
            Err(d) => d,
        };
        let file_failed = diagnostics.iter().any(|d| d.is_error() || deny_warnings);
        failed |= file_failed;
        match format {
            Format::Human => report(&diagnostics, &sources),
            Format::Json => all.extend(diagnostics.iter().map(|d| d.to_json(&sources))),
        }
        if format == Format::Human && !file_failed {
            eprintln!("{}: ok", file.display());
        }
    }
    if format == Format::Json {
        let doc = serde_json::json!({ "ok": !failed, "diagnostics": all });
        print_out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        ));
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `fdi fmt`: formats every file, or with `check` only reports the files that would change.
/// A file that does not parse is reported and left alone.
fn fmt(paths: &[PathBuf], check: bool) -> ExitCode {
    let files = match mapping_files(paths) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let mut failed = false;
    let mut unformatted = 0;
    for path in &files {
        let mut sources = SourceMap::new();
        let file = match read_mapping(path, &mut sources) {
            Ok(file) => file,
            Err(d) => {
                report(&[d], &sources);
                failed = true;
                continue;
            }
        };
        let text = sources.get(file).text.clone();
        let formatted = match format_text(file, &text) {
            Ok(formatted) if formatted == *text => continue,
            Ok(formatted) => formatted,
            Err(FormatError::Parse(diagnostics)) => {
                report(&diagnostics, &sources);
                failed = true;
                continue;
            }
            Err(FormatError::WouldChangeMeaning(why)) => {
                eprintln!(
                    "error: formatting {} would change it ({why}); it was left as it is. Please report this with the file.",
                    path.display()
                );
                failed = true;
                continue;
            }
        };
        if check {
            unformatted += 1;
            print_fmt_diff(path, &text, &formatted);
        } else if let Err(e) = std::fs::write(path, &formatted) {
            eprintln!("error: cannot write {}: {e}", path.display());
            failed = true;
        } else {
            eprintln!("formatted {}", path.display());
        }
    }
    if unformatted > 0 {
        eprintln!(
            "{unformatted} of {} file{} not formatted; `fdi fmt` formats {}",
            files.len(),
            if files.len() == 1 { " is" } else { "s are" },
            if unformatted == 1 { "it" } else { "them" }
        );
    }
    if failed || unformatted > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The diff `fmt --check` shows for one file, cut short after a screenful.
fn print_fmt_diff(path: &Path, text: &str, formatted: &str) {
    const MAX_LINES: usize = 40;
    let diff = fdi_compiler::format::unified_diff(text, formatted, 2);
    let mut lines: Vec<&str> = diff.lines().collect();
    if lines.is_empty() {
        lines.push("(only line endings or the end of the file change)");
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "--- {}\n+++ {} (formatted)",
        path.display(),
        path.display()
    );
    for line in lines.iter().take(MAX_LINES) {
        let _ = writeln!(out, "{line}");
    }
    if lines.len() > MAX_LINES {
        let _ = writeln!(out, "... {} more lines of diff", lines.len() - MAX_LINES);
    }
}

/// The files named, with folders replaced by the `*.fdi` files under them (sorted). Hidden
/// folders are skipped, and so are links to folders, which could loop.
fn mapping_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
        let entries =
            std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.path());
        for entry in entries {
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            let is_real_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if is_real_dir && !hidden {
                walk(&path, out)?;
            } else if !is_real_dir && path.is_file() && path.extension().is_some_and(|e| e == "fdi")
            {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files)?;
        } else {
            files.push(path.clone());
        }
    }
    // Nothing to do is more likely a wrong path (in CI, say) than a success.
    if files.is_empty() {
        return Err("no mapping files (`*.fdi`) in the folders given".to_string());
    }
    Ok(files)
}

/// `fdi explain`: a code's section of docs/errors.md, or the list of codes.
fn explain(code: Option<&str>, list: bool) -> ExitCode {
    if list {
        let lines: Vec<String> = Code::ALL
            .iter()
            .map(|code| {
                format!(
                    "{}  {}\n",
                    code.as_str().trim_start_matches("fdi::"),
                    code.summary()
                )
            })
            .collect();
        print_out(&lines.concat());
        return ExitCode::SUCCESS;
    }
    let code = match fdi_compiler::explain::parse_code(code.unwrap_or_default()) {
        Ok(code) => code,
        Err(unknown) => {
            eprintln!("error: {unknown}");
            return ExitCode::from(2);
        }
    };
    match fdi_compiler::explain::explanation(code) {
        Some(text) => {
            print_out(&text);
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("error: {code} has no explanation in docs/errors.md");
            ExitCode::from(1)
        }
    }
}

pub(crate) fn report(diagnostics: &[Diagnostic], sources: &SourceMap) {
    let handler = miette::GraphicalReportHandler::new();
    for d in diagnostics {
        eprintln!("{}", d.render_with(&handler, sources));
    }
    if !diagnostics.is_empty() {
        let errors = diagnostics.iter().filter(|d| d.is_error()).count();
        let warnings = diagnostics.len() - errors;
        let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        let summary = match (errors, warnings) {
            (_, 0) => count(errors, "error"),
            (0, _) => count(warnings, "warning"),
            _ => format!("{}, {}", count(errors, "error"), count(warnings, "warning")),
        };
        eprintln!("{summary}");
        eprintln!("{}", explain_hint(diagnostics));
    }
}

/// Points at `fdi explain` for the codes just reported, as the diagnostics themselves
/// cannot (they are rendered by diagnostic.rs, for the snapshots too).
fn explain_hint(diagnostics: &[Diagnostic]) -> String {
    let mut codes: Vec<Code> = diagnostics.iter().map(|d| d.code).collect();
    codes.sort();
    codes.dedup();
    let names: Vec<&str> = codes
        .iter()
        .map(|c| fdi_compiler::explain::short(*c))
        .collect();
    match names.as_slice() {
        [one] if diagnostics.iter().all(|d| !d.is_error()) => {
            format!("For more about this warning, run `fdi explain {one}`.")
        }
        [one] => format!("For more about this error, run `fdi explain {one}`."),
        many => format!(
            "For more about an error, run `fdi explain CODE` ({}).",
            many.join(", ")
        ),
    }
}

/// Compiles `file`, checks its data files where they exist, and emits it; also returns the paths
/// of every file the compilation read.
fn generate(file: &Path) -> Result<(ir::Program, GeneratedCrate, Vec<PathBuf>), ExitCode> {
    let mut sources = SourceMap::new();
    let checked = fdi_compiler::compile_mapping(file, &mut sources).and_then(|program| {
        check_data(&program, file, &sources)?;
        Ok(program)
    });
    match checked {
        Ok(program) => {
            // Warnings are shown; they do not stop the build.
            report(&program.warnings, &sources);
            let generated = emit(&program, &emit_options(file, &sources));
            let inputs = sources.files().map(|f| f.path.clone()).collect();
            Ok((program, generated, inputs))
        }
        Err(diagnostics) => {
            report(&diagnostics, &sources);
            Err(ExitCode::from(1))
        }
    }
}

fn build_program(file: &Path, crate_dir: &Path, args: &BuildArgs) -> Result<PathBuf, ExitCode> {
    let (_, generated, inputs) = generate(file)?;
    let options = BuildOptions {
        crate_dir: crate_dir.to_path_buf(),
        target_dir: args.target_dir.clone().unwrap_or_else(default_target_dir),
        release: !args.debug,
        mapping_dir: fdi_compiler::mapping_dir(file),
        git: git_state(&inputs),
        deny_warnings: args.deny_warnings,
        all_connectors: args.all_connectors,
    };
    build(&generated, &generated.bin, &options).map_err(|d| {
        report(&[d], &SourceMap::new());
        ExitCode::from(1)
    })
}

/// Where `fdi run` keeps a mapping's generated crate.
fn run_crate_dir(file: &Path, args: &BuildArgs) -> PathBuf {
    let target = args.target_dir.clone().unwrap_or_else(default_target_dir);
    mapping_crate_dir(file, &target)
}

/// Writes to standard output. A reader that has gone away (`fdi explain --list | head`) is
/// not an error of fdi's, so a broken pipe ends the output quietly instead of panicking as
/// `println!` would.
pub(crate) fn print_out(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}
