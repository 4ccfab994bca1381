//! The dead letter: where every record that was not written goes, with the reason, so nothing is silently
//! dropped.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::RunError;
use crate::outcome::Reject;
use crate::record::{OriginalRecord, Position, RawRecord};
use crate::target::Durable;

/// The stage at which a record was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Decode,
    Map,
    Write,
}

impl Stage {
    /// The stage as the dead letter, the logs and the metrics name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Decode => "decode",
            Stage::Map => "map",
            Stage::Write => "write",
        }
    }
}

/// One line of the dead letter.
#[derive(Serialize)]
struct Entry<'a> {
    /// Unique per line (see [`new_line_id`]): what `dead-letter show` and replays name it by.
    id: &'a str,
    /// When the record was dead-lettered, RFC 3339 in UTC.
    time: &'a str,
    /// `None` for decode rejects, which concern every flow of the source.
    flow: Option<&'a str>,
    stage: Stage,
    reason: &'a str,
    detail: Option<&'a str>,
    source: &'a str,
    position: Position,
    /// The topic of a broker message; left out for records of files.
    #[serde(skip_serializing_if = "Option::is_none")]
    topic: Option<&'a str>,
    /// The kind of payload (`csv`, `json`, `message`: [`RawRecord::format`]), and for a CSV row
    /// the number of columns of its header, so that a replay makes the same raw record again.
    format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    columns: Option<usize>,
    /// The line of its file the record starts on, for a record of a file (a CSV row with a quoted
    /// line break spans several): a replayed record's provenance names the same line.
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u64>,
    /// Why the record could not be read at all (not UTF-8, a payload only the source reads): a
    /// replay rejects it again with this text rather than decode a lossy copy.
    #[serde(skip_serializing_if = "Option::is_none")]
    unreadable: Option<&'a str>,
    /// The id of the line this record was replayed from, when a replay rejected it again.
    #[serde(skip_serializing_if = "Option::is_none")]
    replay_of: Option<&'a str>,
    /// The mapping that rejected it: name, version and the SHA-256 of the mapping file.
    #[serde(skip_serializing_if = "Option::is_none")]
    mapping: Option<MappingStamp>,
    record: OriginalRecord<'a>,
    /// The mapped record a queued target refused for good (store and forward's quarantine, stage "write"), as
    /// the target was given it; left out otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    mapped: Option<&'a serde_json::value::RawValue>,
}

/// The mapping a dead-letter line was written by (from the build manifest).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct MappingStamp {
    pub name: &'static str,
    pub version: &'static str,
    pub sha256: &'static str,
}

impl MappingStamp {
    pub fn of(program: &crate::run::ProgramInfo) -> Self {
        MappingStamp {
            name: program.mapping,
            version: program.version,
            sha256: program.manifest.mapping.sha256,
        }
    }
}

/// A new id for a dead-letter line: unique on this machine (the time in microseconds, the process
/// and a counter of the process) and sorting in the order the lines were written within a process.
pub fn new_line_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    // Asked of the OS once: `std::process::id` is a system call on every call.
    static PROCESS: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    let process = *PROCESS.get_or_init(std::process::id);
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_micros() as u64);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{micros:013x}-{:05x}-{:04x}",
        process & 0xf_ffff,
        count & 0xffff
    )
}

/// Now, RFC 3339 in UTC with milliseconds, as dead-letter lines give their time.
pub fn line_time() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A JSON Lines file of rejected records:
/// `{"id": "...", "time": "2026-12-07T05:40:25.123Z", "flow": "spindle" | null,
///   "stage": "decode"|"map"|"write", "reason": "...", "detail": "..." | null, "source": "mill", "position": 17,
///   "format": "csv", "columns": 12, "line": 18, "mapping": {"name", "version", "sha256"}, "record": <original>}`;
/// a broker message adds its `"topic"` after `"position"`, an unreadable record `"unreadable"` (why), a
/// record a replay rejected again `"replay_of"` (the id it was replayed from). See [`RawRecord::original`]
/// for what `record` holds. A replay also writes one line per replayed record (`replay/lines.rs`).
///
/// Created (truncated) at the start of a run so it never mixes runs, and flushed with the targets at every
/// checkpoint: a position is only acknowledged once its rejects are durable too.
pub struct DeadLetter {
    path: PathBuf,
    writer: BufWriter<File>,
    records: u64,
    /// Whether lines were written (or the file created) since the last sync: a checkpoint with
    /// nothing new to make durable costs no fsync (a busy MQTT source checkpoints every 20
    /// messages).
    unsynced: bool,
    /// Since when the oldest line in the writer's buffer waits, for a hand-over.
    buffered_since: crate::files::BufferedSince,
    /// The mapping its lines name (see [`DeadLetter::stamped`]).
    mapping: Option<MappingStamp>,
}

