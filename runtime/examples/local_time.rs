//! A micro-measurement of the local-time path: reading and writing wall-clock text in a named
//! zone, as a generated program does for a field with a declared format and zone; and, with
//! `rfc3339` as the second argument, of reading and writing RFC 3339 text (the fast path).
//!
//! ```sh
//! cargo build --release -p fdi-runtime --example local_time
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/local_time 100000
//! ```
//!
//! Instructions (from callgrind's total) do not depend on the machine's load, unlike the wall
//! time it also prints; divide by the count for the cost of one call.

use std::hint::black_box;
use std::time::Instant;

use fdi_runtime::time::{format_timestamp, parse_timestamp_in};
use fdi_runtime::Timestamp;

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    // `read` or `write` alone, so that callgrind's total is one path's.
    let only = std::env::args().nth(2).unwrap_or_default();
    if only == "rfc3339" {
        return rfc3339(count);
    }
    let (reads, writes) = match only.as_str() {
        "read" => (count, 0),
        "write" => (1, count),
        _ => (count, count),
    };
    // Local times spread over a year in both offsets, none in a daylight-saving change.
    let texts: Vec<String> = (0..1000)
        .map(|i| {
            let month = 1 + i % 12;
            let day = 1 + i % 28;
            let hour = 4 + i % 20;
            format!(
                "{day:02}.{month:02}.2026 {hour:02}:{:02}:{:02}",
                i % 60,
                (i * 7) % 60
            )
        })
        .collect();
    let start = Instant::now();
    let mut last = None;
    for i in 0..reads {
        let text = &texts[i % texts.len()];
        last = black_box(
            parse_timestamp_in(black_box(text), "%d.%m.%Y %H:%M:%S", "Europe/Berlin").ok(),
        );
    }
    let read = start.elapsed();
    let instant = last.expect("the texts are valid local times");
    let start = Instant::now();
    let mut length = 0;
    for _ in 0..writes {
        length += black_box(format_timestamp(
            black_box(&instant),
            "%d.%m.%Y %H:%M:%S %Z",
            "Europe/Berlin",
        ))
        .len();
    }
    let write = start.elapsed();
    println!(
        "read: {:.0} ns per call, write: {:.0} ns per call ({length} bytes)",
        read.as_nanos() as f64 / reads.max(1) as f64,
        write.as_nanos() as f64 / writes.max(1) as f64
    );
}

/// Reads and writes RFC 3339 text with an offset, as the machine_state bench's events have.
fn rfc3339(count: usize) {
    let texts: Vec<String> = (0..1000)
        .map(|i| {
            format!(
                "2026-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+01:00",
                1 + i % 12,
                1 + i % 28,
                i % 24,
                i % 60,
                (i * 7) % 60,
                i
            )
        })
        .collect();
    let start = Instant::now();
    let mut length = 0;
    for i in 0..count {
        let instant = black_box(Timestamp::parse(black_box(&texts[i % texts.len()])).ok());
        length += instant.map_or(0, |t| t.to_string().len());
    }
    println!(
        "RFC 3339 read and written: {:.0} ns per text ({length} bytes)",
        start.elapsed().as_nanos() as f64 / count.max(1) as f64
    );
}
