//! Store and forward: a durable local queue in front of a network target, so that a target outage no longer
//! stops the sources.
//!
//! A queued target ([`QueuedTarget`]) is what the run writes to. `write` appends the mapped record (its JSON,
//! as the target would serialize it) with what a quarantine needs (flow, the original source record, source,
//! position, topic) to an in-memory batch (a JSON line or a broker message is kept as it was read, a copy of
//! its bytes; the dead letter's view of it is made only if the target refuses it, see `store::Original`); `flush` commits the batch to the target's store (`store.rs`: SQLite
//! in WAL mode, `synchronous = FULL`), which is what lets the run acknowledge the source positions behind it:
//! *written*, for a queued target, means *taken durably by its queue*. When the queue holds
//! `--queue-max-bytes`, `write` waits until the forwarder has made room: the run stops, the readers' channel
//! fills and nothing more is read or acknowledged (back-pressure; nothing is dropped, memory does not grow).
//!
//! A forwarder (`forwarder.rs`, a thread per queued target) owns the real target: it reads the oldest entries
//! in batches, writes and flushes them, and removes them from the queue only once the real target's flush
//! succeeded, in order. An outage (an error the target calls transient) is retried for as long as it lasts,
//! with pauses doubling up to 5 s; health shows it and turns unhealthy once the oldest queued record is older
//! than `--unhealthy-queue-age`. A record the target refuses for good (a constraint, a 4xx: `Ok(Err(Reject))`
//! from `write`, `take_refused` after `flush`) moves to the store's quarantine in the same transaction; the run
//! writes it to the dead letter (stage `write`, the target's reason, the original and the mapped record) at its
//! next checkpoint, then removes it. The records behind it keep moving.
//!
//! The queue outlives the process: SIGTERM, a crash or a full disk leave it on disk, and the next start
//! forwards it first. A batch run ends once its queues are drained, or fails (exit 1) when a target stays
//! unreachable longer than `--retry-targets-for`, its records still queued.

mod forwarder;
mod store;

use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;
use serde_json::value::RawValue;

use self::store::{Entry, Extent, Original, Store};
use crate::error::RunError;
use crate::outcome::Reject;
use crate::record::{Payload, Position, RawRecord};
use crate::target::{check_writable, Durable, Target};

pub use self::forwarder::{Forwarded, OpenForwarded};

/// The options of the queues of a generated program (flattened into [`crate::cli::Options`]).
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct QueueOptions {
    /// The folder of the store-and-forward queues, one SQLite file per queued target [default: BASE_DIR/queue]
    #[arg(long, value_name = "DIR")]
    pub queue_dir: Option<PathBuf>,
    /// The most a target's queue holds (records and what their quarantine needs), in bytes; a full queue stops
    /// the sources (back-pressure) until the target takes records again
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_QUEUE_MAX_BYTES)]
    pub queue_max_bytes: u64,
    /// /healthz answers 503 once the oldest record of a queue has waited this long (e.g. 5m, 1h)
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = crate::ops::duration::parse_duration)]
    pub unhealthy_queue_age: Duration,
}

/// 1 GiB.
pub const DEFAULT_QUEUE_MAX_BYTES: u64 = 1 << 30;

impl Default for QueueOptions {
    fn default() -> Self {
        QueueOptions {
            queue_dir: None,
            queue_max_bytes: DEFAULT_QUEUE_MAX_BYTES,
            unhealthy_queue_age: Duration::from_secs(300),
        }
    }
}

/// A record the target refused for good, taken from the queue's quarantine for the dead letter.
#[derive(Debug, Clone)]
pub struct Quarantined {
    pub flow: String,
    pub reject: Reject,
    /// The source record as the run read it: its source, position, topic and original.
    pub raw: RawRecord,
    /// The mapped record, as the target was given it.
    pub mapped: Box<RawValue>,
    /// Whether this run read it (else it was queued by an earlier run and counted there).
    pub this_run: bool,
}

/// What a queue shows: for health, metrics and the summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueStatus {
    pub target: String,
    /// Records waiting for the target.
    pub queued: u64,
    /// What they count towards `--queue-max-bytes`.
    pub bytes: u64,
    /// The store's files on disk (database and write-ahead log).
    pub disk_bytes: u64,
    /// How long the oldest queued record has waited, in seconds.
    pub oldest_age_seconds: f64,
    /// Records this run forwarded (the target made them durable).
    pub forwarded: u64,
    /// Records this run's forwarder moved to quarantine (refused by the target for good).
    pub quarantined: u64,
    /// Whether records the target refused wait in the queue's quarantine for the dead letter.
    pub quarantine_waiting: bool,
    /// Whether the run waits for room in the queue (it is full): sources are not read meanwhile.
    pub backpressured: bool,
    /// Seconds since the forwarder's first failure of an outage; `None` while the target takes records.
    pub unreachable_for_seconds: Option<f64>,
    pub error: Option<String>,
}

