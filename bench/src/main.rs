//! `fdi-bench`: generated programs against hand-written Rust on the same workloads, and the
//! compiler's own speed. See BENCHMARKS.md.

mod baseline;
mod compare;
mod fdi;
mod generate;
mod measure;
mod peers;
mod report;
mod rng;
mod run;
mod workload;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::workload::{Feed, Layout, Workload, COUNTERS_FILTER};

#[derive(Parser)]
#[command(
    name = "fdi-bench",
    about = "Benchmark fdi's generated programs against hand-written Rust, and the compiler"
)]
struct Cli {
    #[command(subcommand)]
    internal: Option<Internal>,
    /// Records per workload.
    #[arg(long, default_value_t = 1_000_000)]
    records: u64,
    /// Runs of each program (and `fdi check`); the median counts.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Workloads to run [default: all].
    #[arg(long = "workload", value_enum, num_args = 1.., value_name = "NAME")]
    workloads: Vec<Workload>,
    /// Write the results into this Markdown file, between its fdi-bench markers.
    #[arg(long, value_name = "FILE")]
    write_markdown: Option<PathBuf>,
    /// Build the generated programs and fdi without optimisations (for the smoke test: the
    /// outputs are compared, the times mean little).
    #[arg(long)]
    debug: bool,
    /// Flows of the compiler workload's generated mapping (about 51 lines each).
    #[arg(long, default_value_t = 200)]
    flows: usize,
    /// Where workloads, outputs and generated crates go [default: target/fdi-bench].
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
    /// Cargo target directory for the generated programs [default: WORK_DIR/programs].
    #[arg(long, value_name = "DIR")]
    programs_target_dir: Option<PathBuf>,
    /// Map threads of the generated programs (their `--map-threads`). 1, the default, compares
    /// one core: the generated program still reads each file source on a thread of its own
    /// beside the mapping, so both programs are pinned to the same single CPU (and their CPU
    /// time is reported beside the wall time); 2 or more measures parallel mapping, unpinned.
    #[arg(long, default_value_t = 1, value_name = "N")]
    map_threads: usize,
}

#[derive(Subcommand)]
enum Internal {
    /// Run one hand-written baseline; the bench starts each run in its own process.
    #[command(hide = true)]
    Baseline {
        #[arg(value_enum)]
        workload: Workload,
        #[arg(long)]
        run_dir: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// PostgreSQL to write to (a libpq connection string).
        #[arg(long)]
        postgres: Option<String>,
        /// The MQTT broker's port on 127.0.0.1.
        #[arg(long)]
        mqtt_port: Option<u16>,
        /// The MQTT client id whose session holds the messages.
        #[arg(long)]
        client_id: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.internal {
        Some(Internal::Baseline {
            workload,
            ref run_dir,
            ref out,
            ref postgres,
            mqtt_port,
            ref client_id,
        }) => {
            let broker = match (mqtt_port, client_id, workload.feed()) {
                (Some(port), Some(client_id), Feed::Mqtt(_)) => Some(baseline::Broker {
                    host: fdi_peers::HOST.to_string(),
                    port,
                    client_id: client_id.clone(),
                    topic_filter: COUNTERS_FILTER.to_string(),
                }),
                _ => None,
            };
            let servers = baseline::Servers {
                postgres: postgres.clone(),
                broker,
            };
            baseline::run(workload, run_dir, out, &servers)
        }
        None => bench(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn bench(cli: &Cli) -> Result<(), String> {
    if cli.runs == 0 || cli.records == 0 || cli.flows == 0 {
        return Err("--runs, --records and --flows must be at least 1".into());
    }
    let work = cli
        .work_dir
        .clone()
        .unwrap_or_else(|| fdi::workspace_root().join("target/fdi-bench"));
    let programs_target_dir = cli
        .programs_target_dir
        .clone()
        .unwrap_or_else(|| work.join("programs"));
    eprintln!(
        "building fdi ({})",
        if cli.debug { "debug" } else { "release" }
    );
    let settings = run::Settings {
        records: cli.records,
        runs: cli.runs,
        flows: cli.flows,
        fdi: fdi::Fdi::build(cli.debug, programs_target_dir)?,
        layout: Layout { work },
        map_threads: cli.map_threads,
        one_cpu: if cli.map_threads == 1 {
            Some(measure::first_allowed_cpu()?)
        } else {
            None
        },
    };
    let workloads = if cli.workloads.is_empty() {
        Workload::ALL.to_vec()
    } else {
        cli.workloads.clone()
    };
    let outcomes = workloads
        .iter()
        .map(|w| run::workload(&settings, *w))
        .collect::<Result<Vec<_>, _>>()?;
    println!("{}", report::tables(&outcomes));
    if let Some(path) = &cli.write_markdown {
        let names: Vec<&str> = workloads.iter().map(|w| w.name()).collect();
        let parameters = format!(
            "cargo run --release -p fdi-bench -- --records {} --runs {} --workload {}{}",
            cli.records,
            cli.runs,
            names.join(" "),
            if cli.debug { " --debug" } else { "" }
        );
        report::write_markdown(path, &report::markdown_section(&outcomes, &parameters))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
