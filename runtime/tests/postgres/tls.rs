//! TLS verification against a server that serves TLS (`Postgres::start_with_tls`) with a certificate made
//! for the test by a CA of its own (`fdi_peers::TlsFiles`): verify-full, the default, connects and writes when
//! `ca_file` names that CA, and refuses, with a reason that says what to set, a server whose certificate
//! chains to no CA it trusts (the system's trust store, or another CA) or does not name the host it connects
//! to. Refusals are not transient: no retry changes a certificate.

use std::path::PathBuf;

use fdi_peers::TlsFiles;
use fdi_runtime::postgres::{PostgresConnection, TlsMode};
use fdi_runtime::{Durable, Target};

use crate::support::{tls_peer, Peer};
use crate::target::{count, expected_counts, open_counts_with, stored_counts};

/// The application name of the connector's connections, by which the test finds them at the server.
const APPLICATION: &str = "fdi-tls-test";

/// The connector's settings for `peer` as a deployment gives them: TLS verified (the default), trusting
/// `ca_file` if given, else the system's trust store.
fn verified(peer: &Peer, ca_file: Option<PathBuf>) -> PostgresConnection {
    let mut connection = peer.connection(APPLICATION);
    connection.tls.mode = TlsMode::default();
    connection.tls.ca_file = ca_file;
    connection
}

/// The error of opening a target with `connection`, checked to be one no retry fixes, as text.
fn refusal(peer: &Peer, connection: &PostgresConnection) -> String {
    let error = open_counts_with(peer, connection)
        .err()
        .expect("the connection is refused");
    let text = error.to_string();
    // A target that connects (without TLS, which the server still allows) answers whether the refusal is
    // worth a retry.
    let target = open_counts_with(peer, &peer.connection(APPLICATION)).unwrap();
    assert!(!target.is_transient(&error), "retried: {text}");
    text
}

#[test]
fn verify_full_with_the_servers_ca_writes_over_tls() {
    let files = TlsFiles::for_loopback().unwrap();
    let peer = tls_peer(&files);
    let mut target = open_counts_with(&peer, &verified(&peer, Some(files.ca_file()))).unwrap();
    for i in 0..1_000 {
        target.write(&count(i)).unwrap().unwrap();
    }
    target.flush().unwrap();
    // The server says the connector's connection is encrypted.
    let encrypted = peer.value(&format!(
        "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) \
         WHERE application_name = '{APPLICATION}' AND ssl"
    ));
    assert_ne!(encrypted, "0", "no TLS connection of the connector");
    drop(target);
    assert_eq!(stored_counts(&peer, "counts"), expected_counts(0..1_000));
}

#[test]
fn the_system_trust_store_does_not_trust_a_private_ca() {
    let files = TlsFiles::for_loopback().unwrap();
    let peer = tls_peer(&files);
    let text = refusal(&peer, &verified(&peer, None));
    assert!(
        text.contains("is not signed by a CA this connection trusts (the system's trust store")
            && text.contains("set `ca_file` to the PEM file of the CA"),
        "{text}"
    );
}

#[test]
fn a_ca_file_of_another_ca_does_not_trust_the_server() {
    let files = TlsFiles::for_loopback().unwrap();
    let peer = tls_peer(&files);
    let other_ca = files.other_ca_file();
    let text = refusal(&peer, &verified(&peer, Some(other_ca.clone())));
    assert!(
        text.contains(&format!(
            "is not signed by a CA this connection trusts (`ca_file` {})",
            other_ca.display()
        )) && text.contains("set `ca_file` to the PEM file of the CA"),
        "{text}"
    );
}

#[test]
fn a_certificate_that_does_not_name_the_host_is_refused() {
    // Issued by the trusted CA for `localhost` only; the connection is to 127.0.0.1.
    let files = TlsFiles::for_names(&["localhost"]).unwrap();
    let peer = tls_peer(&files);
    let text = refusal(&peer, &verified(&peer, Some(files.ca_file())));
    assert!(
        text.contains("does not name the host 127.0.0.1")
            && text.contains("localhost")
            && text.contains("set `host`"),
        "{text}"
    );
}
