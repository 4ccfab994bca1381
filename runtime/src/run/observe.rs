//! What the run shows while it runs: its figures published to the metrics and the progress bar after every
//! record, and the flushes of its targets, retried while a target is unreachable (see `crate::ops`).

use super::Run;
use crate::error::RunError;
use crate::ops::metrics::{FlowFigures, SourceFigures};
use crate::outcome::Reject;
use crate::source::{ReadProgress, Source};
use crate::target::{Durable, Target};

impl Run {
    /// Publishes the figures after a record of source `index`: relaxed stores into the metrics' atomics, and
    /// the progress bar. Nothing when neither is on.
    pub(super) fn observe<S: Source + ?Sized>(&mut self, index: usize, source: &S) {
        if !self.ops.observed() {
            return;
        }
        let progress = source.progress();
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

    /// Source `index` is exhausted and everything read from it is durable.
    pub(super) fn observe_finished<S: Source + ?Sized>(&mut self, index: usize, source: &S) {
        self.observe(index, source);
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

    /// Write stage: `target.write(record)`, retried while the target is unreachable (see
    /// `Operations::with_retries`).
    #[inline]
    pub(super) fn write_to<T, W: Target<T> + ?Sized>(
        &mut self,
        target: &mut W,
        record: &T,
    ) -> Result<Result<(), Reject>, RunError> {
        match target.write(record) {
            Err(error) => self.ops.with_retries(target, error, |t| t.write(record)),
            written => written,
        }
    }

    /// Makes `targets` durable (`durable`: flush; else hand over to the OS), then the dead letter. A target that
    /// fails with a transient error is retried (`Operations::with_retries`); the dead letter, a local file, is
    /// not.
    pub(super) fn flush_all(
        &mut self,
        targets: &mut [&mut dyn Durable],
        durable: bool,
    ) -> Result<(), RunError> {
        for target in targets.iter_mut() {
            let target = &mut **target;
            if let Err(error) = flush_once(target, durable) {
                self.ops
                    .with_retries(target, error, |t| flush_once(t, durable))?;
            }
            if let Some(index) = self.ops.target(target.name()) {
                let written = self.targets[index].written;
                self.ops.flushed(target.name(), written);
            }
        }
        if durable {
            self.dead_letter.flush()
        } else {
            self.dead_letter.hand_over()
        }
    }
}

fn flush_once<D: Durable + ?Sized>(target: &mut D, durable: bool) -> Result<(), RunError> {
    if durable {
        target.flush()
    } else {
        target.hand_over()
    }
}