impl DeadLetter {
    /// Creates (or truncates) the file, creating its parent directories.
    pub fn create(path: &Path) -> Result<Self, RunError> {
        Self::open(path, false)
    }

    /// Opens the file: appending to it (`append`, a service's dead letter, which outlives restarts: see
    /// `files::open_lines_for_append`) or truncating it (a batch run's).
    pub fn open(path: &Path, append: bool) -> Result<Self, RunError> {
        let file = if append {
            crate::files::open_lines_for_append(path, "dead letter")?
        } else {
            crate::files::create_file(path, "dead letter")?
        };
        Ok(DeadLetter {
            path: path.to_path_buf(),
            writer: BufWriter::with_capacity(crate::files::WRITE_BUFFER_BYTES, file),
            records: 0,
            unsynced: true,
            buffered_since: crate::files::BufferedSince::default(),
            mapping: None,
        })
    }

    /// The same dead letter, whose lines name `program`'s mapping, version and hash.
    pub fn stamped(mut self, program: &crate::run::ProgramInfo) -> Self {
        self.mapping = Some(MappingStamp::of(program));
        self
    }

    /// Appends one rejected record; returns the id of its line.
    pub fn write(
        &mut self,
        flow: Option<&str>,
        stage: Stage,
        reject: &Reject,
        raw: &RawRecord,
    ) -> Result<String, RunError> {
        self.write_entry(flow, stage, reject, raw, None, None)
    }

    /// Appends one record a queued target refused for good (stage "write"), with the mapped record it was
    /// given (see `crate::queue`); returns the id of its line.
    pub fn write_quarantined(
        &mut self,
        flow: Option<&str>,
        reject: &Reject,
        raw: &RawRecord,
        mapped: &serde_json::value::RawValue,
    ) -> Result<String, RunError> {
        self.write_entry(flow, Stage::Write, reject, raw, None, Some(mapped))
    }

    /// Appends one rejected record, which a replay of line `replay_of` (if any) rejected again;
    /// returns the id of its line.
    pub(crate) fn write_replayed(
        &mut self,
        flow: Option<&str>,
        stage: Stage,
        reject: &Reject,
        raw: &RawRecord,
        replay_of: Option<&str>,
    ) -> Result<String, RunError> {
        self.write_entry(flow, stage, reject, raw, replay_of, None)
    }

    fn write_entry(
        &mut self,
        flow: Option<&str>,
        stage: Stage,
        reject: &Reject,
        raw: &RawRecord,
        replay_of: Option<&str>,
        mapped: Option<&serde_json::value::RawValue>,
    ) -> Result<String, RunError> {
        let id = new_line_id();
        let entry = Entry {
            id: &id,
            time: &line_time(),
            flow,
            stage,
            reason: &reject.reason,
            detail: reject.detail.as_deref(),
            source: raw.source(),
            position: raw.position(),
            topic: raw.topic(),
            format: raw.format(),
            columns: raw.header_columns(),
            line: (raw.format() != "message").then(|| raw.line()),
            unreadable: raw.unreadable(),
            replay_of,
            mapping: self.mapping,
            record: raw.original_view(),
            mapped,
        };
        self.write_line(&entry)?;
        self.records += 1;
        tracing::info!(
            target: "fdi::reject",
            flow,
            stage = stage.as_str(),
            source = raw.source(),
            position = raw.position(),
            reason = %reject.reason,
            detail = reject.detail.as_deref(),
            id = %id,
            "record rejected"
        );
        Ok(id)
    }

