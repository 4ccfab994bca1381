//! Generated services against the HTTP peer (Python's http.server, started by `fdi-peers`):
//!
//! - `tests/programs/erp_to_mes_http/`: 10,000 orders polled from one API, each POSTed to another
//!   as a confirmation. A failure phase (503s, then 429s with Retry-After) comes in the middle, and
//!   the program is killed with SIGKILL and started again. At the peer, every confirmation the
//!   mapping makes (computed here from the orders) was taken, under its own idempotency key, with
//!   exactly the values computed here; a key taken more than once is a request repeated after the
//!   kill or a lost answer, always with the same body, which an endpoint that honours the key takes
//!   once. No other duplicates are allowed. Three orders the MES refuses (422) are in the dead letter
//!   with the status and the MES's answer, beside the ERP's record.
//! - `tests/programs/http_to_sqlite/`: 10,000 counts polled page by page into SQLite, killed in the
//!   middle and started again: every count once in the table, and the second run reads exactly the
//!   records above the watermark the first one stored (none lost, none read again).

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use fdi_peers::HttpServer;
use serde_json::{json, Value};
use support::service::{wait_for_count, Service};

const ORDERS: i64 = 10_000;

/// The orders the MES answers 422 for.
const REFUSED: [i64; 3] = [77, 4_242, 9_001];

/// Record `seq` as the peer serves it: every 50th has a count of 0 (filtered by the order
/// mapping), every 997th of -1 (filtered by the counts mapping).
fn item(seq: i64) -> Value {
    let count = if seq % 997 == 0 { -1 } else { seq % 50 };
    json!({"seq": seq, "machine": format!("M{}", seq % 7), "count": count})
}

fn serve_items(server: &HttpServer) {
    server.behave(json!({"page_size": 500})).unwrap();
    let items: Vec<Value> = (1..=ORDERS).map(item).collect();
    for chunk in items.chunks(2_500) {
        server.add_items(chunk).unwrap();
    }
}

fn settings(dir: &Path, connections: &[&str], server: &HttpServer) {
    let text: String = connections
        .iter()
        .map(|name| {
            format!(
                "[connections.{name}]\nbase_url = \"{}\"\n",
                server.base_url()
            )
        })
        .collect();
    std::fs::write(dir.join("line.toml"), text).unwrap();
}

/// The confirmation the MES must receive for each order the mapping keeps, by order number.
fn expected_confirmations() -> BTreeMap<String, Value> {
    (1..=ORDERS)
        .filter(|seq| seq % 50 != 0 && seq % 997 != 0 && !REFUSED.contains(seq))
        .map(|seq| {
            let count = seq % 50;
            let order_no = format!("PO-{seq}");
            let confirmation = json!({
                "order_no": order_no,
                "machine": format!("M{}", seq % 7),
                "quantity": count,
                "batches": (count + 49) / 50,
            });
            (order_no, confirmation)
        })
        .collect()
}

