//! What every scenario shares: the plant (a PostgreSQL server, a mosquitto broker and the
//! program's folder), the program built once, the kill loop, a publisher that survives broker
//! restarts, and the checks by key at the peer.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use fdi_peers::{Mosquitto, Postgres};
use rumqttc::{Client, Event, MqttOptions, Outgoing, Packet, QoS};
use tempfile::TempDir;

use crate::support::service::{broker_settings, database_settings, reading, Service};

#[allow(dead_code)]
#[path = "../promise/rng.rs"]
mod rng;
pub use rng::Rng;

/// The broker's limit of unacknowledged QoS 1 messages per client, and the program's
/// (`max_unacknowledged`): a plant's broker is often set higher than mosquitto's 20.
const MAX_INFLIGHT: u32 = 100;

/// The largest MQTT packet the test's publisher sends (a 20 MB message fits).
const MAX_PACKET_BYTES: usize = 32 << 20;

/// The generated program of `tests/programs/lose_nothing/`, built once for every scenario (the
/// first to ask builds it, the others wait).
pub fn program() -> &'static Path {
    static PROGRAM: OnceLock<PathBuf> = OnceLock::new();
    PROGRAM.get_or_init(|| crate::support::service::build_test_program("lose_nothing"))
}

/// A scenario's name and start, to print its seed and how long it took.
pub struct Scenario {
    name: &'static str,
    started: Instant,
}

impl Scenario {
    pub fn start(name: &'static str) -> Scenario {
        Scenario {
            name,
            started: Instant::now(),
        }
    }

    /// The scenario's random generator: seeded from `FDI_CHAOS_SEED` when set (to run a failure
    /// again), else from the clock; the seed is printed either way.
    pub fn rng(&self) -> Rng {
        let seed = std::env::var("FDI_CHAOS_SEED")
            .ok()
            .and_then(|seed| seed.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            });
        eprintln!(
            "{}: seed {seed} (FDI_CHAOS_SEED={seed} repeats it)",
            self.name
        );
        Rng::new(seed)
    }

    /// Prints that `what` is done, and when.
    pub fn done(&self, what: &str) {
        eprintln!(
            "{}: {what} after {:.1} s",
            self.name,
            self.started.elapsed().as_secs_f64()
        );
    }
}

impl Drop for Scenario {
    fn drop(&mut self) {
        eprintln!(
            "{}: {:.1} s{}",
            self.name,
            self.started.elapsed().as_secs_f64(),
            if std::thread::panicking() {
                " (failed)"
            } else {
                ""
            }
        );
    }
}

/// The peers of one scenario and the program's folder: its settings (`line.toml`), its input
/// file (`data/readings.jsonl`, empty until a scenario writes it) and its dead letter.
pub struct Plant {
    pub database: Postgres,
    pub broker: Mosquitto,
    folder: TempDir,
}

impl Plant {
    pub fn start() -> Plant {
        let database = Postgres::start().expect("PostgreSQL (install it with tests/peers/install)");
        let broker = Mosquitto::start_with_max_inflight(MAX_INFLIGHT)
            .expect("mosquitto (install it with tests/peers/install)");
        let folder = tempfile::Builder::new()
            .prefix("fdi-lose-nothing-")
            .tempdir()
            .unwrap();
        let settings = format!(
            "{}max_unacknowledged = {MAX_INFLIGHT}\n\n{}",
            broker_settings("plant_broker", &broker, "line4"),
            database_settings("mes", &database)
        );
        std::fs::write(folder.path().join("line.toml"), settings).unwrap();
        let plant = Plant {
            database,
            broker,
            folder,
        };
        plant.write_input(b"");
        plant
    }

