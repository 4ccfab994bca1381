//! The run context: owns the targets, the dead letter and the counters, and makes each step of the loop
//! ([`Run::drive`], in `drive.rs`) account for every record:
//! * [`Run::decode`] counts each record as read by every flow of its source, and dead-letters it once if it
//!   does not decode;
//! * [`Run::deliver`] writes a mapped record to its flow's target, or counts it as filtered, or dead-letters it;
//! * the checkpoint of one source (`drive.rs`) flushes the targets that source feeds and the dead letter, and
//!   only then acknowledges the source's position.
//!
//! A generated program registers what it has (targets, flows, and per source its reader and its map
//! function: [`Run::source`]) and then hands the loop to [`Run::drive`].
//!
//! Opening sources, lookups and targets (`open.rs`) is where a test run's replacements apply: other input
//! files by name, and every target captured as JSON Lines (see [`RunConfig`]).

mod config;
mod drive;
mod map_workers;
mod observe;
mod open;
#[cfg(feature = "http")]
mod open_http;
#[cfg(feature = "modbus")]
mod open_modbus;
#[cfg(feature = "mqtt")]
mod open_mqtt;
#[cfg(feature = "mtconnect")]
mod open_mtconnect;
#[cfg(feature = "opcua")]
mod open_opcua;
#[cfg(feature = "postgres")]
mod open_postgres;
#[cfg(feature = "xml")]
mod open_xml;
mod parallel;
mod queued;
mod reader;
mod replay;

#[cfg(test)]
pub(crate) use self::config::MILL_PROGRAM;
pub use self::config::{
    OutputMode, ProgramInfo, RunConfig, DEFAULT_CHECKPOINT_EVERY, DEFAULT_CHECKPOINT_INTERVAL,
    DEFAULT_SHUTDOWN_TIMEOUT,
};
pub use self::drive::{MapFn, OpenSource};
#[cfg(feature = "http")]
pub use self::open_http::{HttpPoll, HttpPost};
#[cfg(feature = "mqtt")]
pub use self::open_mqtt::MessagePayload;
#[cfg(feature = "opcua")]
pub use self::open_opcua::{OpcuaSubscription, OpcuaWrites};
#[cfg(feature = "postgres")]
pub use self::open_postgres::PostgresPoll;
pub use self::parallel::{MapSink, SharedMapFn};
pub use self::replay::{ReplayPlan, ReplayReport, ReplayedEntry};
#[cfg(feature = "postgres")]
pub use crate::postgres::PostgresTable;

use std::any::Any;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::rc::Weak;
use std::time::Instant;

use crate::dead_letter::{DeadLetter, Stage};
use crate::error::RunError;
use crate::ops::Operations;
use crate::outcome::{MapOutcome, Reject};
use crate::record::{Position, RawRecord};
use crate::replay::lines::Outcome as replay_outcome;
use crate::source::ReadProgress;
use crate::summary::{DeadLetterSummary, FlowSummary, RunSummary, SourceSummary, TargetSummary};
use crate::target::{Durable, SqliteDatabase, Target};

/// Threads for IO: connectors wait on the network, they do not compute.
const IO_THREADS: usize = 2;

/// A flow registered with [`Run::flow`], whose target takes records of type `T`.
pub struct FlowId<T> {
    index: usize,
    record: PhantomData<fn(T)>,
}

/// A target opened by the run (`Run::sqlite_target`, `Run::jsonl_target`), taking records of type `T`.
pub struct TargetId<T> {
    index: usize,
    record: PhantomData<fn(T)>,
}

// Derived `Clone`/`Copy` would require `T: Copy`; the ids are plain indices whatever `T` is.
impl<T> Clone for FlowId<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for FlowId<T> {}
impl<T> Clone for TargetId<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for TargetId<T> {}

impl<T> std::fmt::Debug for FlowId<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FlowId({})", self.index)
    }
}
impl<T> std::fmt::Debug for TargetId<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TargetId({})", self.index)
    }
}

