//! An independent Sparkplug B edge node and codec: Eclipse Tahu's JavaScript libraries
//! (`sparkplug-client`, `sparkplug-payload`, versions pinned in `sparkplug/package.json`) run
//! by Node.js from `tests/peers/sparkplug/`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tempfile::TempDir;

use crate::error::INSTALL;
use crate::process::{find_program, log_tail, ServerProcess, Shutdown};
use crate::{PeerError, HOST};

const PEER: &str = "Sparkplug edge node";

/// How long the edge node may take to publish its plan; 10,000 QoS 1 messages take seconds.
const PUBLISH_DEADLINE: Duration = Duration::from_secs(600);

/// A metric of a birth certificate: name, Sparkplug datatype (`"Int32"`, `"Double"`,
/// `"DateTime"`, `"Bytes"`, … as Tahu spells them), value, and an alias that data messages
/// then use instead of the name. 64-bit values may be given as decimal strings, bytes as hex,
/// `null` is a null value.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlanMetric {
    pub name: String,
    /// Data messages may leave it out (`""`): the birth declared it.
    #[serde(rename = "type", default)]
    pub datatype: String,
    pub value: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
}

impl PlanMetric {
    pub fn new(name: &str, datatype: &str, value: Value) -> Self {
        PlanMetric {
            name: name.to_string(),
            datatype: datatype.to_string(),
            value,
            alias: None,
            timestamp: None,
        }
    }

    /// The alias data messages name this metric by.
    pub fn alias(mut self, alias: u64) -> Self {
        self.alias = Some(alias);
        self
    }

    /// The metric's own timestamp (milliseconds since the epoch).
    pub fn timestamp(mut self, millis: u64) -> Self {
        self.timestamp = Some(millis);
        self
    }
}

/// One step of the plan after the births: an NDATA or DDATA message, or a wait for an NCMD
/// rebirth request (which the node answers with births either way).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DataMessage {
    #[serde(skip_serializing_if = "Option::is_none")]
    device: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    metrics: Vec<PlanMetric>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<u64>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    wait_for_rebirth: bool,
}

impl DataMessage {
    /// An NDATA message. Each metric's name must be in the node's birth; its datatype is the
    /// birth's unless the metric gives one (to send a wrong one on purpose).
    pub fn node(metrics: Vec<(&str, Value)>) -> Self {
        DataMessage {
            metrics: data_metrics(metrics),
            ..DataMessage::default()
        }
    }

    /// A DDATA message of `device`.
    pub fn device(device: &str, metrics: Vec<(&str, Value)>) -> Self {
        DataMessage {
            device: Some(device.to_string()),
            metrics: data_metrics(metrics),
            ..DataMessage::default()
        }
    }

    /// A data message with metrics written out in full (a datatype that differs from the
    /// birth's, a metric timestamp).
    pub fn with_metrics(device: Option<&str>, metrics: Vec<PlanMetric>) -> Self {
        DataMessage {
            device: device.map(str::to_string),
            metrics,
            ..DataMessage::default()
        }
    }

    /// The payload's timestamp (milliseconds since the epoch; by default the time it is sent).
    pub fn at(mut self, millis: u64) -> Self {
        self.timestamp = Some(millis);
        self
    }

    /// Wait here until the host asks for a rebirth (NCMD `Node Control/Rebirth`).
    pub fn wait_for_rebirth() -> Self {
        DataMessage {
            wait_for_rebirth: true,
            ..DataMessage::default()
        }
    }
}

/// A metric of a data message takes its datatype from the birth: the empty datatype here.
fn data_metrics(metrics: Vec<(&str, Value)>) -> Vec<PlanMetric> {
    metrics
        .into_iter()
        .map(|(name, value)| PlanMetric::new(name, "", value))
        .collect()
}

/// What the edge node publishes: its births (node metrics, then each device), then the data
/// messages in order. Serialized as the plan file `sparkplug/edge_node.js` reads (and read
/// back from one that a script wrote).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EdgeNodePlan {
    pub group: String,
    pub edge_node: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The QoS of every publish: 0 (Sparkplug's and Tahu's default) or 1.
    pub qos: u8,
    pub node_metrics: Vec<PlanMetric>,
    pub devices: Vec<PlanDevice>,
    pub data: Vec<DataMessage>,
    /// The index in `data` of the message before which one sequence number is skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_seq_before: Option<usize>,
}

