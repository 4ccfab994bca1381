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
//! ([`ChunkQueue`]), without waking the core; a worker maps a whole chunk into an [`OutputBatch`]
//! and sends it to the core on the channel of every other event. The core (`drive.rs`) applies the
//! batches strictly in the order of their chunks per source ([`Run::apply`]): the outputs, the dead
//! letter, the counters and the metrics are those of one core. Checkpoints and acknowledgements
//! happen as the batches are applied, so a position is acknowledged only once every record before
//! it was written and made durable. The chunks out, submitted and not yet applied, are bounded
//! ([`ChunkQueue`]'s limit): a reader beyond them waits until the core has applied one, as it
//! waits for a busy core.
//!
//! Sources whose deliveries come from the network (a broker message, a polled page) stay on the
//! core: their deliveries are small and come one by one. A replay maps on the core too.

use std::any::Any;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::drive::Event;
use super::{unknown_flow, FlowId, Run};
use crate::dead_letter::Stage;
use crate::error::RunError;
use crate::outcome::{MapOutcome, Reject};
use crate::record::{Position, RawRecord};
use crate::replay::lines::Outcome as replay_outcome;
use crate::source::ReadProgress;
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
    fn new(routes: Arc<[Route]>) -> Self {
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
    fn map_chunk(&mut self, map: &SharedMapFn, records: &[RawRecord]) {
        for (index, raw) in records.iter().enumerate() {
            self.record = index as u32;
            if let Err(error) = map(&mut MapSink::batch(self), raw) {
                self.error = Some(error);
                return;
            }
        }
    }
}

/// A chunk of a file source for the map workers, as its reader submits it
/// ([`ChunkQueue::submit`]): numbered in the order it was read.
pub(super) struct Job {
    pub source: usize,
    pub sequence: u64,
    pub records: Vec<RawRecord>,
    pub ack: Position,
    pub progress: Option<ReadProgress>,
    pub map: SharedMapFn,
}

/// A chunk mapped: its records (the raw records the batch refers to) and the batch, or the panic
/// of the map function.
pub(crate) struct Mapped {
    pub source: usize,
    sequence: u64,
    pub records: Vec<RawRecord>,
    pub ack: Position,
    pub progress: Option<ReadProgress>,
    pub batch: Result<OutputBatch, Box<dyn Any + Send>>,
}

/// What a reader of a source mapped on the workers needs: where its chunks go, and the map
/// function they go with.
pub(crate) struct ChunkLink {
    pub queue: Arc<ChunkQueue>,
    pub map: SharedMapFn,
    /// Chunks submitted so far (the sequence number of the next).
    pub submitted: u64,
}

/// The chunks between the readers of the parallel sources and the map workers.
///
/// A reader hands its chunks straight to the workers, without waking the core; the core sees a
/// chunk only when it comes back mapped (as [`Event::Mapped`], on the channel of every other
/// event). The chunks out, submitted and not yet applied by the core, are bounded
/// ([`ChunkQueue::limit`]): a reader beyond it waits until the core has applied one, so memory
/// stays bounded and a slow writer holds the readers back.
pub(crate) struct ChunkQueue {
    state: Mutex<QueueState>,
    /// A job was queued, or the queue closed.
    job_ready: Condvar,
    /// The core applied a chunk, or the queue closed.
    room: Condvar,
    routes: Arc<[Route]>,
    limit: usize,
}

struct QueueState {
    jobs: VecDeque<Job>,
    /// Chunks submitted and not yet applied.
    out: usize,
    /// Output batches applied, for the next jobs.
    spare: Vec<OutputBatch>,
    /// The run takes no more chunks (it ended, or stopped on an error).
    closed: bool,
}

