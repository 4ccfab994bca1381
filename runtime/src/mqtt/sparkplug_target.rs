//! The Sparkplug B target (features `mqtt` and `sparkplug`): the program is an edge node, and each
//! record is one NDATA (or DDATA of its one device) whose metrics are the record's fields.
//!
//! # Session
//!
//! The connection registers the NDEATH of its bdSeq as its MQTT will, and once connected the node
//! publishes its NBIRTH (seq 0, every field as a metric with an alias, typed from the target's
//! columns, with its last value or null, plus `bdSeq` and `Node Control/Rebirth`), then the DBIRTH
//! of its device if it has one, then the records by alias, seq 1 to 255 and on from 0. An NCMD
//! `Node Control/Rebirth` = true is answered with new births. A clean stop publishes the NDEATH,
//! waits for its PUBACK, disconnects, and waits for the broker to close the connection (a socket
//! closed with unread data is reset, and the broker would publish the will as well). A lost connection starts a new session: bdSeq goes up by one, the will is
//! registered again with it, and after reconnecting the births come first, then every record
//! the broker had not acknowledged, encoded again for the new session.
//!
//! bdSeq is kept in a file (one number), so that it goes up across restarts too and a host can
//! tell the deaths of this run from those of an earlier one.
//!
//! # Guarantee
//!
//! As the JSON target (`target.rs`): at QoS 1 [`Durable::flush`] returns once the broker has
//! acknowledged every record written so far, so at least once; at QoS 0, at most once.
//!
//! # Tasks
//!
//! rumqttc's event loop runs in one task (`run_link`), which forwards what the session needs;
//! the session (`Publisher`) runs in another and is the only one that encodes and publishes, so
//! the order of births and data on the wire is the order it chose. When the connection is lost
//! the event loop waits until the session has taken note (and given the new will), then drops
//! everything queued for the lost connection, so the session knows exactly what to publish again.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rumqttc::{AsyncClient, Event, EventLoop, LastWill, Outgoing, Packet};
use serde::Serialize;
use serde_json::Value as Json;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::connection::{is_fatal, Backoff, MqttConnection, MqttQos};
use crate::error::RunError;
use crate::outcome::Reject;
use crate::sparkplug::{
    decode_payload, DataType, EdgeNode, EdgeNodeId, MessageType, OutMetric, Publication, Topic,
    Value,
};
use crate::target::{Column, Durable, SqlType, Target};

/// Requests queued for the connection before the session waits for room.
const REQUEST_CAPACITY: usize = 1024;

/// Records handed to the session and not yet acknowledged by the broker before a write waits.
const RECORDS_IN_FLIGHT: usize = 1024;

/// How long a clean stop waits for the NDEATH to go out.
const STOP_WITHIN: Duration = Duration::from_secs(5);

/// What a Sparkplug B target publishes as, and how.
#[derive(Debug, Clone)]
pub struct SparkplugTargetOptions {
    /// The group and edge node id of the node this program is.
    pub node: EdgeNodeId,
    /// The device whose DDATA the records are; `None`: they are the node's NDATA.
    pub device: Option<String>,
    pub qos: MqttQos,
    /// The file that keeps the bdSeq of the last session.
    pub bd_seq_file: PathBuf,
    /// How long a write waits for room and a flush for the broker's acknowledgements.
    pub ack_timeout: Duration,
}

/// The metrics of one record, with the time it was written.
#[derive(Debug, Clone)]
struct Data {
    timestamp: u64,
    metrics: Vec<OutMetric>,
}

/// What the session reports to the target.
#[derive(Debug, Clone, Default)]
struct Progress {
    connected: bool,
    /// Records the broker has acknowledged (at QoS 0: handed to the connection).
    acknowledged: u64,
    /// The broker refused the client for good, or the state file cannot be written.
    failed: Option<String>,
}

/// What the event loop tells the session.
enum LinkEvent {
    Connected,
    /// A PUBACK: the oldest QoS 1 publish not yet acknowledged is.
    Acknowledged,
    /// An NCMD to this node.
    Command(Vec<u8>),
    /// The connection is lost: the session starts a new one and answers with its will.
    Lost(oneshot::Sender<LastWill>),
    Failed(String),
}

