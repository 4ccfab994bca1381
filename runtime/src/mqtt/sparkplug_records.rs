//! Sparkplug B messages as records (features `mqtt` and `sparkplug`): a host session reads each
//! message against its edge node's birth certificate (`crate::sparkplug::HostSession`), and every
//! metric of a birth or a data message becomes one record, a JSON object:
//!
//! ```json
//! {"group":"plant","edge_node":"line3","device":"mill1","message":"DDATA","seq":7,
//!  "metric":"spindle/speed","alias":2,"datatype":"Double","value":1200.5,"is_null":false,
//!  "timestamp":"2026-12-06T10:00:00.123Z","historical":false}
//! ```
//!
//! so that the decode stage types it against the mapping's entity: a metric whose datatype does not
//! fit the entity's `value` field is a decode reject with the reason. A message that cannot be read
//! (a payload that does not decode, data without a birth certificate) and a metric its birth
//! certificate contradicts are each one record that the decode stage rejects with the reason and
//! the original bytes. Deaths, commands and host states carry no record.
//!
//! A sequence gap, data without a birth, or an unknown metric asks the edge node for a rebirth
//! (NCMD `Node Control/Rebirth`, as the specification says), at most once per node every
//! [`REBIRTH_EVERY`]. Gaps and rebirth requests are counted per source in the run's metrics
//! ([`SparkplugCounters`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};

use crate::ops::metrics::SparkplugCounters;
use crate::record::{Position, RawRecord};
use crate::sparkplug::{
    rebirth_request, EdgeNodeId, Event, HostSession, Message, Publication, RebirthReason, Topic,
    Value,
};

/// The least time between two rebirth requests to one edge node: its births take a moment to come.
pub(crate) const REBIRTH_EVERY: Duration = Duration::from_secs(5);

/// What one message gave: its records, and a rebirth request to publish.
pub(crate) struct Read {
    pub records: Vec<RawRecord>,
    pub rebirth: Option<(Publication, RebirthReason)>,
}

/// The host side of the Sparkplug sessions of one source.
pub(crate) struct SparkplugRecords {
    session: HostSession,
    last_rebirth: HashMap<EdgeNodeId, Instant>,
    /// Records made so far: the position of the next is one more.
    records: Position,
    counters: SparkplugCounters,
}

impl SparkplugRecords {
    pub(crate) fn new(counters: SparkplugCounters) -> Self {
        SparkplugRecords {
            session: HostSession::default(),
            last_rebirth: HashMap::new(),
            records: 0,
            counters,
        }
    }

    /// The rebirth request [`SparkplugRecords::read`] gave was sent.
    pub(crate) fn rebirth_requested(&self) {
        self.counters.rebirth_requests.inc();
    }

    /// The records of the message on `topic` with `bytes`, the `message`-th of the source.
    pub(crate) fn read(
        &mut self,
        source: &Arc<str>,
        message: Position,
        topic: &str,
        bytes: &[u8],
    ) -> Read {
        let (records, rebirth) = match self.session.receive(topic, bytes) {
            Ok(read) => (
                self.metric_records(source, message, topic, bytes, &read),
                read.rebirth.clone().map(|r| (node_of(&read.topic), r)),
            ),
            Err(error) => {
                let record = self.unreadable(source, message, topic, bytes, error.to_string());
                let node = match Topic::parse(topic) {
                    Ok(Topic::Message { node, .. }) => Some(node),
                    _ => None,
                };
                (
                    vec![record],
                    error
                        .rebirth
                        .clone()
                        .and_then(|r| node.map(|n| (Some(n), r))),
                )
            }
        };
        if matches!(rebirth, Some((_, RebirthReason::SequenceGap { .. }))) {
            self.counters.sequence_gaps.inc();
        }
        let rebirth = rebirth.and_then(|(node, reason)| {
            let node = node?;
            let now = Instant::now();
            let recent = self
                .last_rebirth
                .get(&node)
                .is_some_and(|at| now.duration_since(*at) < REBIRTH_EVERY);
            if recent {
                return None;
            }
            self.last_rebirth.insert(node.clone(), now);
            let millis = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            Some((rebirth_request(&node, millis), reason))
        });
        Read { records, rebirth }
    }

    fn metric_records(
        &mut self,
        source: &Arc<str>,
        message: Position,
        topic: &str,
        bytes: &[u8],
        read: &Message,
    ) -> Vec<RawRecord> {
        if !matches!(read.event, Event::Birth | Event::Data) {
            return Vec::new();
        }
        let Topic::Message {
            message_type,
            node,
            device,
        } = &read.topic
        else {
            return Vec::new();
        };
        let mut records = Vec::with_capacity(read.metrics.len());
        for metric in &read.metrics {
            let record = match metric {
                Ok(metric) => {
                    let object = json!({
                        "group": node.group,
                        "edge_node": node.edge_node,
                        "device": device,
                        "message": message_type.to_string(),
                        "seq": read.seq,
                        "metric": &*metric.name,
                        "alias": metric.alias,
                        "datatype": metric.datatype.name(),
                        "value": metric.value.as_ref().map_or(Json::Null, json_value),
                        "is_null": metric.value.is_none(),
                        "timestamp": metric.timestamp.or(read.timestamp).and_then(rfc3339),
                        "historical": metric.is_historical,
                    });
                    self.records += 1;
                    RawRecord::message(source.clone(), self.records, topic, object.to_string())
                        .at_line(message)
                }
                Err(error) => self.unreadable(source, message, topic, bytes, error.to_string()),
            };
            records.push(record);
        }
        records
    }

    fn unreadable(
        &mut self,
        source: &Arc<str>,
        message: Position,
        topic: &str,
        bytes: &[u8],
        reason: String,
    ) -> RawRecord {
        self.records += 1;
        RawRecord::unreadable_message(source.clone(), self.records, topic, bytes, reason)
            .at_line(message)
    }
}

fn node_of(topic: &Topic) -> Option<EdgeNodeId> {
    match topic {
        Topic::Message { node, .. } => Some(node.clone()),
        Topic::HostState { .. } => None,
    }
}

/// A metric's value as JSON: numbers as numbers, a DateTime as RFC 3339 text (the runtime's
/// timestamps read it), bytes as base64 text.
fn json_value(value: &Value) -> Json {
    match value {
        Value::Int8(v) => json!(v),
        Value::Int16(v) => json!(v),
        Value::Int32(v) => json!(v),
        Value::Int64(v) => json!(v),
        Value::UInt8(v) => json!(v),
        Value::UInt16(v) => json!(v),
        Value::UInt32(v) => json!(v),
        Value::UInt64(v) => json!(v),
        Value::Float(v) => json!(f64::from(*v)),
        Value::Double(v) => json!(v),
        Value::Boolean(v) => json!(v),
        Value::String(v) | Value::Text(v) | Value::Uuid(v) => json!(v),
        Value::DateTime(millis) => rfc3339(*millis).map_or(Json::Null, Json::String),
        Value::Bytes(bytes) => {
            use base64::Engine as _;
            json!(base64::engine::general_purpose::STANDARD.encode(bytes))
        }
    }
}

/// Milliseconds since the Unix epoch as RFC 3339 UTC with milliseconds.
fn rfc3339(millis: u64) -> Option<String> {
    let millis = i64::try_from(millis).ok()?;
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}
