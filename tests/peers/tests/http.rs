//! The HTTP peer: what it is sent is what it reports, with its headers and its answer; told to fail
//! it answers 503 for the next requests only; started with TLS its data port speaks TLS alone while its
//! control port stays plain. (How the connector copes with each answer is `runtime/tests/http/`.)

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use fdi_peers::{HttpServer, TlsFiles, HOST};
use serde_json::json;

/// The whole answer to one HTTP/1.0 request on `port` (empty if the server closes the connection).
fn exchange(port: u16, request: &str) -> String {
    let mut stream = TcpStream::connect((HOST, port)).expect("connects");
    // A guard against a server that never answers, not a measurement.
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

fn post(port: u16, body: &str) -> String {
    exchange(
        port,
        &format!(
            "POST /orders HTTP/1.0\r\nIdempotency-Key: PO-1\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

#[test]
fn the_peer_records_what_it_is_sent_and_fails_when_told() {
    let server = HttpServer::start().expect("the HTTP peer starts");
    assert!(post(server.port(), r#"{"id": 1}"#).starts_with("HTTP/1.1 201"));
    server.behave(json!({"fail": 1})).unwrap();
    assert!(post(server.port(), r#"{"id": 2}"#).starts_with("HTTP/1.1 503"));
    assert!(post(server.port(), r#"{"id": 3}"#).starts_with("HTTP/1.1 201"));
    let received = server.received().unwrap();
    let seen: Vec<(u16, serde_json::Value)> = received
        .iter()
        .map(|r| (r.status, r.body.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            (201, json!({"id": 1})),
            (503, json!({"id": 2})),
            (201, json!({"id": 3}))
        ]
    );
    assert_eq!(received[0].header("idempotency-key"), Some("PO-1"));
    assert_eq!(server.taken().unwrap(), 2);
}

#[test]
fn with_tls_the_data_port_speaks_tls_only() {
    let files = TlsFiles::for_loopback().expect("certificates");
    let server = HttpServer::start_with_tls(&files).expect("the HTTP peer starts with TLS");
    assert!(server.base_url().starts_with("https://"));
    assert!(
        !post(server.port(), "{}").starts_with("HTTP/"),
        "plain HTTP is not answered"
    );
    // The control port is plain all the same.
    server.add_items(&[json!({"seq": 1})]).unwrap();
    assert!(server.received().unwrap().is_empty());
}
