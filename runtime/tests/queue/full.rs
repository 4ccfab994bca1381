//! The queue's size cap reached while the target is down: the run stops reading, `/healthz` says
//! "backpressured" (and still 200), nothing is lost, and it resumes when the target returns.

use std::io::{Read, Write};
use std::time::Duration;

use crate::common::*;
use crate::support::peer;

const READINGS: i64 = 5000;

/// The cap: room for a few hundred readings, far fewer than are sent.
const MAX_BYTES: u64 = 64 * 1024;

#[test]
fn a_full_queue_stops_the_sources_healthy_but_backpressured_and_resumes_when_the_target_returns() {
    let mut peer = peer();
    let dir = tempfile::tempdir().unwrap();
    let fifo = Fifo::create(dir.path().join("readings.jsonl"));
    let queue = queue_file(dir.path());
    let address = free_address();
    let mut run = {
        let mut config = fdi_runtime::RunConfig {
            base_dir: dir.path().to_path_buf(),
            checkpoint_every: 100,
            ..fdi_runtime::RunConfig::new(&PROGRAM)
        };
        config.operations.retry_targets_for = Duration::from_secs(120);
        config.operations.metrics_listen = Some(address);
        config.queue.queue_max_bytes = MAX_BYTES;
        fdi_runtime::Run::new(&PROGRAM, config).unwrap()
    };
    let target = queued_readings(&mut run, &peer);
    peer.server.stop();

    // The writer blocks once the run stops reading and the pipe is full: it has a thread of its own.
    let writer = std::thread::spawn(move || {
        let mut pipe = fifo.writer();
        send(&mut pipe, 0..READINGS);
    });
    let test = std::thread::spawn(move || {
        let full = wait_for("the queue to fill", Duration::from_secs(60), || {
            get(address, "/healthz").contains(r#""status":"backpressured""#)
        })
        .map(|()| {
            (
                get(address, "/healthz"),
                get(address, "/metrics"),
                queued(&queue),
            )
        });
        peer.server.resume().unwrap();
        (peer, full)
    });
    read_readings(&mut run, "readings.jsonl", target);
    run.drive().unwrap();
    writer.join().unwrap();
    let (peer, full) = test.join().unwrap();
    let (health, metrics, in_queue) = full.unwrap();
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains(r#""status":"backpressured""#), "{health}");
    let read = metric(
        &metrics,
        "fdi_source_records_read_total{source=\"readings\"}",
    );
    // Stopped: far from everything was read. The metric counts the deliveries handled; the one whose write
    // waits for room (100 readings, a chunk) is queued in part and counted when it is done.
    assert!(read < READINGS as f64 / 2.0, "read {read} of {READINGS}");
    assert!(
        in_queue as f64 <= read + 100.0,
        "{in_queue} queued of {read} read"
    );
    assert_eq!(
        metric(&metrics, "fdi_queue_backpressured{target=\"mes\"}"),
        1.0
    );
    assert!(metric(&metrics, "fdi_queue_bytes{target=\"mes\"}") <= MAX_BYTES as f64);
    assert_all_arrived_in_order(&peer, READINGS);
    let flow = &run.summary().flows[0];
    assert_eq!(
        (flow.read, flow.written),
        (READINGS as u64, READINGS as u64)
    );
}

fn free_address() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// The whole HTTP answer to `GET path`.
fn get(address: std::net::SocketAddr, path: &str) -> String {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// The value of the series `series` (name and labels as exposed) in `metrics`.
fn metric(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series))
        .and_then(|rest| rest.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {series} in\n{metrics}"))
}
