//! The decode stage: a raw record to the source's typed struct.
//!
//! Records are deserialized as a map of named fields, one entry per CSV column or JSON member, so struct fields
//! match by (serde-renamed) column name, extra columns are ignored, and an error names the column it is about
//! (`column "load": "1,5" is not a number`), which neither csv's nor serde_json's own errors do.
//!
//! CSV values are text: a text field takes the column's text exactly as it is (no type guessing, so `"0042"`
//! stays `"0042"`), numbers and booleans are parsed (surrounding spaces allowed), and an empty field is `None`
//! for an `Option` field.

use std::borrow::Cow;
use std::fmt::{self, Display};

use serde::de::value::{BorrowedStrDeserializer, StrDeserializer};
use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, Unexpected,
    Visitor,
};

use crate::decode_rule::{self, DecodeRule};
use crate::outcome::Reject;
use crate::record::{Payload, RawRecord};

/// Decode stage: a raw record to the source's typed struct.
///
/// On failure: `Err(Reject)` with as reason the kind of rule the record broke ("not a number",
/// "Gtin14 check digit", "missing column": see [`DecodeRule`]) and as detail the error text,
/// which names the column. A failure no rule claims (a bug, or a value kind fdi does not
/// classify) has the reason "record does not match MillSample" (from the caller-supplied type
/// name). A CSV row whose number of fields differs from
/// the header's is rejected (a missing or unquoted separator would otherwise shift values into the wrong
/// columns); so is a record that is not valid UTF-8 or (JSON Lines) not valid JSON.
/// The record may borrow text from `raw` (a generated source struct's `Cow<str>` fields do), so
/// that a field read as it is does not copy it.
pub fn decode<'r, T: Deserialize<'r>>(raw: &'r RawRecord, type_name: &str) -> Result<T, Reject> {
    decode_rule::clear();
    decode_payload(&raw.payload).map_err(|detail| {
        let reason = match decode_rule::take() {
            Some(rule) => rule.reason(matches!(raw.payload, Payload::Csv { .. })),
            None => format!("record does not match {type_name}"),
        };
        Reject::new(reason).with_detail(detail)
    })
}

fn decode_payload<'r, T: Deserialize<'r>>(payload: &'r Payload) -> Result<T, String> {
    match payload {
        Payload::Csv {
            encoding_error: Some(error),
            ..
        }
        | Payload::JsonLine {
            encoding_error: Some(error),
            ..
        } => {
            DecodeRule::NotUtf8.note();
            Err(error.clone())
        }
        Payload::Message {
            unreadable: Some(error),
            ..
        } => {
            DecodeRule::UnreadableMessage.note();
            Err(error.clone())
        }
        // A required field's path selected nothing in the element.
        Payload::Xml {
            absent: Some(error),
            ..
        } => {
            DecodeRule::Missing.note();
            Err(error.clone())
        }
        // An XML record's texts are decoded exactly as a CSV row's (the source makes one text per
        // column).
        Payload::Csv {
            headers, fields, ..
        }
        | Payload::Xml {
            headers, fields, ..
        } => {
            if fields.len() != headers.len() {
                DecodeRule::FieldCount.note();
                return Err(format!(
                    "the row has {} fields but the header has {} columns",
                    fields.len(),
                    headers.len()
                ));
            }
            T::deserialize(crate::decode_csv::CsvRow { headers, fields }).map_err(|e| e.0)
        }
        Payload::JsonLine { text, .. } => decode_json(text, "line"),
        Payload::Message { bytes, .. } => {
            let text = std::str::from_utf8(bytes).map_err(|e| {
                DecodeRule::NotUtf8.note();
                format!(
                    "the message is not UTF-8 text (invalid byte at offset {})",
                    e.valid_up_to()
                )
            })?;
            decode_json(text, "message")
        }
    }
}

/// JSON text (one line of a file, one message) to `T`; `what` names the text in the error.
fn decode_json<'r, T: Deserialize<'r>>(text: &'r str, what: &str) -> Result<T, String> {
    // The common case, straight from the text into the struct without building a
    // `serde_json::Value`. A text that fails is decoded again the slow way below, only
    // to say which field was wrong: rejects are rare, and their reason is worth it.
    if let Ok(decoded) = serde_json::from_str::<T>(text) {
        return Ok(decoded);
    }
    // The fast path may have noted a rule before it failed: the slow path notes it again.
    decode_rule::clear();
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        DecodeRule::NotJson.note();
        format!("the {what} is not valid JSON: {e}")
    })?;
    match value {
        serde_json::Value::Object(members) => {
            let fields = members
                .into_iter()
                .map(|(name, value)| (name, crate::decode_json::JsonField(value)));
            T::deserialize(NamedFields::new("field", fields)).map_err(|e| e.0)
        }
        other => T::deserialize(other).map_err(|e| {
            DecodeRule::NotAnObject.note();
            e.to_string()
        }),
    }
}