/// A Sparkplug B edge node publishing records of type `T`; see the module documentation.
pub struct SparkplugTarget<T> {
    name: String,
    runtime: tokio::runtime::Handle,
    columns: &'static [Column],
    ack_timeout: Duration,
    records: Option<mpsc::Sender<Data>>,
    progress: watch::Receiver<Progress>,
    /// Records handed to the session since the target was opened.
    written: u64,
    session: Option<JoinHandle<()>>,
    /// The start of every transient error's message, by which [`Durable::is_transient`] knows it.
    transient: String,
    record: PhantomData<fn(&T)>,
}

impl<T> SparkplugTarget<T> {
    /// Reads and advances the bdSeq in its file, then starts the connection and the session on
    /// `runtime` and returns at once. Refused here: settings that cannot connect, group or node
    /// ids that cannot be topic levels, a table of no columns, a bdSeq file that cannot be used.
    pub fn connect(
        name: &str,
        connection: &MqttConnection,
        options: SparkplugTargetOptions,
        columns: &'static [Column],
        runtime: &tokio::runtime::Handle,
    ) -> Result<SparkplugTarget<T>, RunError> {
        let what = format!("target {name}");
        let ids = [&options.node.group, &options.node.edge_node]
            .into_iter()
            .chain(options.device.as_ref());
        for id in ids {
            if id.is_empty() || id.contains(['/', '+', '#', '\0']) {
                return Err(RunError::Usage(format!(
                    "{what}: the Sparkplug id {id:?} must be one topic level, without `/`, `+` or `#`"
                )));
            }
        }
        if columns.is_empty() {
            return Err(RunError::Usage(format!("{what}: the record has no fields")));
        }
        let bd_seq = next_bd_seq(&options.bd_seq_file)
            .map_err(|e| RunError::Usage(format!("{what}: {e}")))?;
        let edge = EdgeNode::new(options.node.clone(), bd_seq);
        let mut mqtt = connection.options(&what).map_err(RunError::Usage)?;
        mqtt.set_clean_session(true);
        mqtt.set_last_will(will(&edge, options.qos));
        let (client, event_loop) = AsyncClient::new(mqtt, REQUEST_CAPACITY);
        let (link, events) = mpsc::unbounded_channel();
        let command_topic = Topic::message(MessageType::NodeCommand, &options.node, None);
        let link_task = runtime.spawn(run_link(what.clone(), event_loop, link, command_topic));
        let (report, progress) = watch::channel(Progress::default());
        let (records, incoming) = mpsc::channel(RECORDS_IN_FLIGHT);
        let publisher = Publisher {
            what: what.clone(),
            client,
            edge,
            device: options.device,
            columns,
            qos: options.qos,
            bd_seq_file: options.bd_seq_file,
            last: vec![None; columns.len()],
            connected: false,
            unacknowledged: VecDeque::new(),
            backlog: VecDeque::new(),
            report,
        };
        let session = runtime.spawn(publisher.run(events, incoming, link_task));
        Ok(SparkplugTarget {
            transient: format!("{what}: the MQTT broker"),
            name: name.to_string(),
            runtime: runtime.clone(),
            columns,
            ack_timeout: options.ack_timeout,
            records: Some(records),
            progress,
            written: 0,
            session: Some(session),
            record: PhantomData,
        })
    }

    fn unreachable(&self, what: &str) -> RunError {
        let connected = self.progress.borrow().connected;
        super::target::unreachable(&self.transient, connected, what, self.ack_timeout)
    }

    fn failed(&self) -> Option<RunError> {
        self.progress
            .borrow()
            .failed
            .as_ref()
            .map(|reason| RunError::Connector(format!("target {}: {reason}", self.name)))
    }

    fn stopped(&self) -> RunError {
        RunError::Connector(format!(
            "target {}: its Sparkplug session stopped",
            self.name
        ))
    }
}

impl<T> Durable for SparkplugTarget<T> {
    fn name(&self) -> &str {
        &self.name
    }

    fn flush(&mut self) -> Result<(), RunError> {
        if let Some(error) = self.failed() {
            return Err(error);
        }
        let wanted = self.written;
        let mut progress = self.progress.clone();
        let waited = self.runtime.block_on(async {
            tokio::time::timeout(
                self.ack_timeout,
                progress.wait_for(|p| p.acknowledged >= wanted || p.failed.is_some()),
            )
            .await
            .map(|result| result.map(|p| p.failed.clone()))
        });
        match waited {
            Ok(Ok(None)) => Ok(()),
            Ok(Ok(Some(reason))) => Err(RunError::Connector(format!(
                "target {}: {reason}",
                self.name
            ))),
            Ok(Err(_)) => Err(self.stopped()),
            Err(_) => {
                let missing = wanted.saturating_sub(self.progress.borrow().acknowledged);
                Err(self.unreachable(&format!("{missing} records were not acknowledged")))
            }
        }
    }

