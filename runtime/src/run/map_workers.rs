//! The map workers of parallel mapping (`parallel.rs`): the queue the readers of file sources
//! submit their chunks to, the worker threads that map them into output batches, and the core's
//! bookkeeping of the batches they send back, which it applies in chunk order, mapping a queued
//! chunk itself when it has nothing to apply.

use std::any::Any;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex};

use tokio::sync::mpsc;

use super::drive::Event;
use super::parallel::{OutputBatch, Route, SharedMapFn};
use crate::error::RunError;
use crate::record::{Position, RawRecord};
use crate::source::ReadProgress;

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
        let batch = self.queue.spare_batch();
        Some(CoreJob::Mapped(Box::new(job.map_into(batch))))
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

impl Job {
    /// Maps the chunk into `batch`, on a worker or on the core. A panic in the map function is
    /// kept, for the core to raise in its place among the chunks.
    fn map_into(self, mut batch: OutputBatch) -> Mapped {
        let Job {
            source,
            sequence,
            records,
            ack,
            progress,
            map,
        } = self;
        let batch = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            batch.map_chunk(&map, &records);
            batch
        }));
        Mapped {
            source,
            sequence,
            records,
            ack,
            progress,
            batch,
        }
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
    while let Some((job, batch)) = queue.take() {
        let event = Event::Mapped(Box::new(job.map_into(batch)));
        if results.blocking_send(event).is_err() {
            return;
        }
    }
}
