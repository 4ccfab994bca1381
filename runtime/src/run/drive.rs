//! The loop of a run: readers at the edges, a synchronous core, checkpoints per source.
//!
//! [`Run::drive`] starts one reader per source (`reader.rs`): a file source on a blocking thread of its own,
//! a network source as a tokio task. Readers send [`Event::Delivery`]s on one bounded channel; the core, the
//! thread that called `drive`, takes them one at a time. It runs the source's map function (decode, then
//! every flow of the source, generated code) on each record itself, or, for a file source with
//! `--map-threads` above 1, whose reader hands its chunks straight to the map workers, applies the output
//! batches the workers send back in chunk order (`parallel.rs`): either way the core is the only writer. Per source it counts the records since its last
//! checkpoint and remembers when the oldest arrived; when either reaches `--checkpoint-every` or
//! `--checkpoint-interval`, it flushes the targets the source feeds and the dead letter, and only then sends
//! the reader the position to acknowledge (a source whose flows deliver at most once is acknowledged when the core
//! takes a delivery, before its records are mapped). A timer sends [`Event::Tick`] so that a quiet source is checkpointed
//! within the interval; a signal sends [`Event::Stop`], after which readers stop and the core drains.

use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::map_workers::{CoreJob, Job, Mapped, Workers};
use super::parallel::{MapSink, SharedMapFn};
use super::reader::{self, ReaderLink};
use super::Run;
use crate::error::RunError;
use crate::record::{Position, RawRecord};
use std::collections::VecDeque;

use crate::source::{ReadProgress, Source, StreamSource};

/// The map function of one source, generated per source: decode, then every flow of the source
/// (`Run::decode`, the flows, `Run::deliver`). Pure but for what it hands to the run.
pub type MapFn = Box<dyn FnMut(&mut Run, &RawRecord) -> Result<(), RunError>>;

/// Deliveries in flight between the readers and the core: with file chunks of up to [`reader::CHUNK`]
/// records, a few thousand records; a reader beyond it waits (back-pressure).
const DELIVERIES_IN_FLIGHT: usize = 16;

/// How long the readers have, after the core is done, to commit their last positions.
const READERS_FINISH_WITHIN: Duration = Duration::from_secs(10);

/// Starts a source's reader on the IO threads.
type StartReader = Box<dyn FnOnce(ReaderLink, &tokio::runtime::Handle) -> JoinHandle<()>>;

/// A source opened and ready to be read: its name, whether it commits positions outside the
/// process, and how to start its reader (on a thread for a [`Source`], as a task for a
/// [`StreamSource`]).
pub struct OpenSource {
    name: String,
    commits_positions: bool,
    /// Whether its reader delivers chunks of records (a file), which map workers may take.
    chunked: bool,
    /// Deliveries the source can have unacknowledged (see `StreamSource::unacknowledged_limit`).
    unacknowledged_limit: Option<u64>,
    /// Whether the source is read again from its start after a crash: a blocking [`Source`] is a
    /// file; a stream that commits nothing is live, and what it sent is not sent again.
    rereads_from_start: bool,
    start: StartReader,
}

impl OpenSource {
    /// A source that reads with blocking calls (a file), read on a thread of its own.
    pub fn blocking<S: Source + Send + 'static>(source: S) -> Self {
        OpenSource {
            name: source.name().to_string(),
            commits_positions: source.commits_positions(),
            chunked: true,
            unacknowledged_limit: None,
            rereads_from_start: true,
            start: Box::new(move |link, runtime| {
                reader::spawn_blocking_reader(source, link, runtime)
            }),
        }
    }

    /// A source whose reads wait (a broker topic, a polled table), read by a tokio task.
    pub fn stream<S: StreamSource>(source: S) -> Self {
        OpenSource {
            name: source.name().to_string(),
            commits_positions: source.commits_positions(),
            chunked: false,
            unacknowledged_limit: source.unacknowledged_limit().map(|limit| limit as u64),
            rereads_from_start: false,
            start: Box::new(move |link, runtime| {
                reader::spawn_stream_reader(source, link, runtime)
            }),
        }
    }

    /// The source's name in the mapping.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl From<crate::source::CsvSource> for OpenSource {
    fn from(source: crate::source::CsvSource) -> Self {
        OpenSource::blocking(source)
    }
}

impl From<crate::source::JsonlSource> for OpenSource {
    fn from(source: crate::source::JsonlSource) -> Self {
        OpenSource::blocking(source)
    }
}

