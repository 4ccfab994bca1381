//! Signal quality: a value together with how far its source vouches for it.
//!
//! Machine data comes with a quality (OPC UA status codes, MQTT Sparkplug qualities, MTConnect's `UNAVAILABLE`),
//! and a value of bad quality is often junk: a frozen last value, a sensor's error code, an empty string. Sources
//! carry the quality and the source timestamp in sibling columns (`speed`, `speed_quality`, `speed_timestamp`),
//! which the generated source struct reads as:
//!
//! ```
//! #[derive(fdi_runtime::serde::Deserialize)]
//! #[serde(crate = "fdi_runtime::serde")]
//! #[allow(non_snake_case)]
//! pub struct Sample {
//!     #[serde(rename = "speed", default)]
//!     pub speed: fdi_runtime::SampleValue<f64>,
//!     #[serde(rename = "speed_quality", default)]
//!     pub speed__quality: fdi_runtime::Quality,
//!     #[serde(rename = "speed_timestamp", default)]
//!     pub speed__timestamp: Option<fdi_runtime::Timestamp>,
//! }
//! ```
//!
//! Decoding never rejects a record for its value: a value that does not parse is kept as
//! [`SampleValue::Garbled`], and the mapping decides, through [`good`] or [`SampleValue::value`], what a
//! missing, unavailable, garbled or doubtful value means.

use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::decode::CsvField;
use crate::decode_rule::DecodeRule;
use crate::outcome::Failure;
use crate::stdlib::EnumCode;

/// How far the source vouches for a value: the language's built-in enum `Quality`.
///
/// The default is `Uncertain`, not `Good`: a value whose quality is missing is not known to be good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Quality {
    Good,
    #[default]
    Uncertain,
    Bad,
}

/// The codes as the mapping language spells them, so that generated code names
/// `crate::types::Quality::GOOD` like any enum code, in expressions and in match patterns.
#[allow(non_upper_case_globals)]
impl Quality {
    pub const GOOD: Quality = Quality::Good;
    pub const UNCERTAIN: Quality = Quality::Uncertain;
    pub const BAD: Quality = Quality::Bad;
}

impl Quality {
    /// Reads a quality from text, ignoring case and surrounding whitespace:
    /// * `good`, `uncertain`, `bad`, and OPC UA status names, which start with one of them (`GoodClamped`,
    ///   `UncertainLastUsableValue`, `BadCommunicationError`);
    /// * an OPC UA numeric status code, decimal or `0x` hex (see [`Quality::from_status_code`]);
    /// * empty text: `Uncertain`, as for a missing quality.
    pub fn parse(text: &str) -> Result<Quality, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Ok(Quality::Uncertain);
        }
        // Names and the `0x` of a code in any case, compared in place: no lowercase copy per value.
        let starts_with = |prefix: &str| {
            trimmed
                .as_bytes()
                .get(..prefix.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
        };
        for (prefix, quality) in [
            ("good", Quality::Good),
            ("uncertain", Quality::Uncertain),
            ("bad", Quality::Bad),
        ] {
            if starts_with(prefix) {
                return Ok(quality);
            }
        }
        // Hex digits are read in either case; decimal digits and signs have none.
        let code = if starts_with("0x") {
            u32::from_str_radix(&trimmed[2..], 16).ok()
        } else {
            trimmed
                .parse::<u32>()
                .ok()
                // Some systems store the 32-bit code as a signed integer.
                .or_else(|| trimmed.parse::<i32>().ok().map(|signed| signed as u32))
        };
        code.map(Quality::from_status_code).ok_or_else(|| {
            format!(
                "{text:?} is not a signal quality (expected good, uncertain or bad, an OPC UA status name such \
                 as BadCommunicationError, or an OPC UA status code such as 0x80050000)"
            )
        })
    }

    /// The quality of an OPC UA StatusCode: its severity, the top two bits (00 good, 01 uncertain, 10 and 11
    /// bad). `0` is Good.
    pub fn from_status_code(code: u32) -> Quality {
        match code >> 30 {
            0 => Quality::Good,
            1 => Quality::Uncertain,
            _ => Quality::Bad,
        }
    }
}

