//! The map stage's result types.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use smol_str::SmolStr;

use crate::identifier::{Broken, IdSpec};

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
///
/// A mapping replaces most failures with a default (`??`, `coalesce`), so the common ones keep what their
/// text needs (a field's name, a lookup's name and key, the refused value) and write it only when it is
/// read ([`Failure::detail`], `Display`, [`Failure::reject`]): a failure nobody reports costs no message.
/// Two failures are equal when they say the same.
#[derive(Debug, Clone)]
pub struct Failure {
    detail: Detail,
}

/// What a [`Failure`] says, written out or still in parts.
#[derive(Debug, Clone)]
enum Detail {
    Text(String),
    /// "field {0} is empty"
    EmptyField(&'static str),
    /// "{field} {verb}{what}": `speed is UNAVAILABLE`, `speed has quality BAD`.
    FieldIs {
        field: &'static str,
        verb: &'static str,
        what: &'static str,
    },
    /// "lookup {lookup} has no entry {key:?}"
    NoEntry {
        lookup: Arc<str>,
        key: SmolStr,
    },
    /// "{text:?} {why}": `"12a" is not an integer`.
    RefusedText {
        text: SmolStr,
        why: &'static str,
    },
    /// "{value} {why}": `1.5 is not a whole number`.
    RefusedNumber {
        value: f64,
        why: &'static str,
    },
    /// An identifier's broken rule, in the words of [`Broken::message`].
    Identifier {
        text: SmolStr,
        spec: fn() -> IdSpec<'static>,
        broken: Broken,
    },
}

impl Failure {
    /// A failure described by `detail`.
    pub fn new(detail: impl Into<String>) -> Self {
        Failure {
            detail: Detail::Text(detail.into()),
        }
    }

    /// An optional field that has no value: "field M1_CURRENT_PROGRAM_NUMBER is empty".
    pub fn missing_field(field: &str) -> Self {
        Failure::new(format!("field {field} is empty"))
    }

    /// [`Failure::missing_field`] of a field named by a constant, as generated code names it: the
    /// text is written only if the failure is reported.
    pub fn empty_field(field: &'static str) -> Self {
        Failure {
            detail: Detail::EmptyField(field),
        }
    }

    /// What a field named by a constant is, when that makes it fail: `verb` and `what` complete
    /// "speed ..." (`is `, `UNAVAILABLE`); the text is written only if the failure is reported.
    pub(crate) fn field_is(field: &'static str, verb: &'static str, what: &'static str) -> Self {
        Failure {
            detail: Detail::FieldIs { field, verb, what },
        }
    }

    /// `lookup` has no row for `key`: "lookup machines has no entry \"MILL-09\"".
    pub(crate) fn no_entry(lookup: &Arc<str>, key: &str) -> Self {
        Failure {
            detail: Detail::NoEntry {
                lookup: Arc::clone(lookup),
                key: SmolStr::new(key),
            },
        }
    }

    /// A conversion refused `text`: `why` completes "\"12a\" ..." (`is not an integer`).
    pub(crate) fn refused_text(text: &str, why: &'static str) -> Self {
        Failure {
            detail: Detail::RefusedText {
                text: SmolStr::new(text),
                why,
            },
        }
    }

    /// A conversion refused `value`: `why` completes "1.5 ..." (`is not a whole number`).
    pub(crate) fn refused_number(value: f64, why: &'static str) -> Self {
        Failure {
            detail: Detail::RefusedNumber { value, why },
        }
    }

    /// `text` breaks the rule `broken` of the identifier type whose rules `spec` gives.
    pub(crate) fn identifier(text: &str, spec: fn() -> IdSpec<'static>, broken: Broken) -> Self {
        Failure {
            detail: Detail::Identifier {
                text: SmolStr::new(text),
                spec,
                broken,
            },
        }
    }

    /// What failed.
    pub fn detail(&self) -> Cow<'_, str> {
        match &self.detail {
            Detail::Text(text) => Cow::Borrowed(text),
            _ => Cow::Owned(self.to_string()),
        }
    }

    /// Turn into a reject with the mapping's reason; the failure's text becomes the detail.
    pub fn reject(self, reason: &str) -> Reject {
        let detail = match self.detail {
            Detail::Text(text) => text,
            _ => self.to_string(),
        };
        Reject::new(reason).with_detail(detail)
    }
}

impl PartialEq for Failure {
    fn eq(&self, other: &Self) -> bool {
        self.detail() == other.detail()
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
        match &self.detail {
            Detail::Text(text) => f.write_str(text),
            Detail::EmptyField(field) => write!(f, "field {field} is empty"),
            Detail::FieldIs { field, verb, what } => write!(f, "{field} {verb}{what}"),
            Detail::NoEntry { lookup, key } => {
                write!(f, "lookup {lookup} has no entry {:?}", key.as_str())
            }
            Detail::RefusedText { text, why } => write!(f, "{:?} {why}", text.as_str()),
            Detail::RefusedNumber { value, why } => write!(f, "{value} {why}"),
            Detail::Identifier { text, spec, broken } => {
                f.write_str(&broken.message(&spec(), text))
            }
        }
    }
}

impl std::error::Error for Failure {}

/// An optional field's value as a maybe-value: generated code writes
/// `fdi_runtime::present(record.x.clone(), "x")`.
pub fn present<T>(value: Option<T>, field: &'static str) -> Result<T, Failure> {
    value.ok_or(Failure::empty_field(field))
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

    /// A failure kept in parts says, everywhere it is read, what the written-out one said.
    #[test]
    fn failures_in_parts_say_what_written_failures_say() {
        let name: Arc<str> = "machines".into();
        let long_key = "MILL-09 of the north hall, line \"A\"";
        let cases = [
            (
                Failure::empty_field("speed"),
                Failure::missing_field("speed"),
            ),
            (
                Failure::no_entry(&name, long_key),
                Failure::new(format!("lookup machines has no entry {long_key:?}")),
            ),
            (
                Failure::field_is("speed", "has quality ", "BAD"),
                Failure::new("speed has quality BAD"),
            ),
            (
                Failure::refused_text(" 12a", "is not an integer"),
                Failure::new("\" 12a\" is not an integer"),
            ),
            (
                Failure::refused_number(1.5, "is not a whole number"),
                Failure::new("1.5 is not a whole number"),
            ),
        ];
        for (in_parts, written) in cases {
            assert_eq!(in_parts.detail(), written.detail());
            assert_eq!(in_parts.to_string(), written.to_string());
            assert_eq!(in_parts, written);
            assert_eq!(
                in_parts.clone().reject("why"),
                written.clone().reject("why")
            );
        }
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
