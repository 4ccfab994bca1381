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
    record: OriginalRecord<'a>,
    /// The mapped record a queued target refused for good (store and forward's quarantine, stage "write"), as
    /// the target was given it; left out otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    mapped: Option<&'a serde_json::value::RawValue>,
}

/// A JSON Lines file of rejected records:
/// `{"flow": "spindle" | null, "stage": "decode"|"map"|"write", "reason": "...", "detail": "..." | null,
///   "source": "mill", "position": 17, "record": <original>}`, and for a broker message its `"topic"` before
/// `"record"` (see [`RawRecord::original`] for what `record` holds).
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
            writer: BufWriter::with_capacity(crate::files::IO_BUFFER_BYTES, file),
            records: 0,
            unsynced: true,
        })
    }

    /// Appends one rejected record.
    pub fn write(
        &mut self,
        flow: Option<&str>,
        stage: Stage,
        reject: &Reject,
        raw: &RawRecord,
    ) -> Result<(), RunError> {
        self.write_line(flow, stage, reject, raw, None)
    }

    /// Appends one record a queued target refused for good (stage "write"), with the mapped record it was
    /// given (see `crate::queue`).
    pub fn write_quarantined(
        &mut self,
        flow: Option<&str>,
        reject: &Reject,
        raw: &RawRecord,
        mapped: &serde_json::value::RawValue,
    ) -> Result<(), RunError> {
        self.write_line(flow, Stage::Write, reject, raw, Some(mapped))
    }

    fn write_line(
        &mut self,
        flow: Option<&str>,
        stage: Stage,
        reject: &Reject,
        raw: &RawRecord,
        mapped: Option<&serde_json::value::RawValue>,
    ) -> Result<(), RunError> {
        let entry = Entry {
            flow,
            stage,
            reason: &reject.reason,
            detail: reject.detail.as_deref(),
            source: raw.source(),
            position: raw.position(),
            topic: raw.topic(),
            record: raw.original_view(),
            mapped,
        };
        let mut line = serde_json::to_vec(&entry).map_err(|e| {
            RunError::io(
                "write the dead letter",
                &self.path,
                std::io::Error::other(e),
            )
        })?;
        line.push(b'\n');
        self.writer
            .write_all(&line)
            .map_err(|e| RunError::io("write the dead letter", &self.path, e))?;
        self.records += 1;
        self.unsynced = true;
        tracing::info!(
            target: "fdi::reject",
            flow,
            stage = stage.as_str(),
            source = raw.source(),
            position = raw.position(),
            reason = %reject.reason,
            detail = reject.detail.as_deref(),
            "record rejected"
        );
        Ok(())
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

impl Durable for DeadLetter {
    fn name(&self) -> &str {
        "dead letter"
    }

    fn hand_over(&mut self) -> Result<(), RunError> {
        self.writer
            .flush()
            .map_err(|e| RunError::io("write the dead letter", &self.path, e))
    }

    fn flush(&mut self) -> Result<(), RunError> {
        if !self.unsynced {
            return Ok(());
        }
        self.writer
            .flush()
            .map_err(|e| RunError::io("write the dead letter", &self.path, e))?;
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
        assert_eq!(
            lines[0],
            r#"{"flow":"spindle","stage":"map","reason":"unknown machine","detail":"lookup machines has no entry \"X\"","source":"mill","position":17,"record":{"b":"1","a":"2"}}"#
        );
        let second: Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(second["flow"], Value::Null);
        assert_eq!(second["stage"], json!("decode"));
        assert_eq!(second["detail"], Value::Null);
        assert_eq!(dead_letter.records(), 2);
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
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "{\"flow\":null,\"stage\":\"decode\",\"reason\":\"bad\",\"detail\":null,\"source\":\"broker\",\
             \"position\":9,\"topic\":\"plant/3/m1\",\"record\":{\"base64\":\"/v8=\"}}\n"
        );
    }
}