/// A device of the edge node and its birth metrics.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlanDevice {
    pub device: String,
    pub metrics: Vec<PlanMetric>,
}

impl EdgeNodePlan {
    pub fn new(group: &str, edge_node: &str) -> Self {
        EdgeNodePlan {
            group: group.to_string(),
            edge_node: edge_node.to_string(),
            client_id: None,
            qos: 0,
            node_metrics: Vec::new(),
            devices: Vec::new(),
            data: Vec::new(),
            skip_seq_before: None,
        }
    }

    pub fn qos(mut self, qos: u8) -> Self {
        self.qos = qos;
        self
    }

    pub fn node_metric(mut self, metric: PlanMetric) -> Self {
        self.node_metrics.push(metric);
        self
    }

    pub fn device(mut self, device: &str, metrics: Vec<PlanMetric>) -> Self {
        self.devices.push(PlanDevice {
            device: device.to_string(),
            metrics,
        });
        self
    }

    pub fn data(mut self, message: DataMessage) -> Self {
        self.data.push(message);
        self
    }

    pub fn skip_seq_before(mut self, index: usize) -> Self {
        self.skip_seq_before = Some(index);
        self
    }
}

/// One message the edge node published: its topic, its payload as Tahu's own decoder reads it
/// back (64-bit numbers as decimal strings, bytes as hex), and its bytes.
#[derive(Clone, Debug)]
pub struct Published {
    pub topic: String,
    pub payload: Value,
    pub bytes: Vec<u8>,
}

impl Published {
    /// The message type of the topic (`NBIRTH`, `DDATA`, …).
    pub fn message_type(&self) -> &str {
        self.topic.split('/').nth(2).unwrap_or("")
    }
}

enum Line {
    Published(Published),
    Event(String),
    Unreadable(String),
}

/// A running edge node; dropping it kills the node (SIGKILL), so the broker publishes its
/// will, the NDEATH. Subscribe before starting it: its births go out as soon as it connects.
pub struct SparkplugEdgeNode {
    process: ServerProcess,
    lines: Receiver<Line>,
    published: Vec<Published>,
    births_per_rebirth: usize,
    folder: TempDir,
}

