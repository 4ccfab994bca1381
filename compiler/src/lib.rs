#![doc = include_str!("../../ARCHITECTURE.md")]

pub mod build;
mod build_progress;
pub mod check;
pub mod codes;
pub mod connectors;
pub mod data_check;
pub mod diagnostic;
pub mod diff;
pub mod emit;
pub mod explain;
pub mod format;
pub mod imports;
pub mod internal_error;
pub mod ir;
pub mod lineage;
pub mod loader;
pub mod manifest;
pub mod mtconnect;
pub mod opcua;
pub mod qif;
pub mod schema;
pub mod schema_import;
pub mod source_map;
pub mod syntax;
pub mod testing;
pub mod units;
pub mod xml;

use std::path::{Path, PathBuf};

use diagnostic::{Code, Diagnostic};
use source_map::{FileId, SourceMap};

/// Reads a mapping (or module) file into the source map, through the source map's loader. The
/// compiler's input stage.
pub fn read_mapping(path: &Path, sources: &mut SourceMap) -> Result<FileId, Diagnostic> {
    let bytes = sources.read(path).map_err(|e| {
        Diagnostic::error(
            Code::FileNotFound,
            format!("cannot read mapping file {}: {}", path.display(), e),
        )
        .help("check the path; mapping files are usually named `*.fdi`")
    })?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(sources.add(path, text)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let file = sources.add(path, text);
            // The lossy text replaces the bad byte with a 3-byte character at the same offset.
            Err(
                Diagnostic::error(Code::NotUtf8, "the mapping file is not valid UTF-8")
                    .label(
                        source_map::Span::new(file, at, at + '\u{FFFD}'.len_utf8()),
                        "invalid byte here",
                    )
                    .help("save the file as UTF-8"),
            )
        }
    }
}

/// The parse stage.
pub fn parse(
    sources: &SourceMap,
    file: FileId,
) -> Result<syntax::ast::MappingFile, Vec<Diagnostic>> {
    syntax::parse_text(file, &sources.get(file).text)
}

/// The folder relative paths in a mapping resolve against, as the user wrote it (so that
/// diagnostics show short paths).
pub fn mapping_folder(path: &Path) -> PathBuf {
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    }
}

/// Removes `.` and `dir/..` from a path without touching the file system, so diagnostics
/// show `tests/schemas/plant.yaml` rather than `tests/cases/../schemas/plant.yaml`.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out.iter().collect()
}

/// The mapping's folder as an absolute path, for the generated program's default base folder
/// (given to its build: `build::BuildOptions::mapping_dir`).
pub fn mapping_dir(path: &Path) -> PathBuf {
    let dir = mapping_folder(path);
    dir.canonicalize().unwrap_or(dir)
}

/// The emit options of the mapping at `path`, whose compilation read `sources`: the hashes of
/// its inputs for the build manifest, with paths relative to the mapping's folder.
pub fn emit_options(path: &Path, sources: &SourceMap) -> emit::EmitOptions {
    emit::EmitOptions::new(manifest::inputs(sources, &mapping_folder(path)))
        .with_origins(emit::Origins::new(sources, &mapping_folder(path)))
}

/// Read, parse and load imports: the mapping's syntax tree with the items of every module it
/// imports.
pub fn parse_with_imports(
    path: &Path,
    sources: &mut SourceMap,
) -> Result<syntax::ast::MappingFile, Vec<Diagnostic>> {
    let file = read_mapping(path, sources).map_err(|d| vec![d])?;
    let ast = parse(sources, file)?;
    imports::load_imports(ast, path, sources)
}

/// Read, parse, load imports, load schemas and check: everything up to a typed program. Every
/// file is read through the loader `sources` was made with ([`SourceMap::new`] reads the disk;
/// [`SourceMap::reading`] takes a [`loader::DiskFiles`] in a folder or [`loader::MemoryFiles`]).
/// A module checks too (`fdi check` of a shared file); [`compile_mapping`] refuses it.
pub fn compile(path: &Path, sources: &mut SourceMap) -> Result<ir::Program, Vec<Diagnostic>> {
    let ast = parse_with_imports(path, sources)?;
    load_schemas_and_check(&ast, path, sources)
}

/// [`compile`], keeping the syntax tree (with its imports) beside the typed program: what
/// `fdi diff` compares.
pub fn compile_with_tree(
    path: &Path,
    sources: &mut SourceMap,
) -> Result<(syntax::ast::MappingFile, ir::Program), Vec<Diagnostic>> {
    let ast = parse_with_imports(path, sources)?;
    let program = load_schemas_and_check(&ast, path, sources)?;
    Ok((ast, program))
}

/// [`compile`] for what is built and run: a module has no sources or flows, so building it
/// would make a program that does nothing; it is refused (E0005).
pub fn compile_mapping(
    path: &Path,
    sources: &mut SourceMap,
) -> Result<ir::Program, Vec<Diagnostic>> {
    let ast = parse_with_imports(path, sources)?;
    if ast.version.is_none() {
        return Err(vec![Diagnostic::error(
            Code::MisplacedItem,
            format!(
                "`{}` is a module, and only mappings are built",
                ast.name.name
            ),
        )
        .label(ast.name.span, "this file starts with `module`")
        .help(
            "build a mapping that imports this module; `fdi check` checks a module on its own",
        )]);
    }
    load_schemas_and_check(&ast, path, sources)
}

/// The load-schemas and check stages of a parsed file (with its imports).
fn load_schemas_and_check(
    ast: &syntax::ast::MappingFile,
    path: &Path,
    sources: &mut SourceMap,
) -> Result<ir::Program, Vec<Diagnostic>> {
    let schemas = schema::load_schemas(ast, &mapping_folder(path), sources)?;
    let mut program = check::check(ast, &schemas, sources)?;
    // Reads files (the NodeSet2 files OPC UA connectors name), which the checker does not.
    let warnings = opcua::check_nodesets(&mut program, &mapping_folder(path), sources)?;
    program.warnings.extend(warnings);
    // Reads the device models MTConnect sources name, and fills their data items' facts.
    let program = mtconnect::type_sources(program, &mapping_folder(path), sources)?;
    Ok(program)
}