/// A source registered with [`Run::source`], started by [`Run::drive`].
pub(super) struct SourceEntry {
    /// Its index in `Run::sources`.
    index: usize,
    start: StartReader,
    map: SourceMap,
    chunked: bool,
}

/// A source's map function: one that runs on the core, or one that may run on several cores.
pub(super) enum SourceMap {
    Core(MapFn),
    Shared(SharedMapFn),
}

/// What readers, the timer and the signal handler tell the core.
pub(crate) enum Event {
    /// Records of source `source` that are acknowledged together, by `ack`: a chunk of a file, one broker
    /// message (which may carry several records, or none).
    Delivery {
        source: usize,
        records: Vec<RawRecord>,
        ack: Position,
        progress: Option<ReadProgress>,
    },
    /// Source `source` has ended (a file at its end, a reader told to stop), or failed, after
    /// submitting `chunks_on_workers` chunks to the map workers.
    Ended {
        source: usize,
        result: Result<(), RunError>,
        chunks_on_workers: u64,
    },
    /// A chunk a map worker has mapped, to apply in its turn.
    Mapped(Box<Mapped>),
    /// Time to look for sources whose oldest unacknowledged record waits too long.
    Tick,
    /// SIGTERM or SIGINT: stop reading, drain, flush, acknowledge, exit.
    Stop,
}

/// The core's link to one running reader.
struct Running {
    map: SourceMap,
    acks: mpsc::UnboundedSender<Position>,
    spent: mpsc::Sender<Vec<RawRecord>>,
    ended: bool,
}

impl Run {
    /// Registers a source (a file source such as `CsvSource`, or an [`OpenSource`] a network connector
    /// opened) with its map function; [`Run::drive`] starts its reader.
    pub fn source<F>(&mut self, source: impl Into<OpenSource>, map: F)
    where
        F: FnMut(&mut Run, &RawRecord) -> Result<(), RunError> + 'static,
    {
        // A replay of the dead letter reads the records to replay instead (`replay.rs`).
        let (source, map) = self.for_replay(source.into(), Box::new(map));
        self.register_source(source, SourceMap::Core(map));
    }

    pub(super) fn register_source(&mut self, source: OpenSource, map: SourceMap) {
        let index = self.source_index(&source.name);
        self.sources[index].commits_positions = source.commits_positions;
        self.sources[index].unacknowledged_limit = source.unacknowledged_limit;
        self.sources[index].rereads_from_start = source.rereads_from_start;
        self.readers.push(SourceEntry {
            index,
            start: source.start,
            map,
            chunked: source.chunked,
        });
    }

    /// Registers a source whose reads wait (a broker topic, a polled table) with its map function:
    /// `run.source(OpenSource::stream(source), map)`.
    pub fn stream_source<S, F>(&mut self, source: S, map: F)
    where
        S: StreamSource,
        F: FnMut(&mut Run, &RawRecord) -> Result<(), RunError> + 'static,
    {
        self.source(OpenSource::stream(source), map);
    }

    /// Runs every registered source to its end (or until a signal stops the run), side by side, and makes
    /// everything durable. See the module documentation.
    pub fn drive(&mut self) -> Result<(), RunError> {
        if !self.delivery_conflicts.is_empty() {
            return Err(RunError::Program(self.delivery_conflicts.join("; ")));
        }
        let entries = std::mem::take(&mut self.readers);
        let result = if entries.is_empty() {
            Ok(())
        } else {
            self.drive_sources(entries)
        };
        // Every target ends durable, also one no flow wrote.
        let all: Vec<usize> = (0..self.outputs.len()).collect();
        let flushed = self.flush_targets(&all, true);
        // A batch run ends once its queued targets have what it queued (see `queued.rs`).
        let drained = if result.is_ok() && flushed.is_ok() {
            self.drain_queues()
        } else {
            Ok(())
        };
        result.and(flushed).and(drained)
    }