impl SparkplugEdgeNode {
    /// Starts the edge node against the broker on `127.0.0.1:broker_port`.
    pub fn start(broker_port: u16, plan: &EdgeNodePlan) -> Result<Self, PeerError> {
        let (node, scripts) = node_and_scripts()?;
        let folder = tempfile::Builder::new()
            .prefix("fdi-edge-node-")
            .tempdir()
            .map_err(|e| PeerError::new(PEER, format!("no temporary folder: {e}")))?;
        let plan_file = folder.path().join("plan.json");
        let plan_text = serde_json::to_string_pretty(plan)
            .map_err(|e| PeerError::new(PEER, format!("the plan does not serialize: {e}")))?;
        std::fs::write(&plan_file, plan_text)
            .map_err(|e| PeerError::new(PEER, format!("cannot write the plan: {e}")))?;
        let stderr = std::fs::File::create(folder.path().join("stderr.log"))
            .map_err(|e| PeerError::new(PEER, format!("cannot create its log: {e}")))?;
        let mut process = ServerProcess::spawn(
            PEER,
            Command::new(node)
                .arg(scripts.join("edge_node.js"))
                .arg("--url")
                .arg(format!("mqtt://{HOST}:{broker_port}"))
                .arg("--plan")
                .arg(&plan_file)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(stderr),
            Shutdown::Kill,
        )?;
        let stdout = process
            .child_mut()
            .stdout
            .take()
            .ok_or_else(|| PeerError::new(PEER, "no stdout"))?;
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(parse_line(&line)).is_err() {
                    break;
                }
            }
        });
        Ok(SparkplugEdgeNode {
            process,
            lines,
            published: Vec::new(),
            births_per_rebirth: 1 + plan.devices.len(),
            folder,
        })
    }

    /// Waits until every message of the plan is published (at QoS 1: acknowledged by the
    /// broker) and returns everything published so far, births first.
    pub fn wait_until_published_all(&mut self) -> Result<&[Published], PeerError> {
        self.wait_for_event("published_all")?;
        Ok(&self.published)
    }

    /// Waits until the node has been asked for a rebirth and has published its new births,
    /// and returns those births.
    pub fn wait_for_rebirth(&mut self) -> Result<Vec<Published>, PeerError> {
        self.wait_for_event("rebirth_requested")?;
        let first = self.published.len();
        while self.published.len() < first + self.births_per_rebirth {
            self.next_line(Instant::now() + PUBLISH_DEADLINE)?;
        }
        Ok(self.published[first..first + self.births_per_rebirth].to_vec())
    }

    /// Everything published so far, in order.
    pub fn published(&self) -> &[Published] {
        &self.published
    }

    /// Stops the node the way it stops by itself: it publishes its NDEATH and disconnects.
    /// Returns everything it published.
    pub fn stop(mut self) -> Result<Vec<Published>, PeerError> {
        drop(self.process.child_mut().stdin.take());
        let deadline = Instant::now() + PUBLISH_DEADLINE;
        // Everything it printed, up to the end of its output when it exits.
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(wait) {
                Ok(Line::Published(published)) => self.published.push(published),
                Ok(Line::Event(_)) => {}
                Ok(Line::Unreadable(line)) => {
                    return Err(PeerError::new(PEER, format!("it printed `{line}`")))
                }
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    return Err(PeerError::new(
                        PEER,
                        format!("it did not stop; its stderr:\n{}", self.stderr()),
                    ))
                }
            }
        }
        let status = self.process.child_mut().wait();
        match status {
            Ok(status) if status.success() => Ok(std::mem::take(&mut self.published)),
            other => Err(PeerError::new(
                PEER,
                format!("it stopped with {other:?}; its stderr:\n{}", self.stderr()),
            )),
        }
    }

    /// Kills the node (SIGKILL), as a crash or a power cut would: it publishes nothing more,
    /// and the broker publishes its will, the NDEATH it registered when it connected.
    pub fn kill(mut self) {
        self.process.stop();
    }

    fn wait_for_event(&mut self, event: &str) -> Result<(), PeerError> {
        let deadline = Instant::now() + PUBLISH_DEADLINE;
        loop {
            if let Some(seen) = self.next_event(deadline)? {
                if seen == event {
                    return Ok(());
                }
            }
        }
    }

    fn next_event(&mut self, deadline: Instant) -> Result<Option<String>, PeerError> {
        match self.receive(deadline)? {
            Line::Event(event) => Ok(Some(event)),
            Line::Published(published) => {
                self.published.push(published);
                Ok(None)
            }
            Line::Unreadable(line) => Err(PeerError::new(PEER, format!("it printed `{line}`"))),
        }
    }

    fn next_line(&mut self, deadline: Instant) -> Result<(), PeerError> {
        self.next_event(deadline).map(|_| ())
    }

    fn receive(&mut self, deadline: Instant) -> Result<Line, PeerError> {
        let wait = deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(wait) {
            Ok(line) => Ok(line),
            Err(RecvTimeoutError::Timeout) => Err(PeerError::new(
                PEER,
                format!(
                    "no word from it within {} s; its stderr:\n{}",
                    PUBLISH_DEADLINE.as_secs(),
                    self.stderr()
                ),
            )),
            Err(RecvTimeoutError::Disconnected) => Err(PeerError::new(
                PEER,
                format!("it exited; its stderr:\n{}", self.stderr()),
            )),
        }
    }

    fn stderr(&self) -> String {
        log_tail(&self.folder.path().join("stderr.log"))
    }
}

fn parse_line(line: &str) -> Line {
    let Ok(value) = serde_json::from_str::<Value>(line) else {
        return Line::Unreadable(line.to_string());
    };
    if let Some(event) = value.get("event").and_then(Value::as_str) {
        return Line::Event(event.to_string());
    }
    let topic = value.get("topic").and_then(Value::as_str);
    let bytes = value.get("hex").and_then(Value::as_str).and_then(from_hex);
    match (topic, bytes) {
        (Some(topic), Some(bytes)) => Line::Published(Published {
            topic: topic.to_string(),
            payload: value.get("payload").cloned().unwrap_or(Value::Null),
            bytes,
        }),
        _ => Line::Unreadable(line.to_string()),
    }
}

