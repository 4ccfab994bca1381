//! PostgreSQL and mosquitto started with `start_with_tls` serve TLS with their own copies of the
//! test's certificate files, where the plain `start()` does not; each probe is checked against
//! the plain server too, so a refusal is TLS's and not the probe's. (That clients verify what is
//! served is `runtime/tests/postgres/tls.rs` and `runtime/tests/mqtt/tls.rs`.)

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use fdi_peers::{Mosquitto, Postgres, TlsFiles, HOST};

/// The first bytes a server answers to `request` on `port` (empty if it closes the connection).
fn answer(port: u16, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect((HOST, port)).expect("connects");
    // A guard against a server that never answers, not a measurement.
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut buffer = [0u8; 16];
    let read = stream.read(&mut buffer).unwrap_or(0);
    buffer[..read].to_vec()
}

/// PostgreSQL's SSLRequest: length 8, code 80877103. The server answers `S` (go on with TLS) or
/// `N` (no TLS here).
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

#[test]
fn postgres_with_tls_offers_it_from_its_own_copy_of_the_files() {
    let files = TlsFiles::for_loopback().expect("certificates");
    let server = Postgres::start_with_tls(&files).expect("PostgreSQL starts with TLS");
    let plain = Postgres::start().expect("PostgreSQL starts");
    assert_eq!(answer(server.port(), &SSL_REQUEST), b"S");
    assert_eq!(answer(plain.port(), &SSL_REQUEST), b"N");

    let mut client =
        postgres::Client::connect(&server.connection_string(), postgres::NoTls).expect("connects");
    let cert_file: String = client
        .query_one("SELECT current_setting('ssl_cert_file')", &[])
        .unwrap()
        .get(0);
    assert!(cert_file.ends_with("server.crt"), "{cert_file}");
    assert_ne!(
        std::path::Path::new(&cert_file),
        files.server_cert_file(),
        "the server reads its own copy"
    );
}

/// An MQTT 3.1.1 CONNECT of client `a`, clean session, keep-alive 60 s.
const CONNECT: [u8; 15] = [
    0x10, 13, 0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 60, 0, 1, b'a',
];

/// The first byte of a CONNACK packet.
const CONNACK: u8 = 0x20;

#[test]
fn mosquitto_with_tls_does_not_speak_plain_mqtt() {
    let files = TlsFiles::for_loopback().expect("certificates");
    let mut broker = Mosquitto::start_with_tls(&files).expect("mosquitto starts with TLS");
    let plain = Mosquitto::start().expect("mosquitto starts");
    assert_eq!(answer(plain.port(), &CONNECT).first(), Some(&CONNACK));
    assert_ne!(answer(broker.port(), &CONNECT).first(), Some(&CONNACK));
    assert!(broker.url().starts_with("mqtts://"), "{}", broker.url());

    // A restarted broker keeps its TLS listener.
    broker.restart().expect("mosquitto restarts");
    assert_ne!(answer(broker.port(), &CONNECT).first(), Some(&CONNACK));
}
