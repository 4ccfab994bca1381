//! The fast way of reading the usual local-time format (`%Y-%m-%d %H:%M:%S`, `%d.%m.%Y %H:%M`,
//! `%Y%m%d`): numbers of the date and the time of day between literals and spaces.
//!
//! chrono's general parser fills a `Parsed` field by field and then checks what it holds, which
//! costs more than the rest of reading a local time together. A format made only of those
//! numbers is read here directly, the way chrono reads the same items (whitespace skipped before
//! a number and at a space, up to the number's width of digits, at least one); anything else
//! (a sign, a leap second, a value out of range, a date that does not exist, text that does not
//! match) is left to the general parser, so that what a text means and the words of every
//! failure come from one place. `tests.rs` compares the two on many formats and texts.

use chrono::format::{Item, Numeric};
use chrono::{NaiveDate, NaiveDateTime};

/// A format of the date's and time of day's numbers, literals and spaces, each number once: the
/// year, month and day, and either no time of day or hour and minute (and second).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct NumericLayout {
    steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// A character that must be there, the usual separator (`-`, `:`, `.`, `T`).
    Byte(u8),
    /// Text that must be there as it is.
    Literal(Box<str>),
    /// Any whitespace, or none.
    Space,
    /// Up to `width` digits of one of the six numbers (`field` indexes them), after any whitespace.
    Number { field: usize, width: usize },
}

const YEAR: usize = 0;
const MONTH: usize = 1;
const DAY: usize = 2;
const HOUR: usize = 3;
const MINUTE: usize = 4;
const SECOND: usize = 5;

impl NumericLayout {
    /// The layout of a format's items, or `None` when the format has anything else (names of
    /// months, AM/PM, fractions, offsets, epoch seconds...) and is always read the general way.
    pub(super) fn of(items: &[Item<'_>]) -> Option<NumericLayout> {
        let mut steps = Vec::with_capacity(items.len());
        let mut seen = [false; 6];
        for item in items {
            steps.push(match item {
                Item::Literal(text) => Step::literal(text),
                Item::OwnedLiteral(text) => Step::literal(text),
                Item::Space(_) | Item::OwnedSpace(_) => Step::Space,
                // chrono's widths for these numbers when it parses (a padding is only for writing).
                Item::Numeric(numeric, _) => {
                    let (field, width) = match numeric {
                        Numeric::Year => (YEAR, 4),
                        Numeric::Month => (MONTH, 2),
                        Numeric::Day => (DAY, 2),
                        Numeric::Hour => (HOUR, 2),
                        Numeric::Minute => (MINUTE, 2),
                        Numeric::Second => (SECOND, 2),
                        _ => return None,
                    };
                    if std::mem::replace(&mut seen[field], true) {
                        return None;
                    }
                    Step::Number { field, width }
                }
                _ => return None,
            });
        }
        let date = seen[YEAR] && seen[MONTH] && seen[DAY];
        let time = matches!(
            (seen[HOUR], seen[MINUTE], seen[SECOND]),
            (false, false, false) | (true, true, _)
        );
        (date && time).then_some(NumericLayout { steps })
    }

    /// The local date and time `text` (already trimmed) names, when it is the usual case: `None`
    /// sends it to the general parser, which reads it or words why not.
    pub(super) fn read(&self, text: &str) -> Option<NaiveDateTime> {
        let bytes = text.as_bytes();
        // Where the text is read up to: always at a character's start, since only ASCII digits,
        // whole literals and whitespace are passed over.
        let mut at = 0;
        // Year, month, day, hour, minute, second; a time of day left out is midnight.
        let mut values = [0u32; 6];
        for step in &self.steps {
            match step {
                Step::Byte(byte) => {
                    if bytes.get(at) != Some(byte) {
                        return None;
                    }
                    at += 1;
                }
                Step::Literal(literal) => {
                    let literal = literal.as_bytes();
                    if bytes.get(at..at + literal.len())? != literal {
                        return None;
                    }
                    at += literal.len();
                }
                Step::Space => at = after_whitespace(text, at),
                Step::Number { field, width } => {
                    // A signed year (chrono reads `-0044` and `+12345`) is the general parser's.
                    at = after_whitespace(text, at);
                    let start = at;
                    let mut value = 0;
                    while at - start < *width {
                        match bytes.get(at) {
                            Some(digit @ b'0'..=b'9') => {
                                value = value * 10 + u32::from(digit - b'0');
                                at += 1;
                            }
                            _ => break,
                        }
                    }
                    if at == start {
                        return None;
                    }
                    values[*field] = value;
                }
            }
        }
        // A leap second (60) becomes chrono's second 59 plus a second of nanoseconds there.
        if at != bytes.len() || values[SECOND] >= 60 {
            return None;
        }
        let year = i32::try_from(values[YEAR]).ok()?;
        NaiveDate::from_ymd_opt(year, values[MONTH], values[DAY])?.and_hms_opt(
            values[HOUR],
            values[MINUTE],
            values[SECOND],
        )
    }
}

impl Step {
    fn literal(text: &str) -> Step {
        match text.as_bytes() {
            [byte] => Step::Byte(*byte),
            _ => Step::Literal(text.into()),
        }
    }
}

/// Where the text goes on after any whitespace at `at`, as `str::trim_start` (what chrono uses)
/// says; the usual next character, a printable ASCII one, is not looked up in Unicode's tables.
fn after_whitespace(text: &str, at: usize) -> usize {
    match text.as_bytes().get(at) {
        None => at,
        Some(byte) if byte.is_ascii_graphic() => at,
        Some(_) => text.len() - text[at..].trim_start().len(),
    }
}