    /// Replaces the program's input file.
    pub fn write_input(&self, bytes: &[u8]) {
        let path = self.folder.path().join("data/readings.jsonl");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    /// Starts the program (built once) on this plant, serving metrics on a free port.
    pub fn start_program(&self) -> Service {
        Service::start_serving_metrics(program(), self.folder.path())
    }

    /// Starts the program and waits until both its MQTT sources have their subscriptions, so
    /// the broker keeps what is published from then on for their sessions.
    pub fn start_program_subscribed(&self) -> Service {
        let service = self.start_program();
        service.wait_all_subscribed(2);
        service
    }

    /// The lines of the program's dead letter so far.
    pub fn dead_letter(&self) -> Vec<serde_json::Value> {
        let path = self.folder.path().join("dead-letter.jsonl");
        if !path.exists() {
            return Vec::new();
        }
        crate::support::read_jsonl(&path)
    }

    /// The rows `sql` selects, each as its columns joined by `|`; none while the table the
    /// program creates does not exist yet.
    pub fn rows(&self, sql: &str) -> Vec<String> {
        crate::support::service::psql_rows(&self.database, sql)
    }

    /// The rows of `table`; 0 while it does not exist.
    pub fn count(&self, table: &str) -> usize {
        crate::support::service::psql_count(&self.database, table)
    }

    /// Waits until `table` has at least `rows` rows.
    pub fn wait_for_rows(&self, table: &str, rows: usize) {
        crate::support::service::wait_for_count(table, rows, || self.count(table));
    }

    /// The check every scenario ends with, at the peer: no value of `key` (one column or a
    /// comma-separated list) is in `table` twice, and the rows (`columns`, joined by `|`) are
    /// exactly `expected`: none missing, none unexpected, every value as the test computed it.
    pub fn assert_each_once(&self, table: &str, key: &str, columns: &str, expected: &[String]) {
        let twice = self.rows(&format!(
            "SELECT {key}, count(*) FROM {table} GROUP BY {key} HAVING count(*) > 1 LIMIT 10"
        ));
        assert!(twice.is_empty(), "keys of {table} written twice: {twice:?}");
        let stored: BTreeSet<String> = self
            .rows(&format!("SELECT {columns} FROM {table}"))
            .into_iter()
            .collect();
        let expected: BTreeSet<String> = expected.iter().cloned().collect();
        let missing: Vec<&String> = expected.difference(&stored).take(10).collect();
        let unexpected: Vec<&String> = stored.difference(&expected).take(10).collect();
        assert!(
            missing.is_empty() && unexpected.is_empty(),
            "{table} holds {} rows, {} expected; missing (first 10): {missing:?}; \
             unexpected (first 10): {unexpected:?}",
            stored.len(),
            expected.len()
        );
    }
}

/// The columns [`reading_row`] describes, as a `SELECT` lists them.
pub const READING_COLUMNS: &str = "seq, machine, value, doubled";

/// The row reading `seq` becomes in a table of stored readings, computed here from what the
/// test wrote, independently of the program: `seq|machine|value|doubled`.
pub fn reading_row(seq: u64) -> String {
    let (machine, seq, value) = reading(seq);
    format!("{seq}|{machine}|{value}|{}", value * 2.0)
}

/// Starts a program with `start` and ends it with SIGKILL, `kills` times, each at a random
/// moment: once this start has read a random number (below `most`) of records of `source`,
/// which puts the moments across startup, reading and writing whatever the machine's speed.
pub fn kill_repeatedly(
    rng: &mut Rng,
    kills: usize,
    source: &str,
    most: u64,
    mut start: impl FnMut() -> Service,
) {
    let series = format!("fdi_source_records_read_total{{source=\"{source}\"}}");
    for _ in 0..kills {
        let program = start();
        let moment = rng.below(most as usize) as f64;
        let deadline = Instant::now() + Duration::from_secs(60);
        while program.metric_sample(&series).unwrap_or(0.0) < moment {
            assert!(
                Instant::now() < deadline,
                "{source} read fewer than {moment} records within 60 s"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        program.kill();
    }
}

/// A client that publishes QoS 1 messages in a thread of its own, with a persistent session
/// that survives restarts of the broker: when the connection is lost it connects again and
/// sends again every message the broker had not acknowledged, as a plant's publisher does.
pub struct Publisher {
    thread: JoinHandle<PublisherReport>,
    acknowledged: Arc<AtomicUsize>,
}

/// What a publisher did: messages the broker acknowledged, and connections lost on the way.
#[derive(Debug)]
pub struct PublisherReport {
    pub acknowledged: usize,
    pub connections_lost: usize,
}

impl Publisher {
    /// Starts publishing `messages` (topic, payload) in order to `broker` as `client_id`.
    pub fn start(broker: &Mosquitto, client_id: &str, messages: Vec<(String, Vec<u8>)>) -> Self {
        let mut options = MqttOptions::new(client_id, broker.host(), broker.port());
        options.set_keep_alive(Duration::from_secs(30));
        options.set_clean_session(false);
        options.set_max_packet_size(MAX_PACKET_BYTES, MAX_PACKET_BYTES);
        let (client, connection) = Client::new(options, 1000);
        let acknowledged = Arc::new(AtomicUsize::new(0));
        let counter = acknowledged.clone();
        let thread = std::thread::spawn(move || drive(client, connection, messages, &counter));
        Publisher {
            thread,
            acknowledged,
        }
    }

    /// Waits until the broker has acknowledged at least `count` messages.
    pub fn wait_for_acknowledged(&self, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while self.acknowledged.load(Ordering::SeqCst) < count {
            assert!(
                !self.thread.is_finished() && Instant::now() < deadline,
                "the broker acknowledged {} messages, fewer than {count}",
                self.acknowledged.load(Ordering::SeqCst)
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Waits until the broker acknowledged every message.
    pub fn join(self) -> PublisherReport {
        self.thread.join().expect("the publisher")
    }
}

/// Publishes the messages (in a thread: `publish` waits while the client's request queue is
/// full, which only the connection's loop drains) and drives the connection until the broker
/// acknowledged each once.
fn drive(
    client: Client,
    mut connection: rumqttc::Connection,
    messages: Vec<(String, Vec<u8>)>,
    acknowledged: &AtomicUsize,
) -> PublisherReport {
    let total = messages.len();
    let requester = client.clone();
    let requests = std::thread::spawn(move || {
        for (topic, payload) in messages {
            requester
                .publish(topic, QoS::AtLeastOnce, false, payload)
                .expect("queue a publication");
        }
    });
    // A packet id is in flight from its publication (sent again after a reconnection) until its
    // acknowledgement; ids are reused once acknowledged.
    let mut in_flight = HashSet::new();
    let mut report = PublisherReport {
        acknowledged: 0,
        connections_lost: 0,
    };
    let deadline = Instant::now() + Duration::from_secs(180);
    while report.acknowledged < total {
        assert!(
            Instant::now() < deadline,
            "the broker acknowledged {} of {total} messages within 180 s",
            report.acknowledged
        );
        match connection.recv_timeout(Duration::from_secs(1)) {
            Ok(Ok(Event::Outgoing(Outgoing::Publish(id)))) => {
                in_flight.insert(id);
            }
            Ok(Ok(Event::Incoming(Packet::PubAck(ack)))) => {
                if in_flight.remove(&ack.pkid) {
                    report.acknowledged += 1;
                    acknowledged.store(report.acknowledged, Ordering::SeqCst);
                }
            }
            Ok(Ok(_)) | Err(_) => {}
            Ok(Err(_)) => {
                // The broker went away (a restart): the next poll connects again, and rumqttc
                // sends first what the broker had not acknowledged.
                report.connections_lost += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
    requests.join().expect("the requests");
    client.disconnect().expect("disconnect");
    let _ = connection.recv_timeout(Duration::from_secs(1));
    report
}

/// Readings `seqs` as MQTT messages on one machine's topic.
pub fn reading_messages(seqs: std::ops::RangeInclusive<u64>) -> Vec<(String, Vec<u8>)> {
    seqs.map(|seq| {
        (
            "plant/m/readings".to_string(),
            crate::support::service::payload(seq),
        )
    })
    .collect()
}