    fn is_transient(&self, error: &RunError) -> bool {
        matches!(error, RunError::Connector(message) if message.starts_with(&self.transient))
    }
}

impl<T: Serialize> Target<T> for SparkplugTarget<T> {
    fn write(&mut self, record: &T) -> Result<Result<(), Reject>, RunError> {
        if let Err(reject) = crate::target::check_writable(record) {
            return Ok(Err(reject));
        }
        let metrics = match metrics_of(record, self.columns) {
            Ok(metrics) => metrics,
            Err(reject) => return Ok(Err(reject)),
        };
        if let Some(error) = self.failed() {
            return Err(error);
        }
        let Some(records) = &self.records else {
            return Err(self.stopped());
        };
        let data = Data {
            timestamp: now_millis(),
            metrics,
        };
        let sent = self
            .runtime
            .block_on(async { tokio::time::timeout(self.ack_timeout, records.send(data)).await });
        match sent {
            Ok(Ok(())) => {
                self.written += 1;
                Ok(Ok(()))
            }
            Ok(Err(_)) => Err(self.stopped()),
            Err(_) => Err(self.unreachable("no room for another record")),
        }
    }
}

impl<T> Drop for SparkplugTarget<T> {
    /// Closes the session: it publishes the NDEATH and disconnects cleanly.
    fn drop(&mut self) {
        self.records = None;
        let Some(session) = self.session.take() else {
            return;
        };
        if session.is_finished() || tokio::runtime::Handle::try_current().is_ok() {
            // Gone already, or dropped on a runtime thread, which must not block: the session
            // still stops by itself.
            return;
        }
        let abort = session.abort_handle();
        let stopped = self
            .runtime
            .block_on(async { tokio::time::timeout(STOP_WITHIN * 3, session).await });
        if stopped.is_err() {
            abort.abort();
        }
    }
}

/// The edge node's side of the session; see the module documentation.
struct Publisher {
    what: String,
    client: AsyncClient,
    edge: EdgeNode,
    device: Option<String>,
    columns: &'static [Column],
    qos: MqttQos,
    bd_seq_file: PathBuf,
    /// The last value of each column, for births.
    last: Vec<Option<Value>>,
    connected: bool,
    /// The QoS 1 publishes of this connection not acknowledged yet, in order: a record's, or a
    /// birth's (`None`).
    unacknowledged: VecDeque<Option<Data>>,
    /// Records to publish once the node is born on a connection.
    backlog: VecDeque<Data>,
    report: watch::Sender<Progress>,
}

impl Publisher {
    async fn run(
        mut self,
        mut events: mpsc::UnboundedReceiver<LinkEvent>,
        mut records: mpsc::Receiver<Data>,
        link: JoinHandle<()>,
    ) {
        loop {
            let room = self.unacknowledged.len() + self.backlog.len() < RECORDS_IN_FLIGHT;
            tokio::select! {
                biased;
                event = events.recv() => {
                    let Some(event) = event else { return };
                    if !self.on_event(event).await {
                        return;
                    }
                }
                data = records.recv(), if room => match data {
                    Some(data) => self.publish_data(data).await,
                    None => break,
                },
            }
        }
        // The target is closed: a clean stop. The NDEATH goes out and, at QoS 1, is acknowledged
        // before the DISCONNECT, so the broker has it and nothing is left unread on the connection
        // (closing a socket with unread data resets it, and the broker may then publish the will
        // as well).
        if self.connected {
            let death = self.edge.death(now_millis());
            self.publish(death, None).await;
            let acknowledged = async {
                while !self.unacknowledged.is_empty() {
                    match events.recv().await {
                        Some(LinkEvent::Acknowledged) => {
                            self.unacknowledged.pop_front();
                        }
                        Some(LinkEvent::Connected | LinkEvent::Command(_)) => {}
                        Some(LinkEvent::Lost(_) | LinkEvent::Failed(_)) | None => break,
                    }
                }
            };
            let _ = tokio::time::timeout(STOP_WITHIN, acknowledged).await;
        }
        let _ = self.client.disconnect().await;
        let abort = link.abort_handle();
        if tokio::time::timeout(STOP_WITHIN, link).await.is_err() {
            abort.abort();
        }
    }

