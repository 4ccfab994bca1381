//! [`Text`]: the text of a target record's field.
//!
//! A flow mostly copies text into its target record: a source field, a lookup record's field, a
//! literal, a binding. As a `String`, each such copy allocated on every record (about eight
//! allocations a record of the `machine_events` bench, where the hand-written program
//! serializes borrowed `&str`s). A `Text` keeps up to 23 bytes inline, as identifiers do
//! ([`crate::Id`]), so copying a field of usual length into a record allocates nothing; a longer
//! text is a `String`, and a `String` the flow computed (a formatted time, `concat`) is moved in,
//! not copied. The record stays owned (`'static`), so every target, the parallel map workers and
//! the queues take it as they take any record.
//!
//! It serializes and deserializes as a plain string, and reads as a `&str` (`Deref`).

use std::borrow::{Borrow, Cow};
use std::fmt;
use std::ops::Deref;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};
use smol_str::SmolStr;

/// Text of a target record's field: inline when short, a `String` when long.
#[derive(Clone)]
pub struct Text(Repr);

/// Text of up to `SmolStr::INLINE_CAP` (23) bytes is always `Inline`, longer text `Heap`.
#[derive(Clone)]
enum Repr {
    Inline(SmolStr),
    Heap(String),
}

impl Text {
    /// A copy of `text`: inline (no allocation) up to 23 bytes. Inlined into the flows (which are
    /// in another crate): a call per field cost about 20 instructions.
    #[inline]
    pub fn new(text: &str) -> Text {
        if text.len() <= SmolStr::INLINE_CAP {
            // `SmolStr::new` copies with `memcpy`; `new_inline` is a `const fn` that loops by byte.
            Text(Repr::Inline(SmolStr::new(text)))
        } else {
            Text(Repr::Heap(text.to_owned()))
        }
    }

    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline(text) => text,
            Repr::Heap(text) => text,
        }
    }
}

impl Default for Text {
    fn default() -> Text {
        Text::new("")
    }
}

/// Texts compare, order and hash as their `str`s.
impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Text) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    fn cmp(&self, other: &Text) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for Text {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl Deref for Text {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Text {
        Text::new(text)
    }
}

/// Text computed by the flow (`concat`, `upper`, a function's result): a short one is copied
/// inline and its `String` freed, a long one moved in.
impl From<String> for Text {
    #[inline]
    fn from(text: String) -> Text {
        if text.len() <= SmolStr::INLINE_CAP {
            Text::new(&text)
        } else {
            Text(Repr::Heap(text))
        }
    }
}

impl From<Cow<'_, str>> for Text {
    fn from(text: Cow<'_, str>) -> Text {
        match text {
            Cow::Borrowed(text) => Text::new(text),
            Cow::Owned(text) => Text::from(text),
        }
    }
}

impl From<Text> for String {
    fn from(text: Text) -> String {
        match text.0 {
            Repr::Inline(text) => text.into(),
            Repr::Heap(text) => text,
        }
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

/// As a `String`'s: `"EQ-7"`, so a record's `Debug` reads as it did.
impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Reads what a `String` reads, with the same errors: a unit column is read into a `Text` too.
impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_string(TextVisitor)
    }
}

struct TextVisitor;

impl Visitor<'_> for TextVisitor {
    type Value = Text;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Text, E> {
        Ok(Text::new(text))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Text, E> {
        Ok(Text::from(text))
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Text, E> {
        match std::str::from_utf8(bytes) {
            Ok(text) => self.visit_str(text),
            Err(_) => Err(E::invalid_value(de::Unexpected::Bytes(bytes), &self)),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::Text;

    /// Short and long texts, and texts that JSON escapes, read back as the same `String`
    /// would, and serialize as a `String` does.
    #[test]
    fn text_reads_and_serializes_as_a_string() {
        let long = "a machine cell with a name longer than twenty-three bytes".to_string();
        for s in [
            "",
            "EQ-LINE-A-0001",
            "quote \" and \\ and \n",
            "Größe ± 0,1 mm",
            &long,
            &"x".repeat(23),
            &"x".repeat(24),
        ] {
            let text = Text::new(s);
            assert_eq!(&*text, s);
            assert_eq!(text, Text::from(s.to_string()));
            assert_eq!(text, Text::from(std::borrow::Cow::Borrowed(s)));
            assert_eq!(format!("{text:?}"), format!("{s:?}"));
            assert_eq!(text.to_string(), s);
            let json = serde_json::to_string(&text).unwrap();
            assert_eq!(json, serde_json::to_string(s).unwrap());
            let back: Text = serde_json::from_str(&json).unwrap();
            assert_eq!(back, text);
            assert_eq!(String::from(back), s);
            // Equal texts made either way compare, order and hash alike.
            use std::hash::BuildHasher;
            let state = std::hash::RandomState::new();
            let computed = Text::from(s.to_string());
            assert_eq!(text.cmp(&computed), std::cmp::Ordering::Equal);
            assert_eq!(state.hash_one(&text), state.hash_one(&computed));
        }
        assert!(serde_json::from_str::<Text>("12").is_err());
    }

    /// A `Text` reads what a `String` reads (a unit column is read into one, to be compared):
    /// the same text, the same errors, from CSV fields and from every kind of JSON value.
    #[test]
    fn text_reads_what_a_string_reads() {
        let texts = [
            "mm",
            " in ",
            "",
            "µm",
            "a unit longer than twenty-three bytes",
            "\"q\"",
        ];
        for input in texts {
            let field = crate::decode::CsvField;
            let text = Text::deserialize(field(input)).map_err(|e| e.to_string());
            let string = String::deserialize(field(input)).map_err(|e| e.to_string());
            assert_eq!(text.as_deref(), string.as_deref());
        }
        let quoted = texts.map(|text| serde_json::to_string(text).unwrap());
        let others = [
            "1",
            "-2.5",
            "true",
            "null",
            "[\"mm\"]",
            "{\"u\": \"mm\"}",
            "\"\\u00b5m\"",
        ];
        for json in quoted.iter().map(String::as_str).chain(others) {
            let text = serde_json::from_str::<Text>(json).map_err(|e| e.to_string());
            let string = serde_json::from_str::<String>(json).map_err(|e| e.to_string());
            assert_eq!(text.as_deref(), string.as_deref(), "{json}");
        }
        let bytes = serde::de::value::BytesDeserializer::<serde::de::value::Error>::new(b"\xff");
        assert_eq!(
            Text::deserialize(bytes).unwrap_err().to_string(),
            String::deserialize(bytes).unwrap_err().to_string()
        );
    }
}
