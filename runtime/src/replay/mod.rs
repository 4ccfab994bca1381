//! `PROGRAM dead-letter list|show|replay`: the dead letter read back, shown, and replayed through
//! the current mapping after a fix (master data, a target's constraint, the mapping itself).
//!
//! `lines.rs` reads the file (entries and the lines replays wrote), `select.rs` chooses entries by
//! the command line's filters, `render.rs` prints them, `rebuild.rs` makes their raw records again.
//! A replay is the program's own run (`run/replay.rs`): its lookups and targets as always, its
//! sources replaced by the records to replay, decode, map and write as always; each replayed entry
//! gets a replay line in the dead letter, so the next replay leaves it alone (unless `--again`).

pub mod lines;
pub mod rebuild;
mod render;
pub mod select;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::{Format, Options};
use crate::error::RunError;
use crate::run::{OutputMode, ProgramInfo, ReplayPlan, ReplayReport, Run};

use self::lines::{DeadLetterFile, StoredEntry};
use self::select::Selection;

/// `PROGRAM dead-letter ...`: the dead letter is the mapping's, or `--dead-letter PATH` given
/// before `dead-letter`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum DeadLetterCommand {
    /// One line per dead-lettered record (id, time, flow, stage, source and position, reason, and
    /// whether it was replayed), then the counts by reason
    List {
        #[command(flatten)]
        selection: Selection,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// One entry whole, its original record decoded
    Show {
        /// The entry's id (or the start of it, when only one id starts so)
        id: String,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Runs the chosen records again through this program's mapping, lookups and targets, and
    /// records each replay in the dead letter. Records replayed before are left alone unless
    /// `--again`. Replay before the next batch run: a batch run starts its dead letter anew
    Replay {
        #[command(flatten)]
        selection: Selection,
        /// Show what would be replayed; replay nothing
        #[arg(long)]
        dry_run: bool,
        /// Replay also records that were replayed before
        #[arg(long)]
        again: bool,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
}

/// Runs `command` for `program`; `run_fn` is the program's own opening of its sources, lookups and
/// targets, used by a replay. Exit codes: 0 done; 1 the dead letter could not be read, no entry
/// has the id, or the replay stopped on an error; 3 `--fail-on-reject` and a replay rejected a
/// record again.
pub fn main<F>(
    program: &ProgramInfo,
    options: &Options,
    command: &DeadLetterCommand,
    run_fn: F,
) -> ExitCode
where
    F: FnOnce(&mut Run) -> Result<(), RunError>,
{
    let path = dead_letter_path(program, options);
    // Only the entries the command is about are kept.
    let read = match command {
        DeadLetterCommand::List { selection, .. } | DeadLetterCommand::Replay { selection, .. } => {
            DeadLetterFile::read_keeping(&path, |entry| selection.selects(entry))
        }
        DeadLetterCommand::Show { id, .. } => DeadLetterFile::read_keeping(&path, |entry| {
            !id.is_empty() && entry.id.starts_with(id.as_str())
        }),
    };
    let file = match read {
        Ok(file) => file,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(1);
        }
    };
    match command {
        DeadLetterCommand::List { format, .. } => {
            // `read_keeping` kept only the entries the selection selects.
            let entries: Vec<&StoredEntry> = file.entries.iter().collect();
            match format {
                Format::Human => print!("{}", render::list_human(&file, &entries)),
                Format::Json => println!("{}", render::list_json(&path, &file, &entries)),
            }
            ExitCode::SUCCESS
        }
        DeadLetterCommand::Show { id, format } => match file.find(id) {
            Ok(entry) => {
                match format {
                    Format::Human => print!("{}", render::show_human(&file, entry)),
                    Format::Json => println!("{}", render::show_json(&file, entry)),
                }
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("error: {message} (in {})", path.display());
                ExitCode::from(1)
            }
        },
        DeadLetterCommand::Replay {
            selection,
            dry_run,
            again,
            format,
        } => {
            let chosen = select::choose(&file, selection, *again);
            if *dry_run {
                match format {
                    Format::Human => print!("{}", render::dry_run_human(&file, &chosen)),
                    Format::Json => println!("{}", render::dry_run_json(&path, &chosen)),
                }
                return ExitCode::SUCCESS;
            }
            let already_replayed = chosen.already_replayed.len() as u64;
            let plan = plan(chosen.to_replay);
            // Nothing to replay: no run, so no target (a database, a broker) is contacted.
            let (mut report, summary, error) = if plan.records.is_empty() {
                (ReplayReport::default(), None, None)
            } else {
                let (report, summary, error) = replay(program, options, plan, run_fn);
                (report, Some(summary), error)
            };
            report.already_replayed = already_replayed;
            match format {
                Format::Human => {
                    if let Some(summary) = &summary {
                        print!("{}", summary.render_human());
                    }
                    print!("{}", render::report_human(&path, &report));
                }
                Format::Json => println!(
                    "{}",
                    serde_json::json!({
                        "dead_letter": path.display().to_string(),
                        "replay": report,
                        "run": summary,
                    })
                ),
            }
            if let Some(error) = error {
                eprintln!("error: {error}");
                return ExitCode::from(1);
            }
            if options.fail_on_reject && report.rejected > 0 {
                return ExitCode::from(3);
            }
            ExitCode::SUCCESS
        }
    }
}

/// The dead letter the command reads: `--dead-letter` (relative to the current directory), else
/// the mapping's, relative to the base directory.
fn dead_letter_path(program: &ProgramInfo, options: &Options) -> PathBuf {
    let base_dir = options
        .base_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(program.mapping_dir.unwrap_or(".")));
    let path = match &options.dead_letter {
        Some(path) => path.clone(),
        None => base_dir.join(program.dead_letter),
    };
    std::path::absolute(&path).unwrap_or(path)
}

