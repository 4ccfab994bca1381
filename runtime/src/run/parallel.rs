//! Parallel mapping: the decode and map stages of a file source on several cores, the write and
//! acknowledge stages on the core, in the order one core would have done them.
//!
//! A map function registered with [`Run::parallel_source`] is `Fn + Send + Sync`: it reads shared
//! state (the lookups, identifier specs) and hands what it makes to a [`MapSink`], never to the run
//! itself. On the core ([`MapSink`] over the [`Run`]) that is [`Run::decode`], [`Run::share`] and
//! [`Run::deliver`], as for a map function of [`Run::source`]. On a map worker it is an
//! [`OutputBatch`]: per record, in order, what the run would have done (counted as read, written
//! to a target, filtered, dead-lettered), with each record for a JSON Lines target already
//! serialized as its line, so that the core only copies bytes.
//!
//! The reader of such a source (`reader.rs`) submits its chunks straight to the map workers
//! (`map_workers.rs`), without waking the core; a worker maps a whole chunk into an [`OutputBatch`]
//! and sends it to the core on the channel of every other event. The core (`drive.rs`) applies the
//! batches strictly in the order of their chunks per source ([`Run::apply`]): the outputs, the dead
//! letter, the counters and the metrics are those of one core. Checkpoints and acknowledgements
//! happen as the batches are applied, so a position is acknowledged only once every record before
//! it was written and made durable. The chunks out, submitted and not yet applied, are bounded
//! (`map_workers.rs`): a reader beyond them waits until the core has applied one, as it
//! waits for a busy core.
//!
//! Sources whose deliveries come from the network (a broker message, a polled page) stay on the
//! core: their deliveries are small and come one by one. A replay maps on the core too.

use std::any::Any;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{unknown_flow, FlowId, Run};
use crate::dead_letter::Stage;
use crate::error::RunError;
use crate::outcome::{MapOutcome, Reject};
use crate::record::RawRecord;
use crate::replay::lines::Outcome as replay_outcome;
use crate::target::{serialize_line, CleanKeys};

/// The map function of a source that may run on several cores (see [`Run::parallel_source`]).
pub type SharedMapFn =
    Arc<dyn Fn(&mut MapSink<'_>, &RawRecord) -> Result<(), RunError> + Send + Sync>;

/// Where a map function puts what it decodes and maps: the run itself on the core, or an output
/// batch on a map worker. The same calls, the same order, the same outcome.
pub struct MapSink<'a> {
    to: To<'a>,
}

enum To<'a> {
    Run(&'a mut Run),
    Batch(&'a mut OutputBatch),
}

impl<'a> MapSink<'a> {
    /// Straight into the run, on the core.
    pub fn direct(run: &'a mut Run) -> Self {
        MapSink { to: To::Run(run) }
    }

    fn batch(batch: &'a mut OutputBatch) -> Self {
        MapSink {
            to: To::Batch(batch),
        }
    }

    /// Decode stage: see [`Run::decode`].
    pub fn decode<'r, T: Deserialize<'r>>(
        &mut self,
        raw: &'r RawRecord,
        type_name: &str,
    ) -> Result<Option<T>, RunError> {
        match &mut self.to {
            To::Run(run) => run.decode(raw, type_name),
            To::Batch(batch) => {
                batch.ops.push(Op::Read);
                match crate::decode::decode::<T>(raw, type_name) {
                    Ok(record) => Ok(Some(record)),
                    Err(reject) => {
                        batch.reject(None, Stage::Decode, reject);
                        Ok(None)
                    }
                }
            }
        }
    }

    /// Shared stage: see [`Run::share`].
    pub fn share<S>(
        &mut self,
        raw: &RawRecord,
        shared: Result<S, Reject>,
    ) -> Result<Option<S>, RunError> {
        match &mut self.to {
            To::Run(run) => run.share(raw, shared),
            To::Batch(batch) => match shared {
                Ok(values) => Ok(Some(values)),
                Err(reject) => {
                    batch.reject(None, Stage::Map, reject);
                    Ok(None)
                }
            },
        }
    }

    /// Map outcome to write stage: see [`Run::deliver`].
    pub fn deliver<T: Serialize + Send + 'static>(
        &mut self,
        flow: FlowId<T>,
        raw: &RawRecord,
        outcome: impl Into<MapOutcome<T>>,
    ) -> Result<(), RunError> {
        match &mut self.to {
            To::Run(run) => run.deliver(flow, raw, outcome),
            To::Batch(batch) => batch.deliver(flow.index, outcome.into()),
        }
    }
}

