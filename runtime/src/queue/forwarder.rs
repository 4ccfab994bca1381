//! The forwarder of one queued target: a thread that owns the real target and moves the queue's oldest
//! entries to it, in order, removing them only once the target's flush succeeded.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::value::RawValue;

use super::store::Waiting;
use super::Shared;
use crate::error::RunError;
use crate::outcome::Reject;
use crate::target::Target;

/// The real target, taking the records' JSON as the queue holds it: serializing it gives the same text the
/// record gave, so a target writes the same rows and sends the same payloads as it would have unqueued.
pub type Forwarded = Box<dyn Target<Box<RawValue>> + Send>;

/// How the forwarder opens the real target (at its start, and again after an outage).
pub struct OpenForwarded {
    pub open: Box<dyn FnMut() -> Result<Forwarded, RunError> + Send>,
    /// Whether an error of `open` means the target is unreachable for now (else the run stops with it).
    pub transient: fn(&RunError) -> bool,
    /// The target already opened by the run (its first open, which checks what can be checked before anything
    /// is read), if it could be.
    pub opened: Option<Forwarded>,
}

impl OpenForwarded {
    /// For a target whose opening contacts nobody (an MQTT client that connects in the background, an HTTP
    /// client): every error of `open` is about its settings, none transient.
    pub fn opened_offline(
        open: impl FnMut() -> Result<Forwarded, RunError> + Send + 'static,
    ) -> Self {
        OpenForwarded {
            open: Box::new(open),
            transient: |_| false,
            opened: None,
        }
    }
}

/// Entries forwarded per batch: one flush of the real target, one transaction of the queue.
const BATCH: usize = 1000;

/// The first pause after a failure, doubled after each until [`LONGEST_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(100);
const LONGEST_PAUSE: Duration = Duration::from_secs(5);

pub(super) fn spawn(
    shared: Arc<Shared>,
    open: OpenForwarded,
) -> Result<std::thread::JoinHandle<()>, RunError> {
    std::thread::Builder::new()
        .name(format!("fdi-forward-{}", shared.name))
        .spawn(move || forward(&shared, open))
        .map_err(|e| RunError::Program(format!("cannot start the forwarder of a queue: {e}")))
}

/// Why a batch was not forwarded.
enum Failure {
    /// The target is unreachable for now: the batch stays queued and is tried again.
    Outage(RunError),
    /// The forwarder stops, and with it the run.
    Fatal(RunError),
}

fn forward(shared: &Shared, mut open: OpenForwarded) {
    let mut target = open.opened.take();
    let mut pause = FIRST_PAUSE;
    loop {
        let mut batch = match next_batch(shared) {
            Ok(Some(batch)) => batch,
            Ok(None) => return,
            Err(error) => return fail(shared, &error),
        };
        match forward_batch(&mut open, &mut target, &mut batch) {
            Ok(refused) => {
                pause = FIRST_PAUSE;
                if let Err(error) = remove(shared, &batch, refused) {
                    return fail(shared, &error);
                }
            }
            Err(Failure::Outage(error)) => {
                // The target may hold part of the batch in its buffers: it is opened anew, and the batch
                // read and written again from the queue.
                target = None;
                unreachable(shared, &error, pause);
                if pause_or_close(shared, pause) {
                    return;
                }
                pause = (pause * 2).min(LONGEST_PAUSE);
            }
            Err(Failure::Fatal(error)) => return fail(shared, &error),
        }
    }
}

