//! The dead letter read back: its entries (one rejected record each) and the lines a replay wrote
//! (what became of a replayed entry).
//!
//! Lines written before entries had ids, times and formats still read: such a line's id is made
//! from its bytes ([`content_id`]), so it is the same at every reading, and its format is worked
//! out from its source when it is replayed. A line that is not a JSON object (a line cut short by a
//! crash, say) is counted, not fatal.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::dead_letter::{MappingStamp, Stage};
use crate::error::RunError;
use crate::record::Position;

/// One rejected record of the dead letter.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEntry {
    pub id: String,
    /// Its 1-based line in the file.
    pub line: u64,
    /// When it was dead-lettered (RFC 3339); `None` for lines written before lines had a time.
    pub time: Option<String>,
    /// `None` for a decode reject, which concerns every flow of its source.
    pub flow: Option<String>,
    pub stage: Stage,
    pub reason: String,
    pub detail: Option<String>,
    pub source: String,
    pub position: Position,
    pub topic: Option<String>,
    /// `csv`, `json` or `message`; `None` for old lines.
    pub format: Option<String>,
    /// The number of columns of a CSV row's header.
    pub columns: Option<usize>,
    /// The line of its file the record started on (records of files).
    pub file_line: Option<u64>,
    pub unreadable: Option<String>,
    /// The id of the entry a replay rejected again as this one.
    pub replay_of: Option<String>,
    /// `{"name", "version", "sha256"}` of the mapping that rejected it (shared by the entries of
    /// one mapping: a dead letter holds few).
    pub mapping: Option<Arc<Value>>,
    /// The original record (see `RawRecord::original`).
    pub record: Value,
    /// The keys of `record` when it is an object, in the order of the line (a CSV row's: its
    /// header's), which `record` does not keep.
    pub record_keys: Vec<String>,
    /// Fields this version does not know (added by newer versions or other parts of the runtime),
    /// shown as they are.
    pub other: Map<String, Value>,
}

impl StoredEntry {
    /// When it was dead-lettered, if the line says.
    pub fn dead_lettered_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let time = self.time.as_deref()?;
        chrono::DateTime::parse_from_rfc3339(time)
            .ok()
            .map(|t| t.with_timezone(&chrono::Utc))
    }
}

/// What became of a replayed record, per flow and as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Written,
    Filtered,
    Rejected,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Written => "written",
            Outcome::Filtered => "filtered",
            Outcome::Rejected => "rejected",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "written" => Some(Outcome::Written),
            "filtered" => Some(Outcome::Filtered),
            "rejected" => Some(Outcome::Rejected),
            _ => None,
        }
    }

    /// The outcome of a record from those of its flows: rejected if any flow rejected it, else
    /// written if any wrote it, else filtered.
    pub fn of_flows(outcomes: impl IntoIterator<Item = Outcome>) -> Outcome {
        outcomes
            .into_iter()
            .fold(Outcome::Filtered, |whole, flow| match (whole, flow) {
                (Outcome::Rejected, _) | (_, Outcome::Rejected) => Outcome::Rejected,
                (Outcome::Written, _) | (_, Outcome::Written) => Outcome::Written,
                _ => Outcome::Filtered,
            })
    }
}

/// The line a replay writes for each entry it replayed:
/// `{"id", "time", "replayed": "<entry id>", "outcome": "written"|"filtered"|"rejected",
///   "flows": {"<flow>": "<outcome>"}, "rejected_as": ["<id of the new entry>"], "mapping": {...}}`.
#[derive(Debug, Serialize)]
pub struct ReplayLine<'a> {
    pub id: &'a str,
    pub time: &'a str,
    pub replayed: &'a str,
    pub outcome: Outcome,
    pub flows: &'a BTreeMap<String, Outcome>,
    pub rejected_as: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mapping: Option<MappingStamp>,
}

/// A replay line read back.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayMark {
    pub id: String,
    pub line: u64,
    pub time: Option<String>,
    /// The id of the entry replayed.
    pub replayed: String,
    pub outcome: Option<Outcome>,
    pub flows: BTreeMap<String, String>,
    pub rejected_as: Vec<String>,
}