/// The error of the decode stage's deserializers: just the text, which becomes the reject's detail.
#[derive(Debug)]
pub(crate) struct DecodeError(pub(crate) String);

impl Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

impl de::Error for DecodeError {
    fn custom<M: Display>(msg: M) -> Self {
        DecodeError(msg.to_string())
    }

    fn missing_field(field: &'static str) -> Self {
        DecodeRule::Missing.note();
        DecodeError(format!("missing field `{field}`"))
    }
}

/// A record as a map of named values; errors from a value are prefixed with its name.
pub(crate) struct NamedFields<I, K, F> {
    /// "column" or "field", for messages.
    kind: &'static str,
    entries: I,
    pending: Option<(K, F)>,
}

impl<I, K, F> NamedFields<I, K, F> {
    pub(crate) fn new(kind: &'static str, entries: I) -> Self {
        NamedFields {
            kind,
            entries,
            pending: None,
        }
    }
}

impl<'de, I, K, F> Deserializer<'de> for NamedFields<I, K, F>
where
    I: Iterator<Item = (K, F)>,
    K: AsRef<str>,
    F: Deserializer<'de>,
    F::Error: Display,
{
    type Error = DecodeError;

    fn deserialize_any<W: Visitor<'de>>(self, visitor: W) -> Result<W::Value, DecodeError> {
        visitor.visit_map(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de, I, K, F> MapAccess<'de> for NamedFields<I, K, F>
where
    I: Iterator<Item = (K, F)>,
    K: AsRef<str>,
    F: Deserializer<'de>,
    F::Error: Display,
{
    type Error = DecodeError;

    fn next_key_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, DecodeError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        let name: StrDeserializer<'_, DecodeError> = key.as_ref().into_deserializer();
        let decoded = seed.deserialize(name)?;
        self.pending = Some((key, value));
        Ok(Some(decoded))
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, DecodeError> {
        let (key, value) = self.pending.take().ok_or_else(|| {
            DecodeError("internal error: a value was requested before its name".into())
        })?;
        seed.deserialize(value)
            .map_err(|e| DecodeError(format!("{} {:?}: {e}", self.kind, key.as_ref())))
    }
}

/// `text.trim()`, after a look at its first and last bytes: most numbers and timestamps in a
/// file are not padded, and `trim` walks Unicode whitespace tables for each one (5% of a wide
/// CSV run).
#[inline]
pub(crate) fn trim_if_padded(text: &str) -> &str {
    let plain = |b: &u8| b.is_ascii_graphic();
    match (text.as_bytes().first(), text.as_bytes().last()) {
        (Some(first), Some(last)) if plain(first) && plain(last) => text,
        _ => text.trim(),
    }
}

/// One CSV field's text as a serde deserializer. Also how a [`SampleValue`](crate::SampleValue) reads its
/// text, from CSV and JSON alike, so that a value means the same whichever format carried it.
pub(crate) struct CsvField<'a>(pub(crate) &'a str);

impl CsvField<'_> {
    /// The text as an `N`; otherwise the error "... is not {rule}" (`rule`: "a number"...).
    fn parse<N: std::str::FromStr>(&self, rule: DecodeRule) -> Result<N, DecodeError> {
        trim_if_padded(self.0).parse::<N>().map_err(|_| {
            rule.note();
            DecodeError(format!("{:?} is {rule}", self.0))
        })
    }

    fn parse_finite(&self) -> Result<f64, DecodeError> {
        match self.parse::<f64>(DecodeRule::NotANumber)? {
            x if x.is_finite() => Ok(x),
            _ => {
                DecodeRule::NotFinite.note();
                Err(DecodeError(format!("{:?} is not a finite number", self.0)))
            }
        }
    }
}

macro_rules! parse_as {
    ($($method:ident => $visit:ident: $ty:ty, $rule:ident;)*) => {
        $(fn $method<W: Visitor<'de>>(self, visitor: W) -> Result<W::Value, DecodeError> {
            visitor.$visit(self.parse::<$ty>(DecodeRule::$rule)?)
        })*
    };
}

