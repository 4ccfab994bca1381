//! The run context: owns the dead letter and the counters, and drives the decode, deliver and acknowledge steps
//! of the loop the generated `run` function spells out.
//!
//! The loop stays in generated code (read -> decode -> map -> write -> acknowledge, one line each) so the
//! stages are visible; this module only makes each step account for every record:
//! * [`Run::decode`] counts each record as read by every flow of its source, and dead-letters it once if it
//!   does not decode;
//! * [`Run::deliver`] writes a mapped record, or counts it as filtered, or dead-letters it;
//! * [`Run::checkpoint`] flushes the targets and the dead letter every `batch_size` records, and only then
//!   acknowledges the source position. This is where at-least-once delivery hooks in: a network source commits
//!   its offset in `acknowledge`, so a crash replays at most the records since the last checkpoint, and never
//!   loses one.

use std::path::{Path, PathBuf};
use std::rc::{Rc, Weak};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::dead_letter::{DeadLetter, Stage};
use crate::error::RunError;
use crate::lookup::Lookup;
use crate::outcome::{MapOutcome, Reject};
use crate::record::{Position, RawRecord};
use crate::source::{CsvSource, JsonlSource, Source};
use crate::summary::{DeadLetterSummary, FlowSummary, RunSummary, SourceSummary, TargetSummary};
use crate::target::{Column, Durable, JsonlTarget, SqliteDatabase, SqliteTarget, Target};

/// What the compiler knows about the program it generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgramInfo {
    /// The mapping's name.
    pub mapping: &'static str,
    /// The mapping's version.
    pub version: &'static str,
    /// The directory of the mapping file: the default base directory for relative paths.
    pub mapping_dir: &'static str,
    /// The default dead-letter file, relative to the base directory.
    pub dead_letter: &'static str,
}

/// How to run: the command-line options after defaults were applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunConfig {
    /// Relative paths of the mapping are resolved against this directory.
    pub base_dir: PathBuf,
    /// The dead-letter file; relative paths are resolved against `base_dir`.
    pub dead_letter: PathBuf,
    /// Records between checkpoints (flush + acknowledge), and per SQLite transaction.
    pub batch_size: usize,
}

impl RunConfig {
    /// The defaults of `program`: base directory = the mapping's directory, its dead letter, batches of 1000.
    pub fn new(program: &ProgramInfo) -> Self {
        RunConfig {
            base_dir: PathBuf::from(program.mapping_dir),
            dead_letter: PathBuf::from(program.dead_letter),
            batch_size: DEFAULT_BATCH_SIZE,
        }
    }
}

/// Records between checkpoints unless `--batch-size` says otherwise.
pub const DEFAULT_BATCH_SIZE: usize = 1000;

/// A flow registered with [`Run::flow`]; copied into every `decode` and `deliver` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowId(usize);

#[derive(Debug, Default)]
struct SourceStats {
    name: String,
    read: u64,
    last_position: Option<Position>,
    acknowledged: Option<Position>,
}

#[derive(Debug)]
struct FlowStats {
    summary: FlowSummary,
    target: usize,
}

/// The context of one run of a generated program.
pub struct Run {
    program: ProgramInfo,
    base_dir: PathBuf,
    batch_size: usize,
    dead_letter: DeadLetter,
    sources: Vec<SourceStats>,
    flows: Vec<FlowStats>,
    targets: Vec<TargetSummary>,
    databases: Vec<(PathBuf, Weak<SqliteDatabase>)>,
    records_since_checkpoint: usize,
}

impl Run {
    /// Starts a run: creates (truncates) the dead letter.
    pub fn new(program: &ProgramInfo, config: RunConfig) -> Result<Self, RunError> {
        let base_dir = std::path::absolute(&config.base_dir)
            .map_err(|e| RunError::io("resolve the base directory", &config.base_dir, e))?;
        let dead_letter = DeadLetter::create(&base_dir.join(&config.dead_letter))?;
        Ok(Run {
            program: *program,
            base_dir,
            batch_size: config.batch_size.max(1),
            dead_letter,
            sources: Vec::new(),
            flows: Vec::new(),
            targets: Vec::new(),
            databases: Vec::new(),
            records_since_checkpoint: 0,
        })
    }

    /// `path` resolved against the base directory (absolute paths stay as they are).
    pub fn resolve(&self, path: &str) -> PathBuf {
        self.base_dir.join(path)
    }

    /// The directory relative paths are resolved against.
    pub fn base_dir(&self) -> &Path {
        &self.base_dir
    }

    /// Records between checkpoints.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Opens a CSV source.
    pub fn csv_source(&mut self, name: &str, path: &str) -> Result<CsvSource, RunError> {
        let source = CsvSource::open(name, &self.resolve(path))?;
        self.source_index(name);
        Ok(source)
    }

