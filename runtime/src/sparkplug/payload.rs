//! A Sparkplug B payload decoded into a neutral form: the payload's timestamp and seq, and
//! its metrics with name or alias, timestamp, flags, datatype code and value, typed on demand
//! (a data message's metric may leave its datatype to the birth certificate).

use std::fmt;

use prost::Message as _;

use super::datatype::{typed, DataType, Value, ValueProblem};
use super::proto;

/// The `uuid` of a payload whose body is another payload, compressed (Tahu's convention).
const COMPRESSED: &str = "SPBV1.0_COMPRESSED";

/// A decoded payload.
#[derive(Clone, Debug, PartialEq)]
pub struct Payload {
    /// Milliseconds since the Unix epoch, UTC, when the message was sent.
    pub timestamp: Option<u64>,
    /// The edge node's sequence number (0 to 255) of this message.
    pub seq: Option<u64>,
    pub uuid: Option<String>,
    pub metrics: Vec<Metric>,
}

/// A metric as the payload carries it.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    pub name: Option<String>,
    pub alias: Option<u64>,
    /// Milliseconds since the Unix epoch, UTC.
    pub timestamp: Option<u64>,
    /// The datatype code as sent; data messages may leave it out (or send 0, Unknown).
    pub datatype_code: Option<u32>,
    pub is_null: bool,
    pub is_historical: bool,
    pub is_transient: bool,
    raw: Option<proto::payload::metric::Value>,
}

impl Metric {
    /// How a message names this metric: its name, else its alias.
    pub fn label(&self) -> String {
        match (&self.name, self.alias) {
            (Some(name), _) => format!("`{name}`"),
            (None, Some(alias)) => format!("alias {alias}"),
            (None, None) => "(no name or alias)".to_string(),
        }
    }

    /// The datatype the metric declares, if it declares one.
    pub fn declared_datatype(&self) -> Result<Option<DataType>, MetricProblem> {
        match self.datatype_code {
            None | Some(0) => Ok(None),
            Some(code) => DataType::from_code(code)
                .map(Some)
                .ok_or(MetricProblem::UnknownDatatype(code)),
        }
    }

    /// The value read as `datatype` (the birth certificate's, for a data message): `None`
    /// when the metric is null.
    pub fn value_as(&self, datatype: DataType) -> Result<Option<Value>, ValueProblem> {
        if self.is_null {
            return if datatype.is_supported() {
                Ok(None)
            } else {
                Err(ValueProblem::Unsupported(datatype))
            };
        }
        typed(datatype, self.raw.as_ref()).map(Some)
    }

    /// The value read as the datatype the metric itself declares.
    pub fn value(&self) -> Result<Option<Value>, MetricProblem> {
        let datatype = self.declared_datatype()?.ok_or(MetricProblem::NoDatatype)?;
        self.value_as(datatype).map_err(MetricProblem::Value)
    }

    /// Whether this is the metric an NCMD carries to ask for a rebirth: `Node Control/Rebirth`
    /// = true.
    pub fn is_rebirth_request(&self) -> bool {
        self.name.as_deref() == Some(super::REBIRTH_METRIC)
            && !self.is_null
            && matches!(
                self.raw,
                Some(proto::payload::metric::Value::BooleanValue(true))
            )
    }
}

/// Why one metric of a message cannot be read.
#[derive(Clone, Debug, PartialEq)]
pub enum MetricProblem {
    /// A datatype code Sparkplug B does not define (or an array type of Sparkplug 3.0).
    UnknownDatatype(u32),
    /// No datatype, and no birth certificate to take it from.
    NoDatatype,
    Value(ValueProblem),
    /// A birth's metric must have a name; a data message's a name or an alias.
    NoName,
    /// A data message names an alias its birth certificate did not give.
    UnknownAlias(u64),
    /// A data message names a metric its birth certificate did not have.
    UnknownName(String),
    /// A data message declares another datatype than the metric's birth certificate.
    DatatypeDiffers {
        birth: DataType,
        data: DataType,
    },
    /// A data message gives an alias and a name that the birth certificate gave two metrics.
    NameDiffers {
        alias: u64,
        birth: String,
    },
    /// Two metrics of one birth certificate share an alias.
    DuplicateAlias {
        alias: u64,
        first: String,
    },
}

impl fmt::Display for MetricProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetricProblem::UnknownDatatype(code) => write!(
                f,
                "datatype {code} is not one of Sparkplug B's scalar or structure datatypes (1 to 21)"
            ),
            MetricProblem::NoDatatype => f.write_str("it declares no datatype"),
            MetricProblem::Value(problem) => problem.fmt(f),
            MetricProblem::NoName => f.write_str("it has no name (and a data message's no alias)"),
            MetricProblem::UnknownAlias(alias) => write!(
                f,
                "alias {alias} is not in the birth certificate (a rebirth is due)"
            ),
            MetricProblem::UnknownName(name) => write!(
                f,
                "`{name}` is not in the birth certificate (a rebirth is due)"
            ),
            MetricProblem::DatatypeDiffers { birth, data } => write!(
                f,
                "it is sent as {data}, but its birth certificate declared it {birth}"
            ),
            MetricProblem::NameDiffers { alias, birth } => write!(
                f,
                "its alias {alias} belongs to `{birth}` in the birth certificate"
            ),
            MetricProblem::DuplicateAlias { alias, first } => write!(
                f,
                "its alias {alias} is already `{first}`'s in this birth certificate"
            ),
        }
    }
}

/// One metric that cannot be read, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricError {
    /// The metric as the message names it (see [`Metric::label`]).
    pub metric: String,
    /// Its name, when the message or its birth certificate gives it.
    pub name: Option<String>,
    pub problem: MetricProblem,
}

impl fmt::Display for MetricError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "metric {}: {}", self.metric, self.problem)
    }
}

impl std::error::Error for MetricError {}

/// Why bytes are not a payload fdi can read.
#[derive(Clone, Debug, PartialEq)]
pub enum PayloadError {
    /// Not a Sparkplug B protobuf payload.
    Protobuf(String),
    /// A compressed payload (`uuid` `SPBV1.0_COMPRESSED`), which fdi does not inflate.
    Compressed,
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PayloadError::Protobuf(reason) => {
                write!(
                    f,
                    "the payload is not a Sparkplug B protobuf payload: {reason}"
                )
            }
            PayloadError::Compressed => write!(
                f,
                "the payload is compressed (uuid {COMPRESSED}), which fdi does not read; \
                 turn compression off on the edge node"
            ),
        }
    }
}

impl std::error::Error for PayloadError {}

/// Decodes a payload's bytes. Never panics: anything that is not a payload is an error.
pub fn decode_payload(bytes: &[u8]) -> Result<Payload, PayloadError> {
    let payload =
        proto::Payload::decode(bytes).map_err(|e| PayloadError::Protobuf(e.to_string()))?;
    if payload.uuid.as_deref() == Some(COMPRESSED) {
        return Err(PayloadError::Compressed);
    }
    Ok(Payload {
        timestamp: payload.timestamp,
        seq: payload.seq,
        uuid: payload.uuid,
        metrics: payload.metrics.into_iter().map(metric).collect(),
    })
}

fn metric(metric: proto::payload::Metric) -> Metric {
    Metric {
        name: metric.name,
        alias: metric.alias,
        timestamp: metric.timestamp,
        datatype_code: metric.datatype,
        is_null: metric.is_null.unwrap_or(false),
        is_historical: metric.is_historical.unwrap_or(false),
        is_transient: metric.is_transient.unwrap_or(false),
        raw: metric.value,
    }
}