/// The records to replay, per source: entries of one record (same source, position, topic and
/// original) go together, so that a record two flows rejected is read once, through both.
pub fn plan(entries: Vec<&StoredEntry>) -> ReplayPlan {
    let mut plan = ReplayPlan::default();
    let mut record_of: BTreeMap<(String, u64, Option<String>, String), usize> = BTreeMap::new();
    for entry in entries {
        let key = (
            entry.source.clone(),
            entry.position,
            entry.topic.clone(),
            entry.record.to_string(),
        );
        let records = plan.records.entry(entry.source.clone()).or_default();
        match record_of.get(&key) {
            Some(&index) => records[index].push(entry.clone()),
            None => {
                record_of.insert(key, records.len());
                records.push(vec![entry.clone()]);
            }
        }
    }
    plan
}

/// Runs the replay: the program's run, appending to its outputs, with `plan` for its sources.
fn replay<F>(
    program: &ProgramInfo,
    options: &Options,
    plan: ReplayPlan,
    run_fn: F,
) -> (ReplayReport, crate::summary::RunSummary, Option<RunError>)
where
    F: FnOnce(&mut Run) -> Result<(), RunError>,
{
    let mut options = options.clone();
    // A replay adds to the dead letter and to the targets; it never starts them anew.
    options.outputs = OutputMode::Append;
    options.command = None;
    let execution = crate::cli::execute(program, &options, |run| {
        run.replay(plan);
        run_fn(run)
    });
    let report = execution.replay.unwrap_or_default();
    (report, execution.summary, execution.error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{parse_options, ProgramCommand};

    const PROGRAM: ProgramInfo = crate::run::MILL_PROGRAM;

    #[test]
    fn the_commands_parse_with_their_filters_after_the_run_options() {
        let options = parse_options(
            &PROGRAM,
            [
                "prog",
                "--base-dir",
                "/srv/line",
                "--dead-letter",
                "/tmp/copy.jsonl",
                "dead-letter",
                "replay",
                "--reason",
                "unknown machine",
                "--reason",
                "bad serial",
                "--source",
                "mill",
                "--since",
                "2026-12-07T06:00:00Z",
                "--dry-run",
            ],
        )
        .unwrap();
        let Some(ProgramCommand::DeadLetter(DeadLetterCommand::Replay {
            selection,
            dry_run,
            again,
            format,
        })) = &options.command
        else {
            panic!("{options:?}");
        };
        assert_eq!(selection.reasons, ["unknown machine", "bad serial"]);
        assert_eq!(selection.sources, ["mill"]);
        assert_eq!(
            selection.since.map(|t| t.to_rfc3339()),
            Some("2026-12-07T06:00:00+00:00".to_string())
        );
        assert_eq!((*dry_run, *again, *format), (true, false, Format::Human));
        // The run's --source is not the filter's.
        assert!(options.sources.is_empty());
        assert_eq!(
            dead_letter_path(&PROGRAM, &options),
            PathBuf::from("/tmp/copy.jsonl")
        );
        let options = parse_options(
            &PROGRAM,
            [
                "prog",
                "--base-dir",
                "/srv/line",
                "dead-letter",
                "show",
                "ab12",
            ],
        )
        .unwrap();
        assert_eq!(
            options.command,
            Some(ProgramCommand::DeadLetter(DeadLetterCommand::Show {
                id: "ab12".into(),
                format: Format::Human
            }))
        );
        assert_eq!(
            dead_letter_path(&PROGRAM, &options),
            PathBuf::from("/srv/line/out/dl.jsonl")
        );
        for wrong in [
            &["prog", "dead-letter", "show"][..],
            &["prog", "dead-letter", "list", "--stage", "read"],
            &["prog", "dead-letter", "purge"],
        ] {
            assert_eq!(
                parse_options(&PROGRAM, wrong).unwrap_err().exit_code(),
                2,
                "{wrong:?}"
            );
        }
    }

    #[test]
    fn entries_of_one_record_are_replayed_together() {
        let line = |id: &str, flow: &str, position: u64, value: &str| {
            format!(
                r#"{{"id":"{id}","flow":"{flow}","stage":"map","reason":"r","detail":null,"source":"mill","position":{position},"record":{{"v":"{value}"}}}}"#
            )
        };
        let file = DeadLetterFile::parse(
            &[
                line("a", "f", 1, "x"),
                line("b", "g", 1, "x"),
                // The same position with another record (an earlier run of another file).
                line("c", "f", 1, "y"),
                line("d", "f", 2, "x"),
            ]
            .join("\n"),
        );
        let plan = plan(file.entries.iter().collect());
        let grouped: Vec<Vec<&str>> = plan.records["mill"]
            .iter()
            .map(|entries| entries.iter().map(|e| e.id.as_str()).collect())
            .collect();
        assert_eq!(grouped, [vec!["a", "b"], vec!["c"], vec!["d"]]);
    }
}