impl ChunkQueue {
    /// Called by a reader: waits until fewer than the limit of chunks are out, then queues `job`
    /// for the workers. `false` once the run takes no more chunks.
    pub(super) fn submit(&self, job: Job) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        while state.out >= self.limit && !state.closed {
            state = match self.room.wait(state) {
                Ok(state) => state,
                Err(_) => return false,
            };
        }
        if state.closed {
            return false;
        }
        state.out += 1;
        state.jobs.push_back(job);
        drop(state);
        self.job_ready.notify_one();
        true
    }

    /// Called by a worker: the next job and a batch to map it into; `None` once the queue closed.
    fn take(&self) -> Option<(Job, OutputBatch)> {
        let mut state = self.state.lock().ok()?;
        loop {
            if state.closed {
                return None;
            }
            if let Some(job) = state.jobs.pop_front() {
                let batch = state
                    .spare
                    .pop()
                    .unwrap_or_else(|| OutputBatch::new(self.routes.clone()));
                return Some((job, batch));
            }
            state = self.job_ready.wait(state).ok()?;
        }
    }

    /// Called by the core when it has nothing to apply: the next job no worker has taken yet.
    fn steal(&self) -> Option<Job> {
        let mut state = self.state.lock().ok()?;
        if state.closed {
            return None;
        }
        state.jobs.pop_front()
    }

    /// A batch for a job the core maps itself.
    fn spare_batch(&self) -> OutputBatch {
        self.state
            .lock()
            .ok()
            .and_then(|mut state| state.spare.pop())
            .unwrap_or_else(|| OutputBatch::new(self.routes.clone()))
    }

    /// Called by the core: a chunk is applied, its batch (if it had one) free for another.
    fn applied(&self, batch: Option<OutputBatch>) {
        if let Ok(mut state) = self.state.lock() {
            state.out -= 1;
            state.spare.extend(batch);
        }
        self.room.notify_all();
    }

    /// No more chunks: waiting readers and idle workers return; queued jobs are dropped.
    fn close(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.closed = true;
            state.jobs.clear();
        }
        self.room.notify_all();
        self.job_ready.notify_all();
    }
}

/// The map workers and the core's bookkeeping of what they send back: per source, the batches
/// that came back before the ones ahead of them.
pub(super) struct Workers {
    queue: Arc<ChunkQueue>,
    threads: Vec<std::thread::JoinHandle<()>>,
    /// Per source: the sequence number of the next chunk to apply.
    applied: Vec<u64>,
    /// Per source, the batches that came back out of order, by sequence number.
    waiting: Vec<BTreeMap<u64, Box<Mapped>>>,
}

impl Workers {
    /// Chunks out (submitted, not yet applied) per map worker: with each worker busy, the chunks
    /// that came back ahead of a slow one, and one more waiting for each.
    const CHUNKS_OUT_PER_WORKER: usize = 4;

    /// Starts `threads` map workers for a run with `sources` sources; they send what they map to
    /// the core on `results`.
    pub(super) fn start(
        threads: usize,
        sources: usize,
        routes: Arc<[Route]>,
        results: &mpsc::Sender<Event>,
    ) -> Result<Self, RunError> {
        let queue = Arc::new(ChunkQueue {
            state: Mutex::new(QueueState {
                jobs: VecDeque::new(),
                out: 0,
                spare: Vec::new(),
                closed: false,
            }),
            job_ready: Condvar::new(),
            room: Condvar::new(),
            routes,
            limit: Self::CHUNKS_OUT_PER_WORKER * threads,
        });
        let mut workers = Workers {
            queue: queue.clone(),
            threads: Vec::new(),
            applied: vec![0; sources],
            waiting: (0..sources).map(|_| BTreeMap::new()).collect(),
        };
        for n in 0..threads {
            let queue = queue.clone();
            let results = results.clone();
            let handle = std::thread::Builder::new()
                .name(format!("fdi-map-{n}"))
                .spawn(move || work(&queue, &results))
                .map_err(|e| RunError::Program(format!("cannot start the map workers: {e}")))?;
            workers.threads.push(handle);
        }
        Ok(workers)
    }

