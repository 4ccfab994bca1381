//! The imports stage: a parsed mapping and the modules it imports, merged into one syntax tree.
//!
//! `import "common/units.fdi"` reads a module file (one that starts with `module NAME`) and
//! makes its functions, lookups and schemas part of the importing mapping. Modules may import
//! modules. Each file is read once however often it is imported; an import that leads back to
//! a file still being imported is a cycle, reported with the whole chain.
//!
//! Paths inside a module (its schemas, its lookups' files, its imports) are relative to the
//! module's own folder. The merged tree rewrites them to be relative to the mapping's folder,
//! so that every later stage resolves every path against one folder. Spans are untouched:
//! a diagnostic about an imported item still points into the module file.

use std::path::{Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic};
use crate::normalize;
use crate::source_map::SourceMap;
use crate::syntax::ast::{Item, MappingFile, StringLit};

/// Reads (through the source map's loader) and parses every module `root` imports,
/// transitively, and returns `root` with their items appended. `root_path` is the mapping
/// file's path as the user gave it.
pub fn load_imports(
    root: MappingFile,
    root_path: &Path,
    sources: &mut SourceMap,
) -> Result<MappingFile, Vec<Diagnostic>> {
    let root_key = sources.identity(root_path);
    let mut loader = Loader {
        sources,
        loaded: Vec::new(),
        errors: Vec::new(),
        modules: Vec::new(),
    };
    loader
        .errors
        .extend(misplaced_items(&root, root.version.is_none()));
    loader.visit_imports(&root, root_path, Path::new(""), &mut vec![root_key.clone()]);
    loader.loaded.push(root_key);
    if !loader.errors.is_empty() {
        return Err(loader.errors);
    }
    let mut merged = root;
    for module in loader.modules {
        merged.items.extend(module.items);
    }
    Ok(merged)
}

struct Loader<'s> {
    sources: &'s mut SourceMap,
    /// Files already read (by the loader's identity), so a module imported twice is merged once.
    loaded: Vec<PathBuf>,
    errors: Vec<Diagnostic>,
    /// Imported modules in the order they were first reached, paths already rebased.
    modules: Vec<MappingFile>,
}

impl Loader<'_> {
    /// Follows the imports of `file` (read from `path`, in the folder `rebase` seen from the
    /// mapping's folder). `chain` holds the files being imported right now, outermost first:
    /// reaching one of them again is a cycle.
    fn visit_imports(
        &mut self,
        file: &MappingFile,
        path: &Path,
        rebase: &Path,
        chain: &mut Vec<PathBuf>,
    ) {
        let folder = crate::mapping_folder(path);
        for item in &file.items {
            let Item::Import(import) = item else { continue };
            let target = normalize(&folder.join(&import.value));
            let key = self.sources.identity(&target);
            if let Some(at) = chain.iter().position(|p| *p == key) {
                self.errors.push(cycle(import, &chain[at..], &key));
                continue;
            }
            if self.loaded.contains(&key) {
                continue;
            }
            let Some(module) = self.read_module(import, &target) else {
                continue;
            };
            // The module's folder seen from the mapping's: found by following the import
            // paths, so no file system is asked.
            let module_rebase = normalize(&rebase.join(&import.value))
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            chain.push(key.clone());
            self.visit_imports(&module, &target, &module_rebase, chain);
            chain.pop();
            self.loaded.push(key);
            self.modules.push(rebase_paths(module, &module_rebase));
        }
    }

    fn read_module(&mut self, import: &StringLit, path: &Path) -> Option<MappingFile> {
        let file = match crate::read_mapping(path, self.sources) {
            Ok(file) => file,
            Err(mut d) => {
                if d.code == Code::FileNotFound {
                    d = Diagnostic::error(
                        Code::FileNotFound,
                        format!("cannot read imported file `{}`", import.value),
                    )
                    .label(import.span, "imported here")
                    .help(format!(
                        "import paths are relative to the importing file's folder; this one resolves to {}",
                        path.display()
                    ));
                }
                self.errors.push(d);
                return None;
            }
        };
        let module = match crate::parse(self.sources, file) {
            Ok(module) => module,
            Err(errors) => {
                self.errors.extend(errors);
                return None;
            }
        };
        if module.version.is_some() {
            self.errors.push(
                Diagnostic::error(
                    Code::MisplacedItem,
                    format!("`{}` is a mapping, and only modules can be imported", import.value),
                )
                .label(import.span, "imports a mapping")
                .label(module.name.span, "this file starts with `mapping`")
                .help("move what should be shared into a file that starts with `module NAME`, and import that from both mappings"),
            );
            return None;
        }
        self.errors.extend(misplaced_items(&module, true));
        Some(module)
    }
}

