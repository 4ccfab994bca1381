//! Reading the device models MTConnect sources name, through the compilation's loader: each
//! file is read once (and registered as an input, which the build manifest hashes and
//! diagnostics point into) and parsed once, however many sources name it. A file that cannot be
//! used is E0710 for each source; what reading a usable one read past is one E0716 warning.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::model::DeviceModel;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::TextItem;
use crate::source_map::{FileId, FileKind, SourceMap, Span};

/// At most this many parts of a model read past are labelled in its warning.
const SKIPPED_LABELS: usize = 6;

/// The models read so far, each once, by path.
#[derive(Default)]
pub struct Models {
    read: HashMap<PathBuf, Result<(Rc<DeviceModel>, FileId), String>>,
    /// E0716 for each model read that has parts read past.
    pub warnings: Vec<Diagnostic>,
}

/// The models one source names, in the order given.
pub type Read = Vec<(Rc<DeviceModel>, FileId)>;

impl Models {
    /// The models `files` name; `None` (and E0710 for each that cannot be used) when one fails.
    pub fn load(
        &mut self,
        files: &[TextItem],
        folder: &Path,
        sources: &mut SourceMap,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<Read> {
        let mut read = Vec::new();
        let mut failed = false;
        for file in files {
            let path = crate::normalize(&folder.join(&file.text));
            let first = !self.read.contains_key(&path);
            let entry = self
                .read
                .entry(path.clone())
                .or_insert_with(|| read_model(&path, sources));
            match entry {
                Ok((model, id)) => {
                    if first && !model.skipped.is_empty() {
                        self.warnings.push(skipped_warning(file, model, *id));
                    }
                    read.push((Rc::clone(model), *id));
                }
                Err(why) => {
                    failed = true;
                    problems.push(
                        Diagnostic::error(
                            Code::DeviceModelUnreadable,
                            format!("the device model `{}` cannot be used: {why}", file.text),
                        )
                        .label(file.span, "named here")
                        .help(format!(
                            "name an MTConnect device model (an `MTConnectDevices` document: an agent's `Devices.xml`, or what its `/probe` answers), relative to the mapping's folder ({}); without `devices:` the source is untyped",
                            folder.display()
                        )),
                    );
                }
            }
        }
        (!failed).then_some(read)
    }
}

fn read_model(path: &Path, sources: &mut SourceMap) -> Result<(Rc<DeviceModel>, FileId), String> {
    // In words that do not depend on the loader (the disk's, or files in memory).
    let bytes = sources.read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "there is no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "it may not be read (permission denied)".into(),
        _ => "it cannot be read".to_string(),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_string())?;
    // Registered even when it is no device model: the compilation read it.
    let id = sources.add_as(path, text.as_str(), FileKind::Schema);
    let model = DeviceModel::parse(&text)?;
    Ok((Rc::new(model), id))
}

/// E0716: what reading a model skipped, each part labelled in the model.
fn skipped_warning(file: &TextItem, model: &DeviceModel, id: FileId) -> Diagnostic {
    let count = model.skipped.len();
    let mut warning = Diagnostic::warning(
        Code::DeviceModelSkipped,
        format!(
            "the device model `{}` does not follow the MTConnect standard in {count} place{}, read past",
            file.text,
            if count == 1 { "" } else { "s" }
        ),
    )
    .label(file.span, "read here");
    for skipped in model.skipped.iter().take(SKIPPED_LABELS) {
        warning = warning.label(
            Span::new(id, skipped.range.start, skipped.range.end),
            skipped.what.clone(),
        );
    }
    let more = count.saturating_sub(SKIPPED_LABELS);
    warning.help(format!(
        "{}an agent's clients read past such parts as fdi did; a data item skipped cannot be read, one of an undeclared extension type is read untyped",
        if more > 0 {
            format!("and {more} more; ")
        } else {
            String::new()
        }
    ))
}
