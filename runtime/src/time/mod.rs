//! Timestamps: UTC instants, read from text that says which instant it means.
//!
//! * [`Timestamp::parse`] reads RFC 3339 / ISO 8601 with a UTC offset; text without one is refused, because
//!   the same wall-clock text means different instants in different plants;
//! * [`parse_timestamp_in`] reads a declared strftime format as local time in a declared zone, and
//!   [`ZonedFormat`] is the same format and zone resolved once, for a field read or written for every record;
//! * [`TimeFormat`] and [`deserialize_timestamp_with`] decode fields with a declared format;
//! * [`epoch`] has epoch times and arithmetic;
//! * [`validate_zone`] and [`validate_format`] are what the compiler checks a mapping's zones and formats with.

mod deserialize;
pub mod epoch;
mod numeric_layout;
mod pattern;
mod range;
mod rfc3339;
mod zone;

pub use self::deserialize::{
    deserialize_optional_timestamp_with, deserialize_timestamp_with, TimeFormat,
};
pub use self::epoch::{
    add_seconds, add_seconds_saturating, from_epoch_millis, from_epoch_seconds, seconds_between,
    to_epoch_millis,
};
pub use self::pattern::{
    format_timestamp, parse_timestamp_in, validate_format, validate_output_format, ZonedFormat,
};
pub use self::zone::validate_zone;

use std::fmt;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

use crate::decode_rule::DecodeRule;
use crate::outcome::Failure;

/// A UTC instant in the years 0000 to 9999. Serializes as RFC 3339 text (`"2024-03-01T12:00:00Z"`, with
/// fractional seconds when present; a leap second as `23:59:60Z`); deserializes from whatever [`Timestamp::parse`]
/// accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(chrono::DateTime<chrono::Utc>);

/// Forms with an offset that RFC 3339 does not allow but loggers write: `+0100`, and a space before the offset.
const OFFSET_FORMS: [&str; 3] = [
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f %z",
];

/// Forms without an offset: recognised only to say what is missing.
const NAIVE_FORMS: [&str; 2] = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"];

impl Timestamp {
    /// Accepts RFC 3339 / ISO 8601 with a UTC offset or `Z`: `"2024-03-01T12:00:00Z"`,
    /// `"2024-03-01T13:00:00.250+01:00"`, `"...+0100"`, and a space instead of the `T`. Surrounding whitespace is
    /// ignored.
    ///
    /// Text without an offset (`"2024-03-01 12:00:00"`) fails with a message saying to declare the zone: which
    /// instant it means depends on where it was written. So does an instant outside the years 0000 to 9999, and
    /// a second 60 anywhere but at a leap second (`2016-12-31T23:59:60Z`, `2017-01-01T00:59:60+01:00`): see
    /// `range.rs`.
    pub fn parse(text: &str) -> Result<Self, Failure> {
        let trimmed = crate::decode::trim_if_padded(text);
        if let Some(instant) = rfc3339::parse(trimmed) {
            return Ok(instant);
        }
        let with_offset = DateTime::parse_from_rfc3339(trimmed).or_else(|first| {
            OFFSET_FORMS
                .iter()
                .find_map(|form| DateTime::parse_from_str(trimmed, form).ok())
                .ok_or(first)
        });
        if let Ok(with_offset) = with_offset {
            return range::checked(with_offset.with_timezone(&Utc), || format!("{text:?}"))
                .map_err(Failure::new);
        }
        if NAIVE_FORMS
            .iter()
            .any(|form| NaiveDateTime::parse_from_str(trimmed, form).is_ok())
        {
            DecodeRule::NoUtcOffset.note();
            return Err(Failure::new(format!(
                "{text:?} has no UTC offset, so it is a local time and the instant it means depends on the \
                 time zone: declare the field's format and zone (e.g. \"%Y-%m-%d %H:%M:%S\" in \
                 \"Europe/Berlin\"), or write the offset in the data (2024-03-01T12:00:00+01:00)"
            )));
        }
        DecodeRule::NotATimestamp.note();
        Err(Failure::new(format!(
            "{text:?} is not a timestamp (expected e.g. 2024-03-01T12:00:00Z or 2024-03-01T13:00:00+01:00)"
        )))
    }

    /// The current instant, from the system clock.
    pub fn now() -> Self {
        Timestamp(Utc::now())
    }

    /// A chrono instant as a timestamp; fails outside the years 0000 to 9999 and for a second 60
    /// that was not a leap second.
    pub fn from_datetime(instant: DateTime<Utc>) -> Result<Self, Failure> {
        range::checked(instant, || instant.to_rfc3339()).map_err(Failure::new)
    }

    /// The instant as a chrono value.
    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }

    /// RFC 3339 text in UTC with `Z`, fractional seconds only when present.
    pub fn to_rfc3339(&self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buffer = [0; 30];
        match rfc3339::write(self, &mut buffer) {
            // The buffer holds ASCII digits and separators only.
            Some(len) => f.write_str(std::str::from_utf8(&buffer[..len]).unwrap_or_default()),
            None => f.write_str(&self.to_rfc3339()),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buffer = [0; 30];
        match rfc3339::write(self, &mut buffer) {
            Some(len) => {
                serializer.serialize_str(std::str::from_utf8(&buffer[..len]).unwrap_or_default())
            }
            None => serializer.serialize_str(&self.to_rfc3339()),
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TimestampVisitor)
    }
}

struct TimestampVisitor;

impl Visitor<'_> for TimestampVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a timestamp text")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Timestamp, E> {
        Timestamp::parse(text).map_err(|failure| E::custom(failure.detail()))
    }
}

#[cfg(test)]
mod future_tests;
#[cfg(test)]
mod layout_tests;
#[cfg(test)]
mod tests;
