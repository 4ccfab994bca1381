//! What the run shows while it runs: its figures published to the metrics and the progress bar after every
//! delivery, and the flushes of its targets, retried while a target is unreachable (see `crate::ops`).

use super::{Output, Run};
use crate::dead_letter::Stage;
use crate::error::RunError;
use crate::ops::metrics::{FlowFigures, SourceFigures};
use crate::outcome::Reject;
use crate::source::ReadProgress;
use crate::target::Durable;

impl Run {
    /// Publishes the figures of source `index` (after each delivery): relaxed stores into the metrics'
    /// atomics, and the progress bar. Nothing when neither is on.
    pub(super) fn observe(&mut self, index: usize) {
        if !self.ops.observed() {
            return;
        }
        let progress = self.sources[index].progress;
        if let Some(metrics) = self.ops.metrics() {
            let stats = &self.sources[index];
            metrics.publish_source(
                index,
                SourceFigures {
                    read: stats.read,
                    position: stats.last_position.unwrap_or(0),
                    acknowledged: stats.acknowledged.unwrap_or(0),
                    read_bytes: progress.map(|p| p.read_bytes),
                    total_bytes: progress.and_then(|p| p.total_bytes),
                },
            );
            for (i, flow) in self.flows.iter().enumerate() {
                metrics.publish_flow(
                    i,
                    FlowFigures {
                        read: flow.summary.read,
                        written: flow.summary.written,
                        filtered: flow.summary.filtered,
                        rejected_by_stage: flow.rejected_by_stage,
                    },
                );
            }
            for (i, target) in self.targets.iter().enumerate() {
                metrics.publish_target(i, target.written, self.ops.queue_depth(i, target.written));
            }
            metrics.publish_dead_letter(self.dead_letter.records());
        }
        if let (
            Some(bar),
            Some(ReadProgress {
                read_bytes,
                total_bytes: Some(total),
            }),
        ) = (self.ops.progress(), progress)
        {
            bar.update(index, &self.sources[index].name, read_bytes, total);
        }
    }

    /// Source `index` has ended and everything read from it is durable.
    pub(super) fn observe_finished(&mut self, index: usize) {
        self.observe(index);
        if let Some(metrics) = self.ops.metrics() {
            metrics.source_finished(index);
        }
        if let Some(bar) = self.ops.progress() {
            bar.finish();
        }
        let stats = &self.sources[index];
        tracing::info!(
            target: "fdi::run",
            source = %stats.name,
            read = stats.read,
            acknowledged = stats.acknowledged.unwrap_or(0),
            "source finished"
        );
    }

    /// Write stage: `record` to target `index`, retried while the target is unreachable (see
    /// `Operations::with_retries`).
    #[inline]
    pub(super) fn write_to<T: 'static>(
        &mut self,
        index: usize,
        record: &T,
    ) -> Result<Result<(), Reject>, RunError> {
        let name = &self.targets[index].name;
        let output = self.outputs[index]
            .as_any_mut()
            .downcast_mut::<Output<T>>()
            .ok_or_else(|| {
                RunError::Program(format!("target {name} does not take this flow's records"))
            })?;
        match output.target.write(record) {
            Err(error) => self
                .ops
                .with_retries(output, error, |o| o.target.write(record)),
            written => written,
        }
    }

    /// Makes the targets `indices` durable (`durable`: flush; else hand over to the OS), then the dead
    /// letter. A target that fails with a transient error is retried (`Operations::with_retries`); the dead
    /// letter, a local file, is not.
    pub(super) fn flush_targets(
        &mut self,
        indices: &[usize],
        durable: bool,
    ) -> Result<(), RunError> {
        let mut quarantined = Vec::new();
        for &index in indices {
            let persist = self.persist(Some(index), durable);
            let target = &mut *self.outputs[index];
            if let Err(error) = flush_once(target, persist) {
                self.ops
                    .with_retries(target, error, |t| flush_once(t, persist))?;
            }
            self.dead_letter_refused(index)?;
            if self.dead_letter_quarantined(index)? {
                quarantined.push(index);
            }
            let written = self.targets[index].written;
            self.ops.flushed(&self.targets[index].name, written);
        }
        // Records quarantined by a queue leave it only once the dead letter holds them durably.
        if durable || !quarantined.is_empty() {
            self.dead_letter.flush()?;
        } else {
            let persist = self.persist(None, false);
            flush_once(&mut self.dead_letter, persist)?;
        }
        for index in quarantined {
            self.outputs[index].quarantine_dead_lettered()?;
        }
        Ok(())
    }
}

impl Run {
    /// After a flush of target `index`: the records it refused are dead-lettered (stage "write") and counted
    /// as rejected instead of written; the originals kept for it are let go.
    fn dead_letter_refused(&mut self, index: usize) -> Result<(), RunError> {
        let Some(unflushed) = self.unflushed[index].take() else {
            return Ok(());
        };
        for refusal in self.outputs[index].take_refused() {
            let Some((flow, raw)) = unflushed.get(refusal.write) else {
                return Err(RunError::Program(format!(
                    "target {} refused write #{} of {} since its last flush",
                    self.targets[index].name,
                    refusal.write,
                    unflushed.len()
                )));
            };
            // (In a replay, the new entry names the one it replays: `replay.rs`.)
            self.dead_letter_reject(Some(*flow), Stage::Write, &refusal.reject, raw)?;
            self.flows[*flow].summary.written -= 1;
            self.targets[index].written -= 1;
            self.count_reject(*flow, Stage::Write, &refusal.reject);
        }
        let mut unflushed = unflushed;
        unflushed.clear();
        self.unflushed[index] = Some(unflushed);
        Ok(())
    }
}

/// What a checkpoint asks of a target or the dead letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Persist {
    /// Durable (flush).
    Flush,
    /// Handed to the operating system.
    HandOver,
    /// Handed over when the target sees fit (see `Durable::hand_over_lazily`).
    HandOverLazily,
}

impl Run {
    /// What a checkpoint (`durable` or not) asks of target `index`, or of the dead letter for
    /// `None`: a hand-over may be lazy when every source that feeds it (every source, for the
    /// dead letter) is read again from its start after a crash and commits nothing.
    fn persist(&self, target: Option<usize>, durable: bool) -> Persist {
        if durable {
            return Persist::Flush;
        }
        let rereadable = self
            .sources
            .iter()
            .filter(|s| target.is_none_or(|t| s.targets.contains(&t)))
            .all(|s| s.rereads_from_start && !s.commits_positions);
        if rereadable {
            Persist::HandOverLazily
        } else {
            Persist::HandOver
        }
    }
}

fn flush_once<D: Durable + ?Sized>(target: &mut D, persist: Persist) -> Result<(), RunError> {
    match persist {
        Persist::Flush => target.flush(),
        Persist::HandOver => target.hand_over(),
        Persist::HandOverLazily => target.hand_over_lazily(),
    }
}
