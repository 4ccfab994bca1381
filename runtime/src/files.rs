//! File helpers shared by the targets and the dead letter.

use std::fs::File;
use std::path::Path;

use crate::error::RunError;

/// The buffer size of file sources, file targets and the dead letter. Large enough that a
/// stream of small records costs a system call per 64 KiB, not per 8 KiB (std's default): on
/// the machine-state bench, 8 KiB buffers made system time twice the hand-written program's.
pub(crate) const IO_BUFFER_BYTES: usize = 64 * 1024;

/// The buffer of file targets and the dead letter: what they are given goes to the file in
/// writes of this size. At 64 KiB, a file target fed by a file source made about 4,000 `write`
/// calls per million records (a spill every 64 KiB and a hand-over at every checkpoint); a
/// hand-written program with a large buffer makes under 200.
pub(crate) const WRITE_BUFFER_BYTES: usize = 1024 * 1024;

/// How long lines may wait in the buffer of a file target or the dead letter when the
/// checkpoints of a source that commits no positions (a file) hand it over: such a source is
/// read again from its start after a crash, so nothing depends on the lines reaching the
/// operating system before the source ends (which syncs); handing them over at most this late
/// keeps a file growing visibly while it runs, without a `write` per checkpoint.
pub(crate) const HAND_OVER_WITHIN: std::time::Duration = std::time::Duration::from_secs(1);

/// Since when the oldest line in a write buffer waits, for [`HAND_OVER_WITHIN`].
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct BufferedSince(Option<std::time::Instant>);

impl BufferedSince {
    /// A line goes into the buffer, which held `before` bytes.
    #[inline]
    pub(crate) fn buffering(&mut self, before: usize) {
        if before == 0 || self.0.is_none() {
            self.0 = Some(std::time::Instant::now());
        }
    }

    /// The buffer now holds `left` bytes (after a write to the file).
    pub(crate) fn written(&mut self, left: usize) {
        if left == 0 {
            self.0 = None;
        }
    }

    /// Whether a hand-over at `now` must write the buffer to the file.
    pub(crate) fn hand_over_due(self, now: std::time::Instant) -> bool {
        self.0
            .is_some_and(|since| now.saturating_duration_since(since) >= HAND_OVER_WITHIN)
    }
}

/// Creates (or truncates) the file at `path`, creating its parent directories first. `what` names the file in
/// error messages ("output of target states").
pub(crate) fn create_file(path: &Path, what: &str) -> Result<File, RunError> {
    create_parent_dirs(path, what)?;
    File::create(path).map_err(|e| RunError::io(format!("create the {what}"), path, e))
}

/// Opens the file at `path` for appending lines (a service's output after a restart), creating it and its
/// parent directories when missing. A last line without its line break was being written when the program
/// stopped; its record was never acknowledged, so it is read again and written again: the torn line is cut
/// off here, so that it cannot run into the next line written.
pub(crate) fn open_lines_for_append(path: &Path, what: &str) -> Result<File, RunError> {
    use std::io::{Read, Seek, SeekFrom};
    create_parent_dirs(path, what)?;
    let error = |e| RunError::io(format!("open the {what} to append to it"), path, e);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(error)?;
    let length = file.metadata().map_err(error)?.len();
    // The end of the last complete line: the last '\n', searched from the end in blocks.
    let mut end = length;
    let mut block = vec![0u8; 64 * 1024];
    let complete = loop {
        if end == 0 {
            break 0;
        }
        let start = end.saturating_sub(block.len() as u64);
        let chunk = &mut block[..(end - start) as usize];
        file.seek(SeekFrom::Start(start)).map_err(error)?;
        file.read_exact(chunk).map_err(error)?;
        if let Some(at) = chunk.iter().rposition(|&b| b == b'\n') {
            break start + at as u64 + 1;
        }
        end = start;
    };
    if complete < length {
        file.set_len(complete).map_err(error)?;
        file.sync_all().map_err(error)?;
    }
    Ok(file)
}

/// Creates the parent directories of `path` if they are missing.
pub(crate) fn create_parent_dirs(path: &Path, what: &str) -> Result<(), RunError> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => std::fs::create_dir_all(parent)
            .map_err(|e| RunError::io(format!("create the directory of the {what}"), parent, e)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    #[test]
    fn appending_cuts_off_a_torn_last_line_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out/a.jsonl");
        for (before, kept) in [
            ("", ""),
            ("{\"a\":1}\n", "{\"a\":1}\n"),
            ("{\"a\":1}\n{\"a\":", "{\"a\":1}\n"),
            ("{\"a\":", ""),
        ] {
            create_parent_dirs(&path, "test").unwrap();
            std::fs::write(&path, before).unwrap();
            let mut file = open_lines_for_append(&path, "test").unwrap();
            file.write_all(b"{\"b\":2}\n").unwrap();
            drop(file);
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(text, format!("{kept}{{\"b\":2}}\n"), "{before:?}");
        }
        std::fs::remove_file(&path).unwrap();
        open_lines_for_append(&path, "test").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"");
    }
}
