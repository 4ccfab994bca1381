//! The fast path of the JSON Lines target: flat records written straight into a line buffer.
//!
//! serde_json escapes every string through a general routine: each field name of each record,
//! and each short text value, cost about 140 instructions (19% of the machine_state bench).
//! Target records are flat structs of numbers, texts, identifiers, timestamps and enum codes,
//! so this serializer writes exactly what serde_json's compact format writes for those, more
//! directly: a string that needs no escape is copied between quotes, numbers are formatted by
//! serde_json's own formatter.
//!
//! Anything else (a string with a character to escape, a non-finite float, a nested value)
//! answers [`Fallback`], and the target writes the record with serde_json instead, so the
//! output and the reject wording never depend on which path wrote a line.

use std::fmt::Display;

use serde::ser::{self, Impossible, Serialize};
use serde_json::ser::{CompactFormatter, Formatter};

use crate::serde_refuse::refuse;

/// The record needs serde_json's general path.
#[derive(Debug)]
pub(crate) struct Fallback;

impl Display for Fallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a flat record of plain values")
    }
}

impl std::error::Error for Fallback {}

impl ser::Error for Fallback {
    fn custom<T: Display>(_: T) -> Self {
        Fallback
    }
}

/// Appends `record` to `line` as one JSON object, or answers [`Fallback`] (leaving `line` in an
/// unspecified state: the caller starts it again).
pub(crate) fn write_flat<T: Serialize + ?Sized>(
    record: &T,
    line: &mut Vec<u8>,
    keys: &mut CleanKeys,
) -> Result<(), Fallback> {
    record.serialize(&mut LineWriter {
        out: line,
        in_record: false,
        keys,
    })
}

/// The field names already found to need no escape, by field index: a target writes the same
/// struct again and again, and serde passes each field name as the same `&'static str`, so a
/// name is checked once per target rather than once per record.
#[derive(Debug, Default)]
pub(crate) struct CleanKeys {
    /// (address, length) of the field name at each index.
    names: Vec<(usize, usize)>,
}

impl CleanKeys {
    fn is_clean(&self, index: usize, name: &'static str) -> bool {
        self.names.get(index) == Some(&(name.as_ptr() as usize, name.len()))
    }

    fn remember(&mut self, index: usize, name: &'static str) {
        if self.names.len() <= index {
            self.names.resize(index + 1, (0, 0));
        }
        self.names[index] = (name.as_ptr() as usize, name.len());
    }
}

/// Writes the record (a struct), then each field's value; a value that is a struct itself
/// falls back, since a target record is flat.
struct LineWriter<'a> {
    out: &'a mut Vec<u8>,
    in_record: bool,
    keys: &'a mut CleanKeys,
}

impl LineWriter<'_> {
    /// A string that needs no escape, between quotes; anything else falls back.
    fn string(&mut self, text: &str) -> Result<(), Fallback> {
        if needs_escape(text.as_bytes()) {
            return Err(Fallback);
        }
        self.quoted(text);
        Ok(())
    }

    /// `text`, known to need no escape, between quotes.
    fn quoted(&mut self, text: &str) {
        self.out.reserve(text.len() + 2);
        self.out.push(b'"');
        self.out.extend_from_slice(text.as_bytes());
        self.out.push(b'"');
    }

    fn formatted(
        &mut self,
        write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>,
    ) -> Result<(), Fallback> {
        write(self.out).map_err(|_| Fallback)
    }
}