/// Sources, targets, flows, `per source` blocks, the dead letter and tests belong to a mapping: a module only
/// shares definitions (imports, schemas, lookups, functions).
fn misplaced_items(file: &MappingFile, is_module: bool) -> Vec<Diagnostic> {
    if !is_module {
        return Vec::new();
    }
    file.items
        .iter()
        .filter_map(|item| {
            let (what, span) = match item {
                Item::Source(s) => ("a source", s.name.span),
                Item::Target(t) => ("a target", t.name.span),
                Item::Flow(f) => ("a flow", f.header_span),
                Item::DeadLetter(c) => ("a dead letter", c.span),
                Item::Test(t) => ("a test", t.name.span),
                // Its bindings belong to a source of the mapping.
                Item::PerSource(p) => ("a `per source` block", p.header_span),
                _ => return None,
            };
            Some(
                Diagnostic::error(Code::MisplacedItem, format!("a module cannot declare {what}"))
                    .label(span, format!("{what} in module `{}`", file.name.name))
                    .help("modules share imports, schemas, lookups and functions; declare sources, targets, flows and tests in the mapping that imports the module"),
            )
        })
        .collect()
}

fn cycle(import: &StringLit, chain: &[PathBuf], back_to: &Path) -> Diagnostic {
    let names: Vec<String> = chain
        .iter()
        .map(|p| file_name(p))
        .chain(std::iter::once(file_name(back_to)))
        .collect();
    Diagnostic::error(
        Code::ImportCycle,
        format!("import cycle: {}", names.join(" -> ")),
    )
    .label(import.span, "this import closes the cycle")
    .help("modules cannot import each other in a circle; move what both need into a third module that both import")
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Rewrites the paths in a module's items, which are relative to the module's folder, to be
/// relative to the mapping's folder (`rebase` is the module's folder seen from there).
fn rebase_paths(mut module: MappingFile, rebase: &Path) -> MappingFile {
    let fix = |lit: &mut StringLit| {
        if !Path::new(&lit.value).is_absolute() {
            let joined = normalize(&rebase.join(&lit.value));
            lit.value = joined.to_string_lossy().replace('\\', "/");
        }
    };
    for item in &mut module.items {
        match item {
            Item::Schema(path) => fix(path),
            Item::Lookup(lookup) => {
                if let Some(location) = &mut lookup.connector.location {
                    fix(location)
                }
            }
            _ => {}
        }
    }
    module
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::MemoryFiles;

    /// The schemas and lookup files of the merged tree, as written after rebasing.
    fn merged_paths(files: MemoryFiles, mapping: &str) -> Vec<String> {
        let mut sources = SourceMap::reading(files);
        let merged = crate::parse_with_imports(Path::new(mapping), &mut sources)
            .unwrap_or_else(|d| panic!("{d:?}"));
        merged
            .items
            .iter()
            .filter_map(|item| match item {
                Item::Schema(path) => Some(path.value.clone()),
                Item::Lookup(lookup) => lookup.connector.location.as_ref().map(|l| l.value.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn module_paths_are_rebased_onto_the_mapping_folder_without_a_file_system() {
        let files = MemoryFiles::new()
            .with(
                "plant/mappings/line.fdi",
                "mapping line version \"1\"\nimport \"../shared/units.fdi\"\n",
            )
            .with(
                "plant/shared/units.fdi",
                "module units\nschema \"schemas/u.yaml\"\nimport \"deeper/codes.fdi\"\n",
            )
            .with(
                "plant/shared/deeper/codes.fdi",
                "module codes\nlookup m: csv(\"../../master/m.csv\") as M key code\n",
            );
        assert_eq!(
            merged_paths(files, "plant/mappings/line.fdi"),
            // A module's own imports are merged before it.
            ["../master/m.csv", "../shared/schemas/u.yaml"]
        );
    }

    #[test]
    fn a_module_imported_twice_is_merged_once_and_a_cycle_is_named() {
        let files = MemoryFiles::new()
            .with(
                "line.fdi",
                "mapping line version \"1\"\nimport \"a.fdi\"\nimport \"./sub/../a.fdi\"\n",
            )
            .with("a.fdi", "module a\nschema \"a.yaml\"\n");
        assert_eq!(merged_paths(files, "line.fdi"), ["a.yaml"]);

        let files = MemoryFiles::new()
            .with("line.fdi", "mapping line version \"1\"\nimport \"a.fdi\"\n")
            .with("a.fdi", "module a\nimport \"b.fdi\"\n")
            .with("b.fdi", "module b\nimport \"a.fdi\"\n");
        let mut sources = SourceMap::reading(files);
        let errors =
            crate::parse_with_imports(Path::new("line.fdi"), &mut sources).expect_err("a cycle");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].code, Code::ImportCycle);
        assert_eq!(errors[0].message, "import cycle: a.fdi -> b.fdi -> a.fdi");
    }

    #[test]
    fn normalize_removes_dots() {
        assert_eq!(normalize(Path::new("a/./b/../c")), PathBuf::from("a/c"));
        assert_eq!(normalize(Path::new("../a")), PathBuf::from("../a"));
        assert_eq!(normalize(Path::new("a/../../b")), PathBuf::from("../b"));
    }
}
