//! The source on its own: pages read on by a field's watermark, a document read by its ETag or
//! Last-Modified, the position kept across a restart, and answers that are not records.

use std::path::Path;
use std::time::Duration;

use fdi_runtime::http::{HttpConnection, HttpSource, HttpSourceOptions, StateFile, Watermark};
use fdi_runtime::serde_json::{json, Value};
use fdi_runtime::source::{Delivery, StreamSource};
use fdi_runtime::{RawRecord, Reject};

use crate::{io, peer};

/// Item `seq` as the endpoint serves it.
fn item(seq: i64) -> Value {
    json!({"seq": seq, "machine": format!("M-{}", seq % 5), "count": seq * 3})
}

fn items(seqs: std::ops::RangeInclusive<i64>) -> Vec<Value> {
    seqs.map(item).collect()
}

fn open(connection: &HttpConnection, path: &str, watermark: Watermark, state: &Path) -> HttpSource {
    let options = HttpSourceOptions {
        path: path.to_string(),
        records: "data.items".to_string(),
        watermark,
        poll_interval: Duration::from_millis(50),
    };
    HttpSource::open(
        "orders",
        connection,
        options,
        StateFile::new(state.to_path_buf()),
    )
    .unwrap()
}

fn paged(connection: &HttpConnection, state: &Path) -> HttpSource {
    open(
        connection,
        "/items?after={watermark}",
        Watermark::Field("seq".into()),
        state,
    )
}

fn next(io: &tokio::runtime::Runtime, source: &mut HttpSource) -> Delivery {
    io.block_on(source.next())
        .unwrap()
        .expect("an HTTP source does not end")
}

/// The next delivery, if one comes before the source has polled a few more times.
fn next_if_any(io: &tokio::runtime::Runtime, source: &mut HttpSource) -> Option<Delivery> {
    io.block_on(async { tokio::time::timeout(Duration::from_millis(400), source.next()).await })
        .ok()
        .map(|d| d.unwrap().unwrap())
}

fn originals(delivery: &Delivery) -> Vec<Value> {
    delivery.records.iter().map(RawRecord::original).collect()
}

/// Why the decode stage rejects `record`, if it does.
fn reject_of(record: &RawRecord) -> Option<Reject> {
    fdi_runtime::decode::<Value>(record, "Order").err()
}

#[test]
fn pages_are_read_on_by_the_watermark_and_a_restart_resumes_after_the_acknowledged_one() {
    let (server, connection) = peer();
    server.add_items(&items(1..=250)).unwrap();
    let io = io();
    let state = tempfile::tempdir().unwrap();
    let state = state.path().join("http-orders.json");
    let mut source = paged(&connection, &state);
    let first = next(&io, &mut source);
    let second = next(&io, &mut source);
    assert_eq!(originals(&first), items(1..=100));
    assert_eq!(originals(&second), items(101..=200));
    assert_eq!((first.position, second.position), (100, 200));
    io.block_on(source.acknowledge(first.position)).unwrap();
    drop(source);
    // Restarted: the acknowledged page is not read again, the unacknowledged one is.
    let mut source = paged(&connection, &state);
    let again = next(&io, &mut source);
    assert_eq!(originals(&again), items(101..=200));
    let last = next(&io, &mut source);
    assert_eq!(originals(&last), items(201..=250));
    io.block_on(source.acknowledge(last.position)).unwrap();
    assert!(next_if_any(&io, &mut source).is_none());
    server.add_items(&items(251..=260)).unwrap();
    assert_eq!(originals(&next(&io, &mut source)), items(251..=260));
    let asked: Vec<String> = server
        .received()
        .unwrap()
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(
        asked[..4],
        [
            "/items?after=",
            "/items?after=100",
            "/items?after=100",
            "/items?after=200"
        ]
    );
}

#[test]
fn an_answer_that_is_not_json_or_lacks_the_records_is_one_reject_with_its_body() {
    let (server, connection) = peer();
    server.add_items(&items(1..=3)).unwrap();
    server.behave(json!({"non_json": 1})).unwrap();
    let io = io();
    let state = tempfile::tempdir().unwrap();
    let mut source = paged(&connection, &state.path().join("state.json"));
    let rejected = next(&io, &mut source);
    assert_eq!(rejected.records.len(), 1);
    let reject = reject_of(&rejected.records[0]).unwrap();
    assert!(
        reject
            .detail
            .as_deref()
            .unwrap()
            .starts_with("the response is not JSON"),
        "{reject:?}"
    );
    assert_eq!(
        rejected.records[0].original(),
        json!("<html>maintenance</html>")
    );
    // The program keeps polling, and the records come.
    let delivered = next(&io, &mut source);
    assert_eq!(originals(&delivered), items(1..=3));
    assert_eq!(delivered.position, 4);

    // A source whose records path the document lacks says so, with the document in the dead letter.
    let mut missing = {
        let options = HttpSourceOptions {
            path: "/items".into(),
            records: "data.rows".into(),
            watermark: Watermark::Field("seq".into()),
            poll_interval: Duration::from_secs(60),
        };
        HttpSource::open(
            "orders",
            &connection,
            options,
            StateFile::new(state.path().join("m.json")),
        )
        .unwrap()
    };
    let rejected = next(&io, &mut missing);
    let reject = reject_of(&rejected.records[0]).unwrap();
    assert_eq!(
        reject.detail.as_deref(),
        Some("the response has no `data.rows`: `data` has no key `rows` (it has: items)")
    );
    assert_eq!(
        rejected.records[0].original()["data"]["items"],
        json!(items(1..=3))
    );
}