/// Whether `bytes` holds a control character, `"` or `\\`, the bytes JSON escapes. Eight bytes
/// at a time (a byte-at-a-time check cost as much as serde_json's whole routine): a word has a
/// byte below 0x20, or equal to a given byte, when the classic "has zero byte" test says so.
#[inline]
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let has_zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGHS != 0;
    let has_below_0x20 = |w: u64| w.wrapping_sub(ONES * 0x20) & !w & HIGHS != 0;
    let special = |w: u64| {
        has_below_0x20(w)
            || has_zero(w ^ (ONES * u64::from(b'"')))
            || has_zero(w ^ (ONES * u64::from(b'\\')))
    };
    let word = |chunk: &[u8]| u64::from_ne_bytes(chunk.try_into().unwrap_or([0; 8]));
    if bytes.len() < 8 {
        return bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
    }
    let mut chunks = bytes.chunks_exact(8);
    if chunks.any(|chunk| special(word(chunk))) {
        return true;
    }
    // The last eight bytes, which overlap the last whole chunk: no copy of the tail.
    special(word(&bytes[bytes.len() - 8..]))
}

impl<'a, 'w> ser::Serializer for &'a mut LineWriter<'w> {
    type Ok = ();
    type Error = Fallback;
    type SerializeSeq = Impossible<(), Fallback>;
    type SerializeTuple = Impossible<(), Fallback>;
    type SerializeTupleStruct = Impossible<(), Fallback>;
    type SerializeTupleVariant = Impossible<(), Fallback>;
    type SerializeMap = Impossible<(), Fallback>;
    type SerializeStruct = Fields<'a, 'w>;
    type SerializeStructVariant = Impossible<(), Fallback>;