impl EnumCode for Quality {
    fn code(&self) -> &'static str {
        match self {
            Quality::Good => "GOOD",
            Quality::Uncertain => "UNCERTAIN",
            Quality::Bad => "BAD",
        }
    }
}

impl fmt::Display for Quality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// As its code, like every enum of the language: `"GOOD"`.
impl Serialize for Quality {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

/// From text (see [`Quality::parse`]) or a JSON number (an OPC UA status code); `null` is `Uncertain`.
impl<'de> Deserialize<'de> for Quality {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(QualityVisitor)
    }
}

struct QualityVisitor;

impl<'de> Visitor<'de> for QualityVisitor {
    type Value = Quality;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a signal quality (good, uncertain, bad, or an OPC UA status)")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Quality, E> {
        Quality::parse(text).map_err(|message| {
            DecodeRule::NotAQuality.note();
            E::custom(message)
        })
    }

    fn visit_u64<E: de::Error>(self, code: u64) -> Result<Quality, E> {
        u32::try_from(code)
            .map(Quality::from_status_code)
            .map_err(|_| {
                DecodeRule::NotAQuality.note();
                E::custom(format!("{code} is not an OPC UA status code (32 bits)"))
            })
    }

    fn visit_i64<E: de::Error>(self, code: i64) -> Result<Quality, E> {
        match (u32::try_from(code), i32::try_from(code)) {
            (Ok(code), _) => Ok(Quality::from_status_code(code)),
            // Negative: a 32-bit code stored as a signed integer.
            (_, Ok(signed)) => Ok(Quality::from_status_code(signed as u32)),
            _ => {
                DecodeRule::NotAQuality.note();
                Err(E::custom(format!(
                    "{code} is not an OPC UA status code (32 bits)"
                )))
            }
        }
    }

    fn visit_f64<E: de::Error>(self, code: f64) -> Result<Quality, E> {
        if code.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&code) {
            return Ok(Quality::from_status_code(code as u32));
        }
        Err(E::custom(format!(
            "{code} is not an OPC UA status code (32 bits)"
        )))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Quality, E> {
        Ok(Quality::Uncertain)
    }

    fn visit_none<E: de::Error>(self) -> Result<Quality, E> {
        Ok(Quality::Uncertain)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Quality, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// A value as a source delivered it, whatever state it is in.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum SampleValue<T> {
    /// Empty, `null` or absent.
    #[default]
    Missing,
    /// The source said it has no value: MTConnect's `UNAVAILABLE` (exactly so).
    Unavailable,
    /// A value of the declared type.
    Value(T),
    /// Text that is not a value of the declared type, kept as it came.
    Garbled(String),
}

/// Written back as it came: the value, garbled text as text, `UNAVAILABLE` as that marker, a
/// missing value as null. (Generated records derive `Serialize`; samples are read from sources
/// and never written to a target, but the dead letter and tests may show a whole record.)
impl<T: Serialize> Serialize for SampleValue<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            SampleValue::Missing => serializer.serialize_none(),
            SampleValue::Unavailable => serializer.serialize_str(UNAVAILABLE),
            SampleValue::Value(v) => v.serialize(serializer),
            SampleValue::Garbled(text) => serializer.serialize_str(text),
        }
    }
}

/// The marker MTConnect agents send for a data item that has no value.
const UNAVAILABLE: &str = "UNAVAILABLE";

