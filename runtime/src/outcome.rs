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
    fn reject_without_detail() {
        let reject = Reject::new("bad");
        assert_eq!(reject.detail, None);
        assert_eq!(reject.to_string(), "bad");
    }
}
