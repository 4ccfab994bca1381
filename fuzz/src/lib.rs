//! What the fuzz targets share: the compiler's pipeline run on one input, from the text to the
//! generated crate, with the repository's schema, master-data, NodeSet and module files at hand
//! in memory (`MemoryFiles`), so that a mutated mapping reaches the checker and the emitter
//! rather than stopping at a missing schema.
//!
//! The input is compiled as `tests/cases/fuzz/input.fdi`: the case files' relative paths
//! (`../../schemas/plant.yaml`) find the schemas they name. The files of each example and test
//! program are also placed beside the input (`tests/cases/fuzz/schemas/orders.yaml`), the
//! first one of a path winning, so that seeds from `examples/` and `tests/programs/` check too.
//!
//! Any panic is a finding: libFuzzer records the input under `fuzz/artifacts/TARGET/`.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use fdi_compiler::loader::{FileLoader, MemoryFiles};
use fdi_compiler::source_map::SourceMap;

/// Where the input is compiled from.
pub const MAPPING_PATH: &str = "tests/cases/fuzz/input.fdi";

/// The extensions of the files a mapping may name: schemas, master data, NodeSet2 files,
/// modules and the data files the data check reads.
const INPUT_EXTENSIONS: &[&str] = &["yaml", "yml", "csv", "xml", "fdi", "jsonl"];

/// The repository this crate is in.
pub fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("fuzz/ is in the repository")
        .to_path_buf()
}

fn collect(root: &Path, dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            // Build output and snapshots hold no inputs.
            if !path.ends_with("target") && !path.ends_with("snapshots") {
                collect(root, &path, extensions, out);
            }
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.contains(&e))
        {
            if let Ok(relative) = path.strip_prefix(root) {
                out.push(relative.to_path_buf());
            }
        }
    }
}

/// The repository's input files, read once per fuzzing process.
fn repository_files() -> &'static MemoryFiles {
    static FILES: OnceLock<MemoryFiles> = OnceLock::new();
    FILES.get_or_init(|| {
        let root = repository_root();
        let mut paths = Vec::new();
        for folder in ["tests", "examples"] {
            collect(&root, &root.join(folder), INPUT_EXTENSIONS, &mut paths);
        }
        paths.sort();
        let mut files = MemoryFiles::new();
        let mut beside_input = Vec::new();
        for path in &paths {
            let Ok(bytes) = std::fs::read(root.join(path)) else {
                continue;
            };
            // examples/NAME/... and tests/programs/NAME/... as if NAME's folder held the input.
            let mut parts = path.iter();
            let in_own_folder = match (parts.next(), parts.next()) {
                (Some(e), Some(_)) if e == "examples" => Some(parts.collect::<PathBuf>()),
                (Some(t), Some(p)) if t == "tests" && p == "programs" => {
                    parts.next().map(|_| parts.collect::<PathBuf>())
                }
                _ => None,
            };
            if let Some(relative) = in_own_folder {
                beside_input.push((Path::new("tests/cases/fuzz").join(relative), bytes.clone()));
            }
            files.insert(path, bytes);
        }
        for (path, bytes) in beside_input {
            if files.read(&path).is_err() {
                files.insert(path, bytes);
            }
        }
        files
    })
}

/// The repository's files, with the fuzz input as [`MAPPING_PATH`].
#[derive(Debug)]
struct WithInput {
    files: &'static MemoryFiles,
    input: Vec<u8>,
}

impl FileLoader for WithInput {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        if path == Path::new(MAPPING_PATH) {
            Ok(self.input.clone())
        } else {
            self.files.read(path)
        }
    }
}

/// A source map that compiles `input` as [`MAPPING_PATH`] among the repository's files.
pub fn sources_with_input(input: &[u8]) -> SourceMap {
    SourceMap::reading(WithInput {
        files: repository_files(),
        input: input.to_vec(),
    })
}

/// Renders every diagnostic both ways: a label outside its text would panic here.
pub fn render_all(diagnostics: &[fdi_compiler::diagnostic::Diagnostic], sources: &SourceMap) {
    for diagnostic in diagnostics {
        let _ = diagnostic.render_plain(sources);
        let _ = diagnostic.to_json(sources);
    }
}

/// The `parse` target: text to syntax tree, and its diagnostics rendered.
pub fn parse(input: &[u8]) {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    let mut sources = SourceMap::new();
    let file = sources.add(MAPPING_PATH, text);
    if let Err(diagnostics) = fdi_compiler::syntax::parse_text(file, text) {
        render_all(&diagnostics, &sources);
    }
}

/// The `check` target: read, parse, load imports and schemas, check and the data check, as
/// `fdi check` runs them. The typed program, when the input checks.
pub fn check(input: &[u8]) -> Option<(SourceMap, fdi_compiler::ir::Program)> {
    let mut sources = sources_with_input(input);
    let path = Path::new(MAPPING_PATH);
    match fdi_compiler::compile(path, &mut sources) {
        Ok(program) => {
            render_all(&program.warnings, &sources);
            if let Err(diagnostics) = fdi_compiler::data_check::check_data(&program, path, &sources)
            {
                render_all(&diagnostics, &sources);
            }
            Some((sources, program))
        }
        Err(diagnostics) => {
            render_all(&diagnostics, &sources);
            None
        }
    }
}

/// The `emit` target: [`check`], then emit; every generated Rust file must parse with `syn`.
pub fn emit(input: &[u8]) {
    let Some((sources, program)) = check(input) else {
        return;
    };
    let options = fdi_compiler::emit_options(Path::new(MAPPING_PATH), &sources);
    let generated = fdi_compiler::emit::emit(&program, &options);
    for (path, text) in &generated.files {
        if path.ends_with(".rs") {
            if let Err(e) = syn::parse_file(text) {
                panic!("the generated {path} does not parse: {e}\n{text}");
            }
        }
    }
}
