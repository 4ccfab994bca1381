//! The MQTT connector over TLS, against mosquitto with a TLS listener that requires a client
//! certificate. The certificates are made for the test by the `openssl` command line; the broker
//! is started here because `fdi_peers::Mosquitto` listens on plain TCP only.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fdi_runtime::mqtt::{
    MqttClientCert, MqttConnection, MqttQos, MqttSourceOptions, MqttTarget, MqttTargetOptions,
    MqttTls, TopicFilter, TopicTemplate,
};
use fdi_runtime::target::{Durable, Target};
use fdi_runtime::TargetId;

use super::*;

/// Runs `openssl` with `args` in `dir`, failing the test with its output if it fails.
fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the `openssl` command (apt-get install openssl)");
    assert!(
        output.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A test CA, and a certificate and key signed by it for `name` (`server`: valid for 127.0.0.1).
fn make_certificate(dir: &Path, ca: &str, name: &str) {
    let key = format!("{name}.key");
    let request = format!("{name}.csr");
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &request,
            "-subj",
            &format!("/CN={name}"),
        ],
    );
    let extensions = format!("{name}.ext");
    std::fs::write(
        dir.join(&extensions),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &request,
            "-CA",
            &format!("{ca}.crt"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            &format!("{name}.crt"),
            "-extfile",
            &extensions,
        ],
    );
}

fn make_ca(dir: &Path, name: &str) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.crt"),
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
        ],
    );
}

/// mosquitto listening with TLS on a free port of 127.0.0.1; stopped when dropped.
struct TlsBroker {
    child: Child,
    port: u16,
}

impl TlsBroker {
    fn start(dir: &Path) -> TlsBroker {
        let port = TcpListener::bind((fdi_peers::HOST, 0))
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let config = format!(
            "listener {port} {host}\nallow_anonymous true\ncafile {dir}/ca.crt\n\
             certfile {dir}/server.crt\nkeyfile {dir}/server.key\nrequire_certificate true\n\
             persistence false\nuser root\n",
            host = fdi_peers::HOST,
            dir = dir.display()
        );
        std::fs::write(dir.join("mosquitto.conf"), config).unwrap();
        let child = Command::new("/usr/sbin/mosquitto")
            .arg("-c")
            .arg(dir.join("mosquitto.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto (tests/peers/install)");
        let broker = TlsBroker { child, port };
        // A guard against a broker that never starts, not a measurement.
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect((fdi_peers::HOST, port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "mosquitto did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        broker
    }

    fn connection(&self, dir: &Path, client_id: &str, ca: &str) -> MqttConnection {
        let mut connection = MqttConnection::new(fdi_peers::HOST, self.port, client_id);
        connection.tls = Some(MqttTls {
            ca_file: dir.join(format!("{ca}.crt")),
            client_auth: Some(MqttClientCert {
                cert_file: dir.join("client.crt"),
                key_file: dir.join("client.key"),
            }),
        });
        connection
    }
}

impl Drop for TlsBroker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A CA, the broker's and the client's certificates, and a second CA that signed neither.
fn certificates() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    make_ca(dir.path(), "ca");
    make_ca(dir.path(), "other_ca");
    make_certificate(dir.path(), "ca", "server");
    make_certificate(dir.path(), "ca", "client");
    dir
}

#[test]
fn a_target_and_a_source_reach_the_broker_over_tls_with_client_certificates() {
    let certs = certificates();
    let broker = TlsBroker::start(certs.path());

    // The target leaves a retained reading, acknowledged by the broker.
    let io = tokio::runtime::Runtime::new().unwrap();
    let mut options = MqttTargetOptions::new(
        TopicTemplate::parse("plant/{line}/{machine}/state").unwrap(),
        MqttQos::AtLeastOnce,
    );
    options.retain = true;
    let mut target: MqttTarget<Placed> = MqttTarget::connect(
        "states",
        &broker.connection(certs.path(), "line3-out", "ca"),
        options,
        io.handle(),
    )
    .unwrap();
    target.write(&reading_of(42)).unwrap().unwrap();
    target.flush().unwrap();
    drop(target);

    // The source receives it through a whole run.
    let dir = tempfile::tempdir().unwrap();
    let mut run = start_run(dir.path(), 1000, Duration::from_secs(1));
    let source = run
        .mqtt_source(
            "broker",
            &broker.connection(certs.path(), "line3-in", "ca"),
            MqttSourceOptions::new(vec![(
                TopicFilter::parse(STATE_FILTER).unwrap(),
                MqttQos::AtLeastOnce,
            )]),
        )
        .unwrap();
    let output: TargetId<Placed> = run.jsonl_target("states", "out/states.jsonl").unwrap();
    let flow = run.flow("place", "broker", output);
    run.stream_source(
        Ending::new(source, Stop::After(|raw| seq_of(raw) == Some(42))),
        place_readings(flow),
    );
    run.drive().unwrap();
    let lines = read_lines(&dir.path().join("out/states.jsonl"));
    let placed: Vec<Placed> = lines
        .into_iter()
        .map(|line| serde_json::from_value(line).unwrap())
        .collect();
    assert_eq!(placed, [reading_of(42)]);
}

#[test]
fn a_broker_whose_certificate_another_ca_signed_stops_the_run_with_the_reason() {
    let certs = certificates();
    let broker = TlsBroker::start(certs.path());
    let dir = tempfile::tempdir().unwrap();
    let mut run = start_run(dir.path(), 1000, Duration::from_secs(1));
    let source = run
        .mqtt_source(
            "broker",
            &broker.connection(certs.path(), "line3-in", "other_ca"),
            MqttSourceOptions::new(vec![(
                TopicFilter::parse(STATE_FILTER).unwrap(),
                MqttQos::AtLeastOnce,
            )]),
        )
        .unwrap();
    let output: TargetId<Placed> = run.jsonl_target("states", "out/states.jsonl").unwrap();
    let flow = run.flow("place", "broker", output);
    run.stream_source(
        Ending::new(source, Stop::After(|_| true)),
        place_readings(flow),
    );
    let error = run.drive().unwrap_err().to_string();
    assert!(
        error.contains("source broker: cannot connect to the MQTT broker")
            && error.contains("certificate"),
        "{error}"
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
        .mqtt_source(
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
