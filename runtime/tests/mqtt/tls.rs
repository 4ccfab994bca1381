//! The MQTT connector over TLS, against mosquitto with a TLS listener (`Mosquitto::start_with_tls`) whose
//! certificate a CA made for the test signed (`fdi_peers::TlsFiles`): with that CA as `ca_file` a reading
//! goes out through a target and comes back through a source; a broker whose certificate another CA signed,
//! or that does not name the host the connection uses, is refused for good (the run stops, the target's
//! error is not transient) with a reason that says what to set.

use std::path::PathBuf;
use std::time::Duration;

use fdi_peers::{Mosquitto, TlsFiles};
use fdi_runtime::mqtt::{
    MqttClientCert, MqttConnection, MqttQos, MqttSourceOptions, MqttTarget, MqttTargetOptions,
    MqttTls, TopicFilter, TopicTemplate,
};
use fdi_runtime::target::{Durable, Target};
use fdi_runtime::TargetId;

use super::*;

/// The settings of a connection to `broker` over TLS, trusting `ca_file`.
fn tls_connection(broker: &Mosquitto, client_id: &str, ca_file: PathBuf) -> MqttConnection {
    let mut connection = connection(broker, client_id);
    connection.tls = Some(MqttTls {
        ca_file,
        client_auth: None,
    });
    connection
}

/// A target on `connection` that leaves retained readings at the broker.
fn retaining_target(
    connection: &MqttConnection,
    io: &tokio::runtime::Runtime,
) -> MqttTarget<Placed> {
    let mut options = MqttTargetOptions::new(
        TopicTemplate::parse("plant/{line}/{machine}/state").unwrap(),
        MqttQos::AtLeastOnce,
    );
    options.retain = true;
    MqttTarget::connect("states", connection, options, io.handle()).unwrap()
}

/// Runs the test program with a source on `connection` until it has delivered reading 42; what the run
/// wrote, or why it stopped.
fn receive_reading_42(connection: &MqttConnection) -> Result<Vec<Placed>, RunError> {
    let dir = tempfile::tempdir().unwrap();
    let mut run = start_run(dir.path(), 1000, Duration::from_secs(1));
    let source = run.connect_mqtt_source(
        "broker",
        connection,
        MqttSourceOptions::new(vec![(
            TopicFilter::parse(STATE_FILTER).unwrap(),
            MqttQos::AtLeastOnce,
        )]),
    )?;
    let output: TargetId<Placed> = run.jsonl_target("states", "out/states.jsonl")?;
    let flow = run.flow("place", "broker", output);
    run.stream_source(
        Ending::new(source, Stop::After(|raw| seq_of(raw) == Some(42))),
        place_readings(flow),
    );
    run.drive()?;
    Ok(read_lines(&dir.path().join("out/states.jsonl"))
        .into_iter()
        .map(|line| serde_json::from_value(line).unwrap())
        .collect())
}

/// A target publishes reading 42 (retained, acknowledged by the broker) and a source receives it through
/// a whole run, both on the connections `connection` makes.
fn round_trip(connection: impl Fn(&str) -> MqttConnection) {
    let io = tokio::runtime::Runtime::new().unwrap();
    let mut target = retaining_target(&connection("line3-out"), &io);
    target.write(&reading_of(42)).unwrap().unwrap();
    target.flush().unwrap();
    drop(target);
    assert_eq!(
        receive_reading_42(&connection("line3-in")).unwrap(),
        [reading_of(42)]
    );
}

/// Why a source and a target on the connections `connection` makes cannot reach the broker: the run of
/// the source stops, the target's flush fails with an error that is not transient. Both texts.
fn refusals(connection: impl Fn(&str) -> MqttConnection) -> [String; 2] {
    let source_error = receive_reading_42(&connection("line3-in"))
        .expect_err("the source is refused")
        .to_string();
    let io = tokio::runtime::Runtime::new().unwrap();
    let mut target = retaining_target(&connection("line3-out"), &io);
    let target_error = target
        .write(&reading_of(42))
        .and_then(|written| {
            written.unwrap();
            target.flush()
        })
        .expect_err("the target is refused");
    assert!(
        !target.is_transient(&target_error),
        "retried: {target_error}"
    );
    [source_error, target_error.to_string()]
}

#[test]
fn a_reading_goes_out_and_comes_back_over_tls_verified_by_the_ca_file() {
    let files = TlsFiles::for_loopback().unwrap();
    let broker = Mosquitto::start_with_tls(&files).unwrap();
    round_trip(|client_id| tls_connection(&broker, client_id, files.ca_file()));
}

#[test]
fn a_broker_that_requires_client_certificates_gets_the_clients() {
    let files = TlsFiles::for_loopback().unwrap();
    let broker = Mosquitto::start_with_client_certificates(&files).unwrap();
    round_trip(|client_id| {
        let mut connection = tls_connection(&broker, client_id, files.ca_file());
        connection.tls.as_mut().unwrap().client_auth = Some(MqttClientCert {
            cert_file: files.client_cert_file(),
            key_file: files.client_key_file(),
        });
        connection
    });
}

#[test]
fn a_broker_whose_certificate_another_ca_signed_is_refused_for_good() {
    let files = TlsFiles::for_loopback().unwrap();
    let broker = Mosquitto::start_with_tls(&files).unwrap();
    let [source, target] =
        refusals(|client_id| tls_connection(&broker, client_id, files.other_ca_file()));
    let reason = "cannot connect to the MQTT broker: the server's certificate is not signed by a CA this \
                  connection trusts (its `ca_file`); set `ca_file` to the PEM file of the CA that issued the \
                  server's certificate";
    assert!(
        source.starts_with(&format!("source broker: {reason}")),
        "{source}"
    );
    assert!(
        target.starts_with(&format!("target states: {reason}")),
        "{target}"
    );
}

#[test]
fn a_certificate_that_does_not_name_the_host_is_refused_for_good() {
    // Issued by the trusted CA for `localhost` only; the connection is to 127.0.0.1.
    let files = TlsFiles::for_names(&["localhost"]).unwrap();
    let broker = Mosquitto::start_with_tls(&files).unwrap();
    let [source, target] =
        refusals(|client_id| tls_connection(&broker, client_id, files.ca_file()));
    let reason = "cannot connect to the MQTT broker: the server's certificate does not name the host \
                  127.0.0.1 this connection uses; set `host` to a name the certificate names, or have the \
                  certificate reissued for 127.0.0.1";
    assert!(
        source.starts_with(&format!("source broker: {reason}")),
        "{source}"
    );
    assert!(
        target.starts_with(&format!("target states: {reason}")),
        "{target}"
    );
}

#[test]
fn a_tls_file_that_is_missing_is_refused_when_the_source_opens() {
    let dir = tempfile::tempdir().unwrap();
    let mut connection = MqttConnection::new(fdi_peers::HOST, 8883, "line3-in");
    connection.tls = Some(MqttTls {
        ca_file: dir.path().join("missing-ca.crt"),
        client_auth: None,
    });
    let mut run = start_run(dir.path(), 1000, Duration::from_secs(1));
    let error = run
        .connect_mqtt_source(
            "broker",
            &connection,
            MqttSourceOptions::new(vec![(
                TopicFilter::parse("a/#").unwrap(),
                MqttQos::AtMostOnce,
            )]),
        )
        .err()
        .expect("refused")
        .to_string();
    assert!(
        error.contains("cannot read the CA file") && error.contains("missing-ca.crt"),
        "{error}"
    );
}