/// The whole dead letter, read.
#[derive(Debug, Default)]
pub struct DeadLetterFile {
    pub entries: Vec<StoredEntry>,
    pub replays: Vec<ReplayMark>,
    /// Lines that are neither (not JSON, cut short): their numbers.
    pub unreadable_lines: Vec<u64>,
    /// The distinct `mapping` values of the entries, which they share.
    mappings: Vec<Arc<Value>>,
}

impl DeadLetterFile {
    /// Reads the dead letter at `path`; a file that does not exist is an empty dead letter.
    pub fn read(path: &Path) -> Result<Self, RunError> {
        Self::read_keeping(path, |_| true)
    }

    /// Reads the dead letter at `path`, keeping only the entries `keep` wants (and every replay
    /// line): a dead letter of millions of lines need not be held whole to list or replay a few.
    pub fn read_keeping(
        path: &Path,
        mut keep: impl FnMut(&StoredEntry) -> bool,
    ) -> Result<Self, RunError> {
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(RunError::io("read the dead letter", path, e)),
        };
        let mut read = Self::default();
        let mut reader = BufReader::new(file);
        let mut bytes = Vec::new();
        let mut number = 0;
        loop {
            bytes.clear();
            let n = reader
                .read_until(b'\n', &mut bytes)
                .map_err(|e| RunError::io("read the dead letter", path, e))?;
            if n == 0 {
                break;
            }
            number += 1;
            read.add_line(number, &bytes, &mut keep);
        }
        Ok(read)
    }

    /// Reads dead-letter lines from text (for tests and tools).
    pub fn parse(text: &str) -> Self {
        let mut read = Self::default();
        for (index, line) in text.split_inclusive('\n').enumerate() {
            read.add_line(index as u64 + 1, line.as_bytes(), &mut |_| true);
        }
        read
    }

    fn add_line(&mut self, number: u64, bytes: &[u8], keep: &mut dyn FnMut(&StoredEntry) -> bool) {
        let trimmed = bytes.trim_ascii();
        if trimmed.is_empty() {
            return;
        }
        match parse_line(number, trimmed) {
            Some(ParsedLine::Entry(mut entry)) => {
                if !keep(&entry) {
                    return;
                }
                if entry.record.is_object() {
                    entry.record_keys = record_keys(trimmed);
                }
                if let Some(mapping) = entry.mapping.take() {
                    let shared = match self.mappings.iter().find(|m| **m == mapping) {
                        Some(shared) => shared.clone(),
                        None => {
                            self.mappings.push(mapping.clone());
                            mapping
                        }
                    };
                    entry.mapping = Some(shared);
                }
                self.entries.push(*entry)
            }
            Some(ParsedLine::Replay(mark)) => self.replays.push(mark),
            None => self.unreadable_lines.push(number),
        }
    }

    /// The replay lines by the id of the entry they replayed, in file order.
    pub fn replays_by_entry(&self) -> BTreeMap<&str, Vec<&ReplayMark>> {
        let mut by_entry: BTreeMap<&str, Vec<&ReplayMark>> = BTreeMap::new();
        for mark in &self.replays {
            by_entry.entry(&mark.replayed).or_default().push(mark);
        }
        by_entry
    }

    /// The entry whose id is `id`, or starts with it when only one does.
    pub fn find(&self, id: &str) -> Result<&StoredEntry, String> {
        if let Some(entry) = self.entries.iter().find(|e| e.id == id) {
            return Ok(entry);
        }
        let matching: Vec<&StoredEntry> = self
            .entries
            .iter()
            .filter(|e| !id.is_empty() && e.id.starts_with(id))
            .collect();
        match matching.as_slice() {
            [entry] => Ok(entry),
            [] => Err(format!("the dead letter has no entry {id:?}")),
            several => Err(format!(
                "{} entries of the dead letter start with {id:?}; give more of the id",
                several.len()
            )),
        }
    }
}

enum ParsedLine {
    Entry(Box<StoredEntry>),
    Replay(ReplayMark),
}

