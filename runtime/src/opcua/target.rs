//! Writing record fields to OPC UA nodes: the records of a checkpoint in Write calls, every status
//! checked, optionally read back.

use std::collections::{HashMap, HashSet};
use std::marker::PhantomData;

use opcua::types::{
    AttributeId, DataValue, NodeId, ReadValueId, TimestampsToReturn, Variant, WriteValue,
};
use prometheus_client::metrics::counter::Counter;
use serde::Serialize;
use serde_json::Value;
use tokio::runtime::Handle;

use super::connection::{OpcuaConnection, OpcuaSession};
use super::convert::{same_value, to_variant, NodeType, WriteType};
use super::error::OpcuaError;
use super::node::resolve_node_id;
use super::value::{status_name, variant_json};
use crate::error::RunError;
use crate::outcome::Reject;
use crate::target::{check_writable, Durable, Refusal, Target};

const ROLE: &str = "target";

/// Most operations in one Write or Read request (servers limit them; 1000 is a common limit).
const MAX_OPERATIONS: usize = 500;

/// One record's writes: each field's node and value.
#[derive(Debug)]
struct PendingRecord {
    writes: Vec<FieldWrite>,
}

#[derive(Debug, Clone)]
struct FieldWrite {
    field: String,
    node_text: String,
    node_id: NodeId,
    value: Variant,
}

/// Writes fields of each record to OPC UA nodes, `{field}` placeholders in a node id replaced by the
/// record's field.
///
/// `write` converts each field to its node's data type (read from the server once per node and kept):
/// a value that does not fit, a node that does not exist or whose type this target does not write is
/// a reject naming the field and the node. `flush` writes the buffered records: in Write calls in
/// which no node appears twice (so that two records writing one node are applied in their order),
/// then, with `read_back`, reads the nodes back. A record is refused ([`Durable::take_refused`]) when
/// the server answers a Bad status for one of its writes (the reason names it: `BadNotWritable`,
/// `BadTypeMismatch`, `BadOutOfRange`...) or a node reads back different; its other fields may have
/// been written. The records of a flush are durable once it returns: the server confirmed each write.
///
/// A lost connection fails the flush with a transient error and the records stay buffered: the run's
/// retry writes them again once the session is back (setting a node to a value twice is harmless).
pub struct OpcuaTarget<T> {
    name: String,
    endpoint: String,
    io: Handle,
    session: OpcuaSession,
    writes: Vec<(String, String)>,
    read_back: bool,
    types: HashMap<NodeId, NodeType>,
    /// Node ids by their text, once parsed (and a `nsu=` resolved).
    node_ids: HashMap<String, NodeId>,
    pending: Vec<PendingRecord>,
    refused: Vec<Refusal>,
    _record: PhantomData<fn(&T)>,
}

impl<T> OpcuaTarget<T> {
    /// Connects (waiting on `io`); `writes` are (field, node id) pairs.
    pub fn open(
        name: &str,
        connection: &OpcuaConnection,
        writes: &[(&str, &str)],
        read_back: bool,
        reconnects: Counter,
        io: &Handle,
    ) -> Result<Self, RunError> {
        if writes.is_empty() {
            return Err(RunError::Program(format!(
                "OPC UA target {name} writes no field"
            )));
        }
        let session = io.block_on(connection.connect(ROLE, name, reconnects))?;
        Ok(OpcuaTarget {
            name: name.to_string(),
            endpoint: connection.endpoint_url.clone(),
            io: io.clone(),
            session,
            writes: writes
                .iter()
                .map(|(field, node)| (field.to_string(), node.to_string()))
                .collect(),
            read_back,
            types: HashMap::new(),
            node_ids: HashMap::new(),
            pending: Vec::new(),
            refused: Vec::new(),
            _record: PhantomData,
        })
    }

    fn error(&self, action: &str, error: &opcua::types::Error) -> OpcuaError {
        OpcuaError::status(ROLE, &self.name, &self.endpoint, action, error)
    }

    fn unreachable(&self, action: &str) -> OpcuaError {
        OpcuaError::transient(
            ROLE,
            &self.name,
            &self.endpoint,
            action,
            "not connected to the server; the session is reconnecting",
        )
    }