impl<T: DeserializeOwned> SampleValue<T> {
    /// What `text` means as a value of `T`, read as a CSV field is: numbers and booleans are parsed (surrounding
    /// whitespace allowed), text is taken as it is.
    pub fn from_text(text: &str) -> Self {
        // Garbled text is a value, not a failure: the rule it broke is not the record's reason.
        let noted_before = crate::decode_rule::is_noted();
        let read = Self::read_text(text);
        if matches!(read, SampleValue::Garbled(_)) && !noted_before {
            crate::decode_rule::clear();
        }
        read
    }

    /// [`SampleValue::from_text`], leaving the rule garbled text broke noted, for a caller that
    /// makes it a decode error.
    fn read_text(text: &str) -> Self {
        if text == UNAVAILABLE {
            return SampleValue::Unavailable;
        }
        if text.trim().is_empty() {
            return SampleValue::Missing;
        }
        match T::deserialize(CsvField(text)) {
            Ok(value) => SampleValue::Value(value),
            Err(_) => SampleValue::Garbled(text.to_string()),
        }
    }
}

impl<T> SampleValue<T> {
    /// The value's quality, given the one its source reported: BAD when the source said the value is
    /// `UNAVAILABLE`, whatever the quality column holds (an unavailable value is not usable, as OPC UA's Bad
    /// status codes say; MTConnect agents send no quality with it, which would read as UNCERTAIN), else
    /// `reported`. Generated code writes `record.speed.quality(record.speed__quality)` for `speed.quality`.
    pub fn quality(&self, reported: Quality) -> Quality {
        match self {
            SampleValue::Unavailable => Quality::Bad,
            _ => reported,
        }
    }
}

impl<T: Clone + DeserializeOwned> SampleValue<T> {
    /// The value, whatever its quality. Fails when it is missing, unavailable or garbled; the failure names
    /// `field`: "speed is UNAVAILABLE", "speed: \"abc\" is not a number".
    /// `field` is a constant, as generated code names it: a failure the mapping handles
    /// (`?? default`) writes no text.
    pub fn value(&self, field: &'static str) -> Result<T, Failure> {
        match self {
            SampleValue::Value(value) => Ok(value.clone()),
            SampleValue::Missing => Err(Failure::empty_field(field)),
            SampleValue::Unavailable => Err(Failure::field_is(field, "is ", UNAVAILABLE)),
            SampleValue::Garbled(text) => {
                // The reason is the one decoding found; it is worked out again here, on the rare failure path,
                // rather than stored in every garbled value.
                let why = match T::deserialize(CsvField(text)) {
                    Err(e) => e.to_string(),
                    Ok(_) => format!("{text:?} is not a valid value"),
                };
                Err(Failure::new(format!("{field}: {why}")))
            }
        }
    }
}

/// The value of `field` when its quality is Good: generated code writes
/// `fdi_runtime::good(&record.speed, record.speed__quality, "speed")`.
///
/// Fails when there is no value ("field speed is empty", "speed is UNAVAILABLE"), when the quality is not Good
/// ("speed has quality BAD"), or when the value is garbled ("speed: \"abc\" is not a number"). A garbled value of
/// doubtful quality fails for its quality, which is usually why it is garbled.
pub fn good<T: Clone + DeserializeOwned>(
    value: &SampleValue<T>,
    quality: Quality,
    field: &'static str,
) -> Result<T, Failure> {
    match value {
        SampleValue::Missing | SampleValue::Unavailable => value.value(field),
        _ if quality != Quality::Good => {
            Err(Failure::field_is(field, "has quality ", quality.code()))
        }
        _ => value.value(field),
    }
}

