//! Timestamps.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

use crate::outcome::Failure;

/// A UTC instant. Serializes as RFC 3339 text (`"2024-03-01T12:00:00Z"`, with fractional seconds when present);
/// deserializes from whatever [`Timestamp::parse`] accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(chrono::DateTime<chrono::Utc>);

/// Forms without an offset, taken as UTC (shop-floor systems often log local "wall clock" text in UTC).
const NAIVE_FORMS: [&str; 2] = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"];

impl Timestamp {
    /// Accepts RFC 3339 / ISO 8601 with an offset (`"2024-03-01T12:00:00Z"`, `"...+01:00"`, `"...+0100"`), and
    /// the shop-floor forms `"YYYY-MM-DD HH:MM:SS"` and `"YYYY-MM-DDTHH:MM:SS"` (optionally with fractional
    /// seconds) taken as UTC. Surrounding whitespace is ignored.
    pub fn parse(text: &str) -> Result<Self, Failure> {
        let trimmed = text.trim();
        if let Ok(with_offset) = DateTime::parse_from_rfc3339(trimmed) {
            return Ok(Timestamp(with_offset.with_timezone(&Utc)));
        }
        for form in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
            if let Ok(with_offset) = DateTime::parse_from_str(trimmed, form) {
                return Ok(Timestamp(with_offset.with_timezone(&Utc)));
            }
        }
        for form in NAIVE_FORMS {
            if let Ok(naive) = NaiveDateTime::parse_from_str(trimmed, form) {
                return Ok(Timestamp(naive.and_utc()));
            }
        }
        Err(Failure::new(format!(
            "{text:?} is not a timestamp (expected e.g. 2024-03-01T12:00:00Z, 2024-03-01T13:00:00+01:00 or \
             2024-03-01 12:00:00)"
        )))
    }

    /// The instant as a chrono value.
    pub fn from_datetime(instant: DateTime<Utc>) -> Self {
        Timestamp(instant)
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
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
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
mod tests {
    use super::*;

    fn rfc(text: &str) -> String {
        Timestamp::parse(text).unwrap().to_string()
    }

    #[test]
    fn accepts_offsets_and_shop_floor_forms() {
        assert_eq!(rfc("2024-03-01T12:00:00Z"), "2024-03-01T12:00:00Z");
        assert_eq!(rfc("2024-03-01T13:00:00+01:00"), "2024-03-01T12:00:00Z");
        assert_eq!(rfc("2024-03-01T13:00:00+0100"), "2024-03-01T12:00:00Z");
        assert_eq!(rfc("2024-03-01 12:00:00"), "2024-03-01T12:00:00Z");
        assert_eq!(rfc("2024-03-01T12:00:00"), "2024-03-01T12:00:00Z");
        assert_eq!(rfc(" 2024-03-01 12:00:00.25 "), "2024-03-01T12:00:00.250Z");
        assert_eq!(
            rfc("2024-03-01T12:00:00.123456Z"),
            "2024-03-01T12:00:00.123456Z"
        );
    }

    #[test]
    fn rejects_other_text() {
        for bad in [
            "",
            "2024-03-01",
            "12:00:00",
            "2024-13-01T00:00:00Z",
            "yesterday",
        ] {
            let failure = Timestamp::parse(bad).unwrap_err();
            assert!(
                failure.detail().contains("is not a timestamp"),
                "{bad}: {failure}"
            );
        }
    }

    #[test]
    fn serde_uses_rfc3339_text() {
        let ts: Timestamp = serde_json::from_str("\"2024-03-01 12:00:00\"").unwrap();
        assert_eq!(
            serde_json::to_string(&ts).unwrap(),
            "\"2024-03-01T12:00:00Z\""
        );
        assert!(serde_json::from_str::<Timestamp>("\"nope\"").is_err());
        assert!(
            Timestamp::parse("2024-03-01T12:00:00Z").unwrap()
                < Timestamp::parse("2024-03-01T12:00:01Z").unwrap()
        );
    }
}