    /// The node's type, read once (DataType and ValueRank attributes); `Ok(Err)` for a node a
    /// record cannot be written to.
    fn node_type(&mut self, node_id: &NodeId) -> Result<Result<NodeType, String>, OpcuaError> {
        if let Some(known) = self.types.get(node_id) {
            return Ok(Ok(*known));
        }
        if !self.session.is_connected() {
            return Err(self.unreachable("read a node's data type"));
        }
        let read = |attribute: AttributeId| ReadValueId {
            node_id: node_id.clone(),
            attribute_id: attribute as u32,
            ..Default::default()
        };
        let session = self.session.session.clone();
        let values = self
            .io
            .block_on(session.read(
                &[read(AttributeId::DataType), read(AttributeId::ValueRank)],
                TimestampsToReturn::Neither,
                0.0,
            ))
            .map_err(|e| self.error("read a node's data type", &e))?;
        let status = |value: &DataValue| value.status.filter(|s| s.is_bad());
        let (Some(data_type), Some(rank)) = (values.first(), values.get(1)) else {
            return Ok(Err("the server answered no data type".to_string()));
        };
        if let Some(bad) = status(data_type) {
            return Ok(Err(format!(
                "the node has no data type: {}",
                status_name(bad)
            )));
        }
        let Some(Variant::NodeId(type_id)) = &data_type.value else {
            return Ok(Err(
                "the node's DataType attribute is not a node id".to_string()
            ));
        };
        let Some(scalar) = WriteType::of(type_id) else {
            return Ok(Err(format!(
                "the node's data type {type_id} is not one this target writes (Boolean, the integer \
                 types, Float, Double, String, LocalizedText, DateTime, Guid, ByteString)"
            )));
        };
        let array = matches!(rank.value, Some(Variant::Int32(rank)) if rank >= 1);
        let node_type = NodeType { scalar, array };
        self.types.insert(node_id.clone(), node_type);
        Ok(Ok(node_type))
    }

    /// The record's writes, or the reject of its first field that cannot be written.
    fn record_writes(
        &mut self,
        record: &serde_json::Map<String, Value>,
    ) -> Result<Result<PendingRecord, Reject>, OpcuaError> {
        let mut writes = Vec::with_capacity(self.writes.len());
        for (field, template) in self.writes.clone() {
            let node_text = match fill_placeholders(&template, record) {
                Ok(text) => text,
                Err(detail) => {
                    return Ok(Err(Reject::new("node id cannot be made from the record")
                        .with_detail(format!("field {field}: {detail}"))))
                }
            };
            let resolved = match self.node_ids.get(&node_text) {
                Some(node_id) => Ok(node_id.clone()),
                None => self
                    .io
                    .block_on(resolve_node_id(&self.session.session, &node_text))
                    .inspect(|node_id| {
                        self.node_ids.insert(node_text.clone(), node_id.clone());
                    }),
            };
            let node_id = match resolved {
                Ok(node_id) => node_id,
                Err(detail) => {
                    return Ok(Err(Reject::new("not a node id")
                        .with_detail(format!("field {field}: {detail}"))))
                }
            };
            let node_type = match self.node_type(&node_id)? {
                Ok(node_type) => node_type,
                Err(detail) => {
                    return Ok(Err(Reject::new("node cannot be written")
                        .with_detail(format!("field {field} -> {node_text}: {detail}"))))
                }
            };
            let value = record.get(&field).unwrap_or(&Value::Null);
            if value.is_null() {
                return Ok(Err(Reject::new("no value to write").with_detail(format!(
                    "field {field} -> {node_text} is null or missing"
                ))));
            }
            let value = match to_variant(value, node_type) {
                Ok(value) => value,
                Err(detail) => {
                    return Ok(Err(Reject::new("value does not fit the node's data type")
                        .with_detail(format!(
                            "field {field} -> {node_text} ({}): {detail}",
                            node_type.name()
                        ))))
                }
            };
            writes.push(FieldWrite {
                field,
                node_text,
                node_id,
                value,
            });
        }
        Ok(Ok(PendingRecord { writes }))
    }

