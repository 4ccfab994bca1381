//! Sources that wait for their records (a broker topic, a polled table): read by a tokio task.

use std::collections::VecDeque;
use std::future::Future;

use crate::error::RunError;
use crate::record::{Position, RawRecord};

/// What a stream source hands over at a time: the records of one unit it acknowledges as a whole (one MQTT
/// message, which for Sparkplug B may carry many metrics, or none; one page of a polled table), and the
/// position that acknowledges it. Positions are the source's own and only move forward.
#[derive(Debug)]
pub struct Delivery {
    pub records: Vec<RawRecord>,
    pub position: Position,
}

/// The read and acknowledge stages of a source whose reads wait (IO on tokio): its reader task
/// (`run/reader.rs`) awaits [`StreamSource::next`] and, between deliveries, commits the positions the core
/// made durable with [`StreamSource::acknowledge`].
pub trait StreamSource: Send + 'static {
    /// The source's name in the mapping.
    fn name(&self) -> &str;

    /// The next delivery; waits until there is one. `Ok(None)` when the source has ended (a service's sources
    /// usually never do). Must be cancel-safe: the reader drops the future when an acknowledgement or the
    /// stop arrives first, and calls it again later, so nothing may be lost between its awaits.
    fn next(&mut self) -> impl Future<Output = Result<Option<Delivery>, RunError>> + Send;

    /// Every delivery up to and including `position` is durably written, filtered or dead-lettered: commit
    /// it in the source's terms (acknowledge packet ids, store a watermark).
    fn acknowledge(
        &mut self,
        position: Position,
    ) -> impl Future<Output = Result<(), RunError>> + Send;

    /// Whether acknowledging commits the position outside this process, so that every checkpoint must make
    /// the targets durable first. True for every network source.
    fn commits_positions(&self) -> bool {
        true
    }

    /// How many deliveries the source can have unacknowledged before it receives no more (an MQTT broker
    /// sends at most its `max_inflight_messages` unacknowledged QoS 1 messages): the run checkpoints the
    /// source when that many wait, so it never waits for its own acknowledgements until the interval.
    /// `None` (the default): no such limit.
    fn unacknowledged_limit(&self) -> Option<usize> {
        None
    }
}

/// What a stream source delivered and the run has not acknowledged yet: each delivery's position and what
/// acknowledging it commits (a watermark, a cursor, a sequence number), oldest first.
#[derive(Debug)]
pub struct InFlight<T>(VecDeque<(Position, T)>);

impl<T> Default for InFlight<T> {
    fn default() -> Self {
        InFlight(VecDeque::new())
    }
}

impl<T> InFlight<T> {
    /// A delivery up to `position`, which commits `commit` once acknowledged.
    pub fn push(&mut self, position: Position, commit: T) {
        self.0.push_back((position, commit));
    }

    /// What the deliveries up to and including `position` commit, oldest first; they are no longer in
    /// flight.
    pub fn acknowledged(&mut self, position: Position) -> impl Iterator<Item = T> + '_ {
        let reached = self.0.iter().take_while(|(p, _)| *p <= position).count();
        self.0.drain(..reached).map(|(_, commit)| commit)
    }

    /// What the newest delivery in flight commits.
    pub fn newest_mut(&mut self) -> Option<&mut T> {
        self.0.back_mut().map(|(_, commit)| commit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acknowledging_a_position_commits_every_delivery_up_to_it_once() {
        let mut in_flight = InFlight::default();
        in_flight.push(3, "a");
        in_flight.push(7, "b");
        in_flight.push(9, "c");
        assert_eq!(in_flight.acknowledged(2).count(), 0);
        assert_eq!(in_flight.acknowledged(8).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(in_flight.newest_mut(), Some(&mut "c"));
        assert_eq!(in_flight.acknowledged(9).last(), Some("c"));
        assert_eq!(in_flight.acknowledged(100).count(), 0);
    }
}