/// What the run knows of one source: its counters and its checkpoint bookkeeping.
#[derive(Debug)]
struct SourceStats {
    name: String,
    read: u64,
    /// The position of the last record the core has handled.
    last_position: Option<Position>,
    /// The last position acknowledged to the source's reader.
    acknowledged: Option<Position>,
    /// The flows this source feeds, and the targets they write (each once).
    flows: Vec<usize>,
    targets: Vec<usize>,
    /// Whether acknowledging commits the position outside this process (see `Source::commits_positions`).
    commits_positions: bool,
    /// Whether the source is read again from its start after a crash (a file; see
    /// `OpenSource::rereads_from_start`).
    rereads_from_start: bool,
    /// Whether the source's positions are acknowledged when the core takes its records, before they are
    /// written (its flows deliver at most once), else once they are durable; `None` before its first flow.
    acknowledge_on_receipt: Option<bool>,
    /// Records handled since the last checkpoint, and when the first of them arrived.
    since_checkpoint: u64,
    /// Deliveries since the last checkpoint, and how many the source can have unacknowledged at most
    /// (`StreamSource::unacknowledged_limit`).
    deliveries_since_checkpoint: u64,
    unacknowledged_limit: Option<u64>,
    pending_since: Option<Instant>,
    progress: Option<ReadProgress>,
    /// Observations the source's peer dropped before it could read them (an MTConnect agent's
    /// gaps), counted by the source; `None` for a source that cannot tell.
    lost: Option<prometheus_client::metrics::counter::Counter>,
}

impl SourceStats {
    fn new(name: &str) -> Self {
        SourceStats {
            name: name.to_string(),
            read: 0,
            last_position: None,
            acknowledged: None,
            flows: Vec::new(),
            targets: Vec::new(),
            commits_positions: false,
            rereads_from_start: false,
            acknowledge_on_receipt: None,
            since_checkpoint: 0,
            deliveries_since_checkpoint: 0,
            unacknowledged_limit: None,
            pending_since: None,
            progress: None,
            lost: None,
        }
    }
}

#[derive(Debug)]
struct FlowStats {
    summary: FlowSummary,
    target: usize,
    /// Rejects by stage (`ops::metrics::stage_index`), for the metrics.
    rejected_by_stage: [u64; 3],
}