    /// Appends one line that is not a rejected record (a replay's record of what became of one).
    pub(crate) fn write_line<T: Serialize>(&mut self, line: &T) -> Result<(), RunError> {
        let mut bytes = serde_json::to_vec(line).map_err(|e| {
            RunError::io(
                "write the dead letter",
                &self.path,
                std::io::Error::other(e),
            )
        })?;
        bytes.push(b'\n');
        self.buffered_since.buffering(self.writer.buffer().len());
        self.writer
            .write_all(&bytes)
            .map_err(|e| RunError::io("write the dead letter", &self.path, e))?;
        self.unsynced = true;
        Ok(())
    }

    /// The mapping its lines name, when it knows it.
    pub fn mapping(&self) -> Option<MappingStamp> {
        self.mapping
    }

    /// The dead-letter file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records written to it in this run.
    pub fn records(&self) -> u64 {
        self.records
    }
}

impl DeadLetter {
    fn hand_over_at(&mut self, now: std::time::Instant) -> Result<(), RunError> {
        if !self.buffered_since.hand_over_due(now) {
            return Ok(());
        }
        self.hand_over()
    }
}

impl Durable for DeadLetter {
    fn name(&self) -> &str {
        "dead letter"
    }

    fn hand_over(&mut self) -> Result<(), RunError> {
        self.writer
            .flush()
            .map_err(|e| RunError::io("write the dead letter", &self.path, e))?;
        self.buffered_since.written(0);
        Ok(())
    }

    /// The lines go to the file once the oldest has waited `files::HAND_OVER_WITHIN`, as a file
    /// target's do.
    fn hand_over_lazily(&mut self) -> Result<(), RunError> {
        self.hand_over_at(std::time::Instant::now())
    }

    fn flush(&mut self) -> Result<(), RunError> {
        if !self.unsynced {
            return Ok(());
        }
        self.writer
            .flush()
            .map_err(|e| RunError::io("write the dead letter", &self.path, e))?;
        self.buffered_since.written(0);
        self.writer
            .get_ref()
            .sync_data()
            .map_err(|e| RunError::io("sync the dead letter", &self.path, e))?;
        self.unsynced = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};
    use std::sync::Arc;

    #[test]
    fn writes_one_line_per_reject_and_truncates_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out/dl.jsonl");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "from an earlier run\n").unwrap();

