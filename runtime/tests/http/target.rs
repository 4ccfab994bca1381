//! The target on its own: what the endpoint receives, and what each kind of answer does.

use std::time::Duration;

use fdi_peers::{HttpServer, Received};
use fdi_runtime::http::{Auth, HttpConnection, HttpMethod, HttpTarget, HttpTargetOptions};
use fdi_runtime::serde::Serialize;
use fdi_runtime::serde_json::{json, Value};
use fdi_runtime::target::{Durable, Target};
use fdi_runtime::RunError;

use crate::{io, peer};

#[derive(Debug, Serialize)]
#[serde(crate = "fdi_runtime::serde")]
struct Confirmation {
    order_id: String,
    line: i64,
    quantity: f64,
}

/// Order `n`'s confirmation, and the JSON the endpoint must receive for it.
fn confirmation(n: i64) -> (Confirmation, Value) {
    let record = Confirmation {
        order_id: format!("PO-{n:05}"),
        line: n % 7,
        quantity: n as f64 * 0.25,
    };
    let expected = json!({"order_id": record.order_id, "line": n % 7, "quantity": n as f64 * 0.25});
    (record, expected)
}

fn open(
    connection: &HttpConnection,
    options: HttpTargetOptions,
    io: &tokio::runtime::Runtime,
) -> HttpTarget<Confirmation> {
    HttpTarget::open("confirmations", connection, options, io.handle()).unwrap()
}

fn options() -> HttpTargetOptions {
    HttpTargetOptions {
        backoff: Duration::from_millis(20),
        ..HttpTargetOptions::post("/confirmations", &["order_id"])
    }
}

fn write_all(target: &mut HttpTarget<Confirmation>, numbers: impl Iterator<Item = i64>) {
    for n in numbers {
        target.write(&confirmation(n).0).unwrap().unwrap();
    }
}

fn accepted(server: &HttpServer) -> Vec<Received> {
    server
        .received()
        .unwrap()
        .into_iter()
        .filter(|r| (200..300).contains(&r.status))
        .collect()
}

#[test]
fn each_record_is_posted_once_with_its_idempotency_key_headers_and_credentials() {
    let (server, mut connection) = peer();
    connection.auth = Auth::Bearer("t0k3n".into());
    connection.headers.push(("x-plant".into(), "line3".into()));
    server
        .behave(json!({"require_auth": "Bearer t0k3n"}))
        .unwrap();
    let io = io();
    let mut target = open(&connection, options(), &io);
    write_all(&mut target, 1..=40);
    target.flush().unwrap();
    assert!(target.take_refused().is_empty());
    let received = server.received().unwrap();
    assert_eq!(received.len(), 40);
    for (request, n) in received.iter().zip(1..) {
        assert_eq!(
            (
                request.method.as_str(),
                request.path.as_str(),
                request.status
            ),
            ("POST", "/confirmations", 201)
        );
        assert_eq!(request.body, confirmation(n).1);
        assert_eq!(
            request.header("idempotency-key"),
            Some(format!("PO-{n:05}").as_str())
        );
        assert_eq!(request.header("authorization"), Some("Bearer t0k3n"));
        assert_eq!(request.header("x-plant"), Some("line3"));
        assert_eq!(request.header("content-type"), Some("application/json"));
    }
}

#[test]
fn a_put_to_a_path_of_the_record_s_fields_names_the_record() {
    let (server, connection) = peer();
    let io = io();
    let mut options = options();
    options.path = "/orders/{order_id}/lines/{line}".into();
    options.method = HttpMethod::Put;
    options.batch = 50; // a path of fields sends one record per request all the same
    options.idempotency_header = "X-Request-Id".into();
    let mut target = open(&connection, options, &io);
    write_all(&mut target, 1..=5);
    target.flush().unwrap();
    let received = server.received().unwrap();
    let paths: Vec<String> = received
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    let expected: Vec<String> = (1..=5)
        .map(|n| format!("PUT /orders/PO-{n:05}/lines/{}", n % 7))
        .collect();
    assert_eq!(paths, expected);
    assert!(received
        .iter()
        .zip(1..)
        .all(|(r, n)| r.body == confirmation(n).1
            && r.header("x-request-id") == Some(format!("PO-{n:05}").as_str())));
}

#[test]
fn a_refused_batch_is_sent_again_one_record_at_a_time_and_only_the_refused_ones_are_rejected() {
    let (server, connection) = peer();
    server
        .behave(json!({"refuse": {"field": "order_id", "values": ["PO-00013", "PO-00027"]}}))
        .unwrap();
    let io = io();
    let mut options = options();
    options.batch = 10;
    let mut target = open(&connection, options, &io);
    write_all(&mut target, 1..=35);
    target.flush().unwrap();
    let refused = target.take_refused();
    let writes: Vec<usize> = refused.iter().map(|r| r.write).collect();
    assert_eq!(writes, [12, 26]);
    assert_eq!(
        refused[0].reject.reason,
        "the endpoint refused the record: HTTP 422"
    );
    assert!(refused[0]
        .reject
        .detail
        .as_deref()
        .unwrap()
        .contains("order_id PO-00013 refused"));
    // Every other record went in exactly once: in a batch the endpoint took, or alone.
    let mut taken: Vec<Value> = accepted(&server)
        .into_iter()
        .flat_map(|r| r.body.as_array().cloned().unwrap())
        .collect();
    taken.sort_by_key(|v| v["order_id"].as_str().unwrap().to_string());
    let expected: Vec<Value> = (1..=35)
        .filter(|n| ![13, 27].contains(n))
        .map(|n| confirmation(n).1)
        .collect();
    assert_eq!(taken, expected);
    // Batches carry one key; a record sent alone carries its own.
    let keys: Vec<String> = accepted(&server)
        .iter()
        .map(|r| r.header("idempotency-key").unwrap().to_string())
        .collect();
    assert!(
        keys.contains(&"PO-00001..PO-00010#10".to_string()),
        "{keys:?}"
    );
    assert!(keys.contains(&"PO-00011".to_string()), "{keys:?}");
}

