//! Decoding timestamp fields that have a declared format.
//!
//! The generated source struct names a generated function in `#[serde(deserialize_with = "...")]`, which calls
//! [`deserialize_timestamp_with`] (or [`deserialize_optional_timestamp_with`]) with the field's format. CSV
//! fields arrive as text; JSON fields as text or numbers; both work with every format.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};

use super::epoch::{from_epoch_f64, from_epoch_millis, from_epoch_text, EpochUnit};
use super::{parse_timestamp_in, Timestamp, ZonedFormat};
use crate::decode_rule::DecodeRule;
use crate::outcome::Failure;

/// How a timestamp field is written in the data.
#[derive(Debug, Clone, Copy)]
pub enum TimeFormat<'a> {
    /// RFC 3339 / ISO 8601 with a UTC offset, as [`Timestamp::parse`] reads it.
    Iso8601,
    /// Seconds since 1970-01-01T00:00:00Z, possibly fractional: a JSON number or numeric text.
    EpochSeconds,
    /// Milliseconds since 1970-01-01T00:00:00Z: a JSON number or numeric text.
    EpochMillis,
    /// A chrono strftime pattern read as local time in `zone` (see [`parse_timestamp_in`]).
    Pattern { format: &'a str, zone: &'a str },
    /// A pattern and zone resolved once (see [`ZonedFormat`]): what a generated program declares
    /// for a field, as a `static` of its own.
    Zoned(&'a ZonedFormat),
}

impl TimeFormat<'_> {
    /// The instant `text` means in this format.
    pub fn parse(&self, text: &str) -> Result<Timestamp, Failure> {
        match *self {
            TimeFormat::Iso8601 => Timestamp::parse(text),
            TimeFormat::EpochSeconds => from_epoch_text(text, EpochUnit::Seconds),
            TimeFormat::EpochMillis => from_epoch_text(text, EpochUnit::Millis),
            TimeFormat::Pattern { format, zone } => parse_timestamp_in(text, format, zone),
            TimeFormat::Zoned(format) => format.parse(text),
        }
    }

    fn parse_i64(&self, number: i64) -> Result<Timestamp, Failure> {
        match self {
            TimeFormat::EpochMillis => from_epoch_millis(number),
            // Seconds, or a pattern of digits only such as "%Y%m%d" that a JSON writer turned into a number.
            _ => self.parse_number_text(&number.to_string()),
        }
    }

    fn parse_f64(&self, number: f64) -> Result<Timestamp, Failure> {
        match self {
            TimeFormat::EpochSeconds => from_epoch_f64(number, EpochUnit::Seconds),
            TimeFormat::EpochMillis => from_epoch_f64(number, EpochUnit::Millis),
            _ => self.parse_number_text(&number.to_string()),
        }
    }

    fn parse_number_text(&self, text: &str) -> Result<Timestamp, Failure> {
        match self {
            TimeFormat::Iso8601 => {
                DecodeRule::NotATimestamp.note();
                Err(Failure::new(format!(
                    "{text} is a number, not a timestamp (expected e.g. 2024-03-01T12:00:00Z)"
                )))
            }
            _ => self.parse(text),
        }
    }
}

/// Decodes a required timestamp field written in `format`. An empty field is an error, like any other text
/// that is not a timestamp.
pub fn deserialize_timestamp_with<'de, D: Deserializer<'de>>(
    deserializer: D,
    format: TimeFormat<'_>,
) -> Result<Timestamp, D::Error> {
    deserializer.deserialize_any(TimestampVisitor { format })
}

/// Decodes an optional timestamp field written in `format`: empty or whitespace-only text and JSON `null` are
/// `None`. The generated field also needs `#[serde(default)]`, so that an absent JSON member is `None` too
/// (serde does not apply its usual `Option` rule to a field with `deserialize_with`).
pub fn deserialize_optional_timestamp_with<'de, D: Deserializer<'de>>(
    deserializer: D,
    format: TimeFormat<'_>,
) -> Result<Option<Timestamp>, D::Error> {
    deserializer.deserialize_option(OptionalVisitor { format })
}

struct TimestampVisitor<'f> {
    format: TimeFormat<'f>,
}

fn expecting(format: &TimeFormat<'_>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match format {
        TimeFormat::Iso8601 => f.write_str("a timestamp such as 2024-03-01T12:00:00Z"),
        TimeFormat::EpochSeconds => f.write_str("a number of epoch seconds"),
        TimeFormat::EpochMillis => f.write_str("a number of epoch milliseconds"),
        TimeFormat::Pattern { format, .. } => write!(f, "a timestamp in the format {format:?}"),
        TimeFormat::Zoned(format) => {
            write!(f, "a timestamp in the format {:?}", format.format_text())
        }
    }
}

impl Visitor<'_> for TimestampVisitor<'_> {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        expecting(&self.format, f)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Timestamp, E> {
        self.format.parse(text).map_err(custom)
    }

    fn visit_i64<E: de::Error>(self, number: i64) -> Result<Timestamp, E> {
        self.format.parse_i64(number).map_err(custom)
    }

    fn visit_u64<E: de::Error>(self, number: u64) -> Result<Timestamp, E> {
        match i64::try_from(number) {
            Ok(number) => self.visit_i64(number),
            Err(_) => self
                .format
                .parse_number_text(&number.to_string())
                .map_err(custom),
        }
    }

    fn visit_f64<E: de::Error>(self, number: f64) -> Result<Timestamp, E> {
        self.format.parse_f64(number).map_err(custom)
    }
}

struct OptionalVisitor<'f> {
    format: TimeFormat<'f>,
}

impl<'de> Visitor<'de> for OptionalVisitor<'_> {
    type Value = Option<Timestamp>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        expecting(&self.format, f)?;
        f.write_str(" or nothing")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        TimestampVisitor {
            format: self.format,
        }
        .visit_str(text)
        .map(Some)
    }

    fn visit_i64<E: de::Error>(self, number: i64) -> Result<Self::Value, E> {
        let visitor = TimestampVisitor {
            format: self.format,
        };
        visitor.visit_i64(number).map(Some)
    }

    fn visit_u64<E: de::Error>(self, number: u64) -> Result<Self::Value, E> {
        let visitor = TimestampVisitor {
            format: self.format,
        };
        visitor.visit_u64(number).map(Some)
    }

    fn visit_f64<E: de::Error>(self, number: f64) -> Result<Self::Value, E> {
        let visitor = TimestampVisitor {
            format: self.format,
        };
        visitor.visit_f64(number).map(Some)
    }
}

fn custom<E: de::Error>(failure: Failure) -> E {
    E::custom(failure.detail())
}
