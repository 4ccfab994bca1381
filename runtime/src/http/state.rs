//! Where an HTTP source keeps how far it has read: a small JSON file beside the dead letter, one per
//! source, replaced whole (written, synced, renamed, the folder synced) at each acknowledgement, so that a
//! crash leaves the old position or the new one, never half of one.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// How far a source has read: the watermark of the last record acknowledged (a field's value), or the
/// validators of the last version of the document acknowledged (`ETag`, `Last-Modified`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Position {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watermark: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

/// The state file of one source.
#[derive(Debug, Clone)]
pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    pub fn new(path: PathBuf) -> Self {
        StateFile { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stored position; the default (read from the start) when there is no file yet.
    pub fn load(&self) -> Result<Position, String> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                format!(
                    "the state file {} does not hold a source's position ({e}); move it away to read the \
                     endpoint from the start",
                    self.path.display()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Position::default()),
            Err(e) => Err(format!("cannot read the state file {}: {e}", self.path.display())),
        }
    }

    /// Stores `position`, durably when it returns.
    pub fn store(&self, position: &Position) -> Result<(), String> {
        let fail =
            |e: std::io::Error| format!("cannot write the state file {}: {e}", self.path.display());
        let folder = self
            .path
            .parent()
            .filter(|f| !f.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(folder).map_err(fail)?;
        let mut new = self.path.as_os_str().to_owned();
        new.push(".new");
        let new = PathBuf::from(new);
        let text = serde_json::to_string(position).map_err(|e| e.to_string())?;
        let mut file = std::fs::File::create(&new).map_err(fail)?;
        file.write_all(text.as_bytes()).map_err(fail)?;
        file.write_all(b"\n").map_err(fail)?;
        file.sync_all().map_err(fail)?;
        std::fs::rename(&new, &self.path).map_err(fail)?;
        // The rename is durable once the folder is.
        std::fs::File::open(folder)
            .and_then(|f| f.sync_all())
            .map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_position_reads_back_and_none_is_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateFile::new(dir.path().join("state/http-orders.json"));
        assert_eq!(state.load().unwrap(), Position::default());
        let position = Position {
            watermark: Some(serde_json::json!("2026-12-07T10:00:00Z")),
            etag: Some("\"v7\"".into()),
            last_modified: None,
        };
        state.store(&position).unwrap();
        assert_eq!(state.load().unwrap(), position);
        std::fs::write(state.path(), "{oops").unwrap();
        assert!(state.load().unwrap_err().contains("move it away"));
    }
}
