//! A birth certificate's metrics (name, alias, datatype) for the node or one device, and the
//! reading of a message's metrics against it.

use std::collections::HashMap;
use std::sync::Arc;

use super::datatype::{DataType, Value};
use super::payload::{Metric, MetricError, MetricProblem};

/// A metric read from a message, with its name and datatype resolved against the birth
/// certificate.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricRecord {
    pub name: Arc<str>,
    pub alias: Option<u64>,
    pub datatype: DataType,
    /// The metric's own timestamp (milliseconds since the Unix epoch, UTC), if it has one.
    pub timestamp: Option<u64>,
    /// `None` when the metric is null.
    pub value: Option<Value>,
    pub is_historical: bool,
    pub is_transient: bool,
}

#[derive(Clone, Debug)]
struct BornMetric {
    name: Arc<str>,
    datatype: DataType,
}

/// The metrics of one birth certificate (NBIRTH or DBIRTH).
#[derive(Clone, Debug, Default)]
pub(crate) struct BirthTable {
    metrics: Vec<BornMetric>,
    by_name: HashMap<Arc<str>, usize>,
    by_alias: HashMap<u64, usize>,
}

impl BirthTable {
    /// Reads a birth certificate's metrics: each is registered by name (and alias) with its
    /// datatype and read as a record, or is an error that leaves it out of the table. Two
    /// metrics with one alias make the whole birth unusable: data naming that alias could
    /// mean either.
    pub(crate) fn from_birth(
        metrics: &[Metric],
    ) -> Result<(BirthTable, Vec<Result<MetricRecord, MetricError>>), MetricError> {
        let mut table = BirthTable::default();
        let mut records = Vec::with_capacity(metrics.len());
        for metric in metrics {
            let error = |problem| MetricError {
                metric: metric.label(),
                name: metric.name.clone(),
                problem,
            };
            let record = (|| {
                let name: Arc<str> = metric.name.as_deref().ok_or(MetricProblem::NoName)?.into();
                let datatype = metric
                    .declared_datatype()?
                    .ok_or(MetricProblem::NoDatatype)?;
                let value = metric.value_as(datatype).map_err(MetricProblem::Value);
                Ok::<_, MetricProblem>((name, datatype, value))
            })();
            let (name, datatype, value) = match record {
                Ok(parts) => parts,
                Err(problem) => {
                    records.push(Err(error(problem)));
                    continue;
                }
            };
            let index = table.metrics.len();
            if let Some(alias) = metric.alias {
                if let Some(first) = table.by_alias.insert(alias, index) {
                    return Err(error(MetricProblem::DuplicateAlias {
                        alias,
                        first: table.metrics[first].name.to_string(),
                    }));
                }
            }
            table.by_name.insert(name.clone(), index);
            table.metrics.push(BornMetric {
                name: name.clone(),
                datatype,
            });
            // A birth metric whose value does not read is still born: data may follow.
            records.push(
                value
                    .map(|value| record_of(metric, name, datatype, value))
                    .map_err(error),
            );
        }
        Ok((table, records))
    }

    /// Reads a data message's metric against this birth certificate.
    pub(crate) fn resolve(&self, metric: &Metric) -> Result<MetricRecord, MetricError> {
        let error = |problem| MetricError {
            metric: metric.label(),
            name: metric.name.clone(),
            problem,
        };
        let born = match (metric.alias, metric.name.as_deref()) {
            (Some(alias), name) => {
                let index = *self
                    .by_alias
                    .get(&alias)
                    .ok_or_else(|| error(MetricProblem::UnknownAlias(alias)))?;
                let born = &self.metrics[index];
                if name.is_some_and(|name| name != &*born.name) {
                    return Err(error(MetricProblem::NameDiffers {
                        alias,
                        birth: born.name.to_string(),
                    }));
                }
                born
            }
            (None, Some(name)) => {
                let index = *self
                    .by_name
                    .get(name)
                    .ok_or_else(|| error(MetricProblem::UnknownName(name.to_string())))?;
                &self.metrics[index]
            }
            (None, None) => return Err(error(MetricProblem::NoName)),
        };
        // From here on the birth names the metric, also when the data sends only its alias.
        let error = |problem| MetricError {
            metric: metric.label(),
            name: Some(born.name.to_string()),
            problem,
        };
        match metric.declared_datatype().map_err(error)? {
            Some(data) if data != born.datatype => {
                return Err(error(MetricProblem::DatatypeDiffers {
                    birth: born.datatype,
                    data,
                }))
            }
            _ => {}
        }
        let value = metric
            .value_as(born.datatype)
            .map_err(|problem| error(MetricProblem::Value(problem)))?;
        Ok(record_of(metric, born.name.clone(), born.datatype, value))
    }
}

fn record_of(
    metric: &Metric,
    name: Arc<str>,
    datatype: DataType,
    value: Option<Value>,
) -> MetricRecord {
    MetricRecord {
        name,
        alias: metric.alias,
        datatype,
        timestamp: metric.timestamp,
        value,
        is_historical: metric.is_historical,
        is_transient: metric.is_transient,
    }
}