    /// Handles an event of the connection; `false` when the session is over.
    async fn on_event(&mut self, event: LinkEvent) -> bool {
        match event {
            LinkEvent::Connected => {
                self.connected = true;
                self.report.send_modify(|p| p.connected = true);
                let command_topic = Topic::message(MessageType::NodeCommand, self.edge.id(), None);
                if let Err(error) = self
                    .client
                    .subscribe(command_topic, rumqttc::QoS::AtLeastOnce)
                    .await
                {
                    tracing::warn!(target: "fdi::mqtt", target_name = %self.what, %error, "cannot subscribe to the node's commands");
                }
                self.publish_births().await;
                while let Some(data) = self.backlog.pop_front() {
                    self.publish_data(data).await;
                }
            }
            LinkEvent::Acknowledged => {
                if let Some(Some(_)) = self.unacknowledged.pop_front() {
                    self.report.send_modify(|p| p.acknowledged += 1);
                }
            }
            LinkEvent::Command(payload) => {
                let rebirth = decode_payload(&payload)
                    .map(|p| p.metrics.iter().any(|m| m.is_rebirth_request()))
                    .unwrap_or(false);
                if rebirth && self.connected {
                    tracing::info!(target: "fdi::mqtt", target_name = %self.what, "a host asked for a rebirth");
                    self.publish_births().await;
                }
            }
            LinkEvent::Lost(reply) => {
                self.connected = false;
                self.report.send_modify(|p| p.connected = false);
                // What the broker had not acknowledged is dropped with the connection; the
                // records go out again after the next births.
                let unacknowledged: Vec<Data> = self.unacknowledged.drain(..).flatten().collect();
                for data in unacknowledged.into_iter().rev() {
                    self.backlog.push_front(data);
                }
                self.edge.next_session();
                if let Err(error) = store_bd_seq(&self.bd_seq_file, self.edge.bd_seq()) {
                    self.fail(error);
                    return false;
                }
                if reply.send(will(&self.edge, self.qos)).is_err() {
                    return false;
                }
            }
            LinkEvent::Failed(reason) => {
                self.fail(reason);
                return false;
            }
        }
        true
    }

    fn fail(&mut self, reason: String) {
        self.report.send_modify(|p| {
            p.connected = false;
            p.failed = Some(reason);
        });
    }

    /// The NBIRTH (with the records' metrics when there is no device), then the device's DBIRTH.
    async fn publish_births(&mut self) {
        let now = now_millis();
        let metrics: Vec<OutMetric> = self
            .columns
            .iter()
            .zip(&self.last)
            .map(|(column, last)| match last {
                Some(value) => OutMetric::new(column.name, value.clone()),
                None => OutMetric::null(column.name, datatype_of(column.sql_type)),
            })
            .collect();
        let births = match &self.device {
            None => vec![self.edge.birth(now, &metrics)],
            Some(device) => vec![
                self.edge.birth(now, &[]),
                self.edge.device_birth(device, now, &metrics),
            ],
        };
        for birth in births {
            match birth {
                Ok(birth) => self.publish(birth, None).await,
                // The metrics come from the target's own columns: a failure is a bug here.
                Err(error) => self.fail(format!("cannot encode the birth: {error}")),
            }
        }
    }

    /// Publishes a record, or keeps it for the next connection.
    async fn publish_data(&mut self, data: Data) {
        if !self.connected {
            self.backlog.push_back(data);
            return;
        }
        let encoded = match &self.device {
            None => self.edge.data(data.timestamp, &data.metrics),
            Some(device) => self.edge.device_data(device, data.timestamp, &data.metrics),
        };
        match encoded {
            Ok(publication) => {
                for (last, metric) in self.last.iter_mut().zip(&data.metrics) {
                    *last = metric.value.clone();
                }
                self.publish(publication, Some(data)).await;
            }
            Err(error) => self.fail(format!("cannot encode a record: {error}")),
        }
    }

    async fn publish(&mut self, publication: Publication, data: Option<Data>) {
        let is_data = data.is_some();
        let queued = self
            .client
            .publish(
                publication.topic,
                self.qos.rumqttc(),
                false,
                publication.payload,
            )
            .await;
        if let Err(error) = queued {
            // The event loop is gone: the session ends with the reason.
            self.fail(format!("cannot publish: {error}"));
            return;
        }
        if self.qos == MqttQos::AtLeastOnce {
            self.unacknowledged.push_back(data);
        } else if is_data {
            self.report.send_modify(|p| p.acknowledged += 1);
        }
    }
}

