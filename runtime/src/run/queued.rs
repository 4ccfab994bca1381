//! Queued targets in the run (store and forward, see `crate::queue`): opening a target through its queue, the
//! quarantine of records a target refused for good into the dead letter, and the drain at the end of a batch
//! run.

use serde::Serialize;

use super::{Run, TargetId};
use crate::dead_letter::Stage;
use crate::error::RunError;
use crate::queue::{OpenForwarded, QueuedTarget};
use crate::summary::QueueSummary;
use crate::target::Durable;

impl Run {
    /// Opens target `name` through its queue: `<--queue-dir>/<name>.sqlite`, forwarded by a thread that opens
    /// the real target with `open`. The run tries that open once here, so that a target that cannot work (a
    /// table that does not fit) stops the run before anything is read; a target that is unreachable for now
    /// (its error is `open.transient`) does not: its records queue until it is back.
    pub fn queued_target<T: Serialize + 'static>(
        &mut self,
        name: &str,
        mut open: OpenForwarded,
    ) -> Result<TargetId<T>, RunError> {
        if open.opened.is_none() {
            match (open.open)() {
                Ok(target) => open.opened = Some(target),
                Err(error) if (open.transient)(&error) => tracing::warn!(
                    target: "fdi::queue",
                    target_name = %name,
                    error = %error,
                    "target unreachable at start; its records queue until it is back"
                ),
                Err(error) => return Err(error),
            }
        }
        let options = &self.config.queue;
        let folder = match &options.queue_dir {
            Some(folder) => self.base_dir.join(folder),
            None => self.base_dir.join("queue"),
        };
        let path = folder.join(format!("{}.sqlite", plain_file_name(name)?));
        let target = QueuedTarget::<T>::open(
            name,
            &path,
            options.queue_max_bytes,
            self.stopping.clone(),
            open,
        )?;
        let shared = target.shared();
        let id = self.add_target(name, Box::new(target));
        self.queues[id.index] = Some(QueueSummary::default());
        self.ops
            .add_queue(shared, self.config.queue.unhealthy_queue_age);
        Ok(id)
    }

    /// After a flush of target `index`: the records its forwarder quarantined go to the dead letter (stage
    /// `write`, the target's reason, the original and the mapped record). One this run read is counted as
    /// rejected instead of written, as a refusal of an unqueued target is; one an earlier run queued was
    /// counted by that run, and is counted apart. Returns whether any was.
    pub(super) fn dead_letter_quarantined(&mut self, index: usize) -> Result<bool, RunError> {
        if self.queues[index].is_none() {
            return Ok(false);
        }
        let quarantined = self.outputs[index].take_quarantined()?;
        for record in &quarantined {
            let flow = self
                .flows
                .iter()
                .position(|f| f.summary.name == record.flow && f.target == index);
            self.dead_letter.write_quarantined(
                Some(&record.flow),
                &record.reject,
                &record.raw,
                &record.mapped,
            )?;
            let summary = self.queues[index].as_mut().expect("a queued target");
            match flow {
                Some(flow) if record.this_run => {
                    summary.quarantined += 1;
                    self.flows[flow].summary.written -= 1;
                    self.targets[index].written -= 1;
                    self.count_reject(flow, Stage::Write, &record.reject);
                }
                _ => summary.quarantined_from_earlier_runs += 1,
            }
        }
        Ok(!quarantined.is_empty())
    }

    /// Dead-letters what the queues quarantined since the last checkpoint, at a tick of the core's timer: a
    /// refusal waits at most about a checkpoint interval for its dead-letter line, also when nothing else
    /// flows.
    pub(super) fn dead_letter_quarantined_of_all(&mut self) -> Result<(), RunError> {
        let mut moved = Vec::new();
        for index in 0..self.outputs.len() {
            if self.queues[index].is_some()
                && self.outputs[index]
                    .queue_status()
                    .is_some_and(|status| status.quarantine_waiting)
                && self.dead_letter_quarantined(index)?
            {
                moved.push(index);
            }
        }
        if moved.is_empty() {
            return Ok(());
        }
        self.dead_letter.flush()?;
        for index in moved {
            self.outputs[index].quarantine_dead_lettered()?;
        }
        Ok(())
    }

    /// At the end of a batch run whose sources all ended: waits until every queue has reached its target (an
    /// error once a target has been unreachable for `--retry-targets-for`: its records stay queued for the next
    /// start), then dead-letters what was quarantined meanwhile. A run stopped by a signal leaves its queues
    /// on disk.
    pub(super) fn drain_queues(&mut self) -> Result<(), RunError> {
        if self.program.service || self.stopping.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(());
        }
        let queued: Vec<usize> = (0..self.outputs.len())
            .filter(|&i| self.queues[i].is_some())
            .collect();
        if queued.is_empty() {
            return Ok(());
        }
        let within = self.config.operations.retry_targets_for;
        let mut result = Ok(());
        for &index in &queued {
            result = result.and(self.outputs[index].drain(within));
        }
        let flushed = self.flush_targets(&queued, true);
        result.and(flushed)
    }

    /// The queue figures of target `index` for the summary, when it is queued.
    pub(super) fn queue_summary(&self, index: usize) -> Option<QueueSummary> {
        let mut summary = self.queues.get(index)?.clone()?;
        if let Some(status) = self.outputs[index].queue_status() {
            summary.forwarded = status.forwarded;
            summary.queued = status.queued;
        }
        Some(summary)
    }
}

/// Target names are identifiers of the mapping; anything that could leave the queue folder is a bug.
fn plain_file_name(name: &str) -> Result<&str, RunError> {
    let plain =
        !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0']);
    if plain {
        Ok(name)
    } else {
        Err(RunError::Program(format!(
            "target name {name:?} cannot name a queue file"
        )))
    }
}
