//! Which rule a record broke at decode: the reject's reason.
//!
//! A decode reject's reason is what the summary, the reject metrics (`reason` label) and
//! `dead-letter replay --reason` group by, so it names the kind of rule that failed ("not a
//! number", "Gtin14 check digit", "local time skipped by a clock change"), never the value: the
//! reasons of a program are a fixed set (a few per identifier and enum type of its schema), and
//! the reject's detail says which column held what.
//!
//! The rule that fails is deep inside serde (a `Deserialize` impl of an identifier, a timestamp
//! format, the CSV field deserializer), and serde carries only the error's text up to
//! [`decode`](crate::decode::decode), whatever the error type (serde_json's own for JSON). So
//! the failing rule notes itself here, in a per-thread cell, and `decode` takes the note when the
//! record fails: the cell is cleared before each record's decode, and written only on failure,
//! so a record that decodes costs one store.

use std::cell::Cell;
use std::fmt;

/// The kind of rule a record broke at decode. Rendered by `Display` as the reject's reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeRule {
    /// A CSV row or JSON line that is not UTF-8.
    NotUtf8,
    /// A message its connector could not read (a Sparkplug payload that is not protobuf...).
    UnreadableMessage,
    /// A JSON line or message that does not parse.
    NotJson,
    /// A JSON line or message that is an array, a string... where the record is an object.
    NotAnObject,
    /// A CSV row with more or fewer fields than its header has columns.
    FieldCount,
    /// A required column (CSV) or member (JSON) that is absent.
    Missing,
    NotANumber,
    NotFinite,
    NotAnInteger,
    NotANonNegativeInteger,
    NotABoolean,
    NotACharacter,
    /// A JSON number, boolean, array or object where text is expected.
    NotText,
    /// A value that is not one of its enum type's codes: the enum's name.
    NotACode(&'static str),
    /// An identifier that does not match its type's pattern: the identifier type's name.
    IdPattern(&'static str),
    /// An integer identifier that is not an integer in the 64-bit range.
    IdNotAnInteger(&'static str),
    /// An identifier with too few or too many characters.
    IdLength(&'static str),
    /// An identifier whose check digit is wrong.
    IdCheckDigit(&'static str),
    /// Text that is not an RFC 3339 timestamp (a field without a declared format).
    NotATimestamp,
    /// A timestamp without UTC offset in a field without a declared format and zone.
    NoUtcOffset,
    /// Text that does not match the field's declared time format.
    NotInTimeFormat,
    /// Text or a number that is not an epoch time.
    NotAnEpochTime,
    /// A local time that does not exist: the clocks skip it.
    SkippedLocalTime,
    /// A local time that happens twice: the clocks go back over it.
    RepeatedLocalTime,
    /// An instant outside the years 0000 to 9999, or a second 60 that was no leap second.
    TimeOutOfRange,
    /// A row whose unit column gives a unit its field does not list in `units:`.
    UnknownUnit,
    /// A quality (`quality_column:` or a sample's quality) that is no quality name or status code.
    NotAQuality,
}

impl DecodeRule {
    /// The reason of a record that broke this rule; `csv` says whether the record is a CSV row
    /// (a missing "column") or JSON (a missing "field").
    pub fn reason(self, csv: bool) -> String {
        match self {
            DecodeRule::Missing if csv => "missing column".to_string(),
            DecodeRule::Missing => "missing field".to_string(),
            other => other.to_string(),
        }
    }

    /// Notes that this rule failed for the record being decoded (see the module's comment).
    /// The first note of a record wins: it is the innermost rule, and outer layers that see its
    /// error pass by.
    pub fn note(self) {
        NOTED.with(|noted| {
            if noted.get().is_none() {
                noted.set(Some(self));
            }
        });
    }
}

impl fmt::Display for DecodeRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeRule::NotUtf8 => f.write_str("not UTF-8 text"),
            DecodeRule::UnreadableMessage => f.write_str("unreadable message"),
            DecodeRule::NotJson => f.write_str("not valid JSON"),
            DecodeRule::NotAnObject => f.write_str("not a JSON object"),
            DecodeRule::FieldCount => f.write_str("wrong number of fields"),
            DecodeRule::Missing => f.write_str("missing column"),
            DecodeRule::NotANumber => f.write_str("not a number"),
            DecodeRule::NotFinite => f.write_str("not a finite number"),
            DecodeRule::NotAnInteger => f.write_str("not an integer"),
            DecodeRule::NotANonNegativeInteger => f.write_str("not a non-negative integer"),
            DecodeRule::NotABoolean => f.write_str("not true or false"),
            DecodeRule::NotACharacter => f.write_str("not a single character"),
            DecodeRule::NotText => f.write_str("not text"),
            DecodeRule::NotACode(enum_name) => write!(f, "not a code of {enum_name}"),
            DecodeRule::IdPattern(id) => write!(f, "{id} pattern"),
            DecodeRule::IdNotAnInteger(id) => write!(f, "{id} not an integer"),
            DecodeRule::IdLength(id) => write!(f, "{id} length"),
            DecodeRule::IdCheckDigit(id) => write!(f, "{id} check digit"),
            DecodeRule::NotATimestamp => f.write_str("not a timestamp"),
            DecodeRule::NoUtcOffset => f.write_str("local time without UTC offset"),
            DecodeRule::NotInTimeFormat => f.write_str("not in the time format"),
            DecodeRule::NotAnEpochTime => f.write_str("not an epoch time"),
            DecodeRule::SkippedLocalTime => f.write_str("local time skipped by a clock change"),
            DecodeRule::RepeatedLocalTime => f.write_str("local time repeated by a clock change"),
            DecodeRule::TimeOutOfRange => f.write_str("time out of range"),
            DecodeRule::UnknownUnit => f.write_str("unknown unit"),
            DecodeRule::NotAQuality => f.write_str("not a signal quality"),
        }
    }
}

thread_local! {
    static NOTED: Cell<Option<DecodeRule>> = const { Cell::new(None) };
}

/// Forgets any note: called before a record is decoded, so that a rule noted outside decode
/// (an identifier the mapping converts and rejects itself) is not taken for the record's.
pub(crate) fn clear() {
    NOTED.with(|noted| noted.set(None));
}

/// Whether a rule was noted since the last [`clear`].
pub(crate) fn is_noted() -> bool {
    NOTED.with(|noted| noted.get().is_some())
}

/// The rule noted since the last [`clear`], if any, and clears it.
pub(crate) fn take() -> Option<DecodeRule> {
    NOTED.with(|noted| noted.take())
}

/// A value whose unit its row gives (`unit_column:`), converted to its field's unit: `units`
/// holds each accepted unit's text and its conversion, `x * scale + shift` or, with `divide`,
/// `(x + shift) / scale`, as the compiler computed it. A unit not in the list is an error, noted
/// as [`DecodeRule::UnknownUnit`].
pub fn convert_unit(
    value: f64,
    unit: &str,
    units: &[(&str, f64, f64, bool)],
) -> Result<f64, String> {
    let unit = unit.trim();
    match units.iter().find(|(text, ..)| *text == unit) {
        Some(&(_, scale, shift, false)) => Ok(value * scale + shift),
        Some(&(_, divisor, shift, true)) => Ok((value + shift) / divisor),
        None => {
            DecodeRule::UnknownUnit.note();
            let listed: Vec<&str> = units.iter().map(|(text, ..)| *text).collect();
            Err(format!(
                "unknown unit `{unit}`: not one of {}",
                listed.join(", ")
            ))
        }
    }
}

#[cfg(test)]
mod unit_column_tests {
    use super::*;

    #[test]
    fn converts_listed_units_and_notes_others() {
        let units = [
            ("mm", 1.0, 0.0, false),
            ("in", 25.4, 0.0, false),
            ("um", 1000.0, 0.0, true),
        ];
        assert_eq!(convert_unit(2.0, "in", &units), Ok(2.0 * 25.4));
        assert_eq!(convert_unit(2.0, " mm ", &units), Ok(2.0));
        assert_eq!(convert_unit(1500.0, "um", &units), Ok(1.5));
        clear();
        assert!(convert_unit(1.0, "ft", &units).is_err());
        assert_eq!(take(), Some(DecodeRule::UnknownUnit));
        assert_eq!(DecodeRule::UnknownUnit.to_string(), "unknown unit");
    }
}
