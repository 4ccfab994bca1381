//! The source on its own: pages in watermark order, rows that arrive while it polls, equal watermarks across
//! pages, resuming from the stored watermark, and rows as JSON.

use std::time::Duration;

use fdi_runtime::postgres::{PollSettings, Polled, PostgresSource};
use fdi_runtime::serde_json::{json, Value};
use fdi_runtime::source::{Delivery, StreamSource};

use crate::support::{peer, Peer};

fn open(peer: &Peer, settings: PollSettings) -> PostgresSource {
    PostgresSource::open(
        "events",
        "events_to_mes",
        &peer.connection("fdi-source-test"),
        settings,
        peer.io.handle(),
    )
    .unwrap()
}

fn settings(page_size: u32) -> PollSettings {
    PollSettings {
        page_size,
        poll_interval: Duration::from_millis(20),
        ..PollSettings::table("events", "at", "id")
    }
}

fn next(peer: &Peer, source: &mut PostgresSource) -> Option<Delivery> {
    peer.io.block_on(source.next()).unwrap()
}

fn ids(delivery: &Delivery) -> Vec<i64> {
    delivery
        .records
        .iter()
        .map(|r| r.original()["id"].as_i64().unwrap())
        .collect()
}

/// `count` events with ids 1..=count whose timestamps repeat in groups of `same`, inserted in an order
/// unrelated to either.
fn insert_events(peer: &Peer, ids: std::ops::RangeInclusive<i64>, same: i64) {
    peer.execute(&format!(
        "CREATE TABLE IF NOT EXISTS events (id bigint PRIMARY KEY, at timestamptz NOT NULL, machine text); \
         INSERT INTO events SELECT id, timestamptz '2026-12-06 08:00:00+00' + ((id - 1) / {same}) * interval '1 second', \
         'M-' || id FROM generate_series({}, {}) AS id ORDER BY md5(id::text)",
        ids.start(),
        ids.end()
    ));
}

#[test]
fn equal_timestamps_across_pages_are_neither_skipped_nor_repeated() {
    let peer = peer();
    insert_events(&peer, 1..=30, 7);
    let mut source = open(
        &peer,
        PollSettings {
            until_caught_up: true,
            ..settings(4)
        },
    );
    let mut read = Vec::new();
    let mut positions = Vec::new();
    while let Some(delivery) = next(&peer, &mut source) {
        assert!(delivery.records.len() <= 4);
        positions.push(delivery.position);
        read.extend(ids(&delivery));
    }
    assert_eq!(read, (1..=30).collect::<Vec<_>>());
    assert_eq!(positions, [4, 8, 12, 16, 20, 24, 28, 30]);
}

#[test]
fn rows_inserted_while_it_polls_are_read_next() {
    let peer = peer();
    insert_events(&peer, 1..=5, 2);
    let mut source = open(&peer, settings(100));
    assert_eq!(ids(&next(&peer, &mut source).unwrap()), [1, 2, 3, 4, 5]);
    insert_events(&peer, 6..=8, 2);
    assert_eq!(ids(&next(&peer, &mut source).unwrap()), [6, 7, 8]);
    // A row with a watermark equal to the last one read but a greater tie-breaker still comes.
    peer.execute("INSERT INTO events VALUES (9, (SELECT at FROM events WHERE id = 8), 'M-9')");
    assert_eq!(ids(&next(&peer, &mut source).unwrap()), [9]);
}

#[test]
fn a_restarted_source_resumes_after_the_acknowledged_page() {
    let peer = peer();
    insert_events(&peer, 1..=10, 3);
    let mut source = open(&peer, settings(4));
    let first = next(&peer, &mut source).unwrap();
    let second = next(&peer, &mut source).unwrap();
    assert_eq!(
        (ids(&first), ids(&second)),
        (vec![1, 2, 3, 4], vec![5, 6, 7, 8])
    );
    peer.io
        .block_on(source.acknowledge(first.position))
        .unwrap();
    assert_eq!(
        peer.rows("SELECT mapping, source, watermark, tiebreaker FROM fdi_watermarks"),
        [["events_to_mes", "events", "2026-12-06 08:00:01+00", "4"].map(|s| Some(s.to_string()))]
    );
    drop(source);

    // The second page was not acknowledged: it is read again (at least once), nothing before it is.
    let mut restarted = open(&peer, settings(4));
    assert_eq!(ids(&next(&peer, &mut restarted).unwrap()), [5, 6, 7, 8]);
    let last = next(&peer, &mut restarted).unwrap();
    assert_eq!(ids(&last), [9, 10]);
    peer.io
        .block_on(restarted.acknowledge(last.position))
        .unwrap();
    drop(restarted);
    let mut again = open(
        &peer,
        PollSettings {
            until_caught_up: true,
            ..settings(4)
        },
    );
    assert!(
        next(&peer, &mut again).is_none(),
        "everything was acknowledged"
    );
}

#[test]
fn each_row_is_a_json_object_of_its_columns() {
    let peer = peer();
    peer.execute(
        "CREATE TABLE orders (id bigint PRIMARY KEY, at timestamptz, local timestamp, small int2, n int4, \
         ratio float4, x float8, exact numeric(30,10), huge numeric, done boolean, note varchar(20), \
         day date, extra jsonb, missing text); \
         INSERT INTO orders VALUES (1, '2026-12-06 22:30:00.25+01', '2026-12-06 10:00:00', 7, -40000, 0.5, \
         'NaN', 12.5, 123456789012345678901234567890, true, 'a \"quoted\" note', '2026-12-06', \
         '{\"k\": [1, 2]}', NULL)",
    );
    let mut source = open(
        &peer,
        PollSettings {
            polled: Polled::Query("SELECT * FROM orders WHERE id > 0;".into()),
            until_caught_up: true,
            ..PollSettings::table("", "id", "id")
        },
    );
    let delivery = next(&peer, &mut source).unwrap();
    let row: Value = delivery.records[0].original();
    assert_eq!(
        row,
        json!({
            "id": 1, "at": "2026-12-06T21:30:00.250Z", "local": "2026-12-06T10:00:00Z", "small": 7,
            "n": -40000, "ratio": 0.5, "x": "NaN", "exact": 12.5, "huge": "123456789012345678901234567890",
            "done": true, "note": "a \"quoted\" note", "day": "2026-12-06", "extra": {"k": [1, 2]},
            "missing": null
        })
    );
}

#[test]
fn a_watermark_that_is_not_a_column_is_refused_when_it_opens() {
    let peer = peer();
    insert_events(&peer, 1..=1, 1);
    let error = PostgresSource::open(
        "events",
        "events_to_mes",
        &peer.connection("fdi-source-test"),
        PollSettings::table("events", "created", "id"),
        peer.io.handle(),
    )
    .err()
    .expect("no column created");
    let text = error.to_string();
    assert!(
        text.contains(
            "the watermark column created is not among the polled columns (id, at, machine)"
        ),
        "{text}"
    );
}
