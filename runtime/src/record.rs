//! The unit that travels through the stages: one record as a source produced it.

use std::sync::Arc;

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::outcome::Reject;
use crate::topic_filter::TopicFilter;

/// 1-based number of the record within its source (for CSV: the data row number, header excluded;
/// for JSON Lines: the line number, blank lines included).
pub type Position = u64;

/// One record as it came in, before decoding: which source, where in it, and the payload.
///
/// It is kept next to the decoded record through the whole pipeline because a reject at any stage writes
/// the *original* record to the dead letter, and because acknowledging needs its position.
#[derive(Debug, Clone)]
pub struct RawRecord {
    source: Arc<str>,
    position: Position,
    /// The line of its file the record starts on (see [`RawRecord::line`]).
    line: u64,
    pub(crate) payload: Payload,
}

/// The payload of a raw record, per source format.
#[derive(Debug, Clone)]
pub(crate) enum Payload {
    /// A CSV row with the source's header (shared, not copied per row).
    Csv {
        headers: Arc<csv::StringRecord>,
        fields: csv::StringRecord,
        /// Set when the row was not valid UTF-8; `fields` then holds a lossy copy for the dead letter and the
        /// decode stage rejects the record with this text.
        encoding_error: Option<String>,
    },
    /// One line of a JSON Lines file, without its line terminator.
    JsonLine {
        text: String,
        encoding_error: Option<String>,
    },
    /// One broker message: its topic and its bytes as they came (JSON when they are UTF-8 JSON text;
    /// decoding decides).
    Message {
        topic: String,
        bytes: Vec<u8>,
        /// Set when the bytes cannot become records (a Sparkplug B payload that does not decode,
        /// a metric its birth certificate contradicts): the decode stage rejects the record with
        /// this text, and the dead letter keeps the bytes.
        unreadable: Option<String>,
        /// The filter of the source the topic matched, which names its levels (shared by every
        /// message that matched it).
        filter: Option<Arc<TopicFilter>>,
    },
    /// One element of an XML document (see `crate::xml`): the text each column's path selected,
    /// decoded as a CSV row is, and the element's own XML for the dead letter.
    Xml {
        /// The columns the source reads (shared by its records); `fields` has one text per column.
        headers: Arc<csv::StringRecord>,
        fields: csv::StringRecord,
        /// The element as it is in the document, from `<` to its end tag.
        element: String,
        /// Set when a required field's path selects nothing: the decode stage rejects the record
        /// with this text.
        absent: Option<String>,
    },
}

impl RawRecord {
    /// A CSV row. `fields` may be shorter or longer than `headers`. Its line is taken to be
    /// `position + 1` (the header on line 1, one line per row); a source that knows better says so
    /// with [`RawRecord::at_line`].
    pub fn csv(
        source: Arc<str>,
        position: Position,
        headers: Arc<csv::StringRecord>,
        fields: csv::StringRecord,
    ) -> Self {
        Self::csv_with_encoding_error(source, position, headers, fields, None)
    }

    pub(crate) fn csv_with_encoding_error(
        source: Arc<str>,
        position: Position,
        headers: Arc<csv::StringRecord>,
        fields: csv::StringRecord,
        encoding_error: Option<String>,
    ) -> Self {
        RawRecord {
            source,
            position,
            line: position.saturating_add(1),
            payload: Payload::Csv {
                headers,
                fields,
                encoding_error,
            },
        }
    }

    /// One element of an XML document: the text of each of `headers`' columns in `fields`, the
    /// element's XML, and why it cannot be decoded when a required column's path selected nothing.
    /// Its line is the element's, given with [`RawRecord::at_line`].
    pub fn xml_element(
        source: Arc<str>,
        position: Position,
        headers: Arc<csv::StringRecord>,
        fields: csv::StringRecord,
        element: String,
        absent: Option<String>,
    ) -> Self {
        RawRecord {
            source,
            position,
            line: position,
            payload: Payload::Xml {
                headers,
                fields,
                element,
                absent,
            },
        }
    }

    /// One line of JSON text (not necessarily valid JSON: decoding decides).
    pub fn json_line(source: Arc<str>, position: Position, text: impl Into<String>) -> Self {
        Self::json_line_with_encoding_error(source, position, text.into(), None)
    }

    pub(crate) fn json_line_with_encoding_error(
        source: Arc<str>,
        position: Position,
        text: String,
        encoding_error: Option<String>,
    ) -> Self {
        RawRecord {
            source,
            position,
            line: position,
            payload: Payload::JsonLine {
                text,
                encoding_error,
            },
        }
    }