fn parse_line(number: u64, bytes: &[u8]) -> Option<ParsedLine> {
    let Ok(Value::Object(mut fields)) = serde_json::from_slice::<Value>(bytes) else {
        return None;
    };
    let id = take_string(&mut fields, "id").unwrap_or_else(|| content_id(bytes));
    let time = take_string(&mut fields, "time");
    if let Some(replayed) = take_string(&mut fields, "replayed") {
        let flows = match fields.remove("flows") {
            Some(Value::Object(flows)) => flows
                .into_iter()
                .filter_map(|(flow, outcome)| Some((flow, outcome.as_str()?.to_string())))
                .collect(),
            _ => BTreeMap::new(),
        };
        let rejected_as = match fields.remove("rejected_as") {
            Some(Value::Array(ids)) => ids
                .into_iter()
                .filter_map(|id| id.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        let outcome = take_string(&mut fields, "outcome").and_then(|o| Outcome::parse(&o));
        return Some(ParsedLine::Replay(ReplayMark {
            id,
            line: number,
            time,
            replayed,
            outcome,
            flows,
            rejected_as,
        }));
    }
    let stage = match take_string(&mut fields, "stage")?.as_str() {
        "decode" => Stage::Decode,
        "map" => Stage::Map,
        "write" => Stage::Write,
        _ => return None,
    };
    let position = fields.remove("position")?.as_u64()?;
    let source = take_string(&mut fields, "source")?;
    let reason = take_string(&mut fields, "reason")?;
    Some(ParsedLine::Entry(Box::new(StoredEntry {
        id,
        line: number,
        time,
        flow: take_string(&mut fields, "flow"),
        stage,
        reason,
        detail: take_string(&mut fields, "detail"),
        source,
        position,
        topic: take_string(&mut fields, "topic"),
        format: take_string(&mut fields, "format"),
        columns: fields
            .remove("columns")
            .and_then(|c| c.as_u64())
            .and_then(|c| usize::try_from(c).ok()),
        file_line: fields.remove("line").and_then(|line| line.as_u64()),
        unreadable: take_string(&mut fields, "unreadable"),
        replay_of: take_string(&mut fields, "replay_of"),
        mapping: fields
            .remove("mapping")
            .filter(|m| !m.is_null())
            .map(Arc::new),
        // Filled in by `add_line` for the entries it keeps: a second parse of the line.
        record_keys: Vec::new(),
        record: fields.remove("record").unwrap_or(Value::Null),
        other: fields,
    })))
}

/// The keys of the line's `record` object in the order they are written (serde_json's `Value`
/// sorts them).
fn record_keys(bytes: &[u8]) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct RecordOnly {
        #[serde(default)]
        record: KeyOrder,
    }
    #[derive(Default)]
    struct KeyOrder(Vec<String>);
    impl<'de> serde::Deserialize<'de> for KeyOrder {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct Keys;
            impl<'de> serde::de::Visitor<'de> for Keys {
                type Value = KeyOrder;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<KeyOrder, A::Error> {
                    let mut keys = Vec::new();
                    while let Some(key) = map.next_key::<String>()? {
                        map.next_value::<serde::de::IgnoredAny>()?;
                        keys.push(key);
                    }
                    Ok(KeyOrder(keys))
                }
            }
            deserializer.deserialize_map(Keys)
        }
    }
    serde_json::from_slice::<RecordOnly>(bytes).map_or_else(|_| Vec::new(), |line| line.record.0)
}

fn take_string(fields: &mut Map<String, Value>, name: &str) -> Option<String> {
    match fields.remove(name)? {
        Value::String(text) => Some(text),
        _ => None,
    }
}