#[test]
fn a_refused_record_is_rejected_with_the_status_and_the_answer_and_the_others_go_in() {
    let (server, connection) = peer();
    server
        .behave(json!({"refuse": {"field": "order_id", "values": ["PO-00002"]}}))
        .unwrap();
    let io = io();
    let mut target = open(&connection, options(), &io);
    write_all(&mut target, 1..=3);
    target.flush().unwrap();
    let refused = target.take_refused();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].write, 1);
    assert_eq!(
        refused[0].reject.reason,
        "the endpoint refused the record: HTTP 422"
    );
    assert_eq!(
        refused[0].reject.detail.as_deref(),
        Some(r#"{"error": "order_id PO-00002 refused"}"#)
    );
    let bodies: Vec<Value> = accepted(&server).into_iter().map(|r| r.body).collect();
    assert_eq!(bodies, [confirmation(1).1, confirmation(3).1]);
    // The next flush starts counting its writes again.
    write_all(&mut target, 2..=2);
    target.flush().unwrap();
    assert_eq!(target.take_refused()[0].write, 0);
}

#[test]
fn unavailable_and_rate_limited_answers_are_tried_again_honouring_retry_after() {
    let (server, connection) = peer();
    let io = io();
    let mut target = open(&connection, options(), &io);
    server
        .behave(json!({"fail": 2, "rate_limit": 1, "retry_after": "1"}))
        .unwrap();
    write_all(&mut target, 1..=3);
    target.flush().unwrap();
    let received = server.received().unwrap();
    let statuses: Vec<u16> = received.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 503, 429, 201, 201, 201]);
    assert!(
        received[3].at - received[2].at >= 0.95,
        "Retry-After: 1 was not waited for"
    );
    assert!(received[..4]
        .iter()
        .all(|r| r.header("idempotency-key") == Some("PO-00001")));
    // An HTTP date works as well as seconds.
    server
        .behave(json!({"rate_limit": 1, "retry_after": "date:+2"}))
        .unwrap();
    write_all(&mut target, 4..=4);
    target.flush().unwrap();
    let received = server.received().unwrap();
    assert_eq!(received[6].status, 429);
    assert!(
        received[7].at - received[6].at >= 0.9,
        "the Retry-After date was not waited for"
    );
}

#[test]
fn an_endpoint_still_failing_after_the_retries_is_a_transient_error_and_the_records_wait() {
    let (server, connection) = peer();
    let io = io();
    let mut target = open(&connection, options(), &io);
    write_all(&mut target, 1..=4);
    server.behave(json!({"fail": 100})).unwrap();
    let error = target.flush().unwrap_err();
    assert!(target.is_transient(&error), "{error}");
    assert!(error.to_string().contains("HTTP 503"), "{error}");
    server.behave(json!({"fail": 0})).unwrap();
    target.flush().unwrap();
    let bodies: Vec<Value> = accepted(&server).into_iter().map(|r| r.body).collect();
    assert_eq!(
        bodies,
        (1..=4).map(|n| confirmation(n).1).collect::<Vec<_>>()
    );
}

#[test]
fn a_dropped_connection_and_a_timeout_are_tried_again() {
    let (server, mut connection) = peer();
    connection.timeout = Duration::from_millis(500);
    let io = io();
    let mut target = open(&connection, options(), &io);
    server.behave(json!({"drop": 1})).unwrap();
    write_all(&mut target, 1..=2);
    target.flush().unwrap();
    server.behave(json!({"delay_ms": 1500})).unwrap();
    write_all(&mut target, 3..=3);
    let error = target.flush().unwrap_err();
    assert!(target.is_transient(&error), "{error}");
    server.behave(json!({"delay_ms": 0})).unwrap();
    target.flush().unwrap();
    let received = server.received().unwrap();
    assert_eq!(
        received[0].status, 0,
        "the first request's connection was dropped"
    );
    let mut taken: Vec<String> = accepted(&server)
        .iter()
        .map(|r| r.header("idempotency-key").unwrap().to_string())
        .collect();
    // A request that timed out may have been taken too: it is sent again with its key.
    taken.dedup();
    assert_eq!(taken, ["PO-00001", "PO-00002", "PO-00003"]);
}

#[test]
fn refused_credentials_stop_the_run() {
    let (server, connection) = peer();
    server
        .behave(json!({"require_auth": "Bearer right"}))
        .unwrap();
    let io = io();
    let mut target = open(&connection, options(), &io);
    write_all(&mut target, 1..=1);
    let error = target.flush().unwrap_err();
    assert!(!target.is_transient(&error), "{error}");
    assert!(matches!(error, RunError::Http(_)));
    assert!(
        error
            .to_string()
            .contains("refuses the connection's credentials"),
        "{error}"
    );
}
