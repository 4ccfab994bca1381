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
//!
//! Opening sources, lookups and targets (`open.rs`) is where a test run's replacements apply: other input
//! files by name, and every target captured as JSON Lines (see [`RunConfig`]).

mod config;
mod observe;
mod open;

#[cfg(test)]
pub(crate) use self::config::MILL_PROGRAM;
pub use self::config::{ProgramInfo, RunConfig, DEFAULT_BATCH_SIZE};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Weak;

use crate::dead_letter::{DeadLetter, Stage};
use crate::error::RunError;
use crate::ops::Operations;
use crate::outcome::{MapOutcome, Reject};
use crate::record::{Position, RawRecord};
use crate::source::Source;
use crate::summary::{DeadLetterSummary, FlowSummary, RunSummary, SourceSummary, TargetSummary};
use crate::target::{Durable, SqliteDatabase, Target};

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
    /// Rejects by stage (`ops::metrics::stage_index`), for the metrics.
    rejected_by_stage: [u64; 3],
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
    /// Replacement files of sources and lookups, by name (see [`RunConfig`]).
    source_paths: BTreeMap<String, PathBuf>,
    lookup_paths: BTreeMap<String, PathBuf>,
    /// The directory capturing every target as JSON Lines, absolute.
    capture_targets: Option<PathBuf>,
    /// Metrics, health, retries, progress (see `crate::ops` and `observe.rs`).
    ops: Operations,
}

impl Run {
    /// Starts a run: checks that the sources and lookups `config` replaces exist ([`RunError::Usage`] if not,
    /// before any file is touched), then creates (truncates) the dead letter.
    pub fn new(program: &ProgramInfo, config: RunConfig) -> Result<Self, RunError> {
        config.check_names(program).map_err(RunError::Usage)?;
        let base_dir = std::path::absolute(&config.base_dir)
            .map_err(|e| RunError::io("resolve the base directory", &config.base_dir, e))?;
        let ops = Operations::start(program, &config.operations)?;
        let dead_letter = DeadLetter::create(&base_dir.join(&config.dead_letter))?;
        Ok(Run {
            ops,
            program: *program,
            batch_size: config.batch_size.max(1),
            dead_letter,
            sources: Vec::new(),
            flows: Vec::new(),
            targets: Vec::new(),
            databases: Vec::new(),
            records_since_checkpoint: 0,
            capture_targets: config.capture_targets.map(|dir| base_dir.join(dir)),
            source_paths: config.source_paths,
            lookup_paths: config.lookup_paths,
            base_dir,
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
            rejected_by_stage: [0; 3],
        });
        self.ops.add_flow(name);
        FlowId(self.flows.len() - 1)
    }

    /// Decode stage: counts `raw` as read for each of `flows`. When it does not decode, writes ONE dead-letter
    /// line (flow null, stage "decode"), counts a reject (`"record does not match <Type>"`) for each of the flows
    /// and returns `Ok(None)`.
    pub fn decode<'r, T: serde::Deserialize<'r>>(
        &mut self,
        raw: &'r RawRecord,
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
                    self.count_reject(*flow, Stage::Decode, &reject)?;
                }
                Ok(None)
            }
        }
    }

    /// Map outcome to write stage: `Mapped` -> `target.write` (a write reject is dead-lettered, stage "write"),
    /// `Filtered` -> counted, `Rejected` -> dead-lettered (stage "map") and counted by reason.
    /// `outcome` is a `MapOutcome` or what a generated flow returns (`Result<MapOutcome<T>, Reject>`).
    pub fn deliver<T, W: Target<T> + ?Sized>(
        &mut self,
        flow: FlowId,
        raw: &RawRecord,
        outcome: impl Into<MapOutcome<T>>,
        target: &mut W,
    ) -> Result<(), RunError> {
        let (stage, reject) = match outcome.into() {
            MapOutcome::Filtered => {
                self.flow_stats(flow)?.summary.filtered += 1;
                return Ok(());
            }
            MapOutcome::Rejected(reject) => (Stage::Map, reject),
            MapOutcome::Mapped(record) => match self.write_to(target, &record)? {
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
        self.count_reject(flow, stage, &reject)
    }

    /// Acknowledge stage, called once per record after every flow delivered it: every `batch_size` records,
    /// flushes `targets` and the dead letter, then acknowledges `position` to the source. For a source that
    /// commits its positions, flushing means durable (synced, committed); for one that does not (a file, read
    /// again from its start after a crash), the writes are handed to the OS and made durable at the end
    /// ([`Run::finish`]), which is what keeps a checkpoint from costing an fsync per batch.
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
            if source.commits_positions() {
                self.flush_and_acknowledge(source, position, targets)?;
            } else {
                self.flush_all(targets, false)?;
                self.acknowledge(source, position)?;
            }
        }
        self.observe(index, source);
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
            Some(position) => self.flush_and_acknowledge(source, position, targets)?,
            None => self.flush_all(targets, true)?,
        }
        self.observe_finished(index, source);
        Ok(())
    }

    fn flush_and_acknowledge<S: Source + ?Sized>(
        &mut self,
        source: &mut S,
        position: Position,
        targets: &mut [&mut dyn Durable],
    ) -> Result<(), RunError> {
        self.flush_all(targets, true)?;
        self.acknowledge(source, position)
    }

    fn acknowledge<S: Source + ?Sized>(
        &mut self,
        source: &mut S,
        position: Position,
    ) -> Result<(), RunError> {
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
                self.ops.add_source(name);
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
                self.ops.add_target(name);
                self.targets.len() - 1
            }
        }
    }

    fn flow_stats(&mut self, flow: FlowId) -> Result<&mut FlowStats, RunError> {
        self.flows.get_mut(flow.0).ok_or_else(|| unknown_flow(flow))
    }
}

fn unknown_flow(flow: FlowId) -> RunError {
    RunError::Program(format!("flow #{} was not registered with this run", flow.0))
}

impl Run {
    /// Counts a reject of `flow` in the summary, by stage and reason, and in the metrics.
    fn count_reject(
        &mut self,
        flow: FlowId,
        stage: Stage,
        reject: &Reject,
    ) -> Result<(), RunError> {
        let stats = self
            .flows
            .get_mut(flow.0)
            .ok_or_else(|| unknown_flow(flow))?;
        stats.rejected_by_stage[crate::ops::metrics::stage_index(stage)] += 1;
        let summary = &mut stats.summary;
        summary.rejected += 1;
        *summary.reasons.entry(reject.reason.clone()).or_insert(0) += 1;
        if let Some(metrics) = self.ops.metrics_mut() {
            metrics.count_reject_reason(flow.0, stage, &reject.reason);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
