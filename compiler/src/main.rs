//! `fdi`: check, emit, build and run integration mappings.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use fdi_compiler::build::{build, default_target_dir, mapping_crate_dir, BuildOptions};
use fdi_compiler::diagnostic::Diagnostic;
use fdi_compiler::emit::{emit, EmitOptions, GeneratedCrate};
use fdi_compiler::source_map::SourceMap;
use fdi_compiler::{compile, ir, mapping_dir, testing};

#[derive(Parser)]
#[command(name = "fdi", version, about = "The fdi integration mapping compiler")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Deeply nested input recurses deeply; a large stack keeps that a diagnostic, not a crash.
    let worker = std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(move || run(cli));
    match worker.map(|w| w.join()) {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("error[fdi::E0401]: internal compiler error; please report it with the mapping file");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Check { files, format } => check(&files, format),
        Command::Test {
            files,
            format,
            target_dir,
        } => test(&files, format, target_dir),
        Command::Emit { file } => match generate(&file) {
            Ok((_, generated)) => {
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
                println!("{}", binary.display());
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

fn test(files: &[PathBuf], format: Format, target_dir: Option<PathBuf>) -> ExitCode {
    let options = testing::TestOptions {
        target_dir: target_dir.unwrap_or_else(default_target_dir),
    };
    let format = match format {
        Format::Human => testing::ReportFormat::Human,
        Format::Json => testing::ReportFormat::Json,
    };
    ExitCode::from(testing::run_and_report(files, &options, format))
}

fn check(files: &[PathBuf], format: Format) -> ExitCode {
    let mut all = Vec::new();
    let mut failed = false;
    for file in files {
        let mut sources = SourceMap::new();
        let diagnostics = match compile(file, &mut sources) {
            Ok(_) => Vec::new(),
            Err(d) => d,
        };
        failed |= !diagnostics.is_empty();
        match format {
            Format::Human => report(&diagnostics, &sources),
            Format::Json => all.extend(diagnostics.iter().map(|d| d.to_json(&sources))),
        }
        if format == Format::Human && diagnostics.is_empty() {
            eprintln!("{}: ok", file.display());
        }
    }
    if format == Format::Json {
        let doc = serde_json::json!({ "ok": !failed, "diagnostics": all });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn report(diagnostics: &[Diagnostic], sources: &SourceMap) {
    let handler = miette::GraphicalReportHandler::new();
    for d in diagnostics {
        eprintln!("{}", d.render_with(&handler, sources));
    }
    if !diagnostics.is_empty() {
        let n = diagnostics.len();
        eprintln!("{n} error{}", if n == 1 { "" } else { "s" });
    }
}

fn generate(file: &Path) -> Result<(ir::Program, GeneratedCrate), ExitCode> {
    let mut sources = SourceMap::new();
    match compile(file, &mut sources) {
        Ok(program) => {
            let generated = emit(&program, &EmitOptions::for_mapping_dir(&mapping_dir(file)));
            Ok((program, generated))
        }
        Err(diagnostics) => {
            report(&diagnostics, &sources);
            Err(ExitCode::from(1))
        }
    }
}

fn build_program(file: &Path, crate_dir: &Path, args: &BuildArgs) -> Result<PathBuf, ExitCode> {
    let (program, generated) = generate(file)?;
    let options = BuildOptions {
        crate_dir: crate_dir.to_path_buf(),
        target_dir: args.target_dir.clone().unwrap_or_else(default_target_dir),
        release: !args.debug,
    };
    build(&generated, &program.name, &options).map_err(|d| {
        report(&[d], &SourceMap::new());
        ExitCode::from(1)
    })
}

/// Where `fdi run` keeps a mapping's generated crate.
fn run_crate_dir(file: &Path, args: &BuildArgs) -> PathBuf {
    let target = args.target_dir.clone().unwrap_or_else(default_target_dir);
    mapping_crate_dir(file, &target)
}