#[test]
fn records_without_a_watermark_are_rejected_and_the_others_delivered() {
    let (server, connection) = peer();
    server
        .add_items(&[item(1), json!({"seq": null, "machine": "M-x"}), item(2)])
        .unwrap();
    let io = io();
    let state = tempfile::tempdir().unwrap();
    let mut source = open(
        &connection,
        "/document",
        Watermark::Field("seq".into()),
        &state.path().join("s.json"),
    );
    let delivery = next(&io, &mut source);
    assert_eq!(delivery.records.len(), 3);
    let reject = reject_of(&delivery.records[1]).unwrap();
    assert_eq!(
        reject.detail.as_deref(),
        Some("the record has no number or text in its watermark field seq")
    );
    assert_eq!(
        delivery.records[1].original(),
        json!({"seq": null, "machine": "M-x"})
    );
    assert!(reject_of(&delivery.records[0]).is_none() && reject_of(&delivery.records[2]).is_none());
}

#[test]
fn a_document_is_read_once_per_version_by_its_etag_or_last_modified() {
    for (watermark, header) in [
        (Watermark::ETag, "if-none-match"),
        (Watermark::LastModified, "if-modified-since"),
    ] {
        let (server, connection) = peer();
        server.add_items(&items(1..=5)).unwrap();
        let io = io();
        let state = tempfile::tempdir().unwrap();
        let state = state.path().join("doc.json");
        let mut source = open(&connection, "/document", watermark.clone(), &state);
        let first = next(&io, &mut source);
        assert_eq!(originals(&first), items(1..=5));
        io.block_on(source.acknowledge(first.position)).unwrap();
        assert!(
            next_if_any(&io, &mut source).is_none(),
            "{watermark:?}: the same version again"
        );
        drop(source);
        // Restarted, it asks with the stored validator and is told nothing changed.
        let mut source = open(&connection, "/document", watermark.clone(), &state);
        assert!(
            next_if_any(&io, &mut source).is_none(),
            "{watermark:?}: read again after a restart"
        );
        let received = server.received().unwrap();
        assert!(
            received[1..]
                .iter()
                .all(|r| r.status == 304 && r.header(header).is_some()),
            "{watermark:?}: {received:?}"
        );
        // Last-Modified has whole seconds: the peer moves its time on by one at least for a new version.
        server.add_items(&items(6..=6)).unwrap();
        assert_eq!(originals(&next(&io, &mut source)), items(1..=6));
    }
}

#[test]
fn an_unavailable_or_rate_limiting_endpoint_is_waited_out() {
    let (server, connection) = peer();
    server.add_items(&items(1..=3)).unwrap();
    server
        .behave(json!({"fail": 2, "rate_limit": 1, "retry_after": "1"}))
        .unwrap();
    let io = io();
    let state = tempfile::tempdir().unwrap();
    let mut source = paged(&connection, &state.path().join("s.json"));
    assert_eq!(originals(&next(&io, &mut source)), items(1..=3));
    let received = server.received().unwrap();
    let statuses: Vec<u16> = received.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 503, 429, 200]);
    assert!(
        received[3].at - received[2].at >= 0.95,
        "Retry-After: 1 was not waited for"
    );
}

/// A server that does not answer at all (gone, or not started yet) is waited for, not an error of the run.
#[test]
fn a_server_that_is_not_there_is_waited_for() {
    let (server, connection) = peer();
    drop(server);
    let io = io();
    let state = tempfile::tempdir().unwrap();
    let mut source = paged(&connection, &state.path().join("s.json"));
    assert!(next_if_any(&io, &mut source).is_none());
}

/// A maintenance page (not JSON, no ETag) in front of a document read by its ETag is a reject, not
/// a version: the run goes on and the document comes next.
#[test]
fn a_page_that_is_not_the_document_is_rejected_without_taking_it_for_a_version() {
    let (server, connection) = peer();
    server.add_items(&items(1..=2)).unwrap();
    server.behave(json!({"non_json": 1})).unwrap();
    let io = io();
    let state = tempfile::tempdir().unwrap();
    let mut source = open(
        &connection,
        "/document",
        Watermark::ETag,
        &state.path().join("d.json"),
    );
    let rejected = next(&io, &mut source);
    assert!(reject_of(&rejected.records[0]).is_some());
    let delivered = next(&io, &mut source);
    assert_eq!(originals(&delivered), items(1..=2));
    io.block_on(source.acknowledge(delivered.position)).unwrap();
    let stored = std::fs::read_to_string(state.path().join("d.json")).unwrap();
    assert_eq!(stored.trim(), r#"{"etag":"\"v1\""}"#);
}
