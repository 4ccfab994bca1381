//! JSON Lines files as a target.

use std::cell::Cell;
use std::fs::File;
use std::io::Write;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{check_writable, json_line, Durable, Target};
use crate::error::RunError;
use crate::outcome::Reject;

/// Writes each record as one line of JSON.
///
/// The file is truncated when the target is opened: one run produces one output file.
pub struct JsonlTarget<T> {
    name: String,
    path: PathBuf,
    file: File,
    written: u64,
    /// Lines not yet written to the file. Records are serialized straight into it (a line that
    /// fails is cut off again), and it goes to the file when it holds
    /// [`WRITE_BUFFER_BYTES`](crate::files::WRITE_BUFFER_BYTES): a `BufWriter` would need each
    /// line serialized elsewhere first and copied.
    buffer: Vec<u8>,
    /// Since when its oldest line waits, for a hand-over (see [`Durable::hand_over`] below).
    buffered_since: crate::files::BufferedSince,
    /// The record's field names that need no escape, checked on the first record.
    clean_keys: json_line::CleanKeys,
    _record: PhantomData<fn(&T)>,
}

impl<T> JsonlTarget<T> {
    /// Creates (or truncates) `path`, creating its parent directories.
    pub fn create(name: &str, path: &Path) -> Result<Self, RunError> {
        Self::open(name, path, false)
    }

    /// Opens `path`: appending to it (`append`, a service's output: see `files::open_lines_for_append`) or
    /// truncating it (a batch run's).
    pub fn open(name: &str, path: &Path, append: bool) -> Result<Self, RunError> {
        let what = format!("output of target {name}");
        let file = if append {
            crate::files::open_lines_for_append(path, &what)?
        } else {
            crate::files::create_file(path, &what)?
        };
        Ok(JsonlTarget {
            name: name.to_string(),
            path: path.to_path_buf(),
            file,
            written: 0,
            // Room for the last line that crosses the size, which is rarely longer than this.
            buffer: Vec::with_capacity(crate::files::WRITE_BUFFER_BYTES + 16 * 1024),
            buffered_since: crate::files::BufferedSince::default(),
            clean_keys: json_line::CleanKeys::default(),
            _record: PhantomData,
        })
    }

    /// The file written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records written so far (not all of them necessarily flushed).
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Writes the buffered lines to the file.
    fn write_buffer(&mut self) -> Result<(), RunError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        // Like `BufWriter`: what the file took leaves the buffer even when a later write
        // fails, so that no retry or drop writes those bytes twice.
        let mut taken = 0;
        let result = loop {
            if taken == self.buffer.len() {
                break Ok(());
            }
            match self.file.write(&self.buffer[taken..]) {
                Ok(0) => break Err(std::io::Error::from(std::io::ErrorKind::WriteZero)),
                Ok(n) => taken += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        self.buffer.drain(..taken);
        self.buffered_since.written(self.buffer.len());
        result.map_err(|e| self.io_error("write", e))
    }

    fn hand_over_at(&mut self, now: std::time::Instant) -> Result<(), RunError> {
        if self.buffered_since.hand_over_due(now) {
            self.write_buffer()?;
        }
        Ok(())
    }

    fn io_error(&self, action: &str, error: std::io::Error) -> RunError {
        RunError::io(
            format!("{action} the output of target {}", self.name),
            &self.path,
            error,
        )
    }
}

/// What is still buffered goes to the file, best effort, as a `BufWriter` would do: a run that
/// stops on an error leaves the lines it wrote, though they are not acknowledged.
impl<T> Drop for JsonlTarget<T> {
    fn drop(&mut self) {
        let _ = self.write_buffer();
    }
}

impl<T> Durable for JsonlTarget<T> {
    fn name(&self) -> &str {
        &self.name
    }

    fn hand_over(&mut self) -> Result<(), RunError> {
        self.write_buffer()
    }

    /// The lines go to the file once the oldest has waited
    /// [`HAND_OVER_WITHIN`](crate::files::HAND_OVER_WITHIN), not at every checkpoint.
    fn hand_over_lazily(&mut self) -> Result<(), RunError> {
        self.hand_over_at(std::time::Instant::now())
    }

    fn flush(&mut self) -> Result<(), RunError> {
        self.write_buffer()?;
        self.file.sync_data().map_err(|e| self.io_error("sync", e))
    }

    fn takes_lines(&self) -> bool {
        true
    }