/// The state of one queue, shared by the run thread, the forwarder and the health and metrics endpoint.
pub(crate) struct Shared {
    name: String,
    path: PathBuf,
    max_bytes: u64,
    state: Mutex<QueueState>,
    /// Signalled when records were appended, or the queue is closing: the forwarder waits on it.
    appended: Condvar,
    /// Signalled when records left the queue, or the forwarder stopped: a full queue's writer and a drain wait
    /// on it.
    removed: Condvar,
}

struct QueueState {
    store: Store,
    extent: Extent,
    disk_bytes: u64,
    forwarded: u64,
    quarantined: u64,
    /// Of those, how many the run has taken for the dead letter.
    quarantine_taken: u64,
    backpressured: bool,
    unreachable_since: Option<SystemTime>,
    last_error: Option<String>,
    /// The forwarder stopped on an error that is not transient: the run stops with it.
    failed: Option<String>,
    closing: bool,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("target", &self.name)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, QueueState> {
        // A panic while holding the lock leaves counters at worst stale; the store itself is transactional.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The queue's status now.
    pub(crate) fn status(&self) -> QueueStatus {
        let state = self.lock();
        let now = SystemTime::now();
        let oldest_age_seconds = state.extent.oldest.map_or(0.0, |oldest| {
            let millis = now
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64);
            (millis - oldest).max(0) as f64 / 1000.0
        });
        QueueStatus {
            target: self.name.clone(),
            queued: state.extent.records,
            bytes: state.extent.bytes,
            disk_bytes: state.disk_bytes,
            oldest_age_seconds,
            forwarded: state.forwarded,
            quarantined: state.quarantined,
            quarantine_waiting: state.quarantined > state.quarantine_taken,
            backpressured: state.backpressured,
            unreachable_for_seconds: state
                .unreachable_since
                .map(|since| now.duration_since(since).unwrap_or_default().as_secs_f64()),
            error: state.last_error.clone().or_else(|| state.failed.clone()),
        }
    }

    fn failure(&self, failed: &str) -> RunError {
        RunError::Program(format!(
            "target {} failed while forwarding its queue: {failed}; its records stay queued in {} and are \
             forwarded when the program starts again",
            self.name,
            self.path.display()
        ))
    }
}

/// The run's side of a queued target: see the module documentation.
pub struct QueuedTarget<T> {
    shared: Arc<Shared>,
    forwarder: Option<std::thread::JoinHandle<()>>,
    /// Appended since the last flush, committed by the next.
    pending: Vec<Entry>,
    pending_bytes: u64,
    /// The flow and source record of the next write (`Durable::original_of_next_write`).
    next: Option<Origin>,
    /// The name of the flow that wrote last, shared by its entries.
    last_flow: Option<Arc<str>>,
    /// Entries from this id on were enqueued by this run.
    first_of_run: i64,
    /// The last quarantined entry handed to the dead letter, removed once it is durable there.
    dead_lettered_through: Option<i64>,
    /// Set when the run was asked to stop: a write waiting for room goes on, so that the core can
    /// drain what was delivered (the queue then exceeds `--queue-max-bytes` by at most those
    /// deliveries, on disk), flush, acknowledge and exit.
    stopping: Arc<AtomicBool>,
    _record: PhantomData<fn(&T)>,
}

impl<T> QueuedTarget<T> {
    /// Opens (or creates) the queue of target `name` at `path` and starts its forwarder, which opens the real
    /// target with `open` (again after an outage) and reports to `health`; `stopping` is the run's
    /// flag of a requested stop.
    pub fn open(
        name: &str,
        path: &Path,
        max_bytes: u64,
        stopping: Arc<AtomicBool>,
        open: OpenForwarded,
    ) -> Result<Self, RunError> {
        let store = Store::open(path)?;
        let extent = store.extent()?;
        let first_of_run = store.next_id()?;
        let disk_bytes = store.disk_bytes();
        if extent.records > 0 {
            tracing::info!(
                target: "fdi::queue",
                target_name = %name,
                queued = extent.records,
                path = %path.display(),
                "records queued by an earlier run are forwarded first"
            );
        }
        let shared = Arc::new(Shared {
            name: name.to_string(),
            path: path.to_path_buf(),
            max_bytes: max_bytes.max(1),
            state: Mutex::new(QueueState {
                store,
                extent,
                disk_bytes,
                forwarded: 0,
                quarantined: 0,
                quarantine_taken: 0,
                backpressured: false,
                unreachable_since: None,
                last_error: None,
                failed: None,
                closing: false,
            }),
            appended: Condvar::new(),
            removed: Condvar::new(),
        });
        let forwarder = forwarder::spawn(shared.clone(), open)?;
        Ok(QueuedTarget {
            shared,
            forwarder: Some(forwarder),
            pending: Vec::new(),
            pending_bytes: 0,
            next: None,
            last_flow: None,
            first_of_run,
            dead_lettered_through: None,
            stopping,
            _record: PhantomData,
        })
    }

