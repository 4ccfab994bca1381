//! What a flow's delivery guarantee changes in the run: when its source's positions are acknowledged.

use super::tests::{count_flow, start, Count, Log, Scripted};
use super::*;
use crate::Delivery;

/// A target that stops the run, as a crash would, when it is asked to write the record `crash_at`.
struct CrashesAt {
    crash_at: i64,
    log: Log,
}

impl Durable for CrashesAt {
    fn name(&self) -> &str {
        "crashes"
    }
    fn flush(&mut self) -> Result<(), RunError> {
        self.log.lock().unwrap().push("flush".into());
        Ok(())
    }
}

impl Target<Count> for CrashesAt {
    fn write(&mut self, record: &Count) -> Result<Result<(), Reject>, RunError> {
        if record.count == self.crash_at {
            return Err(RunError::Program("the program dies here".into()));
        }
        self.log
            .lock()
            .unwrap()
            .push(format!("write {}", record.count));
        Ok(Ok(()))
    }
}

/// Runs 9 records of a source that commits its positions, checkpointed every 4, through a flow
/// delivering `delivery` into a target that dies at record 7: the position acknowledged when it
/// died, and what the target saw.
fn acknowledged_when_the_target_dies(delivery: Delivery) -> (Option<Position>, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::default();
    let mut run = start(dir.path(), 4);
    let target = run.add_target::<Count>(
        "counts",
        Box::new(CrashesAt {
            crash_at: 7,
            log: log.clone(),
        }),
    );
    let flow = run.flow_with_delivery("count", "events", target, delivery);
    run.source(
        OpenSource::blocking(Scripted::new("events", 9, true, &log)),
        count_flow(flow),
    );
    assert!(run.drive().is_err(), "the target's death ends the run");
    assert_eq!(run.summary().flows[0].delivery, delivery);
    let seen = log.lock().unwrap().clone();
    (run.summary().sources[0].acknowledged, seen)
}

#[test]
fn at_most_once_acknowledges_a_delivery_before_writing_it() {
    let (acknowledged, log) = acknowledged_when_the_target_dies(Delivery::AtMostOnce);
    // Record 7 was taken, so its position is acknowledged although the target died writing it
    // (the target never logs record 7): the source does not deliver it again. Lost, never
    // written twice. Records 5 and 6, written after the last checkpoint, are acknowledged too.
    assert!(
        acknowledged.is_some_and(|p| p >= 7),
        "acknowledged {acknowledged:?}: {log:?}"
    );
    assert!(log.iter().any(|e| e == "write 6"), "{log:?}");
}

#[test]
fn at_least_once_acknowledges_only_what_a_checkpoint_made_durable() {
    for delivery in [Delivery::AtLeastOnce, Delivery::AtLeastOnceWithDuplicates] {
        let (acknowledged, log) = acknowledged_when_the_target_dies(delivery);
        // Records 5 and 6 were written but not flushed: they, and 7, are delivered again.
        assert_eq!(acknowledged, Some(4), "{delivery}: {log:?}");
        let flushed_through_4 = log.iter().position(|e| e == "flush").unwrap()
            > log.iter().position(|e| e == "write 4").unwrap();
        assert!(flushed_through_4, "{log:?}");
    }
}

#[test]
fn flows_of_one_source_that_disagree_on_acknowledging_do_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::default();
    let mut run = start(dir.path(), 4);
    let target = run.add_target::<Count>(
        "counts",
        Box::new(CrashesAt {
            crash_at: 0,
            log: log.clone(),
        }),
    );
    let first = run.flow_with_delivery("count", "events", target, Delivery::AtLeastOnce);
    let _second = run.flow_with_delivery("again", "events", target, Delivery::AtMostOnce);
    run.source(
        OpenSource::blocking(Scripted::new("events", 3, true, &log)),
        count_flow(first),
    );
    let error = run.drive().unwrap_err().to_string();
    assert!(
        error.contains("flow again delivers at_most_once") && error.contains("source events"),
        "{error}"
    );
    assert!(log.lock().unwrap().is_empty(), "nothing was read");
}
