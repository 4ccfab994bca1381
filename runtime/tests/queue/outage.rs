//! PostgreSQL stopped for 30 seconds mid-run: the readings queue on disk, the process's memory stays bounded,
//! and everything arrives in order, once, when it is back; a run that gives up on the target leaves its queue
//! for the next start, which forwards it first.

use std::time::Duration;

use crate::common::*;
use crate::support::peer;

/// Readings written while the target is down: about 8 MB of JSON, several times what the process would
/// grow by if it held them in memory.
const DURING_OUTAGE: i64 = 100_000;

#[test]
fn a_thirty_second_outage_queues_on_disk_with_bounded_memory_and_everything_arrives_in_order_once()
{
    let peer = peer();
    let dir = tempfile::tempdir().unwrap();
    let fifo = Fifo::create(dir.path().join("readings.jsonl"));
    let queue = queue_file(dir.path());
    let mut run = start(dir.path(), 1 << 30, Duration::from_secs(120));
    let target = queued_readings(&mut run, &peer);

    let test = std::thread::spawn(move || {
        let mut peer = peer;
        let mut pipe = fifo.writer();
        send(&mut pipe, 0..2000);
        let mut outage = || {
            wait_for(
                "the first readings at the server",
                Duration::from_secs(60),
                || stored(&peer) == 2000,
            )?;
            let before = memory();
            peer.server.stop();
            send(&mut pipe, 2000..2000 + DURING_OUTAGE);
            wait_for(
                "the readings in the queue",
                Duration::from_secs(120),
                || queued(&queue) == DURING_OUTAGE as u64,
            )?;
            let during = memory();
            // The outage lasts 30 seconds, as an outage would: the run keeps retrying meanwhile.
            std::thread::sleep(Duration::from_secs(30));
            Ok::<_, String>((before, during, queued(&queue)))
        };
        let observed = outage();
        peer.server.resume().unwrap();
        send(&mut pipe, 2000 + DURING_OUTAGE..4000 + DURING_OUTAGE);
        drop(pipe);
        (peer, observed)
    });
    read_readings(&mut run, "readings.jsonl", target);
    run.drive().unwrap();
    let after = memory();
    let (peer, observed) = test.join().unwrap();
    let (before, during, still_queued) = observed.unwrap();
    assert_eq!(
        still_queued, DURING_OUTAGE as u64,
        "nothing left the queue while the server was down"
    );

    let total = 4000 + DURING_OUTAGE;
    assert_all_arrived_in_order(&peer, total);
    let summary = run.summary();
    let flow = &summary.flows[0];
    assert_eq!(
        (flow.read, flow.written, flow.rejected),
        (total as u64, total as u64, 0)
    );
    assert!(flow.balanced);
    let queue_summary = summary.targets[0].queue.clone().unwrap();
    assert_eq!(
        (queue_summary.forwarded, queue_summary.queued),
        (total as u64, 0)
    );
    eprintln!(
        "memory (VmRSS, VmHWM in KiB): before the outage {before:?}, with {DURING_OUTAGE} readings queued \
         {during:?}, after {after:?}"
    );
    // The queue is on disk: while it held 100,000 readings the process grew by less than 32 MiB.
    assert!(
        during.0 < before.0 + 32 * 1024,
        "VmRSS grew from {} KiB to {} KiB while the readings queued",
        before.0,
        during.0
    );
}

#[test]
fn a_run_that_gives_up_on_the_target_leaves_its_queue_and_the_next_start_forwards_it_first() {
    let mut peer = peer();
    let dir = tempfile::tempdir().unwrap();
    let queue = queue_file(dir.path());
    let first: String = (0..3000).map(line).collect();
    std::fs::write(dir.path().join("monday.jsonl"), first).unwrap();
    let second: String = (3000..4000).map(line).collect();
    std::fs::write(dir.path().join("tuesday.jsonl"), second).unwrap();

    // Monday: the server goes away before the run starts reading; the run gives up after 2 s.
    {
        let mut run = start(dir.path(), 1 << 30, Duration::from_secs(2));
        let target = queued_readings(&mut run, &peer);
        peer.server.stop();
        read_readings(&mut run, "monday.jsonl", target);
        let error = run.drive().unwrap_err().to_string();
        assert!(error.contains("stay queued"), "{error}");
        let summary = run.summary();
        assert_eq!(summary.flows[0].written, 3000, "taken durably by the queue");
        assert_eq!(summary.targets[0].queue.clone().unwrap().queued, 3000);
    }
    assert_eq!(queued(&queue), 3000);

    // Tuesday: the program starts while the server is still down, queues the new file behind Monday's
    // readings, and forwards both once the server is back.
    let mut run = start(dir.path(), 1 << 30, Duration::from_secs(120));
    let target = queued_readings(&mut run, &peer);
    read_readings(&mut run, "tuesday.jsonl", target);
    let resumer = std::thread::spawn(move || {
        let queued_both = wait_for(
            "Tuesday's readings in the queue",
            Duration::from_secs(60),
            || queued(&queue) == 4000,
        );
        peer.server.resume().unwrap();
        (peer, queued_both)
    });
    run.drive().unwrap();
    let (peer, queued_both) = resumer.join().unwrap();
    queued_both.unwrap();
    assert_all_arrived_in_order(&peer, 4000);
    let summary = run.summary();
    assert_eq!(summary.flows[0].written, 1000);
    assert_eq!(summary.targets[0].queue.clone().unwrap().forwarded, 4000);
}