    /// The queue's shared state, for health and metrics.
    pub(crate) fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    /// Commits the pending entries: durable when it returns.
    fn commit(&mut self) -> Result<(), RunError> {
        let mut state = self.shared.lock();
        if let Some(failed) = &state.failed {
            return Err(self.shared.failure(failed));
        }
        if self.pending.is_empty() {
            return Ok(());
        }
        // A record is enqueued when it is durable in the queue: its age (health's) counts from there.
        let now = unix_millis();
        state.store.append(&self.pending, now)?;
        state.extent.records += self.pending.len() as u64;
        state.extent.bytes += self.pending_bytes;
        state.extent.oldest.get_or_insert(now);
        state.disk_bytes = state.store.disk_bytes();
        drop(state);
        self.pending.clear();
        self.pending_bytes = 0;
        self.shared.appended.notify_all();
        Ok(())
    }

    /// Waits until the queue has room for `size` more bytes (or is empty: a record larger than the whole
    /// queue still passes, alone).
    fn wait_for_room(&self, size: u64) -> Result<(), RunError> {
        let mut state = self.shared.lock();
        let mut announced = false;
        while state.extent.records > 0
            && state.extent.bytes + size > self.shared.max_bytes
            && !self.stopping.load(Ordering::SeqCst)
        {
            if let Some(failed) = &state.failed {
                return Err(self.shared.failure(failed));
            }
            if !announced {
                announced = true;
                state.backpressured = true;
                tracing::warn!(
                    target: "fdi::queue",
                    target_name = %self.shared.name,
                    queued = state.extent.records,
                    bytes = state.extent.bytes,
                    "queue full (--queue-max-bytes): the sources wait until the target takes records"
                );
            }
            state = self
                .shared
                .removed
                .wait_timeout(state, Duration::from_secs(1))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        if announced {
            state.backpressured = false;
            tracing::info!(target: "fdi::queue", target_name = %self.shared.name, "queue has room again");
        }
        Ok(())
    }
}

impl<T> Drop for QueuedTarget<T> {
    fn drop(&mut self) {
        self.shared.lock().closing = true;
        self.shared.appended.notify_all();
        if let Some(forwarder) = self.forwarder.take() {
            let _ = forwarder.join();
        }
    }
}

impl<T> Durable for QueuedTarget<T> {
    fn name(&self) -> &str {
        &self.shared.name
    }

    fn flush(&mut self) -> Result<(), RunError> {
        self.commit()
    }

    fn original_of_next_write(&mut self, flow: &str, raw: &RawRecord) {
        let flow = match &self.last_flow {
            Some(last) if **last == *flow => last.clone(),
            _ => self.last_flow.insert(Arc::from(flow)).clone(),
        };
        self.next = Some(Origin {
            flow,
            source: raw.source_name().clone(),
            position: raw.position(),
            topic: raw.topic().map(str::to_string),
            original: original_of(raw),
        });
    }

    fn take_quarantined(&mut self) -> Result<Vec<Quarantined>, RunError> {
        let refused = {
            let mut state = self.shared.lock();
            let refused = state.store.refused(QUARANTINE_BATCH)?;
            // Those of earlier runs' forwarders count too; the counter only says whether any wait.
            state.quarantine_taken = state
                .quarantined
                .min(state.quarantine_taken + refused.len() as u64);
            refused
        };
        let mut taken = Vec::with_capacity(refused.len());
        for refused in refused {
            let stored = refused.stored;
            let entry = stored.entry;
            self.dead_lettered_through = Some(stored.id);
            let raw = raw_of(entry.source, entry.position, entry.topic, entry.original);
            let mapped = RawValue::from_string(entry.mapped).map_err(|e| {
                RunError::Program(format!(
                    "the queue of target {} holds a record that is not JSON: {e}",
                    self.shared.name
                ))
            })?;
            taken.push(Quarantined {
                flow: entry.flow.to_string(),
                reject: refused.reject,
                raw,
                mapped,
                this_run: stored.id >= self.first_of_run,
            });
        }
        Ok(taken)
    }

