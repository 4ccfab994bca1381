//! Readers: the read stage of each source, at the edge, sending deliveries to the core (`drive.rs`).
//!
//! A source that reads with blocking calls (a file, [`Source`]) gets a thread of its own from tokio's blocking
//! pool and sends chunks of up to [`CHUNK`] records, each chunk acknowledged by its last position: to the core,
//! or, for a source mapped on the map workers, straight to them (`parallel.rs`). It takes the
//! core's spent chunks back to reuse their buffers (`Source::recycle`), and passes the acknowledged positions to
//! the source (`Source::acknowledge`) between chunks.
//!
//! A source whose reads wait ([`StreamSource`]: a broker topic, a polled table) is a tokio task that sends each
//! delivery as it comes and commits acknowledged positions as they come back.
//!
//! Either kind, once it has ended, keeps committing the positions the core still sends (the last checkpoint
//! comes after the end) until the core lets go of it.

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::drive::Event;
use super::map_workers::{ChunkLink, Job};
use crate::error::RunError;
use crate::record::{Position, RawRecord};
use crate::source::{Source, StreamSource};

/// Records per delivery of a file source: enough that a channel send is rare next to the work on each record,
/// few enough that the chunks in flight stay small. Never more than `--checkpoint-every`. Measured at 1,000,000
/// records (docs/benchmarks-history.md): 256 cost the lightest workload a tenth of its speed in thread wake-ups; 1024 won
/// little more than 512 and cost wide rows 9 MiB more.
pub(super) const CHUNK: usize = 512;

// A spent chunk comes back whole (`read_in_chunks`): a file source must keep all of it for reuse.
const _: () = assert!(
    crate::source::SPARE_RECORDS >= CHUNK,
    "a file source keeps fewer recycled records than a chunk holds"
);

/// What a reader is given: where to send, what comes back, when to stop.
pub(crate) struct ReaderLink {
    /// The source's index in the run.
    pub source: usize,
    pub name: String,
    pub events: mpsc::Sender<Event>,
    /// Positions the core has made durable, to commit in the source's own terms.
    pub acks: mpsc::UnboundedReceiver<Position>,
    /// Chunks the core is done with, whose buffers the next reads reuse.
    pub spent: mpsc::Receiver<Vec<RawRecord>>,
    /// Becomes `true` when the run stops: read no more, end.
    pub stop: watch::Receiver<bool>,
    /// Records per delivery at most.
    pub chunk: usize,
    /// For a file source mapped on the map workers: where its chunks go instead of the core.
    pub workers: Option<ChunkLink>,
}

/// Starts the reader of a source that reads with blocking calls on a thread of tokio's blocking pool.
pub(super) fn spawn_blocking_reader<S: Source + Send + 'static>(
    mut source: S,
    mut link: ReaderLink,
    runtime: &tokio::runtime::Handle,
) -> JoinHandle<()> {
    runtime.spawn_blocking(move || {
        let result = read_in_chunks(&mut source, &mut link);
        if let Err(error) = &result {
            tracing::error!(target: "fdi::run", source = %link.name, %error, "source failed");
        }
        // The core may be gone already (it stopped on an error): then nobody needs to know.
        let _ = link.events.blocking_send(Event::Ended {
            source: link.source,
            result,
            chunks_on_workers: link.workers.as_ref().map_or(0, |w| w.submitted),
        });
        while let Some(position) = link.acks.blocking_recv() {
            if let Err(error) = source.acknowledge(position) {
                tracing::error!(target: "fdi::run", source = %link.name, %error, "acknowledging failed");
            }
        }
    })
}

/// Starts the reader of a stream source: a tokio task.
pub(super) fn spawn_stream_reader<S: StreamSource>(
    mut source: S,
    mut link: ReaderLink,
    runtime: &tokio::runtime::Handle,
) -> JoinHandle<()> {
    runtime.spawn(async move {
        let result = read_stream(&mut source, &mut link).await;
        if let Err(error) = &result {
            tracing::error!(target: "fdi::run", source = %link.name, %error, "source failed");
        }
        let _ = link
            .events
            .send(Event::Ended {
                source: link.source,
                result,
                chunks_on_workers: 0,
            })
            .await;
        while let Some(position) = link.acks.recv().await {
            if let Err(error) = source.acknowledge(position).await {
                tracing::error!(target: "fdi::run", source = %link.name, %error, "acknowledging failed");
            }
        }
    })
}

async fn read_stream<S: StreamSource>(
    source: &mut S,
    link: &mut ReaderLink,
) -> Result<(), RunError> {
    loop {
        if *link.stop.borrow() {
            return Ok(());
        }
        // Acknowledgements first: a busy source must not hold back what the broker may forget.
        tokio::select! {
            biased;
            _ = link.stop.changed() => return Ok(()),
            Some(position) = link.acks.recv() => source.acknowledge(position).await?,
            next = source.next() => {
                let Some(delivery) = next? else {
                    return Ok(());
                };
                let event = Event::Delivery {
                    source: link.source,
                    records: delivery.records,
                    ack: delivery.position,
                    progress: None,
                };
                if link.events.send(event).await.is_err() {
                    return Ok(());
                }
            }
        }
    }
}

fn read_in_chunks<S: Source>(source: &mut S, link: &mut ReaderLink) -> Result<(), RunError> {
    loop {
        if *link.stop.borrow() {
            return Ok(());
        }
        while let Ok(position) = link.acks.try_recv() {
            source.acknowledge(position)?;
        }
        let mut records = match link.spent.try_recv() {
            Ok(mut spent) => {
                for raw in spent.drain(..) {
                    source.recycle(raw);
                }
                spent
            }
            Err(_) => Vec::with_capacity(link.chunk),
        };
        while records.len() < link.chunk {
            match source.read()? {
                Some(raw) => records.push(raw),
                None => break,
            }
        }
        let at_end = records.len() < link.chunk;
        if let Some(last) = records.last() {
            let ack = last.position();
            let progress = source.progress();
            if let Some(workers) = &mut link.workers {
                // To the map workers; the core sees the chunk when it comes back mapped.
                let job = Job {
                    source: link.source,
                    sequence: workers.submitted,
                    records,
                    ack,
                    progress,
                    map: workers.map.clone(),
                };
                if !workers.queue.submit(job) {
                    return Ok(());
                }
                workers.submitted += 1;
            } else {
                let delivery = Event::Delivery {
                    source: link.source,
                    ack,
                    records,
                    progress,
                };
                if link.events.blocking_send(delivery).is_err() {
                    return Ok(());
                }
            }
        }
        if at_end {
            return Ok(());
        }
    }
}