    /// One broker message: the topic it was published to and its payload. Its position is the source's
    /// sequence number of the message (see `mqtt::MqttSource`), which is also its "line".
    pub fn message(
        source: Arc<str>,
        position: Position,
        topic: impl Into<String>,
        bytes: impl Into<Vec<u8>>,
    ) -> Self {
        RawRecord::broker_message(source, position, topic.into(), bytes.into(), None)
    }

    /// A broker message whose bytes cannot become records, and why: the decode stage rejects it with
    /// `reason`, and its dead-letter line keeps the bytes.
    pub fn unreadable_message(
        source: Arc<str>,
        position: Position,
        topic: impl Into<String>,
        bytes: impl Into<Vec<u8>>,
        reason: impl Into<String>,
    ) -> Self {
        let reason = Some(reason.into());
        RawRecord::broker_message(source, position, topic.into(), bytes.into(), reason)
    }

    fn broker_message(
        source: Arc<str>,
        position: Position,
        topic: String,
        bytes: Vec<u8>,
        unreadable: Option<String>,
    ) -> Self {
        RawRecord {
            source,
            position,
            line: position,
            payload: Payload::Message {
                topic,
                bytes,
                unreadable,
                filter: None,
            },
        }
    }

    /// The topic a broker message was published to; `None` for a record of a file.
    pub fn topic(&self) -> Option<&str> {
        match &self.payload {
            Payload::Message { topic, .. } => Some(topic),
            _ => None,
        }
    }

    /// The same broker message, with the filter of its source that its topic matched, whose named
    /// levels [`RawRecord::topic_level`] reads. No effect on a record of a file.
    pub fn matching(mut self, matched: Arc<TopicFilter>) -> Self {
        if let Payload::Message { filter, .. } = &mut self.payload {
            *filter = Some(matched);
        }
        self
    }

    /// The topic of a broker message, for a mapping's `source.topic`. A record without one is
    /// rejected: the checker allows `source.topic` only on broker sources, so only a test run that
    /// reads such a source's records from a file (`--source NAME=PATH`) meets one.
    pub fn message_topic(&self) -> Result<&str, Reject> {
        self.topic().ok_or_else(|| {
            Reject::new("the record has no topic").with_detail(format!(
                "record {} of source {} was read from a file, not received on a broker topic",
                self.position, self.source
            ))
        })
    }

    /// The level named `name` by the source's filter that the topic matched (`line` of
    /// `plant/+line/+machine/state` is `3` for `plant/3/m1/state`), for a mapping's
    /// `source.levels.line`. Allocates nothing. A record without the level is rejected: the
    /// checker allows only a level every filter of the source names, and the source gives each
    /// message the filter it matched (or rejects it at decode), so only a record read from a file
    /// in a test run (`--source NAME=PATH`) meets one.
    pub fn topic_level(&self, name: &str) -> Result<&str, Reject> {
        let (topic, filter) = match &self.payload {
            Payload::Message { topic, filter, .. } => (Some(topic.as_str()), filter.as_deref()),
            _ => (None, None),
        };
        let value = match (topic, filter) {
            (Some(topic), Some(filter)) => filter.level(topic, name),
            _ => None,
        };
        value.ok_or_else(|| {
            let detail = match (topic, filter) {
                (None, _) => format!(
                    "record {} of source {} was read from a file, not received on a broker topic",
                    self.position, self.source
                ),
                (Some(topic), None) => format!(
                    "no filter of source {} matched topic {topic:?}",
                    self.source
                ),
                (Some(topic), Some(filter)) => {
                    format!(
                        "topic {topic:?} matched filter {:?}, which names no level {name:?}",
                        filter.as_str()
                    )
                }
            };
            Reject::new(format!("the record has no topic level `{name}`")).with_detail(detail)
        })
    }

