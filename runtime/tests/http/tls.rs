//! The HTTP connector over TLS, against the peer serving HTTPS with a certificate a CA made for the test
//! signed (`fdi_peers::TlsFiles`): with that CA as `ca_file` records go out and come back; a server whose
//! certificate another CA signed, or that does not name the host of the base URL, is refused for good (the
//! error is not transient) with a reason that says what to set.

use std::time::Duration;

use fdi_peers::{HttpServer, TlsFiles};
use fdi_runtime::http::{
    HttpConnection, HttpSource, HttpSourceOptions, HttpTarget, HttpTargetOptions, StateFile,
    Watermark,
};
use fdi_runtime::serde_json::{json, Value};
use fdi_runtime::source::StreamSource;
use fdi_runtime::target::{Durable, Target};

use crate::io;

fn target(connection: &HttpConnection, io: &tokio::runtime::Runtime) -> HttpTarget<Value> {
    let options = HttpTargetOptions {
        retries: 0,
        ..HttpTargetOptions::post("/readings", &["seq"])
    };
    HttpTarget::open("readings", connection, options, io.handle()).unwrap()
}

#[test]
fn records_go_out_and_come_back_over_tls_with_the_plant_s_ca() {
    let files = TlsFiles::for_loopback().unwrap();
    let server =
        HttpServer::start_with_tls(&files).expect("the HTTP peer starts (tests/peers/install)");
    let mut connection = HttpConnection::new("mes", &server.base_url());
    connection.ca_file = Some(files.ca_file());
    let io = io();
    let mut sending = target(&connection, &io);
    sending
        .write(&json!({"seq": 1, "value": 2.5}))
        .unwrap()
        .unwrap();
    sending.flush().unwrap();
    let received = server.received().unwrap();
    assert_eq!(
        (received[0].status, &received[0].body),
        (201, &json!({"seq": 1, "value": 2.5}))
    );

    server
        .add_items(&[json!({"seq": 7, "value": 1.0})])
        .unwrap();
    let state = tempfile::tempdir().unwrap();
    let options = HttpSourceOptions {
        path: "/items?after={watermark}".into(),
        records: "data.items".into(),
        watermark: Watermark::Field("seq".into()),
        poll_interval: Duration::from_millis(50),
    };
    let mut source = HttpSource::open(
        "items",
        &connection,
        options,
        StateFile::new(state.path().join("s.json")),
    )
    .unwrap();
    let delivery = io.block_on(source.next()).unwrap().unwrap();
    assert_eq!(
        delivery.records[0].original(),
        json!({"seq": 7, "value": 1.0})
    );
}

#[test]
fn a_certificate_of_another_ca_or_for_another_name_is_refused_for_good_with_what_to_set() {
    let io = io();
    let files = TlsFiles::for_loopback().unwrap();
    let server = HttpServer::start_with_tls(&files).unwrap();
    let mut connection = HttpConnection::new("mes", &server.base_url());
    connection.ca_file = Some(files.other_ca_file());
    let mut sending = target(&connection, &io);
    sending.write(&json!({"seq": 1})).unwrap().unwrap();
    let error = sending.flush().unwrap_err();
    assert!(!sending.is_transient(&error), "{error}");
    let text = error.to_string();
    assert!(
        text.contains("not signed by a CA this connection trusts")
            && text.contains("set `ca_file`"),
        "{text}"
    );

    let localhost_only = TlsFiles::for_names(&["localhost"]).unwrap();
    let server = HttpServer::start_with_tls(&localhost_only).unwrap();
    let mut connection = HttpConnection::new("mes", &server.base_url());
    connection.ca_file = Some(localhost_only.ca_file());
    let mut sending = target(&connection, &io);
    sending.write(&json!({"seq": 1})).unwrap().unwrap();
    let error = sending.flush().unwrap_err();
    assert!(!sending.is_transient(&error), "{error}");
    assert!(
        error
            .to_string()
            .contains("does not name the host 127.0.0.1"),
        "{error}"
    );
    assert!(
        server.received().unwrap().is_empty(),
        "nothing was sent to an untrusted server"
    );
}