    fn quarantine_dead_lettered(&mut self) -> Result<(), RunError> {
        if let Some(through) = self.dead_lettered_through.take() {
            self.shared.lock().store.dead_lettered(through)?;
        }
        Ok(())
    }

    fn drain(&mut self, unreachable_for: Duration) -> Result<(), RunError> {
        self.commit()?;
        let mut state = self.shared.lock();
        let mut reported = Instant::now();
        while state.extent.records > 0 {
            if let Some(failed) = &state.failed {
                return Err(self.shared.failure(failed));
            }
            let outage = state
                .unreachable_since
                .map(|since| SystemTime::now().duration_since(since).unwrap_or_default());
            if outage.is_some_and(|outage| outage >= unreachable_for) {
                return Err(RunError::Program(format!(
                    "target {} stayed unreachable longer than --retry-targets-for ({unreachable_for:?}): {} \
                     records stay queued in {} and are forwarded when the program starts again (last error: {})",
                    self.shared.name,
                    state.extent.records,
                    self.shared.path.display(),
                    state.last_error.as_deref().unwrap_or("none")
                )));
            }
            if reported.elapsed() >= Duration::from_secs(10) {
                reported = Instant::now();
                tracing::info!(target: "fdi::queue", target_name = %self.shared.name, queued = state.extent.records, "waiting for the queue to drain");
            }
            state = self
                .shared
                .removed
                .wait_timeout(state, Duration::from_millis(200))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        Ok(())
    }

    fn queue_status(&self) -> Option<QueueStatus> {
        Some(self.shared.status())
    }
}

/// Quarantined records handed to the dead letter per checkpoint at most (the rest at the next).
const QUARANTINE_BATCH: usize = 10_000;

impl<T: Serialize> Target<T> for QueuedTarget<T> {
    fn write(&mut self, record: &T) -> Result<Result<(), Reject>, RunError> {
        // Before serializing: JSON has no NaN, and serde_json would write `null` instead.
        if let Err(reject) = check_writable(record) {
            return Ok(Err(reject));
        }
        let mapped = match serde_json::to_string(record) {
            Ok(mapped) => mapped,
            Err(e) => {
                return Ok(Err(
                    Reject::new("record cannot be serialized").with_detail(e.to_string())
                ))
            }
        };
        let origin = self.next.take().unwrap_or_else(|| Origin {
            flow: Arc::from(""),
            source: Arc::from(""),
            position: 0,
            topic: None,
            original: Original::View("null".into()),
        });
        let entry = Entry {
            // Set when the entry is committed (see `commit`).
            enqueued_at: 0,
            flow: origin.flow,
            source: origin.source,
            position: origin.position,
            topic: origin.topic,
            original: origin.original,
            mapped,
        };
        let size = entry.size();
        let queued = self.shared.lock().extent.bytes;
        if queued + self.pending_bytes + size > self.shared.max_bytes {
            // What is pending goes in first (it is older), then this record waits for room.
            self.commit()?;
            self.wait_for_room(size)?;
        }
        self.pending_bytes += size;
        self.pending.push(entry);
        Ok(Ok(()))
    }
}

/// Where the next write's record came from: what its entry keeps for the quarantine.
struct Origin {
    flow: Arc<str>,
    source: Arc<str>,
    position: Position,
    topic: Option<String>,
    original: Original,
}

/// What an entry keeps of the source record `raw`: a JSON line's text or a message's payload as they came (a
/// copy), any other record as the JSON text of the dead letter's view of it.
fn original_of(raw: &RawRecord) -> Original {
    match &raw.payload {
        Payload::JsonLine {
            text,
            encoding_error: None,
        } => Original::JsonLine(text.clone()),
        Payload::Message {
            bytes,
            unreadable: None,
            ..
        } => Original::Message(bytes.clone()),
        _ => Original::View(
            serde_json::to_string(&raw.original_view()).unwrap_or_else(|_| "null".into()),
        ),
    }
}

/// The source record of a quarantined entry, whose view (`RawRecord::original_view`) the dead letter shows:
/// the record as it was read, or one that shows the view's JSON text as it was kept; a message keeps its
/// topic.
fn raw_of(
    source: Arc<str>,
    position: Position,
    topic: Option<String>,
    original: Original,
) -> RawRecord {
    match (original, topic) {
        (Original::Message(bytes), topic) => {
            RawRecord::message(source, position, topic.unwrap_or_default(), bytes)
        }
        (Original::JsonLine(text), _) => RawRecord::json_line(source, position, text),
        (Original::View(text), Some(topic)) => RawRecord::message(source, position, topic, text),
        (Original::View(text), None) => RawRecord::json_line(source, position, text),
    }
}

fn unix_millis() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the dead letter writes of a record: its view and where it came from.
    fn shown(raw: &RawRecord) -> (serde_json::Value, &str, Position, Option<&str>) {
        let view = serde_json::to_value(raw.original_view()).unwrap();
        (view, raw.source(), raw.position(), raw.topic())
    }