        let mut dead_letter = DeadLetter::create(&path).unwrap();
        let raw = RawRecord::csv(
            Arc::from("mill"),
            17,
            Arc::new(csv::StringRecord::from(vec!["b", "a"])),
            csv::StringRecord::from(vec!["1", "2"]),
        );
        let reject =
            Reject::new("unknown machine").with_detail("lookup machines has no entry \"X\"");
        dead_letter
            .write(Some("spindle"), Stage::Map, &reject, &raw)
            .unwrap();
        dead_letter
            .write(None, Stage::Decode, &Reject::new("bad"), &raw)
            .unwrap();
        dead_letter.flush().unwrap();

        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        // Every field, in this order; the id and time differ per line and run.
        let first: Value = serde_json::from_str(lines[0]).unwrap();
        let id = first["id"].as_str().unwrap();
        let time = first["time"].as_str().unwrap();
        assert_eq!(
            lines[0],
            format!(
                r#"{{"id":"{id}","time":"{time}","flow":"spindle","stage":"map","reason":"unknown machine","detail":"lookup machines has no entry \"X\"","source":"mill","position":17,"format":"csv","columns":2,"line":18,"record":{{"b":"1","a":"2"}}}}"#
            )
        );
        let parsed = chrono::DateTime::parse_from_rfc3339(time).unwrap();
        assert_eq!(parsed.offset().local_minus_utc(), 0);
        assert!(time.ends_with('Z'), "{time}");
        let second: Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(second["flow"], Value::Null);
        assert_eq!(second["stage"], json!("decode"));
        assert_eq!(second["detail"], Value::Null);
        assert_ne!(second["id"], first["id"]);
        assert_eq!(dead_letter.records(), 2);
    }

    #[test]
    fn a_line_names_the_mapping_and_the_entry_a_replay_rejected_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dl.jsonl");
        let mut program = crate::run::MILL_PROGRAM;
        const MANIFEST: crate::Manifest = crate::Manifest {
            mapping: crate::InputFile {
                path: "mill_to_mes.fdi",
                sha256: "3f2a9c",
            },
            ..crate::Manifest::UNKNOWN
        };
        program.manifest = &MANIFEST;
        let mut dead_letter = DeadLetter::create(&path).unwrap().stamped(&program);
        let raw = RawRecord::json_line(Arc::from("mill"), 3, "{not json");
        let id = dead_letter
            .write_replayed(
                None,
                Stage::Decode,
                &Reject::new("bad"),
                &raw,
                Some("earlier"),
            )
            .unwrap();
        dead_letter.flush().unwrap();
        let line: Value =
            serde_json::from_str(std::fs::read_to_string(&path).unwrap().trim()).unwrap();
        assert_eq!(line["id"], json!(id));
        assert_eq!(line["replay_of"], json!("earlier"));
        assert_eq!(line["format"], json!("json"));
        assert_eq!(line["columns"], Value::Null);
        assert_eq!(
            line["mapping"],
            json!({"name": "mill_to_mes", "version": "0.1.0", "sha256": "3f2a9c"})
        );
        assert_eq!(line["record"], json!("{not json"));
    }

    #[test]
    fn ids_are_unique_within_and_across_threads() {
        let ids: Vec<String> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| (0..1000).map(|_| new_line_id()).collect::<Vec<_>>()))
                .collect();
            threads
                .into_iter()
                .flat_map(|t| t.join().unwrap())
                .collect()
        });
        let distinct: std::collections::BTreeSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
    }

    #[test]
    fn a_message_keeps_its_topic_and_bytes_that_are_not_utf8_as_base64() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dl.jsonl");
        let mut dead_letter = DeadLetter::create(&path).unwrap();
        let raw = RawRecord::message(Arc::from("broker"), 9, "plant/3/m1", vec![0xfe, 0xff]);
        dead_letter
            .write(None, Stage::Decode, &Reject::new("bad"), &raw)
            .unwrap();
        dead_letter.flush().unwrap();
        let line: Value =
            serde_json::from_str(std::fs::read_to_string(&path).unwrap().trim()).unwrap();
        assert_eq!(line["topic"], json!("plant/3/m1"));
        assert_eq!(line["format"], json!("message"));
        assert_eq!(line["record"], json!({"base64": "/v8="}));
    }

    #[test]
    fn an_unreadable_record_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dl.jsonl");
        let mut dead_letter = DeadLetter::create(&path).unwrap();
        let raw = RawRecord::unreadable_message(
            Arc::from("edge"),
            4,
            "spBv1.0/g/NDATA/n",
            vec![0x08, 0xff],
            "the payload is not a Sparkplug B payload",
        );
        dead_letter
            .write(None, Stage::Decode, &Reject::new("bad"), &raw)
            .unwrap();
        dead_letter.flush().unwrap();
        let line: Value =
            serde_json::from_str(std::fs::read_to_string(&path).unwrap().trim()).unwrap();
        assert_eq!(
            line["unreadable"],
            json!("the payload is not a Sparkplug B payload")
        );
        assert_eq!(line["record"], json!({"base64": "CP8="}));
    }

    #[test]
    fn a_hand_over_writes_the_lines_once_the_oldest_has_waited_long_enough() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dl.jsonl");
        let mut dead_letter = DeadLetter::create(&path).unwrap();
        let raw = RawRecord::json_line(Arc::from("events"), 3, "{}");
        dead_letter
            .write(None, Stage::Decode, &Reject::new("bad"), &raw)
            .unwrap();
        let written_at = std::time::Instant::now();

        dead_letter.hand_over_at(written_at).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
        let late =
            written_at + crate::files::HAND_OVER_WITHIN + std::time::Duration::from_millis(1);
        dead_letter.hand_over_at(late).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 1);
        // Nothing buffered: a later hand-over has nothing to write.
        dead_letter.hand_over_at(late).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 1);
    }
}