/// The id of a line written before lines had ids: `line-` and the 64-bit FNV-1a hash of its bytes
/// (without the line break), so that it is the same whenever the file is read.
pub fn content_id(bytes: &[u8]) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let hash = bytes.iter().fold(OFFSET, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    });
    format!("line-{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD_LINE: &str = r#"{"flow":"spindle","stage":"map","reason":"unknown machine","detail":null,"source":"mill","position":4,"record":{"b":"1","a":"2"}}"#;

    #[test]
    fn reads_entries_replay_lines_old_lines_and_counts_the_rest() {
        let text = format!(
            "{}\n{OLD_LINE}\n{{\"flow\": cut short\n\n{}\n{}\n",
            r#"{"id":"0a","time":"2026-12-07T05:00:00.000Z","flow":null,"stage":"decode","reason":"bad","detail":"why","source":"broker","position":9,"topic":"plant/3","format":"message","unreadable":"not UTF-8","replay_of":"09","mapping":{"name":"m","version":"1","sha256":"ab"},"record":{"base64":"/v8="},"mapped":{"x":1}}"#,
            r#"{"id":"0b","time":"2026-12-07T05:01:00.000Z","replayed":"0a","outcome":"rejected","flows":{"f":"rejected"},"rejected_as":["0c"]}"#,
            r#"{"stage":"sideways","source":"s","position":1,"reason":"r"}"#,
        );
        let file = DeadLetterFile::parse(&text);
        assert_eq!(file.entries.len(), 2);
        assert_eq!(file.unreadable_lines, [3, 6]);
        let new = &file.entries[0];
        assert_eq!(
            (new.id.as_str(), new.line, new.stage, new.position),
            ("0a", 1, Stage::Decode, 9)
        );
        assert_eq!(new.flow, None);
        assert_eq!(new.topic.as_deref(), Some("plant/3"));
        assert_eq!(new.unreadable.as_deref(), Some("not UTF-8"));
        assert_eq!(new.replay_of.as_deref(), Some("09"));
        assert_eq!(new.mapping.as_ref().unwrap()["sha256"], "ab");
        assert_eq!(new.record_keys, ["base64"]);
        // A field another part of the runtime adds is kept, to be shown.
        assert_eq!(new.other["mapped"], serde_json::json!({"x": 1}));
        assert!(new.dead_lettered_at().is_some());

        let old = &file.entries[1];
        assert_eq!(old.id, content_id(OLD_LINE.as_bytes()));
        assert_eq!((old.time.as_deref(), old.format.as_deref()), (None, None));
        assert_eq!(old.record_keys, ["b", "a"]);
        assert_eq!(old.dead_lettered_at(), None);

        let mark = &file.replays[0];
        assert_eq!(mark.replayed, "0a");
        assert_eq!(mark.outcome, Some(Outcome::Rejected));
        assert_eq!(mark.rejected_as, ["0c"]);
        assert_eq!(mark.flows["f"], "rejected");
        assert_eq!(file.replays_by_entry()["0a"].len(), 1);
    }

    #[test]
    fn an_old_line_has_the_same_id_at_every_reading() {
        let once = DeadLetterFile::parse(OLD_LINE);
        let twice = DeadLetterFile::parse(&format!("\n{OLD_LINE}\r\n"));
        assert_eq!(once.entries[0].id, twice.entries[0].id);
        assert!(once.entries[0].id.starts_with("line-"));
    }

    #[test]
    fn finds_an_entry_by_its_id_or_a_unique_start_of_it() {
        let line = |id: &str| {
            format!(
                r#"{{"id":"{id}","flow":null,"stage":"decode","reason":"r","detail":null,"source":"s","position":1,"record":1}}"#
            )
        };
        let file = DeadLetterFile::parse(&[line("abc1"), line("abc2"), line("abd")].join("\n"));
        assert_eq!(file.find("abc2").unwrap().id, "abc2");
        assert_eq!(file.find("abd").unwrap().id, "abd");
        assert_eq!(
            file.find("ab").unwrap_err(),
            "3 entries of the dead letter start with \"ab\"; give more of the id"
        );
        assert!(file.find("x").unwrap_err().contains("no entry"));
        assert!(file.find("").is_err());
    }

    #[test]
    fn a_record_is_rejected_when_any_flow_rejects_it_else_written_when_any_writes_it() {
        use Outcome::*;
        assert_eq!(Outcome::of_flows([Written, Filtered]), Written);
        assert_eq!(Outcome::of_flows([Filtered, Rejected, Written]), Rejected);
        assert_eq!(Outcome::of_flows([Filtered]), Filtered);
    }
}