    fn serialize_bool(self, v: bool) -> Result<(), Fallback> {
        self.formatted(|out| CompactFormatter.write_bool(out, v))
    }
    fn serialize_i8(self, v: i8) -> Result<(), Fallback> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Fallback> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Fallback> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Fallback> {
        self.formatted(|out| CompactFormatter.write_i64(out, v))
    }
    fn serialize_u8(self, v: u8) -> Result<(), Fallback> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Fallback> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Fallback> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Fallback> {
        self.formatted(|out| CompactFormatter.write_u64(out, v))
    }
    /// serde_json writes a non-finite float as `null`; the general path turns that into a reject.
    fn serialize_f64(self, v: f64) -> Result<(), Fallback> {
        if !v.is_finite() {
            return Err(Fallback);
        }
        self.formatted(|out| CompactFormatter.write_f64(out, v))
    }
    fn serialize_f32(self, v: f32) -> Result<(), Fallback> {
        if !v.is_finite() {
            return Err(Fallback);
        }
        self.formatted(|out| CompactFormatter.write_f32(out, v))
    }
    fn serialize_str(self, v: &str) -> Result<(), Fallback> {
        self.string(v)
    }
    fn serialize_none(self) -> Result<(), Fallback> {
        self.formatted(|out| CompactFormatter.write_null(out))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Fallback> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Fallback> {
        self.serialize_none()
    }
    /// Enum codes.
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Fallback> {
        self.string(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Fallback> {
        value.serialize(self)
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Fields<'a, 'w>, Fallback> {
        if self.in_record {
            return Err(Fallback);
        }
        self.in_record = true;
        self.out.push(b'{');
        Ok(Fields {
            writer: self,
            index: 0,
        })
    }

    refuse! {
        Fallback;
        serialize_char(char) -> ();
        serialize_bytes(&[u8]) -> ();
        serialize_unit_struct(&'static str) -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Fallback> {
        Err(Fallback)
    }
}

/// The fields of the record's struct.
pub(crate) struct Fields<'a, 'w> {
    writer: &'a mut LineWriter<'w>,
    /// The index of the next field.
    index: usize,
}

impl ser::SerializeStruct for Fields<'_, '_> {
    type Ok = ();
    type Error = Fallback;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Fallback> {
        if self.index > 0 {
            self.writer.out.push(b',');
        }
        if self.writer.keys.is_clean(self.index, key) {
            self.writer.quoted(key);
        } else {
            self.writer.string(key)?;
            self.writer.keys.remember(self.index, key);
        }
        self.index += 1;
        self.writer.out.push(b':');
        value.serialize(&mut *self.writer)
    }

    fn end(self) -> Result<(), Fallback> {
        self.writer.out.push(b'}');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Serialize, Clone, Copy)]
    enum State {
        #[serde(rename = "RUNNING")]
        Running,
        #[serde(rename = "Ölstand niedrig")]
        OilLow,
    }

    #[derive(Serialize, Clone)]
    struct Row {
        text: String,
        #[serde(rename = "Speed RPM")]
        speed: f64,
        count: i64,
        flag: bool,
        note: Option<String>,
        state: State,
        id: crate::identifier::Id<Code>,
    }

    enum Code {}
    impl crate::IdRule for Code {
        const TYPE_NAME: &'static str = "Code";
        const BASE: crate::IdBase = crate::IdBase::Text;
        const PATTERN: Option<&'static str> = None;
        fn compiled_pattern() -> &'static std::sync::OnceLock<crate::IdPattern> {
            static COMPILED: std::sync::OnceLock<crate::IdPattern> = std::sync::OnceLock::new();
            &COMPILED
        }
    }

    /// What the fast path writes is what serde_json writes, byte for byte; where it cannot
    /// (a string to escape, a non-finite float), it says so instead of writing something else.
    #[test]
    fn writes_what_serde_json_writes_or_falls_back() {
        let floats = [
            0.0,
            -0.0,
            1.0,
            -1.5,
            0.1,
            1e-7,
            1e16,
            1.7976931348623157e308,
            5e-324,
            123456.789,
            2.0f64.powi(53),
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        let texts = [
            "",
            "MILL-01",
            "Größe 10 µm",
            "tab\there",
            "quote\"",
            "back\\slash",
            "😀",
            "\u{7f}",
        ];
        let mut fast_paths = 0;
        // One cache across rows, as a target keeps it.
        let mut keys = CleanKeys::default();
        for (i, speed) in floats.iter().enumerate() {
            for (j, text) in texts.iter().enumerate() {
                let row = Row {
                    text: text.to_string(),
                    speed: *speed,
                    count: [i64::MIN, -1, 0, 42, i64::MAX][(i + j) % 5],
                    flag: i % 2 == 0,
                    note: (j % 2 == 0).then(|| texts[(i + j) % texts.len()].to_string()),
                    state: if j % 2 == 0 {
                        State::Running
                    } else {
                        State::OilLow
                    },
                    id: crate::identifier::Id::parse(&format!("C{i}")).unwrap(),
                };
                let mut fast = Vec::new();
                match write_flat(&row, &mut fast, &mut keys) {
                    Ok(()) => {
                        fast_paths += 1;
                        assert_eq!(
                            String::from_utf8(fast).unwrap(),
                            serde_json::to_string(&row).unwrap()
                        );
                    }
                    Err(Fallback) => {
                        let escapes = [&row.text, row.note.as_ref().unwrap_or(&String::new())]
                            .iter()
                            .any(|t| t.contains(['\t', '"', '\\']));
                        assert!(!speed.is_finite() || escapes, "{text:?} {speed}");
                    }
                }
            }
        }
        assert!(fast_paths > 30, "only {fast_paths} rows took the fast path");
    }

    #[test]
    fn needs_escape_finds_every_byte_json_escapes() {
        for byte in 0..=255u8 {
            let expected = byte < 0x20 || byte == b'"' || byte == b'\\';
            for len in 1..=17 {
                for at in 0..len {
                    let mut text = vec![b'x'; len];
                    text[at] = byte;
                    assert_eq!(
                        needs_escape(&text),
                        expected,
                        "byte {byte:#x} at {at} of {len}"
                    );
                }
            }
        }
        assert!(!needs_escape(b""));
    }

    #[test]
    fn nested_and_non_struct_values_fall_back() {
        #[derive(Serialize)]
        struct Outer {
            inner: Inner,
        }
        #[derive(Serialize)]
        struct Inner {
            x: i64,
        }
        let mut out = Vec::new();
        let outer = Outer {
            inner: Inner { x: 1 },
        };
        assert!(write_flat(&outer, &mut out, &mut CleanKeys::default()).is_err());
        assert!(write_flat(&vec![1, 2], &mut Vec::new(), &mut CleanKeys::default()).is_err());
    }
}
