//! Where each generated statement comes from: the `// mapping.fdi:LINE` comments.
//!
//! The typed program carries spans (file and byte offset); the file's name as the user wrote it,
//! relative to the mapping's folder, and its line numbers come from the compilation's
//! [`SourceMap`], captured here when the emit options are made so that emit stays pure.

use std::collections::HashMap;
use std::path::Path;

use crate::source_map::{FileId, SourceMap, Span};

/// Per mapping or module file: its path relative to the mapping's folder and where its lines start.
#[derive(Debug, Clone, Default)]
pub struct Origins {
    files: HashMap<FileId, (String, Vec<usize>)>,
}

impl Origins {
    /// The mapping and module files of `sources`, named relative to `mapping_folder` (the
    /// mapping's folder as the user named it), so no absolute path reaches generated code.
    pub fn new(sources: &SourceMap, mapping_folder: &Path) -> Origins {
        let files = sources
            .files_with_ids()
            .filter(|(_, file)| file.kind == crate::source_map::FileKind::Mapping)
            .map(|(id, file)| {
                let name = crate::manifest::relative_to(&file.path, mapping_folder);
                let line_starts = std::iter::once(0)
                    .chain(file.text.match_indices('\n').map(|(i, _)| i + 1))
                    .collect();
                (id, (name, line_starts))
            })
            .collect();
        Origins { files }
    }

    /// `mapping.fdi:12` for a span, or `None` for a file these origins do not know (emit
    /// options made without a source map).
    pub fn describe(&self, span: Span) -> Option<String> {
        let (name, line_starts) = self.files.get(&span.file)?;
        let line = line_starts.partition_point(|&start| start <= span.start);
        Some(format!("{name}:{line}"))
    }

    /// The comment line naming where `span` is written, or nothing when it is unknown.
    pub fn comment(&self, span: Span) -> String {
        self.describe(span)
            .map(|origin| format!("// {origin}\n"))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_file_relative_to_the_mapping_folder_and_the_line() {
        let mut sources = SourceMap::new();
        let mapping = sources.add("lines/a/line.fdi", "mapping a\n\nflow f\n");
        let module = sources.add("lines/common/units.fdi", "module u\nfn f() -> int = 1\n");
        let origins = Origins::new(&sources, Path::new("lines/a"));
        assert_eq!(
            origins.describe(Span::new(mapping, 11, 12)).as_deref(),
            Some("line.fdi:3")
        );
        assert_eq!(
            origins.describe(Span::new(mapping, 0, 1)).as_deref(),
            Some("line.fdi:1")
        );
        assert_eq!(
            origins.describe(Span::new(module, 9, 10)).as_deref(),
            Some("../common/units.fdi:2")
        );
    }
}