    /// Writes the pending records; the refused ones by index, with their rejects.
    fn write_pending(&self, records: &[PendingRecord]) -> Result<Vec<Refusal>, OpcuaError> {
        let mut refused: HashMap<usize, Reject> = HashMap::new();
        for batch in batches(records) {
            if !self.session.is_connected() {
                return Err(self.unreachable("write"));
            }
            let session = self.session.session.clone();
            let values: Vec<WriteValue> = batch
                .iter()
                .map(|&(record, field)| {
                    let write = &records[record].writes[field];
                    WriteValue {
                        node_id: write.node_id.clone(),
                        attribute_id: AttributeId::Value as u32,
                        index_range: Default::default(),
                        value: DataValue::value_only(write.value.clone()),
                    }
                })
                .collect();
            let statuses = self
                .io
                .block_on(session.write(&values))
                .map_err(|e| self.error("write", &e))?;
            if statuses.len() != values.len() {
                return Err(OpcuaError::transient(
                    ROLE,
                    &self.name,
                    &self.endpoint,
                    "write",
                    format!(
                        "the server answered {} statuses for {} writes",
                        statuses.len(),
                        values.len()
                    ),
                ));
            }
            let mut confirmed = Vec::new();
            for (&(record, field), status) in batch.iter().zip(statuses) {
                let write = &records[record].writes[field];
                if status.is_bad() {
                    refused.entry(record).or_insert_with(|| {
                        Reject::new(format!(
                            "OPC UA server refused the write: {}",
                            status_name(status)
                        ))
                        .with_detail(format!(
                            "field {} -> {}: {}",
                            write.field,
                            write.node_text,
                            status_name(status)
                        ))
                    });
                } else {
                    confirmed.push((record, field));
                }
            }
            if self.read_back && !confirmed.is_empty() {
                self.compare_read_back(records, &confirmed, &mut refused)?;
            }
        }
        let mut refusals: Vec<Refusal> = refused
            .into_iter()
            .map(|(write, reject)| Refusal { write, reject })
            .collect();
        refusals.sort_by_key(|r| r.write);
        Ok(refusals)
    }

    /// Reads the confirmed writes' nodes back; a value that differs refuses its record.
    fn compare_read_back(
        &self,
        records: &[PendingRecord],
        confirmed: &[(usize, usize)],
        refused: &mut HashMap<usize, Reject>,
    ) -> Result<(), OpcuaError> {
        let reads: Vec<ReadValueId> = confirmed
            .iter()
            .map(|&(record, field)| ReadValueId {
                node_id: records[record].writes[field].node_id.clone(),
                attribute_id: AttributeId::Value as u32,
                ..Default::default()
            })
            .collect();
        let session = self.session.session.clone();
        let values = self
            .io
            .block_on(session.read(&reads, TimestampsToReturn::Neither, 0.0))
            .map_err(|e| self.error("read back the written nodes", &e))?;
        for (&(record, field), read) in confirmed.iter().zip(values) {
            let write = &records[record].writes[field];
            let same = read.status.is_none_or(|s| s.is_good())
                && read
                    .value
                    .as_ref()
                    .is_some_and(|v| same_value(&write.value, v));
            if !same {
                let found = match (&read.value, read.status) {
                    (_, Some(status)) if !status.is_good() => status_name(status),
                    (Some(value), _) => variant_json(value).to_string(),
                    (None, _) => "no value".to_string(),
                };
                refused.entry(record).or_insert_with(|| {
                    Reject::new("OPC UA node reads back a different value").with_detail(format!(
                        "field {} -> {}: wrote {}, read {found}",
                        write.field,
                        write.node_text,
                        variant_json(&write.value)
                    ))
                });
            }
        }
        Ok(())
    }
}

