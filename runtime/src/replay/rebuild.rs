//! Raw records made again from dead-letter entries, and the source a replay reads them from.
//!
//! An entry keeps its record as JSON (see `RawRecord::original`): a CSV row as an object of its
//! columns in header order, a JSON line as its value (or its text when it was not JSON), a broker
//! message as the JSON of its bytes, else their text, else `{"base64": ...}`. Made again, each is
//! the raw record the source produced, at the same position, so that decode and map see what they
//! saw (a mapping that reads `source.position` writes the same key). A record that could not be
//! read at all (`unreadable`) is made unreadable again, with the same words: decode rejects it
//! again rather than decode a lossy copy.

use std::collections::VecDeque;
use std::sync::Arc;

use serde_json::Value;

use super::lines::StoredEntry;
use crate::error::RunError;
use crate::record::{Position, RawRecord};
use crate::source::Source;

/// What kind of source the current mapping reads a source name with, for entries written before
/// lines named their format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    Csv,
    /// A JSON Lines file, or a network source (whose records are JSON, or broker messages).
    Other,
}

/// The raw record `entry` was made from, starting on the line of its file it started on.
pub fn rebuild(entry: &StoredEntry, source: &Arc<str>, format: SourceFormat) -> RawRecord {
    let raw = rebuild_payload(entry, source, format);
    match entry.file_line {
        Some(line) => raw.at_line(line),
        None => raw,
    }
}

fn rebuild_payload(entry: &StoredEntry, source: &Arc<str>, format: SourceFormat) -> RawRecord {
    let kind = match (entry.format.as_deref(), &entry.topic) {
        (Some(kind), _) => kind,
        (None, Some(_)) => "message",
        (None, None) if format == SourceFormat::Csv => "csv",
        (None, None) => "json",
    };
    let position = entry.position;
    let unreadable = entry.unreadable.clone();
    match kind {
        "csv" => csv_row(entry, source.clone(), position, unreadable),
        "xml" => xml_element(entry, source.clone(), position, unreadable),
        "message" => {
            let topic = entry.topic.clone().unwrap_or_default();
            let bytes = message_bytes(&entry.record);
            match unreadable {
                Some(reason) => {
                    RawRecord::unreadable_message(source.clone(), position, topic, bytes, reason)
                }
                None => RawRecord::message(source.clone(), position, topic, bytes),
            }
        }
        _ => {
            let text = match &entry.record {
                Value::String(text) => text.clone(),
                value => value.to_string(),
            };
            RawRecord::json_line_with_encoding_error(source.clone(), position, text, unreadable)
        }
    }
}

/// A CSV row: the header is the object's keys (a repeated header name was written `name#N`, N its
/// column; fields beyond the header `_extra_N`), as many as the header had columns, so that a row
/// with more or fewer fields than its header is that again.
fn csv_row(
    entry: &StoredEntry,
    source: Arc<str>,
    position: Position,
    unreadable: Option<String>,
) -> RawRecord {
    let keys = &entry.record_keys;
    let field_count = keys.len();
    let extras = keys
        .iter()
        .rev()
        .take_while(|key| key.starts_with("_extra_"))
        .count();
    let columns = entry.columns.unwrap_or(field_count - extras);
    let mut headers: Vec<String> = Vec::with_capacity(columns);
    let mut fields: Vec<String> = Vec::with_capacity(field_count);
    for (index, key) in keys.iter().enumerate() {
        if index < columns {
            let name = repeated_name(key, index, &headers).unwrap_or_else(|| key.clone());
            headers.push(name);
        }
        fields.push(match &entry.record[key.as_str()] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        });
    }
    // The columns a short row lacked: their names are not in the entry, only their number.
    headers.resize(columns, String::new());
    RawRecord::csv_with_encoding_error(
        source,
        position,
        Arc::new(csv::StringRecord::from(headers)),
        csv::StringRecord::from(fields),
        unreadable,
    )
}