    fn drive_sources(&mut self, entries: Vec<SourceEntry>) -> Result<(), RunError> {
        let runtime = self.io().clone();
        let (events, mut incoming) = mpsc::channel(DELIVERIES_IN_FLIGHT);
        let (stop, stopped) = watch::channel(false);
        let mut running: Vec<Option<Running>> = (0..self.sources.len()).map(|_| None).collect();
        // Map workers when a source can use them and the run has more than one core for them.
        let threads = self.config.map_threads();
        let parallel =
            |entry: &SourceEntry| entry.chunked && matches!(entry.map, SourceMap::Shared(_));
        let mut workers = if threads > 1 && entries.iter().any(parallel) {
            Some(Workers::start(
                threads,
                self.sources.len(),
                self.routes(),
                &events,
            )?)
        } else {
            None
        };
        let mut readers = Vec::new();
        for entry in entries {
            let (acks, ack_receiver) = mpsc::unbounded_channel();
            // Its chunks on the map workers come back in bursts (those mapped ahead of a slow
            // one): room for every chunk it may have out, so that none is dropped and allocated
            // again.
            let on_workers = match (&workers, &entry.map) {
                (Some(workers), SourceMap::Shared(map)) if parallel(&entry) => {
                    Some(workers.link(map))
                }
                _ => None,
            };
            let spent_room = workers.as_ref().map_or(2, |w| w.limit() + 2);
            let (spent, spent_receiver) = mpsc::channel(spent_room);
            let link = ReaderLink {
                source: entry.index,
                name: self.sources[entry.index].name.clone(),
                events: events.clone(),
                acks: ack_receiver,
                spent: spent_receiver,
                stop: stopped.clone(),
                chunk: reader::CHUNK.min(self.config.checkpoint_every),
                workers: on_workers,
            };
            readers.push((entry.start)(link, &runtime));
            running[entry.index] = Some(Running {
                map: entry.map,
                acks,
                spent,
                ended: false,
            });
        }
        let timer = runtime.spawn(tick(events.clone(), self.config.checkpoint_interval));
        let signals = runtime.spawn(stop_on_signal(events, self.stopping.clone()));
        let result = self.core(&mut running, &mut incoming, &stop, &mut workers);
        // Readers still running (after an error) see the channel closed and end; readers that ended commit the
        // last positions sent to them, and stop when their link to the core is dropped.
        drop(incoming);
        // The workers finish the chunks they have and end (what they made is not written); readers waiting
        // for room on them end.
        drop(workers);
        let _ = stop.send(true);
        drop(running);
        let finished = runtime.block_on(async {
            let all = async {
                for reader in readers {
                    let _ = reader.await;
                }
            };
            tokio::time::timeout(READERS_FINISH_WITHIN, all).await
        });
        if finished.is_err() {
            tracing::warn!(target: "fdi::run", "a reader did not finish; what it did not commit is read again");
        }
        timer.abort();
        signals.abort();
        result
    }

    /// The core: handles events until every source has ended.
    fn core(
        &mut self,
        running: &mut [Option<Running>],
        incoming: &mut mpsc::Receiver<Event>,
        stop: &watch::Sender<bool>,
        workers: &mut Option<Workers>,
    ) -> Result<(), RunError> {
        let mut open = running.iter().filter(|r| r.is_some()).count();
        let mut deadline: Option<Instant> = None;
        // Events put aside while the core waited for the last chunks of an ended source.
        let mut deferred = VecDeque::new();
        while open > 0 {
            if deadline.is_some_and(|d| Instant::now() > d) {
                return Err(RunError::Program(format!(
                    "the run did not drain within --shutdown-timeout ({:?}); what was not acknowledged is \
                     read again at the next start",
                    self.config.shutdown_timeout
                )));
            }
            let event = match deferred.pop_front() {
                Some(event) => Some(event),
                None => self.next_event(incoming, workers.as_mut(), running)?,
            };
            let Some(event) = event else {
                return Err(RunError::Program(
                    "every reader stopped unexpectedly".into(),
                ));
            };
            match event {
                Event::Mapped(mapped) => {
                    if let Some(workers) = workers.as_mut() {
                        self.mapped(mapped, running, workers)?;
                    }
                }
                Event::Delivery {
                    source,
                    records,
                    ack,
                    progress,
                } => {
                    let Some(reader) = running[source].as_mut() else {
                        continue;
                    };
                    self.received(source, ack, progress, reader);
                    match &mut reader.map {
                        SourceMap::Shared(map) => {
                            for raw in &records {
                                map(&mut MapSink::direct(self), raw)?;
                            }
                        }
                        SourceMap::Core(map) => {
                            for raw in &records {
                                map(self, raw)?;
                            }
                        }
                    }
                    self.delivered(source, records, ack, running)?;
                }
                Event::Ended {
                    source,
                    result,
                    chunks_on_workers,
                } => {
                    result?;
                    // Its chunks still on the workers are written first.
                    if let Some(workers) = workers.as_mut() {
                        while workers.applied_of(source) < chunks_on_workers {
                            match self.next_event(incoming, Some(workers), running)? {
                                Some(Event::Mapped(mapped)) => {
                                    self.mapped(mapped, running, workers)?
                                }
                                Some(other) => deferred.push_back(other),
                                None => {
                                    return Err(RunError::Program(
                                        "the map workers stopped unexpectedly".into(),
                                    ))
                                }
                            }
                        }
                    }
                    if let Some(reader) = running[source].as_mut() {
                        if !reader.ended {
                            reader.ended = true;
                            open -= 1;
                            self.finish_source(source, running)?;
                        }
                    }
                }
                Event::Tick => {
                    self.dead_letter_quarantined_of_all()?;
                    let now = Instant::now();
                    for source in 0..running.len() {
                        if running[source].is_some() && self.checkpoint_due(source, now) {
                            self.checkpoint(source, running)?;
                        }
                    }
                }
                Event::Stop => {
                    tracing::info!(target: "fdi::run", "stopping: draining what was read");
                    let _ = stop.send(true);
                    deadline.get_or_insert(Instant::now() + self.config.shutdown_timeout);
                }
            }
        }
        Ok(())
    }

