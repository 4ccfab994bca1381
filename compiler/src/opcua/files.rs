//! Reading the NodeSet2 files a connector names, through the compilation's loader: each file is
//! read once (and registered as an input, which the build manifest hashes and diagnostics can
//! point into), parsed for each connector, and merged in the order given.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::nodeset::NodeSet;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::OpcuaItem;
use crate::source_map::{FileId, FileKind, SourceMap};

/// The text of each file read so far, or why it cannot be read.
pub type Read = HashMap<PathBuf, Result<(String, FileId), String>>;

/// The NodeSets a connector names, read once per file and merged in the order given (the
/// first file's namespace table is the mapping's); `None` (and E0702 for each file that cannot
/// be read or is no NodeSet2) when one fails.
pub fn load(
    files: &[OpcuaItem],
    folder: &Path,
    sources: &mut SourceMap,
    read: &mut Read,
    problems: &mut Vec<Diagnostic>,
) -> Option<(NodeSet, Vec<FileId>)> {
    let mut merged: Option<NodeSet> = None;
    let mut ids = Vec::new();
    let mut failed = false;
    for (index, file) in files.iter().enumerate() {
        let path = crate::normalize(&folder.join(&file.text));
        let text = read.entry(path.clone()).or_insert_with(|| {
            // In words that do not depend on the loader (the disk's, or files in memory).
            let bytes = sources.read(&path).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => "there is no such file".to_string(),
                std::io::ErrorKind::PermissionDenied => {
                    "it may not be read (permission denied)".to_string()
                }
                _ => "it cannot be read".to_string(),
            })?;
            let text = String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_string())?;
            let id = sources.add_as(&path, text.as_str(), FileKind::Schema);
            Ok((text, id))
        });
        let parsed = match text {
            Ok((text, id)) => {
                ids.push(*id);
                NodeSet::parse(text, index)
            }
            Err(why) => Err(why.clone()),
        };
        match parsed {
            Ok(set) => match &mut merged {
                Some(merged) => merged.absorb(set),
                None => merged = Some(set),
            },
            Err(why) => {
                failed = true;
                problems.push(
                    Diagnostic::error(
                        Code::NodesetUnreadable,
                        format!("the NodeSet2 file `{}` cannot be used: {why}", file.text),
                    )
                    .label(file.span, "named here")
                    .help(format!(
                        "name a NodeSet2 XML file (a `UANodeSet` document, as a server's vendor or the OPC Foundation publishes it), relative to the mapping's folder ({}); without `nodeset:` the nodes are typed at run time only",
                        folder.display()
                    )),
                );
            }
        }
    }
    if failed {
        return None;
    }
    merged.map(|set| (set, ids))
}
