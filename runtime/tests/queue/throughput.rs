//! The queue's throughput, measured (ignored unless asked for: `cargo test -p fdi-runtime --test queue
//! throughput -- --ignored --nocapture`, with `--release` for figures that mean something): records
//! enqueued per second with a commit every 1000 (a checkpoint), and forwarded per second to a target that
//! costs nothing (a JSON Lines file), so that the figures are the store's.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fdi_runtime::queue::{Forwarded, OpenForwarded, QueuedTarget};
use fdi_runtime::target::{Durable, Target};
use fdi_runtime::{JsonlTarget, RunError};

use crate::common::{line, Reading};

const RECORDS: i64 = 200_000;

#[test]
#[ignore = "a measurement, not a check"]
fn records_per_second_enqueued_and_forwarded() {
    let dir = tempfile::tempdir().unwrap();
    let sink = dir.path().join("sink.jsonl");
    // The forwarder waits until the enqueueing is measured: its target is "unreachable" until then.
    let open_now = Arc::new(AtomicBool::new(false));
    let reachable = open_now.clone();
    let open = OpenForwarded {
        open: Box::new(move || -> Result<Forwarded, RunError> {
            if !reachable.load(Ordering::SeqCst) {
                return Err(RunError::Connector("not yet".into()));
            }
            Ok(Box::new(JsonlTarget::open("sink", &sink, false)?))
        }),
        transient: |error| matches!(error, RunError::Connector(_)),
        opened: None,
    };
    let mut queue = QueuedTarget::<Reading>::open(
        "mes",
        &dir.path().join("queue/mes.sqlite"),
        1 << 34,
        Default::default(),
        open,
    )
    .unwrap();
    let readings: Vec<Reading> = (0..RECORDS)
        .map(|seq| fdi_runtime::serde_json::from_str(line(seq).trim()).unwrap())
        .collect();

    let started = Instant::now();
    for chunk in readings.chunks(1000) {
        for reading in chunk {
            queue.write(reading).unwrap().unwrap();
        }
        queue.flush().unwrap();
    }
    let enqueued = started.elapsed();

    open_now.store(true, Ordering::SeqCst);
    let started = Instant::now();
    queue.drain(Duration::from_secs(600)).unwrap();
    // The forwarder's first try came before the target was reachable; its pause is not the store's.
    let forwarded = started.elapsed();
    let disk = queue.queue_status().unwrap().disk_bytes;
    eprintln!(
        "{RECORDS} records: enqueued in {enqueued:?} ({:.0}/s, a commit every 1000), forwarded in {forwarded:?} \
         ({:.0}/s, including the forwarder's first retry pause of up to 100 ms); queue file now {disk} bytes",
        RECORDS as f64 / enqueued.as_secs_f64(),
        RECORDS as f64 / forwarded.as_secs_f64(),
    );
}