    /// The next event. While there is none and the map workers' queue has a chunk no worker has taken yet,
    /// the core maps it itself rather than wait: a worker the OS set aside does not hold back the others.
    fn next_event(
        &mut self,
        incoming: &mut mpsc::Receiver<Event>,
        workers: Option<&mut Workers>,
        running: &[Option<Running>],
    ) -> Result<Option<Event>, RunError> {
        let Some(workers) = workers else {
            return Ok(incoming.blocking_recv());
        };
        loop {
            match incoming.try_recv() {
                Ok(event) => return Ok(Some(event)),
                Err(mpsc::error::TryRecvError::Disconnected) => return Ok(None),
                Err(mpsc::error::TryRecvError::Empty) => {}
            }
            match workers.steal() {
                None => return Ok(incoming.blocking_recv()),
                Some(CoreJob::Mapped(mapped)) => self.mapped(mapped, running, workers)?,
                Some(CoreJob::Next(job)) => self.map_next(job, running, workers)?,
            }
        }
    }

    /// The next chunk of its source, taken from the map workers' queue: mapped straight into the run, as on
    /// one core; then the chunks behind it that came back before it.
    fn map_next(
        &mut self,
        job: Job,
        running: &[Option<Running>],
        workers: &mut Workers,
    ) -> Result<(), RunError> {
        let Job {
            source,
            records,
            ack,
            progress,
            map,
            ..
        } = job;
        if let Some(reader) = &running[source] {
            self.received(source, ack, progress, reader);
        }
        for raw in &records {
            map(&mut MapSink::direct(self), raw)?;
        }
        let ready = workers.applied_directly(source);
        self.delivered(source, records, ack, running)?;
        self.apply_ready(ready, running, workers)
    }

    /// A chunk back from the map workers: it and those behind it that came back before it are applied, in
    /// their order, each as one delivery.
    fn mapped(
        &mut self,
        mapped: Box<Mapped>,
        running: &[Option<Running>],
        workers: &mut Workers,
    ) -> Result<(), RunError> {
        let ready = workers.ready(mapped);
        self.apply_ready(ready, running, workers)
    }

    fn apply_ready(
        &mut self,
        ready: Vec<Mapped>,
        running: &[Option<Running>],
        workers: &mut Workers,
    ) -> Result<(), RunError> {
        for ready in ready {
            let Mapped {
                source,
                records,
                ack,
                progress,
                batch,
                ..
            } = ready;
            let mut batch = match batch {
                Ok(batch) => batch,
                // The map function panicked on a worker: as it would have on the core.
                Err(panic) => std::panic::resume_unwind(panic),
            };
            if let Some(reader) = &running[source] {
                self.received(source, ack, progress, reader);
            }
            self.apply(source, &mut batch, &records)?;
            workers.recycle(batch);
            self.delivered(source, records, ack, running)?;
        }
        Ok(())
    }

    /// The core takes a delivery of source `source` (from its reader, or mapped from the map workers), before
    /// writing any of it.
    fn received(
        &mut self,
        source: usize,
        ack: Position,
        progress: Option<ReadProgress>,
        reader: &Running,
    ) {
        let stats = &mut self.sources[source];
        stats.progress = progress.or(stats.progress);
        stats.pending_since.get_or_insert_with(Instant::now);
        if stats.acknowledge_on_receipt == Some(true) {
            // At most once: the position goes back before the records are written, so a crash from here on
            // loses them and never writes them twice.
            stats.acknowledged = Some(ack);
            let _ = reader.acks.send(ack);
        }
    }

