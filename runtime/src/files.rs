//! File helpers shared by the targets and the dead letter.

use std::fs::File;
use std::path::Path;

use crate::error::RunError;

/// The buffer size of file sources, file targets and the dead letter. Large enough that a
/// stream of small records costs a system call per 64 KiB, not per 8 KiB (std's default): on
/// the machine-state bench, 8 KiB buffers made system time twice the hand-written program's.
pub(crate) const IO_BUFFER_BYTES: usize = 64 * 1024;

/// Creates (or truncates) the file at `path`, creating its parent directories first. `what` names the file in
/// error messages ("output of target states").
pub(crate) fn create_file(path: &Path, what: &str) -> Result<File, RunError> {
    create_parent_dirs(path, what)?;
    File::create(path).map_err(|e| RunError::io(format!("create the {what}"), path, e))
}

/// Creates the parent directories of `path` if they are missing.
pub(crate) fn create_parent_dirs(path: &Path, what: &str) -> Result<(), RunError> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => std::fs::create_dir_all(parent)
            .map_err(|e| RunError::io(format!("create the directory of the {what}"), parent, e)),
        _ => Ok(()),
    }
}