/// A target as the run holds it, whatever the type of its records: flushed through [`Durable`], written
/// through a downcast to `Output<T>` (see [`Run::deliver`]).
trait OpenTarget: Durable {
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

struct Output<T> {
    target: Box<dyn Target<T>>,
}

impl<T: 'static> OpenTarget for Output<T> {
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

impl<T> Durable for Output<T> {
    fn name(&self) -> &str {
        self.target.name()
    }
    fn flush(&mut self) -> Result<(), RunError> {
        self.target.flush()
    }
    fn hand_over(&mut self) -> Result<(), RunError> {
        self.target.hand_over()
    }
    fn hand_over_lazily(&mut self) -> Result<(), RunError> {
        self.target.hand_over_lazily()
    }
    fn is_transient(&self, error: &RunError) -> bool {
        self.target.is_transient(error)
    }
    fn refuses_on_flush(&self) -> bool {
        self.target.refuses_on_flush()
    }
    fn take_refused(&mut self) -> Vec<crate::target::Refusal> {
        self.target.take_refused()
    }
    fn original_of_next_write(&mut self, flow: &str, raw: &RawRecord) {
        self.target.original_of_next_write(flow, raw)
    }
    fn take_quarantined(&mut self) -> Result<Vec<crate::queue::Quarantined>, RunError> {
        self.target.take_quarantined()
    }
    fn quarantine_dead_lettered(&mut self) -> Result<(), RunError> {
        self.target.quarantine_dead_lettered()
    }
    fn drain(&mut self, unreachable_for: std::time::Duration) -> Result<(), RunError> {
        self.target.drain(unreachable_for)
    }
    fn queue_status(&self) -> Option<crate::queue::QueueStatus> {
        self.target.queue_status()
    }
    fn takes_lines(&self) -> bool {
        self.target.takes_lines()
    }
    fn write_line(&mut self, line: &[u8]) -> Result<(), RunError> {
        self.target.write_line(line)
    }
}

/// The context of one run of a generated program.
pub struct Run {
    program: ProgramInfo,
    config: RunConfig,
    base_dir: PathBuf,
    dead_letter: DeadLetter,
    sources: Vec<SourceStats>,
    flows: Vec<FlowStats>,
    targets: Vec<TargetSummary>,
    /// The open targets, by the index of their summary in `targets`.
    outputs: Vec<Box<dyn OpenTarget>>,
    /// Per target that may refuse records when it flushes (`Durable::refuses_on_flush`), the flow and
    /// original of every record written since its last flush; `None` for the others.
    unflushed: Vec<Option<Vec<(usize, RawRecord)>>>,
    databases: Vec<(PathBuf, Weak<SqliteDatabase>)>,
    /// What [`Run::source`] registered, started by [`Run::drive`].
    readers: Vec<drive::SourceEntry>,
    /// Flows of one source that disagree on when its positions are acknowledged (see
    /// [`Run::flow_with_delivery`]): the run refuses to start.
    delivery_conflicts: Vec<String>,
    /// Metrics, health, retries, progress (see `crate::ops` and `observe.rs`).
    ops: Operations,
    /// The IO threads: readers of network sources, network targets' clients, the timer and the signals.
    /// Dropped last, after every target is closed.
    io_threads: tokio::runtime::Runtime,
    /// Set when the run replays the dead letter (`replay.rs`).
    replay: Option<Box<replay::Replaying>>,
    /// Per target, its queue's figures when it is queued (`queued.rs`); `None` for the others.
    queues: Vec<Option<crate::summary::QueueSummary>>,
    /// Set when SIGTERM or SIGINT asked the run to stop (`drive.rs`): its queues stay on disk
    /// instead of being drained, and a write waiting for room in a full queue goes on, so that the
    /// core can drain what was delivered. Shared with each queued target.
    stopping: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Run {
    /// Starts a run: checks that the sources and lookups `config` replaces exist ([`RunError::Usage`] if not,
    /// before any file is touched), then opens the dead letter (truncated for a batch run, appended to by a
    /// service: see [`OutputMode`]).
    pub fn new(program: &ProgramInfo, mut config: RunConfig) -> Result<Self, RunError> {
        config.check_names(program).map_err(RunError::Usage)?;
        let base_dir = std::path::absolute(&config.base_dir)
            .map_err(|e| RunError::io("resolve the base directory", &config.base_dir, e))?;
        let ops = Operations::start(program, &config.operations)?;
        config.capture_targets = config.capture_targets.map(|dir| base_dir.join(dir));
        config.checkpoint_every = config.checkpoint_every.max(1);
        let append = config.outputs.appends(program);
        let dead_letter =
            DeadLetter::open(&base_dir.join(&config.dead_letter), append)?.stamped(program);
        let io_threads = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(IO_THREADS)
            .thread_name("fdi-io")
            .enable_all()
            .build()
            .map_err(|e| RunError::Program(format!("cannot start the IO threads: {e}")))?;
        Ok(Run {
            io_threads,
            ops,
            program: *program,
            dead_letter,
            sources: Vec::new(),
            flows: Vec::new(),
            targets: Vec::new(),
            outputs: Vec::new(),
            unflushed: Vec::new(),
            databases: Vec::new(),
            readers: Vec::new(),
            delivery_conflicts: Vec::new(),
            base_dir,
            config,
            replay: None,
            queues: Vec::new(),
            stopping: Default::default(),
        })
    }

    /// The deployment settings of connection `name` (an error that says how to give them when none are).
    pub fn connection(&self, name: &str) -> Result<&crate::settings::ConnectionSettings, RunError> {
        self.config.settings.connection(name)
    }

    /// The IO threads' runtime, for connectors that open their connections before the run is driven.
    pub fn io(&self) -> &tokio::runtime::Handle {
        self.io_threads.handle()
    }

    /// `path` resolved against the base directory (absolute paths stay as they are).
    pub fn resolve(&self, path: &str) -> PathBuf {
        self.base_dir.join(path)
    }

    /// The directory relative paths are resolved against.
    pub fn base_dir(&self) -> &Path {
        &self.base_dir
    }

    /// Records between checkpoints of a source (at most; a checkpoint also comes after
    /// `--checkpoint-interval`).
    pub fn checkpoint_every(&self) -> usize {
        self.config.checkpoint_every
    }

    /// Whether this run appends to its files rather than truncating them when it starts.
    pub fn appends(&self) -> bool {
        self.config.outputs.appends(&self.program)
    }

    /// Registers a flow from `source` to `target` and its counters, delivering at least once.
    pub fn flow<T>(&mut self, name: &str, source: &str, target: TargetId<T>) -> FlowId<T> {
        self.flow_with_delivery(name, source, target, crate::Delivery::AtLeastOnce)
    }

    /// Registers a flow from `source` to `target` with the guarantee its mapping states. The flows
    /// of one source share its acknowledgements, so they must agree on when those are sent (the
    /// compiler checks it, E0822); a run whose flows of one source disagree does not start.
    pub fn flow_with_delivery<T>(
        &mut self,
        name: &str,
        source: &str,
        target: TargetId<T>,
        delivery: crate::Delivery,
    ) -> FlowId<T> {
        let source = self.source_index(source);
        let stats = &mut self.sources[source];
        match stats.acknowledge_on_receipt {
            None => stats.acknowledge_on_receipt = Some(delivery.acknowledges_on_receipt()),
            Some(on_receipt) if on_receipt != delivery.acknowledges_on_receipt() => {
                self.delivery_conflicts.push(format!(
                    "flow {name} delivers {delivery}, but another flow of source {} acknowledges its positions {}",
                    stats.name,
                    if on_receipt { "on receipt" } else { "once written" }
                ));
            }
            Some(_) => {}
        }
        let index = self.flows.len();
        self.flows.push(FlowStats {
            summary: FlowSummary {
                name: name.to_string(),
                source: self.sources[source].name.clone(),
                target: self.targets[target.index].name.clone(),
                read: 0,
                written: 0,
                filtered: 0,
                rejected: 0,
                reasons: Default::default(),
                balanced: true,
                delivery,
            },
            target: target.index,
            rejected_by_stage: [0; 3],
        });
        let stats = &mut self.sources[source];
        stats.flows.push(index);
        if !stats.targets.contains(&target.index) {
            stats.targets.push(target.index);
        }
        self.ops.add_flow(name);
        FlowId {
            index,
            record: PhantomData,
        }
    }

    /// Decode stage: counts `raw` as read by every flow of its source. When it does not decode, writes ONE
    /// dead-letter line (flow null, stage "decode"), counts a reject (reason: the rule it broke, see `DecodeRule`) for each
    /// of the flows and returns `Ok(None)`.
    pub fn decode<'r, T: serde::Deserialize<'r>>(
        &mut self,
        raw: &'r RawRecord,
        type_name: &str,
    ) -> Result<Option<T>, RunError> {
        let source = self.source_index(raw.source());
        self.sources[source].read += 1;
        // A replay runs a record through the flows of the entries it replays only (`replay.rs`).
        for i in 0..self.sources[source].flows.len() {
            let flow = self.sources[source].flows[i];
            if self.takes(flow) {
                self.flows[flow].summary.read += 1;
            }
        }
        match crate::decode::decode::<T>(raw, type_name) {
            Ok(record) => Ok(Some(record)),
            Err(reject) => {
                self.dead_letter_reject(None, Stage::Decode, &reject, raw)?;
                for i in 0..self.sources[source].flows.len() {
                    let flow = self.sources[source].flows[i];
                    if self.takes(flow) {
                        self.count_reject(flow, Stage::Decode, &reject);
                    }
                }
                Ok(None)
            }
        }
    }

    /// Shared stage, between decode and the flows: the bindings the flows of `raw`'s source share
    /// (a mapping's `per source` block), computed once per record. When they reject the record,
    /// writes ONE dead-letter line (flow null, stage "map") and counts the reject, by its reason,
    /// in each of the source's flows (each counted the record as read at decode, so each still
    /// balances), and returns `Ok(None)`: no flow of the source sees the record.
    pub fn share<S>(
        &mut self,
        raw: &RawRecord,
        shared: Result<S, Reject>,
    ) -> Result<Option<S>, RunError> {
        match shared {
            Ok(values) => Ok(Some(values)),
            Err(reject) => {
                let source = self.source_index(raw.source());
                self.dead_letter_reject(None, Stage::Map, &reject, raw)?;
                for i in 0..self.sources[source].flows.len() {
                    let flow = self.sources[source].flows[i];
                    if self.takes(flow) {
                        self.count_reject(flow, Stage::Map, &reject);
                    }
                }
                Ok(None)
            }
        }
    }

    /// Map outcome to write stage: `Mapped` -> the flow's target (a write reject is dead-lettered, stage
    /// "write"), `Filtered` -> counted, `Rejected` -> dead-lettered (stage "map") and counted by reason.
    /// `outcome` is a `MapOutcome` or what a generated flow returns (`Result<MapOutcome<T>, Reject>`).
    pub fn deliver<T: 'static>(
        &mut self,
        flow: FlowId<T>,
        raw: &RawRecord,
        outcome: impl Into<MapOutcome<T>>,
    ) -> Result<(), RunError> {
        if !self.takes(flow.index) {
            return Ok(());
        }
        let stats = self
            .flows
            .get_mut(flow.index)
            .ok_or_else(|| unknown_flow(flow.index))?;
        let (stage, reject) = match outcome.into() {
            MapOutcome::Filtered => {
                stats.summary.filtered += 1;
                self.note_outcome(flow.index, replay_outcome::Filtered);
                return Ok(());
            }
            MapOutcome::Rejected(reject) => (Stage::Map, reject),
            MapOutcome::Mapped(record) => {
                let target_index = stats.target;
                self.outputs[target_index].original_of_next_write(&stats.summary.name, raw);
                match self.write_to(target_index, &record)? {
                    Ok(()) => {
                        self.count_written(flow.index, target_index, raw);
                        return Ok(());
                    }
                    Err(reject) => (Stage::Write, reject),
                }
            }
        };
        self.dead_letter_reject(Some(flow.index), stage, &reject, raw)?;
        self.count_reject(flow.index, stage, &reject);
        Ok(())
    }