    /// The levels of [`RawRecord::topic`] (`plant/3/m1` -> `plant`, `3`, `m1`; an empty level, as in
    /// `a//b`, is an empty string); `None` for a record of a file. For the levels a filter names
    /// (`plant/+line/+machine`), see [`RawRecord::topic_level`].
    pub fn topic_levels(&self) -> Option<std::str::Split<'_, char>> {
        self.topic().map(|topic| topic.split('/'))
    }

    /// The name of the source that produced the record.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Where the record is in its source.
    pub fn position(&self) -> Position {
        self.position
    }

    /// The source's name, shared (for provenance, which keeps it with the written record).
    pub fn source_name(&self) -> &Arc<str> {
        &self.source
    }

    /// The 1-based line of its file the record starts on: for JSON Lines the position; for CSV the header is
    /// line 1, and a row with a quoted line break spans several lines.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The same record, starting on `line` of its file.
    pub fn at_line(self, line: u64) -> Self {
        RawRecord { line, ..self }
    }

    /// The record as it came in, for the dead letter: CSV -> JSON object header -> string value (all present
    /// columns in header order; a row with more fields than headers keeps the extras under `_extra_1`,
    /// `_extra_2`, ...; columns missing from a short row are left out), JSON Lines -> the parsed JSON value, or a
    /// JSON string holding the raw line when it is not valid JSON. A broker message -> the parsed JSON value
    /// of its bytes, else their text when they are UTF-8, else `{"base64": "<standard base64 with padding>"}`.
    ///
    /// Key order of the returned `Value` follows serde_json's map (sorted unless its `preserve_order` feature
    /// is on); the dead letter serializes [`RawRecord::original_view`] instead, which always keeps header order.
    pub fn original(&self) -> serde_json::Value {
        serde_json::to_value(self.original_view()).unwrap_or(serde_json::Value::Null)
    }

    /// A serializable view of [`RawRecord::original`] that keeps CSV header order.
    pub fn original_view(&self) -> OriginalRecord<'_> {
        OriginalRecord { record: self }
    }
}

/// What the dead letter keeps of a record besides its original (see `dead_letter.rs`), so that a
/// replay (`replay/rebuild.rs`) can make the same raw record again.
impl RawRecord {
    /// The kind of payload: `csv`, `json` (a JSON line, also the records of polled and subscribed
    /// sources) or `message` (a broker message).
    pub fn format(&self) -> &'static str {
        match &self.payload {
            Payload::Csv { .. } => "csv",
            Payload::JsonLine { .. } => "json",
            Payload::Message { .. } => "message",
            Payload::Xml { .. } => "xml",
        }
    }

    /// The number of columns of a CSV row's header (the row itself may have more or fewer fields);
    /// `None` for other records.
    pub fn header_columns(&self) -> Option<usize> {
        match &self.payload {
            Payload::Csv { headers, .. } => Some(headers.len()),
            _ => None,
        }
    }

    /// Why the record cannot be decoded whatever the mapping: text that is not UTF-8, bytes only
    /// the source could read (a Sparkplug B payload). `None` for a readable record.
    pub fn unreadable(&self) -> Option<&str> {
        match &self.payload {
            Payload::Csv { encoding_error, .. } | Payload::JsonLine { encoding_error, .. } => {
                encoding_error.as_deref()
            }
            Payload::Message { unreadable, .. } => unreadable.as_deref(),
            Payload::Xml { absent, .. } => absent.as_deref(),
        }
    }
}

/// See [`RawRecord::original_view`].
pub struct OriginalRecord<'a> {
    record: &'a RawRecord,
}

impl Serialize for OriginalRecord<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.record.payload {
            Payload::Csv {
                headers, fields, ..
            } => {
                let keys = csv_keys(headers, fields.len());
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for (key, value) in keys.iter().zip(fields.iter()) {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
            Payload::JsonLine {
                text,
                encoding_error,
            } => {
                let parsed = match encoding_error {
                    Some(_) => None,
                    None => serde_json::from_str::<serde_json::Value>(text).ok(),
                };
                match parsed {
                    Some(value) => value.serialize(serializer),
                    None => serializer.serialize_str(text),
                }
            }
            Payload::Message { bytes, .. } => match std::str::from_utf8(bytes) {
                Ok(text) => match serde_json::from_str::<serde_json::Value>(text) {
                    Ok(value) => value.serialize(serializer),
                    Err(_) => serializer.serialize_str(text),
                },
                Err(_) => {
                    use base64::Engine as _;
                    let mut map = serializer.serialize_map(Some(1))?;
                    map.serialize_entry(
                        "base64",
                        &base64::engine::general_purpose::STANDARD.encode(bytes),
                    )?;
                    map.end()
                }
            },
            // The columns as a CSV row's, then the element's XML under a key no column can have
            // (`_fdi_` is reserved), from which a replay makes the record again.
            Payload::Xml {
                headers,
                fields,
                element,
                ..
            } => {
                let mut map = serializer.serialize_map(Some(fields.len() + 1))?;
                for (key, value) in headers.iter().zip(fields.iter()) {
                    map.serialize_entry(key, value)?;
                }
                map.serialize_entry(XML_ELEMENT_KEY, element)?;
                map.end()
            }
        }
    }
}