/// An element of an XML document: its columns are the object's keys but the one that keeps the
/// element's XML (`RawRecord::original`), so that decode sees the texts the source selected (a path
/// such as `../ID` reaches outside the element, which alone could not give them again).
fn xml_element(
    entry: &StoredEntry,
    source: Arc<str>,
    position: Position,
    absent: Option<String>,
) -> RawRecord {
    let mut headers = Vec::with_capacity(entry.record_keys.len());
    let mut fields = Vec::with_capacity(entry.record_keys.len());
    for key in &entry.record_keys {
        if key == crate::record::XML_ELEMENT_KEY {
            continue;
        }
        headers.push(key.clone());
        fields.push(match &entry.record[key.as_str()] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        });
    }
    let element = match &entry.record[crate::record::XML_ELEMENT_KEY] {
        Value::String(text) => text.clone(),
        _ => String::new(),
    };
    RawRecord::xml_element(
        source,
        position,
        Arc::new(csv::StringRecord::from(headers)),
        csv::StringRecord::from(fields),
        element,
        absent,
    )
}

/// `name` for the key `name#N` of column N (1-based) when an earlier column is called `name`.
fn repeated_name(key: &str, index: usize, earlier: &[String]) -> Option<String> {
    let (name, column) = key.rsplit_once('#')?;
    (column == (index + 1).to_string() && earlier.iter().any(|e| e == name))
        .then(|| name.to_string())
}

/// A message's bytes: base64 decoded, text as it was, JSON serialized.
fn message_bytes(record: &Value) -> Vec<u8> {
    if let Value::Object(object) = record {
        if let (1, Some(Value::String(encoded))) = (object.len(), object.get("base64")) {
            use base64::Engine as _;
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(encoded) {
                return bytes;
            }
        }
    }
    match record {
        Value::String(text) => text.clone().into_bytes(),
        value => value.to_string().into_bytes(),
    }
}

/// The source a replay reads instead of the mapping's: the records made again from the chosen
/// entries, in the order of the dead letter. It connects to nothing and commits nothing.
pub struct ReplaySource {
    name: String,
    records: VecDeque<RawRecord>,
    acknowledged: Option<Position>,
}

impl ReplaySource {
    pub fn new(name: &str, records: Vec<RawRecord>) -> Self {
        ReplaySource {
            name: name.to_string(),
            records: records.into(),
            acknowledged: None,
        }
    }
}

impl Source for ReplaySource {
    fn name(&self) -> &str {
        &self.name
    }

    fn read(&mut self) -> Result<Option<RawRecord>, RunError> {
        Ok(self.records.pop_front())
    }

    fn acknowledge(&mut self, position: Position) -> Result<(), RunError> {
        self.acknowledged = Some(position);
        Ok(())
    }

    fn acknowledged(&self) -> Option<Position> {
        self.acknowledged
    }

