//! Encoding: fdi as a Sparkplug edge node (births with bdSeq, data by alias with seq, deaths),
//! and the host's NCMD that asks an edge node for a rebirth.

use std::collections::HashMap;
use std::fmt;

use prost::Message as _;

use super::datatype::{raw, DataType, Value};
use super::proto;
use super::topic::{EdgeNodeId, MessageType, Topic};
use super::{BD_SEQ_METRIC, REBIRTH_METRIC};

/// A metric to publish: its name, datatype and value (`None`: null), and optionally its own
/// timestamp (milliseconds since the Unix epoch, UTC).
#[derive(Clone, Debug, PartialEq)]
pub struct OutMetric {
    pub name: String,
    pub datatype: DataType,
    pub value: Option<Value>,
    pub timestamp: Option<u64>,
}

impl OutMetric {
    /// A metric with a value, of the value's datatype.
    pub fn new(name: &str, value: Value) -> Self {
        OutMetric {
            name: name.to_string(),
            datatype: value.datatype(),
            value: Some(value),
            timestamp: None,
        }
    }

    /// A null metric of `datatype`.
    pub fn null(name: &str, datatype: DataType) -> Self {
        OutMetric {
            name: name.to_string(),
            datatype,
            value: None,
            timestamp: None,
        }
    }
}

/// A message to publish: its topic and payload bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct Publication {
    pub topic: String,
    pub payload: Vec<u8>,
}

/// Why a message cannot be encoded.
#[derive(Clone, Debug, PartialEq)]
pub enum EncodeError {
    /// Data or a device message before the node's birth.
    NotBorn,
    /// Data of a device before its birth.
    DeviceNotBorn(String),
    /// A metric the birth did not declare.
    NotInBirth(String),
    /// A metric whose datatype differs from its birth's, or whose value is of another.
    DatatypeDiffers {
        metric: String,
        declared: DataType,
        given: DataType,
    },
    /// A datatype fdi does not write (DataSet, Template, …).
    Unsupported { metric: String, datatype: DataType },
    /// Two metrics of one birth with one name.
    DuplicateName(String),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::NotBorn => f.write_str("the edge node has not published its birth"),
            EncodeError::DeviceNotBorn(device) => {
                write!(f, "device `{device}` has not published its birth")
            }
            EncodeError::NotInBirth(name) => {
                write!(f, "metric `{name}` is not in the birth certificate")
            }
            EncodeError::DatatypeDiffers {
                metric,
                declared,
                given,
            } => write!(f, "metric `{metric}` is {declared}, not {given}"),
            EncodeError::Unsupported { metric, datatype } => {
                write!(f, "metric `{metric}`: fdi does not write {datatype} values")
            }
            EncodeError::DuplicateName(name) => {
                write!(f, "metric `{name}` appears twice in the birth")
            }
        }
    }
}

impl std::error::Error for EncodeError {}

/// The aliases and datatypes of one birth's metrics, by name.
type Born = HashMap<String, (u64, DataType)>;

/// fdi's side of an edge node's session: the bdSeq of the current connection, the next seq,
/// and the aliases given in the births.
///
/// Publish [`EdgeNode::death`] as the MQTT will of the connection, then [`EdgeNode::birth`]
/// once connected; after a reconnect, [`EdgeNode::next_session`] and the same again.
#[derive(Debug)]
pub struct EdgeNode {
    node: EdgeNodeId,
    bd_seq: u64,
    seq: u8,
    next_alias: u64,
    born: Option<Born>,
    devices: HashMap<String, Born>,
}

impl EdgeNode {
    /// An edge node whose first connection has bdSeq `bd_seq` (0 to 255; persist it across
    /// restarts so a host can tell an old death from a new one).
    pub fn new(node: EdgeNodeId, bd_seq: u8) -> Self {
        EdgeNode {
            node,
            bd_seq: u64::from(bd_seq),
            seq: 0,
            next_alias: 1,
            born: None,
            devices: HashMap::new(),
        }
    }