    /// The records of a delivery are written (or dead-lettered, or filtered): the source's position moves
    /// on, its buffers go back to its reader, and it is checkpointed when it is due.
    fn delivered(
        &mut self,
        source: usize,
        records: Vec<RawRecord>,
        ack: Position,
        running: &[Option<Running>],
    ) -> Result<(), RunError> {
        let stats = &mut self.sources[source];
        // (A chunk a map worker had while its source was checkpointed waits for the next checkpoint
        // from now on.)
        stats.pending_since.get_or_insert_with(Instant::now);
        stats.last_position = Some(ack);
        stats.since_checkpoint += records.len() as u64;
        stats.deliveries_since_checkpoint += 1;
        // The records' buffers go back to the reader; when it has enough, they are dropped.
        if let Some(reader) = &running[source] {
            let _ = reader.spent.try_send(records);
        }
        if self.checkpoint_due(source, Instant::now()) {
            self.checkpoint(source, running)?;
        }
        self.observe(source);
        Ok(())
    }

    /// Whether source `index` has waited long enough, by count or by time, for a checkpoint.
    fn checkpoint_due(&self, index: usize, now: Instant) -> bool {
        let stats = &self.sources[index];
        let Some(since) = stats.pending_since else {
            return false;
        };
        stats.since_checkpoint >= self.config.checkpoint_every as u64
            || stats
                .unacknowledged_limit
                .is_some_and(|limit| stats.deliveries_since_checkpoint >= limit)
            || now.duration_since(since) >= self.config.checkpoint_interval
    }

    /// The checkpoint of source `index`: its targets and the dead letter are made durable (for a source that
    /// commits its positions; a file source, read again from its start after a crash, hands them to the OS),
    /// then its last position goes back to its reader.
    fn checkpoint(&mut self, index: usize, running: &[Option<Running>]) -> Result<(), RunError> {
        let durable = self.sources[index].commits_positions;
        self.flush_and_acknowledge(index, durable, running)
    }

    /// The end of source `index`: everything it fed is made durable and its last position acknowledged.
    fn finish_source(&mut self, index: usize, running: &[Option<Running>]) -> Result<(), RunError> {
        self.flush_and_acknowledge(index, true, running)?;
        self.observe_finished(index);
        Ok(())
    }

    fn flush_and_acknowledge(
        &mut self,
        index: usize,
        durable: bool,
        running: &[Option<Running>],
    ) -> Result<(), RunError> {
        let targets = self.sources[index].targets.clone();
        self.flush_targets(&targets, durable)?;
        let stats = &mut self.sources[index];
        stats.since_checkpoint = 0;
        stats.deliveries_since_checkpoint = 0;
        stats.pending_since = None;
        // A source acknowledged on receipt has nothing left to acknowledge here.
        if let Some(position) = stats
            .last_position
            .filter(|p| stats.acknowledged != Some(*p))
        {
            stats.acknowledged = Some(position);
            if let Some(reader) = &running[index] {
                // A reader that has ended takes no more acknowledgements; its position is in the summary.
                let _ = reader.acks.send(position);
            }
        }
        Ok(())
    }
}

/// Sends [`Event::Tick`] a few times per checkpoint interval, so that a quiet source's records wait at most
/// about the interval. A full channel means deliveries are flowing, and they check the time themselves.
async fn tick(events: mpsc::Sender<Event>, interval: Duration) {
    let period = (interval / 4).clamp(Duration::from_millis(5), Duration::from_secs(1));
    let mut timer = tokio::time::interval(period);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        timer.tick().await;
        match events.try_send(Event::Tick) {
            Err(mpsc::error::TrySendError::Closed(_)) => return,
            _ => continue,
        }
    }
}

/// The first SIGTERM or SIGINT asks the core to stop ([`Event::Stop`]); a second one exits at once (code 130),
/// leaving what was not acknowledged to be read again at the next start.
async fn stop_on_signal(
    events: mpsc::Sender<Event>,
    stopping: std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut terminate), Ok(mut interrupt)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::warn!(target: "fdi::run", "cannot listen for SIGTERM and SIGINT");
        return;
    };
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
    // A core that waits for room in a full queue takes no event: the queue sees the stop itself.
    stopping.store(true, std::sync::atomic::Ordering::SeqCst);
    if events.send(Event::Stop).await.is_err() {
        return;
    }
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
    tracing::warn!(target: "fdi::run", "second signal: exiting without draining");
    std::process::exit(130);
}
