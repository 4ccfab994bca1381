//! What a Sparkplug host application knows of each edge node, and what each message means
//! given it: the birth certificates (aliases and datatypes of the node's and each device's
//! metrics), the sequence numbers, the bdSeq of the node's session, and who is online.

use std::collections::HashMap;
use std::fmt;

use super::birth::{BirthTable, MetricRecord};
use super::datatype::Value;
use super::payload::{decode_payload, MetricError, MetricProblem, Payload, PayloadError};
use super::topic::{EdgeNodeId, MessageType, Topic, TopicError};
use super::BD_SEQ_METRIC;

/// The host side of the Sparkplug sessions of every edge node whose messages it reads.
#[derive(Debug, Default)]
pub struct HostSession {
    nodes: HashMap<EdgeNodeId, NodeState>,
}

#[derive(Debug, Default)]
struct NodeState {
    online: bool,
    /// After the death of the node's current session: data that continues the session's
    /// sequence is still read. MQTT orders messages only within one QoS, so an NDEATH will at
    /// QoS 0 overtakes QoS 1 data the broker still holds for this host (its in-flight window
    /// is full while the host acknowledges only durable records); that data was sent before
    /// the death. The first message that does not continue the sequence ends it.
    late_data: bool,
    bd_seq: Option<u64>,
    /// The seq the next message must carry; `None` until a message gave one.
    next_seq: Option<u8>,
    metrics: BirthTable,
    devices: HashMap<String, DeviceState>,
}

#[derive(Debug)]
struct DeviceState {
    online: bool,
    metrics: BirthTable,
}

/// A message read against the session.
#[derive(Debug)]
pub struct Message {
    pub topic: Topic,
    /// The payload's timestamp, milliseconds since the Unix epoch, UTC.
    pub timestamp: Option<u64>,
    pub seq: Option<u64>,
    pub event: Event,
    pub sequence: Sequence,
    /// Every metric of the message: read against its birth certificate, or why not. The
    /// records of a birth are the metrics' values at birth.
    pub metrics: Vec<Result<MetricRecord, MetricError>>,
    /// Set when the host should ask the edge node for a rebirth (NCMD
    /// `Node Control/Rebirth`), as the specification says for a sequence gap or a metric
    /// its birth certificate did not have.
    pub rebirth: Option<RebirthReason>,
}

/// What a message did to the session.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// NBIRTH or DBIRTH: the node or device is online with these metrics.
    Birth,
    /// NDATA or DDATA.
    Data,
    /// NDEATH (of the node's current session) or DDEATH: offline until its next birth.
    Death,
    /// An NDEATH whose bdSeq is not that of the node's current session: the will of an
    /// earlier connection, which the specification says to ignore.
    StaleDeath { bd_seq: Option<u64>, current: u64 },
    /// NCMD or DCMD, sent by a host to an edge node.
    Command,
    /// A host application's STATE.
    HostState,
}

/// The message's seq compared with the one due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sequence {
    /// An NBIRTH: the sequence starts again from its seq.
    Start,
    InOrder,
    /// Not the seq due: messages were lost (or arrived out of order).
    Gap {
        expected: u8,
        received: u64,
    },
    /// No seq where the specification requires one.
    Missing,
    /// Messages without a seq: NDEATH, commands, STATE.
    NotCounted,
}

/// Why the host should ask an edge node for a rebirth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RebirthReason {
    SequenceGap {
        expected: u8,
        received: u64,
    },
    MissingSequence,
    /// Data from a node whose birth this host has not seen.
    UnknownNode,
    /// Data from a node after its death.
    NodeOffline,
    /// Data of a device whose birth this host has not seen, or after its death.
    UnknownDevice(String),
    /// A metric the birth certificate did not have.
    UnknownMetric,
}

impl fmt::Display for RebirthReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RebirthReason::SequenceGap { expected, received } => {
                write!(f, "seq {received} arrived where {expected} was due")
            }
            RebirthReason::MissingSequence => f.write_str("a message had no seq"),
            RebirthReason::UnknownNode => f.write_str("no birth certificate of the node was seen"),
            RebirthReason::NodeOffline => f.write_str("the node sent data after its death"),
            RebirthReason::UnknownDevice(device) => {
                write!(f, "device `{device}` sent data without a birth certificate")
            }
            RebirthReason::UnknownMetric => {
                f.write_str("a metric was not in its birth certificate")
            }
        }
    }
}

/// A message that yields no record, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageError {
    pub topic: String,
    pub problem: MessageProblem,
    pub rebirth: Option<RebirthReason>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum MessageProblem {
    Topic(TopicError),
    Payload(PayloadError),
    /// Data or a device birth from a node whose birth this host has not seen.
    NoNodeBirth,
    /// Data or a device birth from a node after its death.
    NodeOffline,
    /// Data of a device whose birth this host has not seen, or after its death.
    NoDeviceBirth {
        device: String,
    },
    /// A birth certificate that cannot be used (two metrics with one alias).
    Birth(MetricError),
}