    pub fn id(&self) -> &EdgeNodeId {
        &self.node
    }

    /// The bdSeq of the current connection.
    pub fn bd_seq(&self) -> u64 {
        self.bd_seq
    }

    /// A new connection: bdSeq goes up by one (wrapping after 255) and births are due again.
    pub fn next_session(&mut self) {
        self.bd_seq = (self.bd_seq + 1) % 256;
        self.born = None;
        self.devices.clear();
    }

    /// The NDEATH of the current connection (bdSeq, no seq), to register as the MQTT will.
    pub fn death(&self, timestamp: u64) -> Publication {
        let payload = proto::Payload {
            timestamp: Some(timestamp),
            metrics: vec![bd_seq_metric(self.bd_seq)],
            ..proto::Payload::default()
        };
        self.publication(MessageType::NodeDeath, None, payload)
    }

    /// The NBIRTH: seq 0, every metric with its value and an alias, `bdSeq` and
    /// `Node Control/Rebirth` added. Devices must publish their births again after it.
    pub fn birth(
        &mut self,
        timestamp: u64,
        metrics: &[OutMetric],
    ) -> Result<Publication, EncodeError> {
        self.next_alias = 1;
        self.devices.clear();
        let (born, mut encoded) = self.born_metrics(metrics)?;
        encoded.push(bd_seq_metric(self.bd_seq));
        encoded.push(proto::payload::Metric {
            name: Some(REBIRTH_METRIC.to_string()),
            datatype: Some(DataType::Boolean.code()),
            value: Some(raw(&Value::Boolean(false))),
            ..proto::payload::Metric::default()
        });
        self.born = Some(born);
        self.seq = 0;
        Ok(self.sequenced(MessageType::NodeBirth, None, timestamp, encoded))
    }

    /// An NDATA: metrics by alias, with the next seq.
    pub fn data(
        &mut self,
        timestamp: u64,
        metrics: &[OutMetric],
    ) -> Result<Publication, EncodeError> {
        let born = self.born.as_ref().ok_or(EncodeError::NotBorn)?;
        let encoded = by_alias(born, metrics)?;
        Ok(self.sequenced(MessageType::NodeData, None, timestamp, encoded))
    }

    /// A DBIRTH of `device`, after the node's birth.
    pub fn device_birth(
        &mut self,
        device: &str,
        timestamp: u64,
        metrics: &[OutMetric],
    ) -> Result<Publication, EncodeError> {
        if self.born.is_none() {
            return Err(EncodeError::NotBorn);
        }
        let (born, encoded) = self.born_metrics(metrics)?;
        self.devices.insert(device.to_string(), born);
        Ok(self.sequenced(MessageType::DeviceBirth, Some(device), timestamp, encoded))
    }

    /// A DDATA of `device`: metrics by alias, with the next seq.
    pub fn device_data(
        &mut self,
        device: &str,
        timestamp: u64,
        metrics: &[OutMetric],
    ) -> Result<Publication, EncodeError> {
        if self.born.is_none() {
            return Err(EncodeError::NotBorn);
        }
        let born = self
            .devices
            .get(device)
            .ok_or_else(|| EncodeError::DeviceNotBorn(device.to_string()))?;
        let encoded = by_alias(born, metrics)?;
        Ok(self.sequenced(MessageType::DeviceData, Some(device), timestamp, encoded))
    }

    /// A DDEATH of `device`, with the next seq.
    pub fn device_death(
        &mut self,
        device: &str,
        timestamp: u64,
    ) -> Result<Publication, EncodeError> {
        if self.born.is_none() {
            return Err(EncodeError::NotBorn);
        }
        self.devices
            .remove(device)
            .ok_or_else(|| EncodeError::DeviceNotBorn(device.to_string()))?;
        Ok(self.sequenced(
            MessageType::DeviceDeath,
            Some(device),
            timestamp,
            Vec::new(),
        ))
    }