    /// Records of every kind: JSON lines and messages as they come (objects, other JSON, text that is no
    /// JSON, escapes, numbers at the edges of a float, bytes that are no UTF-8), and records kept as views.
    fn records() -> Vec<RawRecord> {
        let source: Arc<str> = Arc::from("counters");
        let texts = [
            r#"{"machine":"M-1","good_parts":3,"energy":1.5}"#,
            r#" { "b" : [1, 2.50, {"c": null}], "a": "\u00e9\ud83d\ude00\"" } "#,
            r#"{"big":1e308,"small":5e-324,"int":18446744073709551616,"neg":-0.0}"#,
            r#"{"dup":1,"dup":2}"#,
            r#""just a string""#,
            "42",
            "null",
            "not json {",
            "",
        ];
        let mut records = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            let position = i as Position + 1;
            records.push(RawRecord::json_line(source.clone(), position, *text));
            records.push(RawRecord::message(
                source.clone(),
                position,
                format!("plant/M-{i}/counters"),
                text.as_bytes(),
            ));
        }
        records.push(RawRecord::message(
            source.clone(),
            20,
            "plant/raw",
            vec![0xff, 0xfe, b'{', 0x80],
        ));
        records.push(RawRecord::unreadable_message(
            source.clone(),
            21,
            "plant/raw",
            b"\x08\x01".to_vec(),
            "not a Sparkplug B payload",
        ));
        records.push(RawRecord::json_line_with_encoding_error(
            source.clone(),
            22,
            "{\"a\":\u{fffd}}".into(),
            Some("not UTF-8".into()),
        ));
        let headers = Arc::new(csv::StringRecord::from(vec![
            "machine", "machine", "energy",
        ]));
        records.push(RawRecord::csv(
            source.clone(),
            23,
            headers.clone(),
            csv::StringRecord::from(vec!["M-1", "M-2", "1.5", "extra"]),
        ));
        records.push(RawRecord::xml_element(
            source,
            24,
            headers,
            csv::StringRecord::from(vec!["M-1", "", "2"]),
            "<m id=\"M-1\"/>".into(),
            None,
        ));
        records
    }

    #[test]
    fn a_quarantined_record_shows_what_the_source_read_as_the_view_kept_before_showed_it() {
        for raw in records() {
            let source = raw.source_name().clone();
            let topic = raw.topic().map(str::to_string);
            let kept = raw_of(
                source.clone(),
                raw.position(),
                topic.clone(),
                original_of(&raw),
            );
            // The way every original was kept before: the view's JSON text.
            let view = serde_json::to_string(&raw.original_view()).unwrap();
            let as_view = raw_of(source, raw.position(), topic, Original::View(view));
            assert_eq!(shown(&kept), shown(&raw), "{raw:?}");
            assert_eq!(shown(&kept), shown(&as_view), "{raw:?}");
        }
    }

    #[test]
    fn json_lines_and_messages_are_kept_as_they_came_and_other_records_as_their_view() {
        let kinds: Vec<&str> = records()
            .iter()
            .map(|raw| match original_of(raw) {
                Original::JsonLine(text) => {
                    assert_eq!(raw.format(), "json");
                    assert_eq!(
                        RawRecord::json_line(raw.source_name().clone(), 0, text.clone()).original(),
                        raw.original()
                    );
                    "line"
                }
                Original::Message(bytes) => {
                    assert_eq!(
                        Some(bytes.as_slice()),
                        match &raw.payload {
                            Payload::Message { bytes, .. } => Some(bytes.as_slice()),
                            _ => None,
                        }
                    );
                    "message"
                }
                Original::View(_) => "view",
            })
            .collect();
        assert_eq!(kinds.iter().filter(|k| **k == "line").count(), 9);
        assert_eq!(kinds.iter().filter(|k| **k == "message").count(), 10);
        // The unreadable message, the line that is not UTF-8, the CSV row and the XML element.
        assert_eq!(kinds[kinds.len() - 4..], ["view"; 4]);
    }
}