impl fmt::Display for MessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            MessageProblem::Topic(error) => error.fmt(f),
            MessageProblem::Payload(error) => write!(f, "{}: {error}", self.topic),
            MessageProblem::NoNodeBirth => write!(
                f,
                "{}: no birth certificate (NBIRTH) of its edge node has been seen",
                self.topic
            ),
            MessageProblem::NodeOffline => write!(
                f,
                "{}: its edge node is offline (NDEATH) and has not been born again",
                self.topic
            ),
            MessageProblem::NoDeviceBirth { device } => write!(
                f,
                "{}: device `{device}` has no current birth certificate (DBIRTH)",
                self.topic
            ),
            MessageProblem::Birth(error) => {
                write!(
                    f,
                    "{}: the birth certificate is unusable: {error}",
                    self.topic
                )
            }
        }
    }
}

impl std::error::Error for MessageError {}

impl HostSession {
    pub fn new() -> Self {
        HostSession::default()
    }

    /// Reads a message that arrived on `topic` against the session, and updates the session.
    /// A message that yields no record at all is an error (boxed: it is the rare case).
    pub fn receive(&mut self, topic: &str, bytes: &[u8]) -> Result<Message, Box<MessageError>> {
        let error = |problem, rebirth| {
            Box::new(MessageError {
                topic: topic.to_string(),
                problem,
                rebirth,
            })
        };
        let parsed = Topic::parse(topic).map_err(|e| error(MessageProblem::Topic(e), None))?;
        let (message_type, node_id, device) = match &parsed {
            // A host's STATE is JSON (Sparkplug 3.0), not a protobuf payload.
            Topic::HostState { .. } => {
                return Ok(Message {
                    topic: parsed,
                    timestamp: None,
                    seq: None,
                    event: Event::HostState,
                    sequence: Sequence::NotCounted,
                    metrics: Vec::new(),
                    rebirth: None,
                })
            }
            Topic::Message {
                message_type,
                node,
                device,
            } => (*message_type, node.clone(), device.clone()),
        };
        let payload = decode_payload(bytes).map_err(|e| error(MessageProblem::Payload(e), None))?;
        let mut message = Message {
            topic: parsed,
            timestamp: payload.timestamp,
            seq: payload.seq,
            event: Event::Data,
            sequence: Sequence::NotCounted,
            metrics: Vec::new(),
            rebirth: None,
        };
        match message_type {
            MessageType::NodeCommand | MessageType::DeviceCommand => {
                message.event = Event::Command;
                message.metrics = self_typed(&payload);
            }
            MessageType::NodeBirth => {
                let (table, records) = BirthTable::from_birth(&payload.metrics)
                    .map_err(|e| error(MessageProblem::Birth(e), None))?;
                let seq = payload.seq.filter(|seq| *seq <= 255);
                self.nodes.insert(
                    node_id,
                    NodeState {
                        online: true,
                        late_data: false,
                        bd_seq: bd_seq(&payload),
                        next_seq: seq.map(next_after),
                        metrics: table,
                        devices: HashMap::new(),
                    },
                );
                message.event = Event::Birth;
                message.sequence = if seq.is_some() {
                    Sequence::Start
                } else {
                    Sequence::Missing
                };
                message.metrics = records;
            }
            MessageType::NodeDeath => {
                message.event = Event::Death;
                message.metrics = self_typed(&payload);
                let death = bd_seq(&payload);
                if let Some(node) = self.nodes.get_mut(&node_id) {
                    match (death, node.bd_seq) {
                        (Some(death), Some(current)) if death != current => {
                            message.event = Event::StaleDeath {
                                bd_seq: Some(death),
                                current,
                            };
                        }
                        _ => {
                            node.online = false;
                            node.late_data = true;
                        }
                    }
                }
            }
            MessageType::NodeData
            | MessageType::DeviceBirth
            | MessageType::DeviceData
            | MessageType::DeviceDeath => {
                let node = match self.nodes.get_mut(&node_id) {
                    Some(node) if node.online || node.continues(message_type, payload.seq) => node,
                    Some(node) => {
                        node.end_session();
                        return Err(error(
                            MessageProblem::NodeOffline,
                            Some(RebirthReason::NodeOffline),
                        ));
                    }
                    None => {
                        return Err(error(
                            MessageProblem::NoNodeBirth,
                            Some(RebirthReason::UnknownNode),
                        ))
                    }
                };
                message.sequence = node.check_seq(payload.seq);
                message.rebirth = match message.sequence {
                    Sequence::Gap { expected, received } => {
                        Some(RebirthReason::SequenceGap { expected, received })
                    }
                    Sequence::Missing => Some(RebirthReason::MissingSequence),
                    _ => None,
                };
                let device_name = device.unwrap_or_default();
                match message_type {
                    MessageType::NodeData => {
                        message.metrics = resolve_all(&node.metrics, &payload);
                    }
                    MessageType::DeviceBirth => {
                        let (table, records) =
                            BirthTable::from_birth(&payload.metrics).map_err(|e| {
                                error(MessageProblem::Birth(e), message.rebirth.clone())
                            })?;
                        node.devices.insert(
                            device_name,
                            DeviceState {
                                online: true,
                                metrics: table,
                            },
                        );
                        message.event = Event::Birth;
                        message.metrics = records;
                    }
                    MessageType::DeviceDeath => {
                        message.event = Event::Death;
                        if let Some(device) = node.devices.get_mut(&device_name) {
                            device.online = false;
                        }
                        message.metrics = self_typed(&payload);
                    }
                    _ => match node.devices.get(&device_name) {
                        Some(device) if device.online => {
                            message.metrics = resolve_all(&device.metrics, &payload);
                        }
                        _ => {
                            return Err(error(
                                MessageProblem::NoDeviceBirth {
                                    device: device_name.clone(),
                                },
                                message
                                    .rebirth
                                    .or(Some(RebirthReason::UnknownDevice(device_name))),
                            ))
                        }
                    },
                }
                let unknown_metric = message.metrics.iter().any(|m| {
                    matches!(
                        m,
                        Err(MetricError {
                            problem: MetricProblem::UnknownAlias(_) | MetricProblem::UnknownName(_),
                            ..
                        })
                    )
                });
                if unknown_metric && message.rebirth.is_none() {
                    message.rebirth = Some(RebirthReason::UnknownMetric);
                }
            }
        }
        Ok(message)
    }