/// Drives rumqttc's event loop: forwards connections, acknowledgements and commands to the
/// session, and after a lost connection waits for the session's new will before reconnecting.
async fn run_link(
    what: String,
    mut event_loop: EventLoop,
    session: mpsc::UnboundedSender<LinkEvent>,
    command_topic: String,
) {
    let mut backoff = Backoff::new();
    let mut disconnecting = false;
    loop {
        let event = match event_loop.poll().await {
            // After the DISCONNECT, until the broker closes the connection: it has read the
            // DISCONNECT then, and publishes no will.
            Err(_) if disconnecting => return,
            Ok(_) if disconnecting => continue,
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                backoff.reset();
                tracing::info!(target: "fdi::mqtt", target_name = %what, "connected to the MQTT broker as a Sparkplug edge node");
                LinkEvent::Connected
            }
            Ok(Event::Incoming(Packet::PubAck(_))) => LinkEvent::Acknowledged,
            Ok(Event::Incoming(Packet::Publish(publish))) if publish.topic == command_topic => {
                LinkEvent::Command(publish.payload.to_vec())
            }
            Ok(Event::Outgoing(Outgoing::Disconnect)) => {
                disconnecting = true;
                continue;
            }
            Ok(_) => continue,
            Err(error) if is_fatal(&error) => {
                let reason = format!("cannot connect to the MQTT broker: {error}");
                let _ = session.send(LinkEvent::Failed(reason));
                return;
            }
            Err(error) => {
                let (reply, new_will) = oneshot::channel();
                if session.send(LinkEvent::Lost(reply)).is_err() {
                    return;
                }
                let Ok(new_will) = new_will.await else {
                    return;
                };
                event_loop.mqtt_options.set_last_will(new_will);
                // Drops what the session queued for the lost connection before it took note: it
                // publishes those records again after the births.
                event_loop.clean();
                event_loop.pending.clear();
                let wait = backoff.next_wait();
                tracing::warn!(target: "fdi::mqtt", target_name = %what, %error, retry_in = ?wait, "MQTT connection lost; reconnecting");
                tokio::time::sleep(wait).await;
                continue;
            }
        };
        if session.send(event).is_err() {
            return;
        }
    }
}

/// The NDEATH of the node's current session as an MQTT will.
fn will(edge: &EdgeNode, qos: MqttQos) -> LastWill {
    let death = edge.death(now_millis());
    LastWill::new(death.topic, death.payload, qos.rumqttc(), false)
}

/// The bdSeq of this run's first session: one more than the last one stored (0 to 255,
/// wrapping), or 0 when none is; stored at once, so a crash does not reuse it.
fn next_bd_seq(file: &Path) -> Result<u8, String> {
    let next = match std::fs::read_to_string(file) {
        Ok(text) => {
            let last: u8 = text.trim().parse().map_err(|_| {
                format!(
                    "the bdSeq file {} holds {:?}, not a number from 0 to 255",
                    file.display(),
                    text.trim()
                )
            })?;
            last.wrapping_add(1)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => {
            return Err(format!(
                "cannot read the bdSeq file {}: {e}",
                file.display()
            ))
        }
    };
    store_bd_seq(file, u64::from(next))?;
    Ok(next)
}

/// Writes `bd_seq` to `file` whole or not at all (a new file renamed over the old one).
fn store_bd_seq(file: &Path, bd_seq: u64) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("cannot write the bdSeq file {}: {e}", file.display());
    if let Some(folder) = file.parent().filter(|f| !f.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).map_err(fail)?;
    }
    let mut new = file.as_os_str().to_owned();
    new.push(".new");
    std::fs::write(&new, format!("{bd_seq}\n")).map_err(fail)?;
    std::fs::rename(&new, file).map_err(fail)
}

/// The Sparkplug datatype of a column: int → Int64, float → Double, string → String,
/// bool → Boolean, timestamp → DateTime.
fn datatype_of(sql_type: SqlType) -> DataType {
    match sql_type {
        SqlType::Text => DataType::String,
        SqlType::Integer => DataType::Int64,
        SqlType::Real => DataType::Double,
        SqlType::Boolean => DataType::Boolean,
        SqlType::Timestamp => DataType::DateTime,
    }
}