/// The key of an XML record's original under which the dead letter keeps the element's XML.
pub(crate) const XML_ELEMENT_KEY: &str = "_fdi_xml";

/// The object keys for a CSV row of `field_count` fields: the header names, made unique (a repeated name gets
/// `#<column number>`), then `_extra_N` for fields beyond the header.
fn csv_keys(headers: &csv::StringRecord, field_count: usize) -> Vec<String> {
    let mut keys: Vec<String> = Vec::with_capacity(field_count.max(headers.len()));
    for (index, name) in headers.iter().enumerate() {
        if keys.iter().any(|k| k == name) {
            keys.push(format!("{name}#{}", index + 1));
        } else {
            keys.push(name.to_string());
        }
    }
    for extra in 1..=field_count.saturating_sub(headers.len()) {
        keys.push(format!("_extra_{extra}"));
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn csv_record(headers: &[&str], fields: &[&str]) -> RawRecord {
        RawRecord::csv(
            Arc::from("mill"),
            3,
            Arc::new(csv::StringRecord::from(headers.to_vec())),
            csv::StringRecord::from(fields.to_vec()),
        )
    }

    #[test]
    fn csv_original_keeps_header_order_and_extras() {
        let record = csv_record(&["", "b", "a"], &["0", "x", "y", "z"]);
        let text = serde_json::to_string(&record.original_view()).unwrap();
        assert_eq!(text, r#"{"":"0","b":"x","a":"y","_extra_1":"z"}"#);
        assert_eq!(
            record.original(),
            json!({"": "0", "b": "x", "a": "y", "_extra_1": "z"})
        );
        assert_eq!(record.source(), "mill");
        assert_eq!(record.position(), 3);
    }

    #[test]
    fn csv_original_of_short_row_and_repeated_header() {
        let record = csv_record(&["a", "a", "c"], &["1", "2"]);
        assert_eq!(record.original(), json!({"a": "1", "a#2": "2"}));
    }

    #[test]
    fn json_original_is_parsed_value_or_raw_text() {
        let good = RawRecord::json_line(Arc::from("s"), 1, r#"{"x": 1}"#);
        assert_eq!(good.original(), json!({"x": 1}));
        let bad = RawRecord::json_line(Arc::from("s"), 2, "{not json");
        assert_eq!(bad.original(), json!("{not json"));
    }

    #[test]
    fn message_original_is_json_else_text_else_base64() {
        let message = |bytes: &[u8]| RawRecord::message(Arc::from("s"), 4, "plant/3/m1", bytes);
        assert_eq!(message(br#"{"x": [1]}"#).original(), json!({"x": [1]}));
        assert_eq!(message(b"{oops").original(), json!("{oops"));
        // 0xff never occurs in UTF-8.
        assert_eq!(
            message(&[0xff, 0x00, b'a']).original(),
            json!({"base64": "/wBh"})
        );
        let raw = message(b"1");
        assert_eq!(raw.topic(), Some("plant/3/m1"));
        let levels: Vec<&str> = raw.topic_levels().unwrap().collect();
        assert_eq!(levels, ["plant", "3", "m1"]);
        assert_eq!(raw.position(), 4);
    }

    #[test]
    fn a_message_reads_the_levels_of_the_filter_it_matched() {
        let filter = Arc::new(TopicFilter::parse("plant/+line/+machine/state").unwrap());
        let raw = RawRecord::message(Arc::from("s"), 1, "plant/3/m1/state", "{}").matching(filter);
        assert_eq!(raw.message_topic(), Ok("plant/3/m1/state"));
        assert_eq!(raw.topic_level("line"), Ok("3"));
        assert_eq!(raw.topic_level("machine"), Ok("m1"));
        let unnamed = raw.topic_level("plant").unwrap_err();
        assert_eq!(unnamed.reason, "the record has no topic level `plant`");
        assert!(unnamed.detail.unwrap().contains("names no level"));
    }

    #[test]
    fn a_record_of_a_file_has_no_topic_and_is_rejected_where_one_is_read() {
        let line = RawRecord::json_line(Arc::from("s"), 2, "{}");
        assert_eq!(
            line.message_topic().unwrap_err().reason,
            "the record has no topic"
        );
        let level = line.topic_level("line").unwrap_err();
        assert!(level.to_string().contains("read from a file"), "{level}");
        // A message no filter was given to (the source rejects those at decode) has no levels.
        let unmatched = RawRecord::message(Arc::from("s"), 3, "a/b", "{}");
        assert!(unmatched
            .topic_level("x")
            .unwrap_err()
            .detail
            .unwrap()
            .contains("no filter"));
    }
}