    /// Every checkpoint makes the targets and the dead letter (with its replay lines) durable
    /// together, so that a replay cut short leaves what it wrote and what it says it wrote alike.
    fn commits_positions(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dead_letter::{DeadLetter, Stage};
    use crate::outcome::Reject;
    use crate::replay::lines::DeadLetterFile;

    /// Writes `raw` to a dead letter, reads the line back and makes the record again.
    fn round_trip(raw: &RawRecord, format: SourceFormat) -> RawRecord {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dl.jsonl");
        let mut dead_letter = DeadLetter::create(&path).unwrap();
        dead_letter
            .write(None, Stage::Decode, &Reject::new("bad"), raw)
            .unwrap();
        crate::Durable::flush(&mut dead_letter).unwrap();
        let file = DeadLetterFile::read(&path).unwrap();
        rebuild(&file.entries[0], &Arc::from(raw.source()), format)
    }

    fn same(a: &RawRecord, b: &RawRecord) {
        assert_eq!(format!("{:?}", a.payload), format!("{:?}", b.payload));
        assert_eq!(
            (a.source(), a.position(), a.topic(), a.line()),
            (b.source(), b.position(), b.topic(), b.line())
        );
    }

    #[test]
    fn a_row_comes_back_on_the_line_it_started_on() {
        let raw = csv(&["a", "note"], &["1", "two\nlines"]).at_line(40);
        let back = round_trip(&raw, SourceFormat::Csv);
        same(&raw, &back);
        assert_eq!(back.line(), 40);
    }

    fn csv(headers: &[&str], fields: &[&str]) -> RawRecord {
        RawRecord::csv(
            Arc::from("mill"),
            17,
            Arc::new(csv::StringRecord::from(headers.to_vec())),
            csv::StringRecord::from(fields.to_vec()),
        )
    }

    #[test]
    fn csv_rows_come_back_with_their_header_also_short_long_and_repeated() {
        for (headers, fields) in [
            (&["machine", "value"][..], &["M3", "1.5"][..]),
            (&["", "a", "a", "b"], &["0", "x", "y", "z"]),
            (&["a", "b", "c"], &["1"]),
            (&["a"], &["1", "2", "3"]),
            (&["a#2", "a"], &["1", "2"]),
            (&["z", "y", "x"], &["3", "2", "1"]),
        ] {
            let raw = csv(headers, fields);
            let back = round_trip(&raw, SourceFormat::Other);
            let crate::record::Payload::Csv {
                headers: back_headers,
                fields: back_fields,
                ..
            } = &back.payload
            else {
                panic!("not CSV: {back:?}");
            };
            assert_eq!(back_fields, &csv::StringRecord::from(fields.to_vec()));
            assert_eq!(back_headers.len(), headers.len(), "{headers:?}");
            // Names come back where the row had a field for them.
            for (i, name) in headers.iter().enumerate().take(fields.len()) {
                assert_eq!(&back_headers[i], *name, "{headers:?}");
            }
        }
    }

    #[test]
    fn json_lines_and_messages_come_back_with_their_bytes() {
        let line = RawRecord::json_line(Arc::from("s"), 3, r#"{"x":[1,2.5,"é"]}"#);
        same(&line, &round_trip(&line, SourceFormat::Other));
        let not_json = RawRecord::json_line(Arc::from("s"), 4, "{oops");
        same(&not_json, &round_trip(&not_json, SourceFormat::Other));
        let binary = RawRecord::message(Arc::from("b"), 9, "plant/3/m1", vec![0xfe, 0xff, 0]);
        same(&binary, &round_trip(&binary, SourceFormat::Other));
        let text = RawRecord::message(Arc::from("b"), 10, "plant/3/m1", "not json");
        same(&text, &round_trip(&text, SourceFormat::Other));
        let json = RawRecord::message(Arc::from("b"), 11, "t", r#"{"v":1}"#);
        same(&json, &round_trip(&json, SourceFormat::Other));
        let unreadable = RawRecord::unreadable_message(
            Arc::from("b"),
            12,
            "spBv1.0/g/NDATA/n",
            vec![8, 0xff],
            "truncated",
        );
        let back = round_trip(&unreadable, SourceFormat::Other);
        same(&unreadable, &back);
        assert_eq!(back.unreadable(), Some("truncated"));
    }

    #[test]
    fn a_row_that_was_not_utf8_is_unreadable_again() {
        let raw = RawRecord::csv_with_encoding_error(
            Arc::from("mill"),
            2,
            Arc::new(csv::StringRecord::from(vec!["a"])),
            csv::StringRecord::from(vec!["\u{fffd}"]),
            Some("the row is not valid UTF-8".into()),
        );
        let back = round_trip(&raw, SourceFormat::Csv);
        assert_eq!(back.unreadable(), Some("the row is not valid UTF-8"));
        assert!(crate::decode::decode::<serde_json::Value>(&back, "Row").is_err());
    }

    #[test]
    fn an_old_line_takes_the_format_of_its_source() {
        let text = r#"{"flow":null,"stage":"decode","reason":"bad","detail":null,"source":"mill","position":5,"record":{"a":"1","b":"2"}}"#;
        let file = DeadLetterFile::parse(text);
        let entry = &file.entries[0];
        assert!(entry.id.starts_with("line-"));
        let as_csv = rebuild(entry, &Arc::from("mill"), SourceFormat::Csv);
        let expected = csv(&["a", "b"], &["1", "2"]);
        assert_eq!(
            format!("{:?}", as_csv.payload),
            format!("{:?}", expected.payload)
        );
        assert_eq!(as_csv.position(), 5);
        let as_json = rebuild(entry, &Arc::from("mill"), SourceFormat::Other);
        assert_eq!(as_json.format(), "json");
        assert_eq!(as_json.original(), serde_json::json!({"a": "1", "b": "2"}));
    }
}