    /// Where a reader submits the chunks of a source mapped on the workers.
    pub(super) fn link(&self, map: &SharedMapFn) -> ChunkLink {
        ChunkLink {
            queue: self.queue.clone(),
            map: map.clone(),
            submitted: 0,
        }
    }

    /// Chunks of source `source` applied so far.
    pub(super) fn applied_of(&self, source: usize) -> u64 {
        self.applied[source]
    }

    /// The chunks the readers may have out at most.
    pub(super) fn limit(&self) -> usize {
        self.queue.limit
    }

    /// Takes a mapped chunk back; returns the chunks now ready to apply, in order (none while one
    /// ahead of it is still being mapped).
    pub(super) fn ready(&mut self, mapped: Box<Mapped>) -> Vec<Mapped> {
        let source = mapped.source;
        self.waiting[source].insert(mapped.sequence, mapped);
        let mut ready = Vec::new();
        while let Some(next) = self.waiting[source].remove(&self.applied[source]) {
            self.applied[source] += 1;
            ready.push(*next);
        }
        ready
    }

    /// A batch applied: room for another chunk, and the batch for it.
    pub(super) fn recycle(&mut self, batch: OutputBatch) {
        self.queue.applied(Some(batch));
    }

    /// A job for the core, which has nothing to apply: the next chunk no worker has taken yet,
    /// as the [`CoreJob`] it is.
    pub(super) fn steal(&mut self) -> Option<CoreJob> {
        let job = self.queue.steal()?;
        if job.sequence == self.applied[job.source] {
            // Next in its source's order: mapped straight into the run, as on one core.
            return Some(CoreJob::Next(job));
        }
        // Behind a chunk a worker still maps: into a batch, applied in its turn.
        let Job {
            source,
            sequence,
            records,
            ack,
            progress,
            map,
        } = job;
        let mut batch = self.queue.spare_batch();
        // A panic is raised in its place among the chunks, as a worker's is.
        let batch = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            batch.map_chunk(&map, &records);
            batch
        }));
        Some(CoreJob::Mapped(Box::new(Mapped {
            source,
            sequence,
            records,
            ack,
            progress,
            batch,
        })))
    }

    /// The next chunk of source `source` was mapped straight into the run: the chunks behind it
    /// that came back before it, now ready to apply, in order.
    pub(super) fn applied_directly(&mut self, source: usize) -> Vec<Mapped> {
        self.applied[source] += 1;
        self.queue.applied(None);
        let mut ready = Vec::new();
        while let Some(next) = self.waiting[source].remove(&self.applied[source]) {
            self.applied[source] += 1;
            ready.push(*next);
        }
        ready
    }
}

/// A chunk the core took from the workers' queue while it had nothing to apply.
pub(super) enum CoreJob {
    /// The next chunk of its source: the core maps it straight into the run
    /// ([`Workers::applied_directly`] after).
    Next(Job),
    /// A chunk behind one a worker still maps, mapped by the core into a batch.
    Mapped(Box<Mapped>),
}

impl Drop for Workers {
    fn drop(&mut self) {
        // Readers waiting for room and idle workers return; each worker finishes the chunk it
        // maps (the core no longer takes what it sends).
        self.queue.close();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// A map worker: maps the chunks of the queue and sends them to the core, until the queue closes.
fn work(queue: &ChunkQueue, results: &mpsc::Sender<Event>) {
    while let Some((job, mut batch)) = queue.take() {
        let Job {
            source,
            sequence,
            records,
            ack,
            progress,
            map,
        } = job;
        // A panic in the map function is the core's to raise, in its place among the chunks.
        let mapped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            batch.map_chunk(&map, &records);
            batch
        }));
        let event = Event::Mapped(Box::new(Mapped {
            source,
            sequence,
            records,
            ack,
            progress,
            batch: mapped,
        }));
        if results.blocking_send(event).is_err() {
            return;
        }
    }
}