/// From the field's text or JSON value: `UNAVAILABLE` is [`SampleValue::Unavailable`]; empty text, `null` and
/// an absent field are [`SampleValue::Missing`] (absent needs `#[serde(default)]`); a JSON number or boolean is
/// read as the text it is written as, so CSV and JSON give the same values.
///
/// Text that does not read as a `T` is [`SampleValue::Garbled`], a value the flow must handle: a device's text
/// may be anything. A JSON number or boolean that is not a `T` (`2.5` or an OPC UA Double's `3.0` for an `int`,
/// a number for a timestamp) is a decode error instead: its source said what type it is, and that type is not
/// the schema's, which is a wrong schema or a wrong node, not a bad reading.
/// A value as `serde_json::Value` reads it (`null`, text, a number, a boolean; anything else kept
/// as its JSON text), without building that `Value` for the usual text, number or null: a CSV
/// field's text is read where it lies rather than copied into a `String` first. What cannot be
/// read without it (a list, an object, a 128-bit integer) still goes through the `Value`, and
/// every answer, errors included, is the one reading the `Value` first gave
/// (`sample_tests.rs` compares the two).
impl<'de, T: DeserializeOwned> Deserialize<'de> for SampleValue<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A value that needs its `Value` is finished here, outside the deserializer, as before:
        // an error raised inside it would carry a position the reject's text did not have.
        match deserializer.deserialize_any(SampleVisitor(std::marker::PhantomData))? {
            Ok(read) => Ok(read),
            Err(value) => SampleValue::from_json_value(value),
        }
    }
}

impl<T: DeserializeOwned> SampleValue<T> {
    /// What a value read as a `serde_json::Value` means.
    fn from_json_value<E: de::Error>(value: serde_json::Value) -> Result<Self, E> {
        use serde_json::Value;
        let typed = |value: Value, text: String| match SampleValue::read_text(&text) {
            SampleValue::Garbled(_) => Err(E::custom(match T::deserialize(value) {
                Err(e) => e.to_string(),
                Ok(_) => format!("{text} is not a valid value"),
            })),
            read => Ok(read),
        };
        match value {
            Value::Null => Ok(SampleValue::Missing),
            Value::String(text) => Ok(SampleValue::from_text(&text)),
            Value::Number(number) => {
                let text = number.to_string();
                typed(Value::Number(number), text)
            }
            Value::Bool(flag) => typed(Value::Bool(flag), flag.to_string()),
            other => Ok(SampleValue::Garbled(other.to_string())),
        }
    }
}

/// Answers each of the calls `serde_json::Value`'s own visitor answers, as that `Value` would.
struct SampleVisitor<T>(std::marker::PhantomData<fn() -> T>);

impl<'de, T: DeserializeOwned> Visitor<'de> for SampleVisitor<T> {
    /// The value read, or the `Value` to read it from.
    type Value = Result<SampleValue<T>, serde_json::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `serde_json::Value`'s words, for the errors it would give.
        f.write_str("any valid JSON value")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(Ok(SampleValue::from_text(text)))
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Ok(SampleValue::Missing))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Ok(SampleValue::Missing))
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_bool<E: de::Error>(self, flag: bool) -> Result<Self::Value, E> {
        Ok(Err(serde_json::Value::Bool(flag)))
    }

    fn visit_i64<E: de::Error>(self, number: i64) -> Result<Self::Value, E> {
        Ok(Err(serde_json::Value::Number(number.into())))
    }

    fn visit_u64<E: de::Error>(self, number: u64) -> Result<Self::Value, E> {
        Ok(Err(serde_json::Value::Number(number.into())))
    }

    fn visit_f64<E: de::Error>(self, number: f64) -> Result<Self::Value, E> {
        Ok(Err(serde_json::Number::from_f64(number).map_or(
            serde_json::Value::Null,
            serde_json::Value::Number,
        )))
    }

    fn visit_i128<E: de::Error>(self, number: i128) -> Result<Self::Value, E> {
        serde_json::Value::deserialize(de::value::I128Deserializer::<E>::new(number)).map(Err)
    }

    fn visit_u128<E: de::Error>(self, number: u128) -> Result<Self::Value, E> {
        serde_json::Value::deserialize(de::value::U128Deserializer::<E>::new(number)).map(Err)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(Err)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map)).map(Err)
    }
}

#[cfg(test)]
#[path = "sample_tests.rs"]
mod tests;