    /// Opens a JSON Lines source.
    pub fn jsonl_source(&mut self, name: &str, path: &str) -> Result<JsonlSource, RunError> {
        let source = JsonlSource::open(name, &self.resolve(path))?;
        self.source_index(name);
        Ok(source)
    }

    /// Loads a CSV master-data table (see [`Lookup::load_csv`]).
    pub fn lookup_csv<T: DeserializeOwned>(
        &mut self,
        name: &str,
        path: &str,
        type_name: &str,
        key: fn(&T) -> String,
    ) -> Result<Lookup<T>, RunError> {
        Lookup::load_csv(name, &self.resolve(path), type_name, key)
    }

    /// Loads a JSON Lines master-data table (see [`Lookup::load_jsonl`]).
    pub fn lookup_jsonl<T: DeserializeOwned>(
        &mut self,
        name: &str,
        path: &str,
        type_name: &str,
        key: fn(&T) -> String,
    ) -> Result<Lookup<T>, RunError> {
        Lookup::load_jsonl(name, &self.resolve(path), type_name, key)
    }

    /// Opens an SQLite target writing `table` of the database at `path`. Targets on the same file share one
    /// connection (see [`SqliteDatabase`]).
    pub fn sqlite_target<T: Serialize>(
        &mut self,
        name: &str,
        path: &str,
        table: &str,
        columns: &'static [Column],
        keys: &[&str],
    ) -> Result<SqliteTarget<T>, RunError> {
        let path = self.resolve(path);
        let shared = self
            .databases
            .iter()
            .find(|(open_path, _)| *open_path == path)
            .and_then(|(_, database)| database.upgrade());
        let database = match shared {
            Some(database) => database,
            None => {
                let database = SqliteDatabase::open(&path, self.batch_size, name)?;
                self.databases.retain(|(open_path, _)| *open_path != path);
                self.databases.push((path, Rc::downgrade(&database)));
                database
            }
        };
        let target = SqliteTarget::create(name, database, table, columns, keys)?;
        self.target_index(name);
        Ok(target)
    }

    /// Opens (truncates) a JSON Lines target.
    pub fn jsonl_target<T: Serialize>(
        &mut self,
        name: &str,
        path: &str,
    ) -> Result<JsonlTarget<T>, RunError> {
        let target = JsonlTarget::create(name, &self.resolve(path))?;
        self.target_index(name);
        Ok(target)
    }

    /// Registers a flow from `source` to `target` and its counters.
    pub fn flow(&mut self, name: &str, source: &str, target: &str) -> FlowId {
        self.source_index(source);
        let target_index = self.target_index(target);
        self.flows.push(FlowStats {
            summary: FlowSummary {
                name: name.to_string(),
                source: source.to_string(),
                target: target.to_string(),
                read: 0,
                written: 0,
                filtered: 0,
                rejected: 0,
                reasons: Default::default(),
                balanced: true,
            },
            target: target_index,
        });
        FlowId(self.flows.len() - 1)
    }

    /// Decode stage: counts `raw` as read for each of `flows`. When it does not decode, writes ONE dead-letter
    /// line (flow null, stage "decode"), counts a reject (`"record does not match <Type>"`) for each of the flows
    /// and returns `Ok(None)`.
    pub fn decode<T: DeserializeOwned>(
        &mut self,
        raw: &RawRecord,
        type_name: &str,
        flows: &[FlowId],
    ) -> Result<Option<T>, RunError> {
        let source = self.source_index(raw.source());
        self.sources[source].read += 1;
        for flow in flows {
            self.flow_stats(*flow)?.summary.read += 1;
        }
        match crate::decode::decode::<T>(raw, type_name) {
            Ok(record) => Ok(Some(record)),
            Err(reject) => {
                self.dead_letter.write(None, Stage::Decode, &reject, raw)?;
                for flow in flows {
                    count_reject(&mut self.flow_stats(*flow)?.summary, &reject);
                }
                Ok(None)
            }
        }
    }

    /// Map outcome to write stage: `Mapped` -> `target.write` (a write reject is dead-lettered, stage "write"),
    /// `Filtered` -> counted, `Rejected` -> dead-lettered (stage "map") and counted by reason.
    pub fn deliver<T, W: Target<T> + ?Sized>(
        &mut self,
        flow: FlowId,
        raw: &RawRecord,
        outcome: MapOutcome<T>,
        target: &mut W,
    ) -> Result<(), RunError> {
        let (stage, reject) = match outcome {
            MapOutcome::Filtered => {
                self.flow_stats(flow)?.summary.filtered += 1;
                return Ok(());
            }
            MapOutcome::Rejected(reject) => (Stage::Map, reject),
            MapOutcome::Mapped(record) => match target.write(&record)? {
                Ok(()) => {
                    let stats = self.flow_stats(flow)?;
                    stats.summary.written += 1;
                    let target_index = stats.target;
                    self.targets[target_index].written += 1;
                    return Ok(());
                }
                Err(reject) => (Stage::Write, reject),
            },
        };
        let flow_name = self.flow_stats(flow)?.summary.name.clone();
        self.dead_letter
            .write(Some(&flow_name), stage, &reject, raw)?;
        count_reject(&mut self.flow_stats(flow)?.summary, &reject);
        Ok(())
    }