    /// Counts `raw` as written by flow `flow` to target `target`.
    fn count_written(&mut self, flow: usize, target: usize, raw: &RawRecord) {
        self.flows[flow].summary.written += 1;
        self.targets[target].written += 1;
        if let Some(unflushed) = &mut self.unflushed[target] {
            unflushed.push((flow, raw.clone()));
        }
        self.note_outcome(flow, replay_outcome::Written);
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
                    lost: s.lost.as_ref().map(|c| c.get()),
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
            targets: self
                .targets
                .iter()
                .enumerate()
                .map(|(i, t)| TargetSummary {
                    queue: self.queue_summary(i),
                    ..t.clone()
                })
                .collect(),
            dead_letter: DeadLetterSummary {
                path: self.dead_letter.path().display().to_string(),
                records: self.dead_letter.records(),
            },
        }
    }

    /// Reports in the summary what `counter` counts: the observations source `name`'s peer
    /// dropped before the source could read them.
    #[cfg(feature = "mtconnect")]
    pub(crate) fn count_lost(
        &mut self,
        name: &str,
        counter: prometheus_client::metrics::counter::Counter,
    ) {
        let index = self.source_index(name);
        self.sources[index].lost = Some(counter);
    }

    fn source_index(&mut self, name: &str) -> usize {
        match self.sources.iter().position(|s| s.name == name) {
            Some(index) => index,
            None => {
                self.sources.push(SourceStats::new(name));
                self.ops.add_source(name);
                self.sources.len() - 1
            }
        }
    }