#[test]
fn orders_reach_the_mes_once_per_idempotency_key_through_failures_and_a_kill() {
    let server = HttpServer::start().expect("the HTTP peer (install it with tests/peers/install)");
    serve_items(&server);
    let refused: Vec<String> = REFUSED.iter().map(|seq| format!("PO-{seq}")).collect();
    server
        .behave(json!({"refuse": {"field": "order_no", "values": refused}}))
        .unwrap();
    let binary = support::service::build_test_program("erp_to_mes_http");
    let dir = tempfile::tempdir().unwrap();
    settings(dir.path(), &["erp", "mes"], &server);
    let expected = expected_confirmations();

    // A plant's service retries an endpoint that fails for a while rather than stop at once.
    let retrying = ["--retry-targets-for", "5m"];
    let first = Service::start_with_options(&binary, dir.path(), &retrying);
    wait_for_count("confirmations", 2_500, || server.taken().unwrap());
    // The failure phase: the next requests (polls and posts alike) are refused for a while.
    server
        .behave(json!({"fail": 5, "rate_limit": 3, "retry_after": "1"}))
        .unwrap();
    wait_for_count("confirmations", 6_000, || server.taken().unwrap());
    first.kill();

    let second = Service::start_with_options(&binary, dir.path(), &retrying);
    let taken_keys = || {
        let received = server.received().unwrap();
        let mut keys: Vec<String> = received
            .iter()
            .filter(|r| r.method == "POST" && (200..300).contains(&r.status))
            .filter_map(|r| r.header("idempotency-key").map(str::to_string))
            .collect();
        keys.sort();
        keys.dedup();
        keys.len()
    };
    wait_for_count("confirmed orders", expected.len(), taken_keys);
    let (code, summary) = second.stop();
    assert_eq!(code, 0, "SIGTERM drains and exits 0: {summary}");
    support::assert_balanced(&summary);

    let received = server.received().unwrap();
    let statuses: Vec<u16> = received.iter().map(|r| r.status).collect();
    assert!(
        statuses.contains(&503) && statuses.contains(&429),
        "the failure phase happened"
    );
    let mut taken: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for request in received
        .iter()
        .filter(|r| r.method == "POST" && (200..300).contains(&r.status))
    {
        assert_eq!(request.path, "/confirmations");
        assert_eq!(request.header("content-type"), Some("application/json"));
        let key = request
            .header("idempotency-key")
            .expect("every POST has its key");
        assert_eq!(
            request.body["order_no"], key,
            "the key is the record's key field"
        );
        taken
            .entry(key.to_string())
            .or_default()
            .push(request.body.clone());
    }
    let keys: Vec<&String> = taken.keys().collect();
    assert_eq!(
        keys,
        expected.keys().collect::<Vec<_>>(),
        "every order confirmed, no other"
    );
    let mut repeated = 0;
    for (key, bodies) in &taken {
        assert!(
            bodies.iter().all(|b| b == &expected[key]),
            "{key}: {bodies:?}"
        );
        repeated += bodies.len() - 1;
    }
    // Repeats come only from the requests of the last unacknowledged checkpoint before the kill
    // and from answers lost to a failure: far fewer than the orders.
    assert!(repeated < 2_000, "{repeated} repeated requests");

    // The refused orders: dead-lettered at the write stage with the status and the MES's answer,
    // beside the ERP's record (a refusal before the kill may be dead-lettered again after it).
    let dead = support::read_jsonl(&dir.path().join("dead-letter.jsonl"));
    let mut refused_seqs: Vec<i64> = dead
        .iter()
        .map(|line| {
            assert_eq!(line["stage"], "write", "{line}");
            assert_eq!(
                line["reason"], "the endpoint refused the record: HTTP 422",
                "{line}"
            );
            let seq = line["record"]["seq"].as_i64().unwrap();
            assert_eq!(line["record"], item(seq));
            assert!(
                line["detail"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("order_no PO-{seq} refused")),
                "{line}"
            );
            seq
        })
        .collect();
    refused_seqs.sort();
    refused_seqs.dedup();
    assert_eq!(refused_seqs, REFUSED);
}

fn stored_rows(database: &Path) -> Vec<(i64, String, i64, i64)> {
    support::service::sqlite_rows(
        database,
        "SELECT seq, machine, count, doubled FROM counts ORDER BY seq",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
}

#[test]
fn counts_polled_page_by_page_land_once_and_a_restart_reads_on_from_the_watermark() {
    let server = HttpServer::start().expect("the HTTP peer (install it with tests/peers/install)");
    serve_items(&server);
    // The first answer is not JSON: a reject with the body in the dead letter; polling goes on.
    server.behave(json!({"non_json": 1})).unwrap();
    let binary = support::service::build_test_program("http_to_sqlite");
    let dir = tempfile::tempdir().unwrap();
    settings(dir.path(), &["mes_api"], &server);
    let database = dir.path().join("out/counts.db");

    let first = Service::start(&binary, dir.path());
    wait_for_count("rows", 3_000, || stored_rows(&database).len());
    first.kill();
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("http-http_to_sqlite-counts.json")).unwrap(),
    )
    .unwrap();
    let stored_watermark = state["watermark"].as_i64().expect("a watermark was stored");

    let second = Service::start(&binary, dir.path());
    let expected: Vec<(i64, String, i64, i64)> = (1..=ORDERS)
        .filter(|seq| seq % 997 != 0)
        .map(|seq| {
            let count = seq % 50;
            (seq, format!("M{}", seq % 7), count, count * 2)
        })
        .collect();
    wait_for_count("rows", expected.len(), || stored_rows(&database).len());
    let (code, summary) = second.stop();
    assert_eq!(code, 0, "SIGTERM drains and exits 0: {summary}");
    support::assert_balanced(&summary);
    assert_eq!(
        stored_rows(&database),
        expected,
        "every count once, as polled"
    );
    let flow = support::flow(&summary, "store");
    assert_eq!(
        flow["read"].as_i64(),
        Some(ORDERS - stored_watermark),
        "the second run reads exactly the records above the stored watermark: {summary}"
    );
    let dead = support::read_jsonl(&dir.path().join("dead-letter.jsonl"));
    assert!(
        dead.iter()
            .any(|line| line.to_string().contains("<html>maintenance</html>")
                && line.to_string().contains("the response is not JSON")),
        "{dead:?}"
    );
}