    /// Whether the edge node is online: born, and not dead since.
    pub fn is_online(&self, node: &EdgeNodeId) -> bool {
        self.nodes.get(node).is_some_and(|n| n.online)
    }

    /// The bdSeq of the edge node's current session, as its NBIRTH gave it.
    pub fn bd_seq(&self, node: &EdgeNodeId) -> Option<u64> {
        self.nodes.get(node).and_then(|n| n.bd_seq)
    }
}

impl NodeState {
    /// Compares a message's seq with the one due, and expects the one after it next.
    /// Whether a data message after the node's death is late data of its session (see
    /// `late_data`).
    fn continues(&self, message_type: MessageType, seq: Option<u64>) -> bool {
        self.late_data
            && matches!(
                message_type,
                MessageType::NodeData | MessageType::DeviceData
            )
            && seq.is_some_and(|seq| self.next_seq.map(u64::from) == Some(seq))
    }

    /// The dead session reads nothing more: it and its devices wait for a new birth.
    fn end_session(&mut self) {
        self.late_data = false;
        for device in self.devices.values_mut() {
            device.online = false;
        }
    }

    fn check_seq(&mut self, seq: Option<u64>) -> Sequence {
        let Some(received) = seq else {
            return Sequence::Missing;
        };
        let due = self.next_seq;
        self.next_seq = Some(next_after(received));
        match due {
            Some(expected) if u64::from(expected) != received => {
                Sequence::Gap { expected, received }
            }
            _ => Sequence::InOrder,
        }
    }
}

/// The seq after `seq`: 0 to 255, wrapping.
fn next_after(seq: u64) -> u8 {
    (seq.wrapping_add(1) % 256) as u8
}

/// The bdSeq metric of an NBIRTH or NDEATH.
fn bd_seq(payload: &Payload) -> Option<u64> {
    let metric = payload
        .metrics
        .iter()
        .find(|m| m.name.as_deref() == Some(BD_SEQ_METRIC))?;
    match metric.value().ok()?? {
        Value::UInt64(v) | Value::DateTime(v) => Some(v),
        Value::Int64(v) => u64::try_from(v).ok(),
        Value::UInt32(v) => Some(u64::from(v)),
        Value::Int32(v) => u64::try_from(v).ok(),
        Value::UInt8(v) => Some(u64::from(v)),
        Value::UInt16(v) => Some(u64::from(v)),
        _ => None,
    }
}

/// Metrics of a message read with the datatypes they declare (commands, deaths).
fn self_typed(payload: &Payload) -> Vec<Result<MetricRecord, MetricError>> {
    payload
        .metrics
        .iter()
        .map(|metric| {
            let error = |problem| MetricError {
                metric: metric.label(),
                name: metric.name.clone(),
                problem,
            };
            let name = metric.name.as_deref().ok_or(error(MetricProblem::NoName))?;
            let datatype = metric
                .declared_datatype()
                .map_err(error)?
                .ok_or(error(MetricProblem::NoDatatype))?;
            let value = metric
                .value_as(datatype)
                .map_err(|p| error(MetricProblem::Value(p)))?;
            Ok(MetricRecord {
                name: name.into(),
                alias: metric.alias,
                datatype,
                timestamp: metric.timestamp,
                value,
                is_historical: metric.is_historical,
                is_transient: metric.is_transient,
            })
        })
        .collect()
}

fn resolve_all(table: &BirthTable, payload: &Payload) -> Vec<Result<MetricRecord, MetricError>> {
    payload.metrics.iter().map(|m| table.resolve(m)).collect()
}