    /// Registers an open target under `name` and returns its id.
    pub(crate) fn add_target<T: 'static>(
        &mut self,
        name: &str,
        target: Box<dyn Target<T>>,
    ) -> TargetId<T> {
        self.targets.push(TargetSummary {
            name: name.to_string(),
            written: 0,
            queue: None,
        });
        self.queues.push(None);
        self.unflushed
            .push(target.refuses_on_flush().then(Vec::new));
        self.outputs.push(Box::new(Output { target }));
        self.ops.add_target(name);
        TargetId {
            index: self.targets.len() - 1,
            record: PhantomData,
        }
    }

    /// Counts a reject of flow `flow` in the summary, by stage and reason, and in the metrics.
    fn count_reject(&mut self, flow: usize, stage: Stage, reject: &Reject) {
        let stats = &mut self.flows[flow];
        stats.rejected_by_stage[crate::ops::metrics::stage_index(stage)] += 1;
        let summary = &mut stats.summary;
        summary.rejected += 1;
        *summary.reasons.entry(reject.reason.clone()).or_insert(0) += 1;
        if let Some(metrics) = self.ops.metrics_mut() {
            metrics.count_reject_reason(flow, stage, &reject.reason);
        }
    }
}

fn unknown_flow(flow: usize) -> RunError {
    RunError::Program(format!("flow #{flow} was not registered with this run"))
}

#[cfg(test)]
mod delivery_tests;
#[cfg(test)]
mod parallel_tests;
#[cfg(test)]
mod replay_tests;
#[cfg(test)]
mod share_tests;
#[cfg(test)]
mod tests;