/// Decodes each payload with Tahu's `sparkplug-payload`: its JSON form (64-bit numbers as
/// decimal strings, bytes as hex), or the decoder's error message.
pub fn decode_with_tahu(payloads: &[Vec<u8>]) -> Result<Vec<Result<Value, String>>, PeerError> {
    let input: String = payloads.iter().map(|p| to_hex(p) + "\n").collect();
    let output = run_codec("decode", input)?;
    let answers: Vec<Result<Value, String>> = output
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line)
                .map_err(|e| format!("the decoder printed `{line}`: {e}"))?;
            match value.get("error").and_then(Value::as_str) {
                Some(error) => Err(error.to_string()),
                None => Ok(value),
            }
        })
        .collect();
    expect_answers(payloads.len(), answers)
}

/// Encodes each payload, given in Tahu's JSON form (`timestamp`, `seq`, `metrics` with
/// `name`, `alias`, `type`, `value`, `timestamp`), with Tahu's `sparkplug-payload`.
pub fn encode_with_tahu(payloads: &[Value]) -> Result<Vec<Result<Vec<u8>, String>>, PeerError> {
    let input: String = payloads.iter().map(|p| p.to_string() + "\n").collect();
    let output = run_codec("encode", input)?;
    let answers: Vec<Result<Vec<u8>, String>> = output
        .lines()
        .map(|line| match line.strip_prefix("error: ") {
            Some(error) => Err(error.to_string()),
            None => from_hex(line).ok_or_else(|| format!("the encoder printed `{line}`")),
        })
        .collect();
    expect_answers(payloads.len(), answers)
}

fn expect_answers<T>(asked: usize, answers: Vec<T>) -> Result<Vec<T>, PeerError> {
    if answers.len() == asked {
        Ok(answers)
    } else {
        Err(PeerError::new(
            "Sparkplug codec",
            format!("asked {asked} payloads, answered {}", answers.len()),
        ))
    }
}

fn run_codec(mode: &str, input: String) -> Result<String, PeerError> {
    let (node, scripts) = node_and_scripts()?;
    let mut child = Command::new(node)
        .arg(scripts.join("codec.js"))
        .arg(mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| PeerError::missing("Sparkplug codec", format!("cannot run node: {e}")))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| PeerError::new("Sparkplug codec", "no stdin"))?;
    // Written from a thread: a large input would otherwise fill the pipe while nobody reads
    // the output.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child
        .wait_with_output()
        .map_err(|e| PeerError::new("Sparkplug codec", format!("node failed: {e}")))?;
    let written = writer.join();
    if !output.status.success() || !matches!(written, Ok(Ok(()))) {
        return Err(PeerError::new(
            "Sparkplug codec",
            format!(
                "node codec.js {mode} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ),
        ));
    }
    String::from_utf8(output.stdout)
        .map_err(|e| PeerError::new("Sparkplug codec", format!("output is not UTF-8: {e}")))
}

/// Node.js and the folder of the scripts, with Tahu's packages installed there.
fn node_and_scripts() -> Result<(PathBuf, PathBuf), PeerError> {
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("sparkplug");
    let node = find_program("node", &[])
        .or_else(|| find_program("nodejs", &[]))
        .ok_or_else(|| PeerError::missing(PEER, "Node.js (`node`) is not installed"))?;
    for package in ["sparkplug-client", "sparkplug-payload"] {
        if !scripts
            .join("node_modules")
            .join(package)
            .join("package.json")
            .is_file()
        {
            return Err(PeerError::missing(
                PEER,
                format!(
                    "the npm package `{package}` is not installed in {}",
                    scripts.display()
                ),
            )
            .with_fix(format!(
                "run `npm ci` in tests/peers/sparkplug, or {INSTALL}"
            )));
        }
    }
    Ok((node, scripts))
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}