/// The oldest entries, waiting until there are some; `None` once the queue closes.
fn next_batch(shared: &Shared) -> Result<Option<Vec<Waiting>>, RunError> {
    let mut state = shared.lock();
    loop {
        if state.closing {
            return Ok(None);
        }
        if state.extent.records > 0 {
            let batch = state.store.oldest(BATCH)?;
            if !batch.is_empty() {
                return Ok(Some(batch));
            }
        }
        state = shared
            .appended
            .wait_timeout(state, Duration::from_secs(1))
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
}

/// Writes and flushes `batch` to the target (opened first if it is not); the ids of the entries it refused,
/// with its reasons. The mapped records are handed over (taken out of `batch`): a batch that fails is read
/// from the queue again.
fn forward_batch(
    open: &mut OpenForwarded,
    target: &mut Option<Forwarded>,
    batch: &mut [Waiting],
) -> Result<Vec<(i64, Reject)>, Failure> {
    let real = match target {
        Some(real) => real,
        None => match (open.open)() {
            Ok(real) => target.insert(real),
            Err(error) if (open.transient)(&error) => return Err(Failure::Outage(error)),
            Err(error) => return Err(Failure::Fatal(error)),
        },
    };
    let classify = |real: &Forwarded, error: RunError| {
        if real.is_transient(&error) {
            Failure::Outage(error)
        } else {
            Failure::Fatal(error)
        }
    };
    let mut refused = Vec::new();
    // The ids of the writes the target took, by their index among them (what `take_refused` names).
    let mut taken = Vec::with_capacity(batch.len());
    for waiting in batch {
        let record = RawValue::from_string(std::mem::take(&mut waiting.mapped)).map_err(|e| {
            Failure::Fatal(RunError::Program(format!(
                "the queue of target {} holds a record that is not JSON (entry {}): {e}",
                real.name(),
                waiting.id
            )))
        })?;
        match real.write(&record) {
            Ok(Ok(())) => taken.push(waiting.id),
            Ok(Err(reject)) => refused.push((waiting.id, reject)),
            Err(error) => return Err(classify(real, error)),
        }
    }
    if let Err(error) = real.flush() {
        return Err(classify(real, error));
    }
    for refusal in real.take_refused() {
        match taken.get(refusal.write) {
            Some(&id) => refused.push((id, refusal.reject)),
            None => {
                return Err(Failure::Fatal(RunError::Program(format!(
                    "target {} refused write #{} of {} it took",
                    real.name(),
                    refusal.write,
                    taken.len()
                ))))
            }
        }
    }
    Ok(refused)
}

/// The target made `batch` durable but `refused`: they move to the quarantine, the rest leave the queue.
fn remove(shared: &Shared, batch: &[Waiting], refused: Vec<(i64, Reject)>) -> Result<(), RunError> {
    let through = batch.last().map_or(0, |w| w.id);
    let bytes: u64 = batch.iter().map(|w| w.size).sum();
    let mut state = shared.lock();
    state.store.forwarded(through, &refused)?;
    state.extent.records = state.extent.records.saturating_sub(batch.len() as u64);
    state.extent.bytes = state.extent.bytes.saturating_sub(bytes);
    state.extent.oldest = if state.extent.records == 0 {
        None
    } else {
        state.store.oldest_time()?
    };
    state.disk_bytes = state.store.disk_bytes();
    state.forwarded += (batch.len() - refused.len()) as u64;
    state.quarantined += refused.len() as u64;
    if let Some(since) = state.unreachable_since.take() {
        tracing::info!(
            target: "fdi::queue",
            target_name = %shared.name,
            unreachable_for_seconds = SystemTime::now().duration_since(since).unwrap_or_default().as_secs_f64(),
            queued = state.extent.records,
            "target reachable again; forwarding its queue"
        );
    }
    state.last_error = None;
    drop(state);
    for (_, reject) in &refused {
        tracing::warn!(target: "fdi::queue", target_name = %shared.name, reason = %reject.reason, "target refused a queued record; it goes to the dead letter");
    }
    shared.removed.notify_all();
    Ok(())
}

fn unreachable(shared: &Shared, error: &RunError, retry_in: Duration) {
    let mut state = shared.lock();
    state.unreachable_since.get_or_insert_with(SystemTime::now);
    state.last_error = Some(error.to_string());
    tracing::warn!(
        target: "fdi::queue",
        target_name = %shared.name,
        error = %error,
        queued = state.extent.records,
        retry_in_ms = retry_in.as_millis() as u64,
        "target unreachable; its records stay queued, retrying"
    );
    drop(state);
    // A drain watches the outage's length.
    shared.removed.notify_all();
}

/// Waits `pause` unless the queue closes meanwhile (then true).
fn pause_or_close(shared: &Shared, pause: Duration) -> bool {
    let deadline = Instant::now() + pause;
    let mut state = shared.lock();
    loop {
        if state.closing {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        state = shared
            .appended
            .wait_timeout(state, deadline - now)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
}

fn fail(shared: &Shared, error: &RunError) {
    tracing::error!(target: "fdi::queue", target_name = %shared.name, error = %error, "forwarding stopped");
    shared.lock().failed = Some(error.to_string());
    shared.removed.notify_all();
}
