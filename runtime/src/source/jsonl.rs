//! JSON Lines files as a source.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::SPARE_RECORDS;
use super::{AcknowledgedPosition, ReadProgress, Source};
use crate::error::RunError;
use crate::record::{Payload, Position, RawRecord};

/// A JSON Lines file, read one line at a time into a buffer reused through [`Source::recycle`].
///
/// Blank lines are skipped but still count as a line, so a record's position is its line number. A line that
/// is not valid JSON (or not UTF-8) is still a record: the decode stage rejects it and the dead letter keeps the
/// raw text.
pub struct JsonlSource {
    name: Arc<str>,
    path: PathBuf,
    /// The file; nothing for a source a replay stands in for (see [`JsonlSource::without_input`]).
    reader: BufReader<Box<dyn std::io::Read + Send>>,
    line_number: Position,
    acknowledged: AcknowledgedPosition,
    /// The text buffers of recycled records (a chunk's worth at most), filled again by the next reads.
    spare: Vec<String>,
    read_bytes: u64,
    /// The file's size when opened.
    size: Option<u64>,
}

impl JsonlSource {
    /// Opens `path`. A missing file is fatal.
    pub fn open(name: &str, path: &Path) -> Result<Self, RunError> {
        let file = File::open(path)
            .map_err(|e| RunError::io(format!("open the input of source {name}"), path, e))?;
        let size = file.metadata().ok().map(|m| m.len());
        Ok(JsonlSource {
            name: Arc::from(name),
            path: path.to_path_buf(),
            reader: BufReader::with_capacity(crate::files::IO_BUFFER_BYTES, Box::new(file)),
            line_number: 0,
            acknowledged: AcknowledgedPosition::default(),
            spare: Vec::new(),
            read_bytes: 0,
            size,
        })
    }

    /// A source with no input, which a replay of the dead letter registers in place of the file
    /// (`run/replay.rs`): the file is not opened.
    pub(crate) fn without_input(name: &str) -> Self {
        JsonlSource {
            name: Arc::from(name),
            path: PathBuf::new(),
            reader: BufReader::new(Box::new(std::io::empty())),
            line_number: 0,
            acknowledged: AcknowledgedPosition::default(),
            spare: Vec::new(),
            read_bytes: 0,
            size: None,
        }
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Source for JsonlSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn read(&mut self) -> Result<Option<RawRecord>, RunError> {
        // The line is read straight into the buffer the record will own (a recycled one when
        // there is one), so its bytes are copied once, from the reader's buffer.
        let mut line = self.spare.pop().map(String::into_bytes).unwrap_or_default();
        loop {
            line.clear();
            // read_until rather than read_line: a line that is not UTF-8 must become a rejected record, not a
            // fatal error.
            let bytes = self.reader.read_until(b'\n', &mut line).map_err(|e| {
                RunError::io(
                    format!("read the input of source {}", self.name),
                    &self.path,
                    e,
                )
            })?;
            if bytes == 0 {
                return Ok(None);
            }
            self.read_bytes += bytes as u64;
            self.line_number += 1;
            let content_len = trim_line_end(&line).len();
            if line[..content_len].iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            line.truncate(content_len);
            let (text, encoding_error) = match String::from_utf8(line) {
                Ok(text) => (text, None),
                Err(e) => (
                    String::from_utf8_lossy(e.as_bytes()).into_owned(),
                    Some(format!("line is not valid UTF-8: {}", e.utf8_error())),
                ),
            };
            return Ok(Some(RawRecord::json_line_with_encoding_error(
                self.name.clone(),
                self.line_number,
                text,
                encoding_error,
            )));
        }
    }

    fn recycle(&mut self, raw: RawRecord) {
        if let Payload::JsonLine { text, .. } = raw.payload {
            if self.spare.len() < SPARE_RECORDS {
                self.spare.push(text);
            }
        }
    }

    fn acknowledge(&mut self, position: Position) -> Result<(), RunError> {
        self.acknowledged.advance_to(position);
        Ok(())
    }

    fn acknowledged(&self) -> Option<Position> {
        self.acknowledged.get()
    }

    fn progress(&self) -> Option<ReadProgress> {
        Some(ReadProgress {
            read_bytes: self.read_bytes,
            total_bytes: self.size,
        })
    }
}

/// The line without its `\n` or `\r\n` terminator.
fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn blank_lines_are_skipped_but_counted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.jsonl");
        std::fs::write(&path, "{\"a\":1}\r\n\n   \n{bad\n{\"a\":2}").unwrap();
        let mut source = JsonlSource::open("events", &path).unwrap();

        let first = source.read().unwrap().unwrap();
        assert_eq!((first.position(), first.original()), (1, json!({"a": 1})));
        let bad = source.read().unwrap().unwrap();
        assert_eq!((bad.position(), bad.original()), (4, json!("{bad")));
        let last = source.read().unwrap().unwrap();
        assert_eq!((last.position(), last.original()), (5, json!({"a": 2})));
        assert!(source.read().unwrap().is_none());
        assert_eq!(source.name(), "events");
    }

    #[test]
    fn a_recycled_line_leaves_nothing_in_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.jsonl");
        std::fs::write(
            &path,
            b"{\"machine\":\"MILL-0001\"}\n{\"a\":1}\n\"\xff\"\n{}\n",
        )
        .unwrap();
        let mut source = JsonlSource::open("events", &path).unwrap();
        assert_eq!(
            super::super::originals_recycling(&mut source),
            vec![
                json!({"machine": "MILL-0001"}),
                json!({"a": 1}),
                json!("\"\u{fffd}\""),
                json!({})
            ]
        );
    }

    #[test]
    fn missing_file_is_fatal_and_named() {
        let err = JsonlSource::open("events", Path::new("/nope/in.jsonl"))
            .err()
            .unwrap();
        assert!(err.to_string().contains("/nope/in.jsonl"));
    }
}