/// A record's fields as the metrics of its columns. A value that does not fit (a timestamp
/// before 1970, which a DateTime cannot hold) is a [`Reject`] naming the field.
fn metrics_of<T: Serialize>(record: &T, columns: &[Column]) -> Result<Vec<OutMetric>, Reject> {
    let value = serde_json::to_value(record)
        .map_err(|e| Reject::new("record cannot be serialized").with_detail(e.to_string()))?;
    let Json::Object(mut fields) = value else {
        return Err(Reject::new("record cannot be published as metrics")
            .with_detail("the record is not a structure of fields"));
    };
    columns
        .iter()
        .map(|column| {
            let datatype = datatype_of(column.sql_type);
            let field = fields.remove(column.name).unwrap_or(Json::Null);
            let mismatch = |value: &Json| {
                Reject::new("value does not fit its metric").with_detail(format!(
                    "metric {} is {datatype}, the record has {value}",
                    column.name
                ))
            };
            let value = match (column.sql_type, &field) {
                (_, Json::Null) => return Ok(OutMetric::null(column.name, datatype)),
                (SqlType::Text, Json::String(text)) => Value::String(text.clone()),
                (SqlType::Integer, Json::Number(n)) => {
                    Value::Int64(n.as_i64().ok_or_else(|| mismatch(&field))?)
                }
                (SqlType::Real, Json::Number(n)) => {
                    Value::Double(n.as_f64().ok_or_else(|| mismatch(&field))?)
                }
                (SqlType::Boolean, Json::Bool(b)) => Value::Boolean(*b),
                (SqlType::Timestamp, Json::String(text)) => {
                    let millis = chrono::DateTime::parse_from_rfc3339(text)
                        .ok()
                        .and_then(|t| u64::try_from(t.timestamp_millis()).ok())
                        .ok_or_else(|| mismatch(&field))?;
                    Value::DateTime(millis)
                }
                _ => return Err(mismatch(&field)),
            };
            Ok(OutMetric::new(column.name, value))
        })
        .collect()
}

fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Reading {
        machine: String,
        count: i64,
        speed: Option<f64>,
        running: bool,
        at: String,
    }

    const COLUMNS: &[Column] = &[
        Column {
            name: "machine",
            sql_type: SqlType::Text,
            nullable: false,
        },
        Column {
            name: "count",
            sql_type: SqlType::Integer,
            nullable: false,
        },
        Column {
            name: "speed",
            sql_type: SqlType::Real,
            nullable: true,
        },
        Column {
            name: "running",
            sql_type: SqlType::Boolean,
            nullable: false,
        },
        Column {
            name: "at",
            sql_type: SqlType::Timestamp,
            nullable: false,
        },
    ];

    fn reading(at: &str) -> Reading {
        Reading {
            machine: "M1".into(),
            count: -3,
            speed: None,
            running: true,
            at: at.into(),
        }
    }

    #[test]
    fn a_record_is_its_columns_as_typed_metrics() {
        let metrics = metrics_of(&reading("2026-12-06T10:00:00.250Z"), COLUMNS).unwrap();
        let typed: Vec<(&str, DataType, Option<Value>)> = metrics
            .iter()
            .map(|m| (m.name.as_str(), m.datatype, m.value.clone()))
            .collect();
        assert_eq!(
            typed,
            vec![
                (
                    "machine",
                    DataType::String,
                    Some(Value::String("M1".into()))
                ),
                ("count", DataType::Int64, Some(Value::Int64(-3))),
                ("speed", DataType::Double, None),
                ("running", DataType::Boolean, Some(Value::Boolean(true))),
                (
                    "at",
                    DataType::DateTime,
                    Some(Value::DateTime(1_796_551_200_250))
                ),
            ]
        );
    }

    #[test]
    fn a_time_before_1970_is_a_reject_naming_the_metric() {
        let reject = metrics_of(&reading("1969-12-31T23:59:59Z"), COLUMNS).unwrap_err();
        assert_eq!(reject.reason, "value does not fit its metric");
        assert!(
            reject.detail.as_deref().unwrap_or("").contains("metric at"),
            "{reject:?}"
        );
    }

    #[test]
    fn bd_seq_goes_up_across_starts_and_wraps() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("state/bdseq");
        assert_eq!(next_bd_seq(&file).unwrap(), 0);
        assert_eq!(next_bd_seq(&file).unwrap(), 1);
        store_bd_seq(&file, 255).unwrap();
        assert_eq!(next_bd_seq(&file).unwrap(), 0);
        std::fs::write(&file, "many").unwrap();
        let error = next_bd_seq(&file).unwrap_err();
        assert!(error.contains("not a number from 0 to 255"), "{error}");
    }
}
