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
//! A source may select metrics by name (`metrics: [...]` in the mapping; `Folder/*` selects the
//! metrics in a folder and its subfolders): then only those become records, so that one entity types them all (a state as text, a count as an int). The session
//! still reads every metric, since sequence numbers, births and rebirths concern the whole node. A
//! metric that cannot be read and whose name is not known (data by an unknown alias) is still
//! rejected, since it might be one of the selected.
//!
//! A sequence gap, data without a birth, or an unknown metric asks the edge node for a rebirth
//! (NCMD `Node Control/Rebirth`, as the specification says), at most once per node every
//! [`REBIRTH_EVERY`]. Gaps and rebirth requests are counted per source in the run's metrics
//! ([`SparkplugCounters`]).

use std::collections::{HashMap, HashSet};
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
    /// The metrics that become records by name, and by folder (`Conditions/` of `Conditions/*`);
    /// both empty: every metric.
    selected: HashSet<String>,
    folders: Vec<String>,
    last_rebirth: HashMap<EdgeNodeId, Instant>,
    /// Records made so far: the position of the next is one more.
    records: Position,
    counters: SparkplugCounters,
}

impl SparkplugRecords {
    pub(crate) fn new(counters: SparkplugCounters) -> Self {
        SparkplugRecords {
            session: HostSession::default(),
            selected: HashSet::new(),
            folders: Vec::new(),
            last_rebirth: HashMap::new(),
            records: 0,
            counters,
        }
    }

    /// Records of the metrics named in `selected` only (a name ending in `/*` names a folder);
    /// empty, of every metric.
    pub(crate) fn selecting(mut self, selected: &[String]) -> Self {
        let (folders, names): (Vec<&String>, Vec<&String>) =
            selected.iter().partition(|name| name.ends_with("/*"));
        self.selected = names.into_iter().cloned().collect();
        self.folders = folders
            .into_iter()
            .map(|folder| folder.trim_end_matches('*').to_string())
            .collect();
        self
    }

    /// Whether the metric with this name becomes a record.
    fn is_selected(&self, name: &str) -> bool {
        (self.selected.is_empty() && self.folders.is_empty())
            || self.selected.contains(name)
            || self
                .folders
                .iter()
                .any(|folder| name.starts_with(folder.as_str()))
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
                Ok(metric) if !self.is_selected(&metric.name) => continue,
                Err(error) if error.name.as_deref().is_some_and(|n| !self.is_selected(n)) => {
                    continue
                }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sparkplug::{EdgeNode, OutMetric};

    fn node() -> EdgeNode {
        EdgeNode::new(
            EdgeNodeId {
                group: "plant".into(),
                edge_node: "line3".into(),
            },
            0,
        )
    }

    fn selecting(names: &[String]) -> SparkplugRecords {
        SparkplugRecords::new(SparkplugCounters::default()).selecting(names)
    }

    /// The metric of each record `publication` gave, or the reject reason.
    fn metrics_of(records: &mut SparkplugRecords, publication: &Publication) -> Vec<String> {
        let source: Arc<str> = "states".into();
        let read = records.read(&source, 1, &publication.topic, &publication.payload);
        read.records
            .iter()
            .map(
                |r| match crate::decode::decode::<Json>(r, "SparkplugMetric") {
                    Ok(record) => record["metric"].as_str().unwrap_or_default().to_string(),
                    Err(reject) => format!("rejected: {reject:?}"),
                },
            )
            .collect()
    }

    #[test]
    fn only_selected_metrics_become_records() {
        let mut edge = node();
        let birth = edge
            .birth(
                1,
                &[
                    OutMetric::new("Execution", Value::String("ACTIVE".into())),
                    OutMetric::new("PartCount", Value::Int64(4)),
                ],
            )
            .unwrap();
        let data = edge
            .data(2, &[OutMetric::new("PartCount", Value::Int64(5))])
            .unwrap();
        let mut counts = selecting(&["PartCount".to_string()]);
        assert_eq!(metrics_of(&mut counts, &birth), ["PartCount"]);
        assert_eq!(metrics_of(&mut counts, &data), ["PartCount"]);
        let mut states = selecting(&["Execution".to_string()]);
        assert_eq!(metrics_of(&mut states, &birth), ["Execution"]);
        assert!(metrics_of(&mut states, &data).is_empty());
        let mut conditions = selecting(&["Conditions/*".to_string()]);
        let mut with_folder = node();
        let folder_birth = with_folder
            .birth(
                1,
                &[
                    OutMetric::new("Conditions/Coolant", Value::String("NORMAL".into())),
                    OutMetric::new("Conditions/Spindle/Load", Value::String("FAULT".into())),
                    OutMetric::new("ConditionsCount", Value::Int64(2)),
                ],
            )
            .unwrap();
        assert_eq!(
            metrics_of(&mut conditions, &folder_birth),
            ["Conditions/Coolant", "Conditions/Spindle/Load"]
        );
        // Without a selection, the birth's bookkeeping metrics are records too.
        let mut every = selecting(&[]);
        assert_eq!(
            metrics_of(&mut every, &birth),
            ["Execution", "PartCount", "bdSeq", "Node Control/Rebirth"]
        );
    }

    #[test]
    fn a_metric_of_unknown_name_is_rejected_even_when_not_selected() {
        let mut edge = node();
        let birth = edge
            .birth(1, &[OutMetric::new("PartCount", Value::Int64(4))])
            .unwrap();
        let mut counts = selecting(&["Execution".to_string()]);
        assert!(metrics_of(&mut counts, &birth).is_empty());
        // A second host's edge node: data by an alias this host never saw born.
        let mut other = node();
        other
            .birth(
                1,
                &[
                    OutMetric::new("Spindle", Value::Double(1.0)),
                    OutMetric::new("Execution", Value::String("READY".into())),
                ],
            )
            .unwrap();
        let data = other
            .data(
                2,
                &[OutMetric::new("Execution", Value::String("ACTIVE".into()))],
            )
            .unwrap();
        let got = metrics_of(&mut counts, &data);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].starts_with("rejected"), "{got:?}");
    }
}