    fn write_line(&mut self, line: &[u8]) -> Result<(), RunError> {
        self.buffered_since.buffering(self.buffer.len());
        self.buffer.extend_from_slice(line);
        self.buffer.push(b'\n');
        self.written += 1;
        if self.buffer.len() >= crate::files::WRITE_BUFFER_BYTES {
            self.write_buffer()?;
        }
        Ok(())
    }
}

impl<T: Serialize> Target<T> for JsonlTarget<T> {
    fn write(&mut self, record: &T) -> Result<Result<(), Reject>, RunError> {
        // Serialized into the buffer, and cut off again if it fails, so that a serialization
        // error cannot leave half a line in the file. A flat record of plain values takes the
        // fast path; anything else is written by serde_json, with the same text.
        self.buffered_since.buffering(self.buffer.len());
        if let Err(reject) = serialize_line(record, &mut self.buffer, &mut self.clean_keys) {
            return Ok(Err(reject));
        }
        self.buffer.push(b'\n');
        self.written += 1;
        if self.buffer.len() >= crate::files::WRITE_BUFFER_BYTES {
            self.write_buffer()?;
        }
        Ok(Ok(()))
    }
}

/// Appends `record` as JSON Lines writes it, without the newline: a flat record of plain values
/// by the fast path, anything else by serde_json, with the same text. On a reject nothing is
/// appended. The target writes through it, and so do the map workers of a run on several cores
/// (`run/parallel.rs`), which hand the target finished lines ([`JsonlTarget::write_line`]).
pub(crate) fn serialize_line<T: Serialize>(
    record: &T,
    buffer: &mut Vec<u8>,
    clean_keys: &mut json_line::CleanKeys,
) -> Result<(), Reject> {
    let start = buffer.len();
    if json_line::write_flat(record, buffer, clean_keys).is_err() {
        buffer.truncate(start);
        if let Err(reject) = serialize_with_serde_json(record, buffer) {
            buffer.truncate(start);
            return Err(reject);
        }
    }
    Ok(())
}

/// The general path: serde_json writes NaN and infinities as `null`, so when a line holds a
/// null, the record is checked for non-finite floats before the line is used (a null from an
/// absent optional value passes that check).
fn serialize_with_serde_json<T: Serialize>(record: &T, line: &mut Vec<u8>) -> Result<(), Reject> {
    let wrote_null = Cell::new(false);
    let mut serializer = serde_json::Serializer::with_formatter(line, NullSpotter(&wrote_null));
    if let Err(e) = record.serialize(&mut serializer) {
        return Err(Reject::new("record cannot be serialized").with_detail(e.to_string()));
    }
    if wrote_null.get() {
        check_writable(record)?;
    }
    Ok(())
}

/// serde_json's compact format, noting whether a `null` was written.
struct NullSpotter<'a>(&'a Cell<bool>);

impl serde_json::ser::Formatter for NullSpotter<'_> {
    fn write_null<W: ?Sized + Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.0.set(true);
        writer.write_all(b"null")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Serialize)]
    struct State {
        machine: String,
        load: f64,
    }

    #[test]
    fn writes_lines_truncates_and_rejects_nan() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out/nested/states.jsonl");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "old content\n").unwrap();

        let mut target = JsonlTarget::<State>::create("states", &path).unwrap();
        assert_eq!(
            target
                .write(&State {
                    machine: "M1".into(),
                    load: 1.5
                })
                .unwrap(),
            Ok(())
        );
        let reject = target
            .write(&State {
                machine: "M2".into(),
                load: f64::NAN,
            })
            .unwrap()
            .unwrap_err();
        assert_eq!(reject.reason, "value is not a finite number");
        assert_eq!(reject.detail.as_deref(), Some("field load is NaN"));
        target.flush().unwrap();

        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"machine\":\"M1\",\"load\":1.5}\n"
        );
        assert_eq!(target.written(), 1);
        assert_eq!(target.name(), "states");
    }

    #[test]
    fn a_hand_over_writes_the_lines_once_the_oldest_has_waited_long_enough() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("states.jsonl");
        let mut target = JsonlTarget::<State>::create("states", &path).unwrap();
        let state = State {
            machine: "M1".into(),
            load: 1.5,
        };
        target.write(&state).unwrap().unwrap();
        let written_at = std::time::Instant::now();
        let line = "{\"machine\":\"M1\",\"load\":1.5}\n";

        // A checkpoint right after the write keeps the line buffered...
        target.hand_over_at(written_at).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
        // ...one after the line has waited HAND_OVER_WITHIN hands it to the file, ...
        let late =
            written_at + crate::files::HAND_OVER_WITHIN + std::time::Duration::from_millis(1);
        target.hand_over_at(late).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), line);
        // ...and a flush always writes and syncs what is buffered.
        target.write(&state).unwrap().unwrap();
        target.flush().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), line.repeat(2));
    }

    #[test]
    fn a_full_buffer_goes_to_the_file_without_waiting_for_a_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("states.jsonl");
        let mut target = JsonlTarget::<State>::create("states", &path).unwrap();
        let state = State {
            machine: "M".repeat(1000),
            load: 1.5,
        };
        let lines = crate::files::WRITE_BUFFER_BYTES / 1000 + 1;
        for _ in 0..lines {
            target.write(&state).unwrap().unwrap();
        }
        let on_disk = std::fs::metadata(&path).unwrap().len() as usize;
        assert!(
            on_disk >= crate::files::WRITE_BUFFER_BYTES,
            "{on_disk} bytes"
        );
        target.flush().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), lines);
    }

    #[test]
    fn creates_parent_directories() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/c.jsonl");
        let mut target = JsonlTarget::<State>::create("states", &path).unwrap();
        target.flush().unwrap();
        assert!(path.exists());
    }
}
