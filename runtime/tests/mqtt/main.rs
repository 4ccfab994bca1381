//! The MQTT connector against a real mosquitto (`fdi_peers::Mosquitto`), through whole runs
//! (`Run::drive`): the source in `source.rs`, the target in `target.rs`, both over TLS in `tls.rs`. What is published and
//! what must arrive are computed here from each record's sequence number, independently of the
//! runtime.
//!
//! A broker source never ends, so each run here reads from an [`Ending`] around its
//! `MqttSource`, which ends the source (or fails it, as a crash would) at a point the test chooses.

mod source;
mod target;
mod tls;

use std::path::Path;
use std::time::Duration;

use fdi_peers::Mosquitto;
use fdi_runtime::mqtt::MqttConnection;
use fdi_runtime::serde::{Deserialize, Serialize};
use fdi_runtime::serde_json::{self, Value};
use fdi_runtime::source::{Delivery, StreamSource};
use fdi_runtime::{
    FlowId, MapOutcome, Position, ProgramInfo, RawRecord, Reject, Run, RunConfig, RunError,
};

/// The sources and targets of the test program.
const PROGRAM: ProgramInfo = ProgramInfo {
    mapping: "mqtt_tests",
    version: "0.1.0",
    mapping_dir: None,
    dead_letter: "out/dead-letter.jsonl",
    service: true,
    sources: &["broker", "orders"],
    lookups: &[],
    connections: &[],
    manifest: &fdi_runtime::Manifest::UNKNOWN,
};

/// The filter the source subscribes to, with the levels the mapping names.
const STATE_FILTER: &str = "plant/+line/+machine/state";

/// A machine reading as it is published.
#[derive(Debug, Deserialize)]
#[serde(crate = "fdi_runtime::serde")]
struct Reading {
    seq: u64,
    value: f64,
}

/// A reading placed by its topic: what the source's flow writes.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(crate = "fdi_runtime::serde")]
struct Placed {
    seq: u64,
    line: String,
    machine: String,
    value: f64,
}

/// The line and machine reading `seq` is published for, and its value.
fn reading_of(seq: u64) -> Placed {
    Placed {
        seq,
        line: format!("{}", seq % 3 + 1),
        machine: format!("m{}", seq % 7),
        value: seq as f64 * 0.25,
    }
}

/// Readings `seqs` as the broker should see them: (topic, payload), in order of `seq`.
fn readings(seqs: std::ops::Range<u64>) -> Vec<(String, Vec<u8>)> {
    seqs.map(|seq| {
        let placed = reading_of(seq);
        let topic = format!("plant/{}/{}/state", placed.line, placed.machine);
        let payload = format!("{{\"seq\":{seq},\"value\":{}}}", placed.value);
        (topic, payload.into_bytes())
    })
    .collect()
}

/// Publishes each (topic, payload) at QoS 1, in order, and returns once the broker has them all.
fn publish(broker: &Mosquitto, messages: &[(String, Vec<u8>)]) {
    let mut client = fdi_peers::MqttClient::connect(broker, "publisher", true);
    for (topic, payload) in messages {
        client.publish_all(topic, std::slice::from_ref(payload));
    }
    client.disconnect();
}

/// Leaves a persistent session subscribed to `filter` at QoS 1 for `client_id`, so that what is
/// published from now on waits at the broker for the client, as for a program that is down.
fn leave_session(broker: &Mosquitto, client_id: &str, filter: &str) {
    let mut client = fdi_peers::MqttClient::connect(broker, client_id, false);
    client.subscribe(filter, fdi_peers::QoS::AtLeastOnce);
    client.disconnect();
}

fn connection(broker: &Mosquitto, client_id: &str) -> MqttConnection {
    let mut connection = MqttConnection::new(broker.host(), broker.port(), client_id);
    connection.keep_alive = Duration::from_secs(5);
    connection
}