    /// A birth's metrics with new aliases (unique across the node and its devices).
    fn born_metrics(
        &mut self,
        metrics: &[OutMetric],
    ) -> Result<(Born, Vec<proto::payload::Metric>), EncodeError> {
        let mut born = Born::new();
        let mut encoded = Vec::with_capacity(metrics.len() + 2);
        for metric in metrics {
            let alias = self.next_alias;
            if born
                .insert(metric.name.clone(), (alias, metric.datatype))
                .is_some()
            {
                return Err(EncodeError::DuplicateName(metric.name.clone()));
            }
            self.next_alias += 1;
            let mut out = encode_metric(metric, metric.datatype)?;
            out.name = Some(metric.name.clone());
            out.alias = Some(alias);
            encoded.push(out);
        }
        Ok((born, encoded))
    }

    fn sequenced(
        &mut self,
        message_type: MessageType,
        device: Option<&str>,
        timestamp: u64,
        metrics: Vec<proto::payload::Metric>,
    ) -> Publication {
        let payload = proto::Payload {
            timestamp: Some(timestamp),
            seq: Some(u64::from(self.seq)),
            metrics,
            ..proto::Payload::default()
        };
        self.seq = self.seq.wrapping_add(1);
        self.publication(message_type, device, payload)
    }

    fn publication(
        &self,
        message_type: MessageType,
        device: Option<&str>,
        payload: proto::Payload,
    ) -> Publication {
        Publication {
            topic: Topic::message(message_type, &self.node, device),
            payload: payload.encode_to_vec(),
        }
    }
}

/// The NCMD that asks `node` for a rebirth: `Node Control/Rebirth` = true.
pub fn rebirth_request(node: &EdgeNodeId, timestamp: u64) -> Publication {
    let payload = proto::Payload {
        timestamp: Some(timestamp),
        metrics: vec![proto::payload::Metric {
            name: Some(REBIRTH_METRIC.to_string()),
            timestamp: Some(timestamp),
            datatype: Some(DataType::Boolean.code()),
            value: Some(raw(&Value::Boolean(true))),
            ..proto::payload::Metric::default()
        }],
        ..proto::Payload::default()
    };
    Publication {
        topic: Topic::message(MessageType::NodeCommand, node, None),
        payload: payload.encode_to_vec(),
    }
}

/// Data metrics by the aliases of their birth (no name), with the birth's datatype.
fn by_alias(
    born: &Born,
    metrics: &[OutMetric],
) -> Result<Vec<proto::payload::Metric>, EncodeError> {
    metrics
        .iter()
        .map(|metric| {
            let (alias, datatype) = *born
                .get(&metric.name)
                .ok_or_else(|| EncodeError::NotInBirth(metric.name.clone()))?;
            let mut out = encode_metric(metric, datatype)?;
            out.alias = Some(alias);
            Ok(out)
        })
        .collect()
}

/// A metric's datatype, timestamp and value (or is_null), checked against `declared`.
fn encode_metric(
    metric: &OutMetric,
    declared: DataType,
) -> Result<proto::payload::Metric, EncodeError> {
    if !declared.is_supported() {
        return Err(EncodeError::Unsupported {
            metric: metric.name.clone(),
            datatype: declared,
        });
    }
    let given = metric
        .value
        .as_ref()
        .map_or(metric.datatype, Value::datatype);
    if metric.datatype != declared || given != declared {
        return Err(EncodeError::DatatypeDiffers {
            metric: metric.name.clone(),
            declared,
            given: if given != declared {
                given
            } else {
                metric.datatype
            },
        });
    }
    Ok(proto::payload::Metric {
        timestamp: metric.timestamp,
        datatype: Some(declared.code()),
        is_null: metric.value.is_none().then_some(true),
        value: metric.value.as_ref().map(raw),
        ..proto::payload::Metric::default()
    })
}

fn bd_seq_metric(bd_seq: u64) -> proto::payload::Metric {
    proto::payload::Metric {
        name: Some(BD_SEQ_METRIC.to_string()),
        datatype: Some(DataType::UInt64.code()),
        value: Some(raw(&Value::UInt64(bd_seq))),
        ..proto::payload::Metric::default()
    }
}