impl<'de> Deserializer<'de> for CsvField<'de> {
    type Error = DecodeError;

    /// Untyped consumers (identifiers, `serde_json::Value`...) get the text as it is.
    fn deserialize_any<W: Visitor<'de>>(self, visitor: W) -> Result<W::Value, DecodeError> {
        visitor.visit_borrowed_str(self.0)
    }

    parse_as! {
        deserialize_i8 => visit_i8: i8, NotAnInteger;
        deserialize_i16 => visit_i16: i16, NotAnInteger;
        deserialize_i32 => visit_i32: i32, NotAnInteger;
        deserialize_i64 => visit_i64: i64, NotAnInteger;
        deserialize_i128 => visit_i128: i128, NotAnInteger;
        deserialize_u8 => visit_u8: u8, NotANonNegativeInteger;
        deserialize_u16 => visit_u16: u16, NotANonNegativeInteger;
        deserialize_u32 => visit_u32: u32, NotANonNegativeInteger;
        deserialize_u64 => visit_u64: u64, NotANonNegativeInteger;
        deserialize_u128 => visit_u128: u128, NotANonNegativeInteger;
        deserialize_char => visit_char: char, NotACharacter;
    }

    fn deserialize_f32<W: Visitor<'de>>(self, visitor: W) -> Result<W::Value, DecodeError> {
        visitor.visit_f32(self.parse_finite()? as f32)
    }

    fn deserialize_f64<W: Visitor<'de>>(self, visitor: W) -> Result<W::Value, DecodeError> {
        visitor.visit_f64(self.parse_finite()?)
    }

    /// `true`/`false` in any case, surrounding spaces allowed.
    fn deserialize_bool<W: Visitor<'de>>(self, visitor: W) -> Result<W::Value, DecodeError> {
        match self.0.trim().to_ascii_lowercase().as_str() {
            "true" => visitor.visit_bool(true),
            "false" => visitor.visit_bool(false),
            _ => {
                DecodeRule::NotABoolean.note();
                Err(DecodeError(format!("{:?} is not true or false", self.0)))
            }
        }
    }

    fn deserialize_str<W: Visitor<'de>>(self, visitor: W) -> Result<W::Value, DecodeError> {
        visitor.visit_borrowed_str(self.0)
    }

    fn deserialize_string<W: Visitor<'de>>(self, visitor: W) -> Result<W::Value, DecodeError> {
        visitor.visit_borrowed_str(self.0)
    }

    fn deserialize_bytes<W: Visitor<'de>>(self, visitor: W) -> Result<W::Value, DecodeError> {
        visitor.visit_bytes(self.0.as_bytes())
    }

    fn deserialize_byte_buf<W: Visitor<'de>>(self, visitor: W) -> Result<W::Value, DecodeError> {
        visitor.visit_bytes(self.0.as_bytes())
    }

    /// An empty field is `None`.
    fn deserialize_option<W: Visitor<'de>>(self, visitor: W) -> Result<W::Value, DecodeError> {
        if self.0.is_empty() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<W: Visitor<'de>>(self, visitor: W) -> Result<W::Value, DecodeError> {
        if self.0.is_empty() {
            visitor.visit_unit()
        } else {
            Err(DecodeError(format!("{:?} is not empty", self.0)))
        }
    }

    fn deserialize_newtype_struct<W: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: W,
    ) -> Result<W::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    /// Generated enums are unit variants named by their code: the field's text is the variant.
    fn deserialize_enum<W: Visitor<'de>>(
        self,
        name: &'static str,
        _variants: &'static [&'static str],
        visitor: W,
    ) -> Result<W::Value, DecodeError> {
        // Borrowed, not copied: a CSV enum column is read on every row.
        let variant: BorrowedStrDeserializer<'de, DecodeError> =
            BorrowedStrDeserializer::new(self.0);
        visitor
            .visit_enum(variant)
            .inspect_err(|_| DecodeRule::NotACode(name).note())
    }

    fn deserialize_ignored_any<W: Visitor<'de>>(self, visitor: W) -> Result<W::Value, DecodeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        unit_struct seq tuple tuple_struct map struct identifier
    }
}

/// Deserializes an optional text field of a record read only from a source, borrowing the text
/// from the raw record when the format allows (no escape in it), as `#[serde(borrow)]` does for
/// a required `Cow<str>` field. serde's own `Option<Cow<str>>` always copies the text into a
/// new `String`; this answers the same values and the same errors without that allocation.
/// The generated code names it with `#[serde(borrow, deserialize_with = ...)]`.
pub fn optional_text<'de, D>(deserializer: D) -> Result<Option<Cow<'de, str>>, D::Error>
where
    D: Deserializer<'de>,
{
    deserializer.deserialize_option(OptionalText)
}

struct OptionalText;

impl<'de> Visitor<'de> for OptionalText {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("option")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_string(Text).map(Some)
    }
}

/// A text as `String`'s own visitor takes it (strings, and bytes that are UTF-8), kept borrowed
/// when the deserializer lends it for `'de`.
struct Text;

impl<'de> Visitor<'de> for Text {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }

    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
        std::str::from_utf8(v)
            .map(Cow::Borrowed)
            .map_err(|_| E::invalid_value(Unexpected::Bytes(v), &self))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        std::str::from_utf8(v)
            .map(|text| Cow::Owned(text.to_owned()))
            .map_err(|_| E::invalid_value(Unexpected::Bytes(v), &self))
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Self::Value, E> {
        String::from_utf8(v)
            .map(Cow::Owned)
            .map_err(|e| E::invalid_value(Unexpected::Bytes(&e.into_bytes()), &self))
    }
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
