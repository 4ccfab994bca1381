//! The map stage's result types.

use std::fmt;

/// What the map stage made of one record for one flow.
#[derive(Debug, Clone, PartialEq)]
pub enum MapOutcome<T> {
    /// The record mapped to a target record, to be written.
    Mapped(T),
    /// The mapping's `where` condition excluded the record: counted, not written, not dead-lettered.
    Filtered,
    /// The record cannot be mapped: it goes to the dead letter.
    Rejected(Reject),
}

/// What a generated flow function returns: `Ok` with the mapped record (or `Filtered`), or
/// `Err` with the reject, so that the flow rejects with `?` on one line
/// (`lookups.machines.get(key).or_reject("unknown machine")?`).
impl<T> From<Result<MapOutcome<T>, Reject>> for MapOutcome<T> {
    fn from(result: Result<MapOutcome<T>, Reject>) -> Self {
        result.unwrap_or_else(MapOutcome::Rejected)
    }
}

/// A record that cannot be written: the reason (from the mapping's `else reject "..."`, counted in the summary)
/// and the detail (what exactly failed, e.g. `lookup machines has no entry "MILL-09"`).
///
/// The reason is what operators group by, so it is a fixed text per rule; the detail is per record.
#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    pub reason: String,
    pub detail: Option<String>,
}

impl Reject {
    /// A reject without detail.
    pub fn new(reason: impl Into<String>) -> Self {
        Reject {
            reason: reason.into(),
            detail: None,
        }
    }

    /// The reject of a `match` arm `reject "..."`: the value that reached the arm is the detail.
    pub fn unmatched(reason: impl Into<String>, value: impl fmt::Debug) -> Self {
        Reject::new(reason).with_detail(format!("the match got {value:?}"))
    }

    /// The same reject with `detail` saying what exactly failed.
    pub fn with_detail(self, detail: impl Into<String>) -> Self {
        Reject {
            detail: Some(detail.into()),
            ..self
        }
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Some(detail) => write!(f, "{} ({detail})", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

/// Why a value that may be absent is absent: a lookup miss, an empty optional field, a failed conversion.
///
/// A `Failure` carries no reason of its own: the mapping decides, with `else reject "..."`, whether an absent
/// value rejects the record and with which reason (see [`Failure::reject`]), or is replaced by a default.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    detail: String,
}

impl Failure {
    /// A failure described by `detail`.
    pub fn new(detail: impl Into<String>) -> Self {
        Failure {
            detail: detail.into(),
        }
    }

    /// An optional field that has no value: "field M1_CURRENT_PROGRAM_NUMBER is empty".
    pub fn missing_field(field: &str) -> Self {
        Failure::new(format!("field {field} is empty"))
    }

    /// What failed.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// Turn into a reject with the mapping's reason; the failure's text becomes the detail.
    pub fn reject(self, reason: &str) -> Reject {
        Reject::new(reason).with_detail(self.detail)
    }
}

/// `else reject "reason"` on a value that may be absent: a failure becomes the record's reject
/// with the mapping's reason, for the flow to return with `?`.
pub trait OrReject<T> {
    fn or_reject(self, reason: &str) -> Result<T, Reject>;
}

impl<T> OrReject<T> for Result<T, Failure> {
    fn or_reject(self, reason: &str) -> Result<T, Reject> {
        self.map_err(|failure| failure.reject(reason))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for Failure {}

/// An optional field's value as a maybe-value: generated code writes
/// `fdi_runtime::present(record.x.clone(), "x")`.
pub fn present<T>(value: Option<T>, field: &str) -> Result<T, Failure> {
    value.ok_or_else(|| Failure::missing_field(field))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_becomes_reject_with_detail() {
        let reject =
            Failure::new("lookup machines has no entry \"MILL-09\"").reject("unknown machine");
        assert_eq!(reject.reason, "unknown machine");
        assert_eq!(
            reject.detail.as_deref(),
            Some("lookup machines has no entry \"MILL-09\"")
        );
        assert_eq!(
            reject.to_string(),
            "unknown machine (lookup machines has no entry \"MILL-09\")"
        );
    }

    #[test]
    fn present_names_the_empty_field() {
        assert_eq!(present(Some(3), "x"), Ok(3));
        let failure = present::<i64>(None, "M1_CURRENT_PROGRAM_NUMBER").unwrap_err();
        assert_eq!(failure.detail(), "field M1_CURRENT_PROGRAM_NUMBER is empty");
    }

    #[test]
    fn or_reject_keeps_the_value_or_names_the_reason() {
        assert_eq!(Ok::<_, Failure>(3).or_reject("bad"), Ok(3));
        let reject = Err::<i64, _>(Failure::new("field x is empty"))
            .or_reject("no x")
            .unwrap_err();
        assert_eq!(reject.to_string(), "no x (field x is empty)");
    }

    #[test]
    fn a_flow_result_is_an_outcome() {
        let mapped: MapOutcome<i64> = Ok(MapOutcome::Mapped(1)).into();
        assert_eq!(mapped, MapOutcome::Mapped(1));
        let rejected: MapOutcome<i64> = Err(Reject::unmatched("bad state", "X")).into();
        assert_eq!(
            rejected,
            MapOutcome::Rejected(Reject::new("bad state").with_detail("the match got \"X\""))
        );
    }

    #[test]
    fn reject_without_detail() {
        let reject = Reject::new("bad");
        assert_eq!(reject.detail, None);
        assert_eq!(reject.to_string(), "bad");
    }
}