/// A run of the test program in `dir`.
fn start_run(dir: &Path, checkpoint_every: usize, checkpoint_interval: Duration) -> Run {
    let config = RunConfig {
        base_dir: dir.to_path_buf(),
        checkpoint_every,
        checkpoint_interval,
        ..RunConfig::new(&PROGRAM)
    };
    Run::new(&PROGRAM, config).expect("start the run")
}

/// The map function of the broker source, as the compiler would generate it: decode a reading,
/// read the topic's levels that [`STATE_FILTER`] names (`source.levels.line`) through the filter
/// the source matched the message with, filter negative values out.
fn place_readings(
    flow: FlowId<Placed>,
) -> impl FnMut(&mut Run, &RawRecord) -> Result<(), RunError> + 'static {
    move |run, raw| {
        let Some(reading) = run.decode::<Reading>(raw, "Reading")? else {
            return Ok(());
        };
        let place = || -> Result<MapOutcome<Placed>, Reject> {
            let line = raw.topic_level("line")?;
            let machine = raw.topic_level("machine")?;
            if reading.value < 0.0 {
                return Ok(MapOutcome::Filtered);
            }
            Ok(MapOutcome::Mapped(Placed {
                seq: reading.seq,
                line: line.to_owned(),
                machine: machine.to_owned(),
                value: reading.value,
            }))
        };
        run.deliver(flow, raw, place())
    }
}

/// The JSON lines of a file (none if it does not exist).
fn read_lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

/// The sequence number of a reading's message, if it has one.
fn seq_of(raw: &RawRecord) -> Option<u64> {
    raw.original().get("seq")?.as_u64()
}

/// When an [`Ending`] source stops.
enum Stop {
    /// After delivering the record that matches: the source ends, its last position is acknowledged.
    After(fn(&RawRecord) -> bool),
    /// After delivering the record that matches, the source fails, as if the program crashed: nothing
    /// after the last checkpoint is acknowledged.
    FailAfter(fn(&RawRecord) -> bool),
    /// Once the run has acknowledged this position.
    WhenAcknowledged(Position),
}

/// A stream source that stops as [`Stop`] says, and may run a hook once it has made some deliveries.
struct Ending<S> {
    inner: S,
    stop: Stop,
    stopping: bool,
    acknowledged: Position,
    deliveries: u64,
    hook: Option<(u64, Box<dyn FnOnce() + Send>)>,
}

impl<S: StreamSource> Ending<S> {
    fn new(inner: S, stop: Stop) -> Self {
        Ending {
            inner,
            stop,
            stopping: false,
            acknowledged: 0,
            deliveries: 0,
            hook: None,
        }
    }

    /// Runs `hook` (on an IO thread, where it may block) after `deliveries` deliveries.
    fn with_hook(mut self, deliveries: u64, hook: impl FnOnce() + Send + 'static) -> Self {
        self.hook = Some((deliveries, Box::new(hook)));
        self
    }
}

impl<S: StreamSource> StreamSource for Ending<S> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn next(&mut self) -> Result<Option<Delivery>, RunError> {
        if self.stopping {
            return match self.stop {
                Stop::FailAfter(_) => Err(RunError::Program("the test stops the program".into())),
                _ => Ok(None),
            };
        }
        if let Stop::WhenAcknowledged(position) = self.stop {
            if self.acknowledged >= position {
                return Ok(None);
            }
        }
        let delivery = self.inner.next().await?;
        if let Some(delivery) = &delivery {
            self.deliveries += 1;
            if self
                .hook
                .as_ref()
                .is_some_and(|(after, _)| self.deliveries == *after)
            {
                let (_, hook) = self.hook.take().unwrap();
                tokio::task::block_in_place(hook);
            }
            if let Stop::After(matches) | Stop::FailAfter(matches) = self.stop {
                self.stopping = delivery.records.iter().any(matches);
            }
        }
        Ok(delivery)
    }

    async fn acknowledge(&mut self, position: Position) -> Result<(), RunError> {
        self.inner.acknowledge(position).await?;
        self.acknowledged = position;
        Ok(())
    }

    fn unacknowledged_limit(&self) -> Option<usize> {
        self.inner.unacknowledged_limit()
    }
}