/// Where the records of a flow go, as a map worker needs to know it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Route {
    target: usize,
    /// The target takes lines of JSON ([`crate::target::Durable::takes_lines`]).
    lines: bool,
}

impl Run {
    /// Registers a source with a map function that may run on several cores (`--map-threads`):
    /// the records of a file source are then decoded and mapped by map workers, chunk by chunk,
    /// and written by the core in their order. What the run writes, dead-letters, counts and
    /// acknowledges is exactly what one core would. A network source, or a replay, maps on the core.
    pub fn parallel_source<F>(&mut self, source: impl Into<super::OpenSource>, map: F)
    where
        F: Fn(&mut MapSink<'_>, &RawRecord) -> Result<(), RunError> + Send + Sync + 'static,
    {
        if self.replay.is_some() {
            // A replay follows each record through the entries it replays: on the core.
            self.source(source, move |run: &mut Run, raw: &RawRecord| {
                map(&mut MapSink::direct(run), raw)
            });
            return;
        }
        self.register_source(
            source.into(),
            super::drive::SourceMap::Shared(Arc::new(map)),
        );
    }

    /// Where each flow's records go, for the map workers.
    pub(super) fn routes(&self) -> Arc<[Route]> {
        self.flows
            .iter()
            .map(|flow| Route {
                target: flow.target,
                lines: self.outputs[flow.target].takes_lines(),
            })
            .collect()
    }

    /// Applies what a map worker made of a chunk of source `source`: exactly what the map function
    /// would have done, record by record, on the core. Stops at the error the map function
    /// returned, after what it did before it.
    pub(super) fn apply(
        &mut self,
        source: usize,
        batch: &mut OutputBatch,
        records: &[RawRecord],
    ) -> Result<(), RunError> {
        let mut line_start = 0;
        let lines = std::mem::take(&mut batch.lines);
        let result = self.apply_ops(source, &mut batch.ops, records, &lines, &mut line_start);
        batch.lines = lines;
        batch.lines.clear();
        batch.ops.clear();
        result?;
        match batch.error.take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    fn apply_ops(
        &mut self,
        source: usize,
        ops: &mut Vec<Op>,
        records: &[RawRecord],
        lines: &[u8],
        line_start: &mut usize,
    ) -> Result<(), RunError> {
        for op in ops.drain(..) {
            match op {
                Op::Read => {
                    self.sources[source].read += 1;
                    for i in 0..self.sources[source].flows.len() {
                        let flow = self.sources[source].flows[i];
                        if self.takes(flow) {
                            self.flows[flow].summary.read += 1;
                        }
                    }
                }
                Op::Rejected {
                    flow,
                    stage,
                    reject,
                    record,
                } => {
                    let raw = &records[record as usize];
                    self.dead_letter_reject(flow, stage, &reject, raw)?;
                    match flow {
                        Some(flow) => self.count_reject(flow, stage, &reject),
                        None => {
                            for i in 0..self.sources[source].flows.len() {
                                let flow = self.sources[source].flows[i];
                                if self.takes(flow) {
                                    self.count_reject(flow, stage, &reject);
                                }
                            }
                        }
                    }
                }
                Op::Filtered { flow } => {
                    self.flows[flow].summary.filtered += 1;
                    self.note_outcome(flow, replay_outcome::Filtered);
                }
                Op::JsonLine { flow, record, end } => {
                    let raw = &records[record as usize];
                    let line = &lines[*line_start..end];
                    *line_start = end;
                    let target = self.flows[flow].target;
                    self.outputs[target]
                        .original_of_next_write(&self.flows[flow].summary.name, raw);
                    let output = &mut *self.outputs[target];
                    if let Err(error) = output.write_line(line) {
                        self.ops
                            .with_retries(output, error, |o| o.write_line(line))?;
                    }
                    self.count_written(flow, target, raw);
                }
                Op::Typed {
                    flow,
                    record,
                    value,
                    write,
                } => {
                    let raw = &records[record as usize];
                    let target = self.flows[flow].target;
                    self.outputs[target]
                        .original_of_next_write(&self.flows[flow].summary.name, raw);
                    match write(self, target, &*value)? {
                        Ok(()) => self.count_written(flow, target, raw),
                        Err(reject) => {
                            self.dead_letter_reject(Some(flow), Stage::Write, &reject, raw)?;
                            self.count_reject(flow, Stage::Write, &reject);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// Writes a typed record a map worker made to target `target` (through [`Run::write_to`]).
type WriteTyped = fn(&mut Run, usize, &(dyn Any + Send)) -> Result<Result<(), Reject>, RunError>;

fn write_typed<T: 'static>(
    run: &mut Run,
    target: usize,
    value: &(dyn Any + Send),
) -> Result<Result<(), Reject>, RunError> {
    let record = value.downcast_ref::<T>().ok_or_else(|| {
        RunError::Program(format!(
            "target {} does not take this flow's records",
            run.targets[target].name
        ))
    })?;
    run.write_to(target, record)
}

/// One step of what the run does with a record, as a map worker recorded it.
enum Op {
    /// A record taken from the source: read by every flow of the source.
    Read,
    /// Dead-lettered and counted as rejected by `flow` (`None`: by every flow of the source).
    Rejected {
        flow: Option<usize>,
        stage: Stage,
        reject: Reject,
        record: u32,
    },
    Filtered {
        flow: usize,
    },
    /// Written to the flow's target as the line that ends at `end` in the batch's lines (and
    /// starts where the line before it ended).
    JsonLine {
        flow: usize,
        record: u32,
        end: usize,
    },
    /// Written to the flow's target as a typed record (a database row, a message).
    Typed {
        flow: usize,
        record: u32,
        value: Box<dyn Any + Send>,
        write: WriteTyped,
    },
}

/// What a map worker made of one chunk: per record, in order, the steps of the run, and the lines
/// of the records for JSON Lines targets. Reused from chunk to chunk.
pub(crate) struct OutputBatch {
    routes: Arc<[Route]>,
    /// The index of the record being mapped in its chunk.
    record: u32,
    ops: Vec<Op>,
    lines: Vec<u8>,
    /// Per target, as the target itself keeps them (`CleanKeys`).
    clean_keys: Vec<CleanKeys>,
    /// What the map function returned for the record it stopped at.
    error: Option<RunError>,
}

impl OutputBatch {
    pub(super) fn new(routes: Arc<[Route]>) -> Self {
        let targets = routes.iter().map(|r| r.target + 1).max().unwrap_or(0);
        OutputBatch {
            routes,
            record: 0,
            ops: Vec::new(),
            lines: Vec::new(),
            clean_keys: (0..targets).map(|_| CleanKeys::default()).collect(),
            error: None,
        }
    }

    fn reject(&mut self, flow: Option<usize>, stage: Stage, reject: Reject) {
        self.ops.push(Op::Rejected {
            flow,
            stage,
            reject,
            record: self.record,
        });
    }

    fn deliver<T: Serialize + Send + 'static>(
        &mut self,
        flow: usize,
        outcome: MapOutcome<T>,
    ) -> Result<(), RunError> {
        let route = *self.routes.get(flow).ok_or_else(|| unknown_flow(flow))?;
        match outcome {
            MapOutcome::Filtered => self.ops.push(Op::Filtered { flow }),
            MapOutcome::Rejected(reject) => self.reject(Some(flow), Stage::Map, reject),
            MapOutcome::Mapped(value) if route.lines => {
                // Serialized here, on the worker, as the target would (a failure is the same
                // write reject the target would have given).
                match serialize_line(&value, &mut self.lines, &mut self.clean_keys[route.target]) {
                    Ok(()) => self.ops.push(Op::JsonLine {
                        flow,
                        record: self.record,
                        end: self.lines.len(),
                    }),
                    Err(reject) => self.reject(Some(flow), Stage::Write, reject),
                }
            }
            MapOutcome::Mapped(value) => self.ops.push(Op::Typed {
                flow,
                record: self.record,
                value: Box::new(value),
                write: write_typed::<T>,
            }),
        }
        Ok(())
    }

    /// Runs `map` on each of `records`, in order, stopping at the first error.
    pub(super) fn map_chunk(&mut self, map: &SharedMapFn, records: &[RawRecord]) {
        for (index, raw) in records.iter().enumerate() {
            self.record = index as u32;
            if let Err(error) = map(&mut MapSink::batch(self), raw) {
                self.error = Some(error);
                return;
            }
        }
    }
}