/// The (record, field) writes of `records` in batches of at most [`MAX_OPERATIONS`] in which no node
/// appears twice, in record order.
fn batches(records: &[PendingRecord]) -> Vec<Vec<(usize, usize)>> {
    let mut batches = Vec::new();
    let mut batch: Vec<(usize, usize)> = Vec::new();
    let mut nodes: HashSet<&NodeId> = HashSet::new();
    for (record, pending) in records.iter().enumerate() {
        for (field, write) in pending.writes.iter().enumerate() {
            if batch.len() == MAX_OPERATIONS || nodes.contains(&write.node_id) {
                batches.push(std::mem::take(&mut batch));
                nodes.clear();
            }
            nodes.insert(&write.node_id);
            batch.push((record, field));
        }
    }
    if !batch.is_empty() {
        batches.push(batch);
    }
    batches
}

/// `template` with each `{field}` replaced by that field of the record, as text.
fn fill_placeholders(
    template: &str,
    record: &serde_json::Map<String, Value>,
) -> Result<String, String> {
    let mut text = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            return Err(format!("{template:?} has a {{ without }}"));
        };
        text.push_str(&rest[..open]);
        let field = &rest[open + 1..open + close];
        match record.get(field) {
            Some(Value::String(s)) => text.push_str(s),
            Some(Value::Number(n)) => text.push_str(&n.to_string()),
            Some(Value::Bool(b)) => text.push_str(&b.to_string()),
            Some(Value::Null) | None => {
                return Err(format!(
                    "{template:?} needs field {field}, which has no value"
                ))
            }
            Some(other) => {
                return Err(format!(
                    "{template:?} needs field {field} as text, but it is {other}"
                ))
            }
        }
        rest = &rest[open + close + 1..];
    }
    text.push_str(rest);
    Ok(text)
}

impl<T> Durable for OpcuaTarget<T> {
    fn name(&self) -> &str {
        &self.name
    }

    fn flush(&mut self) -> Result<(), RunError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        match self.write_pending(&self.pending) {
            Ok(refused) => {
                self.pending.clear();
                self.refused = refused;
                Ok(())
            }
            // The records stay pending: the retry writes them again.
            Err(error) => Err(error.into()),
        }
    }

    fn refuses_on_flush(&self) -> bool {
        true
    }

    fn take_refused(&mut self) -> Vec<Refusal> {
        std::mem::take(&mut self.refused)
    }

    fn is_transient(&self, error: &RunError) -> bool {
        matches!(error, RunError::Opcua(e) if e.is_transient())
    }
}

impl<T: Serialize> Target<T> for OpcuaTarget<T> {
    fn write(&mut self, record: &T) -> Result<Result<(), Reject>, RunError> {
        if let Err(reject) = check_writable(record) {
            return Ok(Err(reject));
        }
        let Ok(Value::Object(fields)) = serde_json::to_value(record) else {
            return Err(RunError::Program(format!(
                "OPC UA target {}: a record is not a JSON object",
                self.name
            )));
        };
        match self.record_writes(&fields)? {
            Ok(pending) => {
                self.pending.push(pending);
                Ok(Ok(()))
            }
            Err(reject) => Ok(Err(reject)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn placeholders_take_the_record_fields_as_text() {
        let record = json!({"station": 7, "line": "A", "open": null});
        let record = record.as_object().unwrap();
        assert_eq!(
            fill_placeholders("ns=2;s=Line{line}.Station{station}.Upper", record),
            Ok("ns=2;s=LineA.Station7.Upper".to_string())
        );
        assert!(fill_placeholders("ns=2;s={open}", record).is_err());
        assert!(fill_placeholders("ns=2;s={station", record).is_err());
    }

    #[test]
    fn a_node_written_twice_splits_the_batch() {
        let write = |node: u32| FieldWrite {
            field: "f".into(),
            node_text: String::new(),
            node_id: NodeId::new(2, node),
            value: Variant::Int32(1),
        };
        let records = vec![
            PendingRecord {
                writes: vec![write(1), write(2)],
            },
            PendingRecord {
                writes: vec![write(3)],
            },
            PendingRecord {
                writes: vec![write(1)],
            },
        ];
        assert_eq!(
            batches(&records),
            vec![vec![(0, 0), (0, 1), (1, 0)], vec![(2, 0)]]
        );
    }
}