    /// Acknowledge stage, called once per record after every flow delivered it: every `batch_size` records,
    /// flushes `targets` and the dead letter, then acknowledges `position` to the source.
    pub fn checkpoint<S: Source + ?Sized>(
        &mut self,
        source: &mut S,
        position: Position,
        targets: &mut [&mut dyn Durable],
    ) -> Result<(), RunError> {
        let index = self.source_index(source.name());
        self.sources[index].last_position = Some(position);
        self.records_since_checkpoint += 1;
        if self.records_since_checkpoint >= self.batch_size {
            self.flush_and_acknowledge(source, position, targets)?;
        }
        Ok(())
    }

    /// End of a source: flushes `targets` and the dead letter and acknowledges the last position passed to
    /// [`Run::checkpoint`]. With several sources, call it once per source.
    pub fn finish<S: Source + ?Sized>(
        &mut self,
        source: &mut S,
        targets: &mut [&mut dyn Durable],
    ) -> Result<(), RunError> {
        let index = self.source_index(source.name());
        match self.sources[index].last_position {
            Some(position) => self.flush_and_acknowledge(source, position, targets),
            None => flush_all(targets, &mut self.dead_letter),
        }
    }

    fn flush_and_acknowledge<S: Source + ?Sized>(
        &mut self,
        source: &mut S,
        position: Position,
        targets: &mut [&mut dyn Durable],
    ) -> Result<(), RunError> {
        flush_all(targets, &mut self.dead_letter)?;
        source.acknowledge(position)?;
        let index = self.source_index(source.name());
        self.sources[index].acknowledged = source.acknowledged();
        self.records_since_checkpoint = 0;
        Ok(())
    }

    /// Flushes the dead letter (best effort on the error path, where targets are gone already).
    pub fn flush_dead_letter(&mut self) -> Result<(), RunError> {
        self.dead_letter.flush()
    }

    /// The counters so far, as a summary of a successful run.
    pub fn summary(&self) -> RunSummary {
        RunSummary {
            mapping: self.program.mapping.to_string(),
            version: self.program.version.to_string(),
            ok: true,
            error: None,
            sources: self
                .sources
                .iter()
                .map(|s| SourceSummary {
                    name: s.name.clone(),
                    read: s.read,
                    acknowledged: s.acknowledged,
                })
                .collect(),
            flows: self
                .flows
                .iter()
                .map(|f| {
                    let s = &f.summary;
                    FlowSummary {
                        balanced: s.read == s.written + s.rejected + s.filtered,
                        ..s.clone()
                    }
                })
                .collect(),
            targets: self.targets.clone(),
            dead_letter: DeadLetterSummary {
                path: self.dead_letter.path().display().to_string(),
                records: self.dead_letter.records(),
            },
        }
    }

    fn source_index(&mut self, name: &str) -> usize {
        match self.sources.iter().position(|s| s.name == name) {
            Some(index) => index,
            None => {
                self.sources.push(SourceStats {
                    name: name.to_string(),
                    ..SourceStats::default()
                });
                self.sources.len() - 1
            }
        }
    }

    fn target_index(&mut self, name: &str) -> usize {
        match self.targets.iter().position(|t| t.name == name) {
            Some(index) => index,
            None => {
                self.targets.push(TargetSummary {
                    name: name.to_string(),
                    written: 0,
                });
                self.targets.len() - 1
            }
        }
    }

    fn flow_stats(&mut self, flow: FlowId) -> Result<&mut FlowStats, RunError> {
        self.flows.get_mut(flow.0).ok_or_else(|| {
            RunError::Program(format!("flow #{} was not registered with this run", flow.0))
        })
    }
}

fn count_reject(flow: &mut FlowSummary, reject: &Reject) {
    flow.rejected += 1;
    *flow.reasons.entry(reject.reason.clone()).or_insert(0) += 1;
}

fn flush_all(
    targets: &mut [&mut dyn Durable],
    dead_letter: &mut DeadLetter,
) -> Result<(), RunError> {
    for target in targets.iter_mut() {
        target.flush()?;
    }
    dead_letter.flush()
}

#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;
