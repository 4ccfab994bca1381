//! The claims of ARCHITECTURE.md that a machine can check: its code map names every source and
//! test file, and only files that exist; the compiler reads its inputs only through the loader
//! its stages are handed, so a mapping compiles from memory; only the build stage and the
//! pipeline's clients run programs; generated code names the runtime by absolute paths; the
//! runtime names no mapping; the bench depends on neither crate.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use fdi_compiler::diagnostic::Code;
use fdi_compiler::loader::{DiskFiles, FileLoader, MemoryFiles};
use fdi_compiler::manifest::{self, sha256_hex};
use fdi_compiler::source_map::{FileKind, SourceMap};
use support::rust_source::{self, non_test_sources, rust_files};
use support::workspace_root;

/// The folders whose every `.rs` file the code map must name.
const MAPPED_FOLDERS: [&str; 8] = [
    "compiler/src",
    "compiler/tests",
    "runtime/src",
    "runtime/tests",
    "bench/src",
    "bench/tests",
    "tests/peers/src",
    "tests/peers/tests",
];

/// The `.rs` files ARCHITECTURE.md names, each with the line that names it, relative to the
/// workspace. A name in backticks is relative to the folder of the code-map entry it is under
/// (`### \`compiler/src/syntax/\``, or a file's folder), or to the workspace when it starts
/// with a crate's folder; a name with a placeholder (`<crate>/src/main.rs`) is a pattern of
/// generated files, not a file of the repository.
fn files_named_in_architecture() -> Vec<(PathBuf, usize)> {
    let text = std::fs::read_to_string(workspace_root().join("ARCHITECTURE.md"))
        .expect("ARCHITECTURE.md is readable");
    let mut folder = PathBuf::new();
    let mut named = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let names: Vec<&str> = line.split('`').skip(1).step_by(2).collect();
        if line.starts_with("## ") {
            folder = PathBuf::new();
        } else if line.starts_with("### ") {
            let entry = names.first().copied().unwrap_or("");
            folder = if entry.ends_with('/') {
                PathBuf::from(entry)
            } else {
                Path::new(entry)
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default()
            };
        }
        for name in names {
            if !name.ends_with(".rs") || name.contains(['<', ' ']) {
                continue;
            }
            let from_root = ["compiler/", "runtime/", "bench/", "tests/peers/"]
                .iter()
                .any(|crate_folder| name.starts_with(crate_folder));
            let path = if from_root {
                PathBuf::from(name)
            } else {
                folder.join(name)
            };
            named.push((path, number + 1));
        }
    }
    named
}

#[test]
fn the_code_map_names_every_source_and_test_file() {
    let root = workspace_root();
    let named: BTreeSet<PathBuf> = files_named_in_architecture()
        .into_iter()
        .map(|(path, _)| path)
        .collect();
    let unnamed: Vec<String> = MAPPED_FOLDERS
        .iter()
        .flat_map(|folder| rust_files(&root.join(folder)))
        .map(|path| {
            path.strip_prefix(&root)
                .expect("under the root")
                .to_path_buf()
        })
        .filter(|path| !named.contains(path))
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        unnamed.is_empty(),
        "ARCHITECTURE.md's code map does not name these files; say what each does under the entry of its folder:\n{}",
        unnamed.join("\n")
    );
}

#[test]
fn the_code_map_names_only_files_that_exist() {
    let root = workspace_root();
    let missing: Vec<String> = files_named_in_architecture()
        .into_iter()
        .filter(|(path, _)| !root.join(path).is_file())
        .map(|(path, line)| format!("ARCHITECTURE.md:{line}: {}", path.display()))
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names files that do not exist:\n{}",
        missing.join("\n")
    );
}

/// Tests run in parallel threads of one process, whose working directory they share: none
/// changes it (a test that wants paths as a user types them reads through
/// `DiskFiles::in_folder` or runs `fdi` in that folder).
#[test]
fn no_code_changes_the_working_directory() {
    let root = workspace_root();
    let changers: Vec<String> = MAPPED_FOLDERS
        .iter()
        .flat_map(|folder| rust_files(&root.join(folder)))
        .filter(|path| {
            let text = std::fs::read_to_string(path).expect("a readable file");
            rust_source::names(path, &text)
                .paths
                .iter()
                .any(|p| p.ends_with("set_current_dir"))
        })
        .map(|path| path.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    assert!(
        changers.is_empty(),
        "these files change the working directory: {changers:?}"
    );
}

/// The compiler's files that may touch the world: the loader (the one place inputs are read),
/// the build stage (with the runtime's cache folder and cargo's output, in `build/`), and the
/// pipeline's clients (the CLI, `fdi test`).
const MAY_DO_IO: [&str; 7] = [
    "compiler/src/loader.rs",
    "compiler/src/build.rs",
    "compiler/src/build/",
    "compiler/src/build_progress.rs",
    "compiler/src/main.rs",
    "compiler/src/cli_trace.rs",
    "compiler/src/testing/",
];

/// Where a stage's file still asks the file system, and why; each entry names the only method
/// it may call.
const KNOWN_IO: [(&str, &str, &str); 1] = [(
    "compiler/src/lib.rs",
    "canonicalize",
    "`mapping_dir`: the generated program's default base folder is the mapping's absolute folder, given to its build",
)];

const IO_PATHS: [&str; 5] = [
    "std::fs",
    "std::process",
    "std::net",
    "std::env",
    "std::io::stdin",
];
const IO_METHODS: [&str; 9] = [
    "canonicalize",
    "read_dir",
    "metadata",
    "symlink_metadata",
    "exists",
    "try_exists",
    "is_file",
    "is_dir",
    "read_link",
];
const IO_MACROS: [&str; 5] = ["print", "println", "eprint", "eprintln", "dbg"];
/// A stage that made its own disk loader would read around the one it is handed.
fn makes_its_own_loader(path: &str) -> bool {
    let segments: Vec<&str> = path.split("::").collect();
    segments.contains(&"DiskFiles")
        || segments
            .windows(2)
            .any(|w| w[0] == "SourceMap" && ["new", "default"].contains(&w[1]))
}
/// Where a compilation's loader is chosen: `SourceMap::new` reads the disk.
const CHOOSES_THE_LOADER: &str = "compiler/src/source_map.rs";

#[test]
fn the_stages_do_no_io_and_read_only_through_their_loader() {
    let root = workspace_root();
    let mut found = Vec::new();
    for (path, names) in non_test_sources(&root.join("compiler/src")) {
        let relative = path.strip_prefix(&root).expect("under the root");
        let shown = relative.display().to_string();
        if MAY_DO_IO.iter().any(|allowed| shown.starts_with(allowed)) {
            continue;
        }
        for prefix in IO_PATHS {
            for used in names.paths_starting_with(prefix) {
                found.push(format!("{shown}: {used}"));
            }
        }
        if shown != CHOOSES_THE_LOADER {
            for used in names.paths.iter().filter(|p| makes_its_own_loader(p)) {
                found.push(format!("{shown}: {used}"));
            }
        }
        for method in names
            .methods
            .iter()
            .filter(|m| IO_METHODS.contains(&m.as_str()))
        {
            let known = KNOWN_IO
                .iter()
                .any(|(file, allowed, _)| *file == shown && allowed == method);
            if !known {
                found.push(format!("{shown}: .{method}()"));
            }
        }
        for mac in names
            .macros
            .iter()
            .filter(|m| IO_MACROS.contains(&m.as_str()))
        {
            found.push(format!("{shown}: {mac}!"));
        }
    }
    found.dedup();
    assert!(
        found.is_empty(),
        "stages must read their files through the SourceMap's loader and do no other IO:\n{}",
        found.join("\n")
    );
}

/// The exceptions above are real: when one goes, its entry goes too.
#[test]
fn every_known_io_exception_is_still_there() {
    let root = workspace_root();
    for (file, method, why) in KNOWN_IO {
        let text = std::fs::read_to_string(root.join(file)).expect("the file exists");
        let names = rust_source::names(Path::new(file), &text);
        assert!(
            names.methods.iter().any(|m| m == method),
            "{file} no longer calls .{method}() ({why}); remove its KNOWN_IO entry"
        );
    }
}

#[test]
fn only_the_build_stage_and_the_clients_run_programs() {
    let root = workspace_root();
    let allowed = [
        "compiler/src/build.rs",
        "compiler/src/main.rs",
        "compiler/src/cli_trace.rs",
        "compiler/src/testing/",
    ];
    let runners: Vec<String> = non_test_sources(&root.join("compiler/src"))
        .into_iter()
        .filter(|(_, names)| names.paths_starting_with("std::process::Command").count() > 0)
        .map(|(path, _)| {
            path.strip_prefix(&root)
                .expect("under the root")
                .display()
                .to_string()
        })
        .filter(|path| !allowed.iter().any(|a| path.starts_with(a)))
        .collect();
    assert!(
        runners.is_empty(),
        "only the build stage, the CLI and `fdi test` run other programs, not: {runners:?}"
    );
    let build = std::fs::read_to_string(root.join("compiler/src/build.rs")).expect("build.rs");
    let names = rust_source::names(Path::new("build.rs"), &build);
    assert!(
        names.paths_starting_with("std::process::Command").count() > 0,
        "the build stage runs cargo through std::process::Command"
    );
}

/// The files of a small plant, in memory: a mapping in `plant/` importing a module from
/// `shared/`, a schema whose enum reads its codes from a master-data CSV file.
fn plant_in_memory() -> MemoryFiles {
    MemoryFiles::new()
        .with(
            "plant/line.fdi",
            r#"mapping line version "1"

schema "schemas/plant.yaml"
import "../shared/units.fdi"

source samples: csv("data/samples.csv") as Sample
target readings: jsonl("out/readings.jsonl") as Reading

flow reading: samples -> readings {
  state = state
  speed_rps = per_second(speed_rpm)
}
"#,
        )
        .with(
            "shared/units.fdi",
            "module units\n\nfn per_second(rpm: float) -> float = rpm / 60.0\n",
        )
        .with(
            "plant/schemas/plant.yaml",
            r#"enums:
  MachineState: { from: "../master/states.csv", column: code }
entities:
  Sample:
    fields:
      state: MachineState
      speed_rpm: float
  Reading:
    fields:
      state: MachineState
      speed_rps: float
"#,
        )
        .with(
            "plant/master/states.csv",
            "code,description\nRUNNING,Running\nSTOPPED,Stopped\n",
        )
}

#[test]
fn a_mapping_compiles_and_emits_from_files_in_memory() {
    let files = plant_in_memory();
    let mut sources = SourceMap::reading(files.clone());
    let mapping = Path::new("plant/line.fdi");
    let program = fdi_compiler::compile_mapping(mapping, &mut sources).unwrap_or_else(|d| {
        panic!(
            "the plant checks:\n{}",
            d.iter()
                .map(|d| d.render_plain(&sources))
                .collect::<String>()
        )
    });
    assert_eq!(program.name, "line");

    // Every file read is in the source map, with its kind, as the loader gave it.
    let read: Vec<(String, FileKind)> = sources
        .files()
        .map(|f| (f.display_name(), f.kind))
        .collect();
    assert_eq!(
        read,
        [
            ("plant/line.fdi".to_string(), FileKind::Mapping),
            ("shared/units.fdi".to_string(), FileKind::Mapping),
            ("plant/schemas/plant.yaml".to_string(), FileKind::Schema),
            ("plant/master/states.csv".to_string(), FileKind::MasterData),
        ]
    );

    // The manifest hashes exactly those bytes, with paths relative to the mapping's folder.
    let inputs = manifest::inputs(&sources, Path::new("plant"));
    let hash_of = |path: &str| sha256_hex(&files.read(Path::new(path)).expect("in memory"));
    assert_eq!(inputs.mapping.path, "line.fdi");
    assert_eq!(inputs.mapping.sha256, hash_of("plant/line.fdi"));
    assert_eq!(inputs.modules[0].path, "../shared/units.fdi");
    assert_eq!(inputs.modules[0].sha256, hash_of("shared/units.fdi"));
    assert_eq!(inputs.schemas[0].path, "schemas/plant.yaml");
    assert_eq!(inputs.master_data[0].path, "master/states.csv");
    assert_eq!(
        inputs.master_data[0].sha256,
        hash_of("plant/master/states.csv")
    );

    // What emit prints comes from those files: the master data's codes, the manifest's hash.
    let generated =
        fdi_compiler::emit::emit(&program, &fdi_compiler::emit_options(mapping, &sources));
    let all: String = generated.files.values().cloned().collect();
    assert!(all.contains("STOPPED"), "the codes read from the CSV file");
    assert!(all.contains(&hash_of("plant/master/states.csv")));
}

#[test]
fn a_file_missing_from_memory_is_reported_like_one_missing_from_disk() {
    let files = plant_in_memory().with(
        "plant/schemas/plant.yaml",
        "enums:\n  MachineState: { from: \"../master/gone.csv\", column: code }\n",
    );
    let mut sources = SourceMap::reading(files);
    let errors = fdi_compiler::compile(Path::new("plant/line.fdi"), &mut sources)
        .expect_err("a master-data file is missing");
    let unreadable = errors
        .iter()
        .find(|d| d.code == Code::MasterDataUnreadable)
        .unwrap_or_else(|| panic!("E0212 among {errors:?}"));
    assert_eq!(unreadable.labels[0].text, "no such file");
    let help = unreadable.help.as_deref().unwrap_or_default();
    assert!(
        help.ends_with("resolves to plant/master/gone.csv"),
        "{help}"
    );

    let mut sources = SourceMap::reading(MemoryFiles::new());
    let errors =
        fdi_compiler::compile(Path::new("plant/line.fdi"), &mut sources).expect_err("no mapping");
    assert_eq!(errors[0].code, Code::FileNotFound);
}

/// The loader is the only way in: every case and example, compiled again from memory holding
/// exactly the texts its compilation from the disk read, gives the same diagnostics, word for
/// word, and the same typed program.
#[test]
fn every_mapping_compiles_the_same_from_memory_as_from_the_disk() {
    let root = workspace_root();
    let mut compared = 0;
    for mapping in mappings_to_compare() {
        let relative = mapping.strip_prefix(&root).expect("under the root");
        let mut from_disk = SourceMap::reading(DiskFiles::in_folder(&root));
        let disk = fdi_compiler::compile(relative, &mut from_disk);
        let mut files = MemoryFiles::new();
        for file in from_disk.files() {
            files.insert(&file.path, file.text.as_bytes());
        }
        let mut from_memory = SourceMap::reading(files);
        let memory = fdi_compiler::compile(relative, &mut from_memory);
        let rendered = |result: &Result<_, Vec<fdi_compiler::diagnostic::Diagnostic>>,
                        sources: &SourceMap| {
            result.as_ref().err().map(|errors| {
                errors
                    .iter()
                    .map(|d| d.render_plain(sources))
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(
            rendered(&disk, &from_disk),
            rendered(&memory, &from_memory),
            "{}",
            relative.display()
        );
        assert!(
            disk.as_ref().ok() == memory.as_ref().ok(),
            "{}: the typed programs differ",
            relative.display()
        );
        compared += 1;
    }
    assert!(compared >= 100, "only {compared} mappings compared");
}

/// The examples, the programs the end-to-end tests build and every case file.
fn mappings_to_compare() -> Vec<PathBuf> {
    repository_mappings(&["tests/programs", "tests/cases"], |_| true)
}

/// The mappings whose generated code is inspected: the examples, the programs the end-to-end
/// tests build, and every case expected to check.
fn mappings_that_check() -> Vec<PathBuf> {
    repository_mappings(&["tests/programs", "tests/cases"], |text: &str| {
        !text.starts_with("// expect:") || text.starts_with("// expect: ok")
    })
}

/// The examples and the `.fdi` files under `folders` whose text `keep` accepts.
fn repository_mappings(folders: &[&str], keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let root = workspace_root();
    let mut mappings: Vec<PathBuf> = [
        "examples/mill-to-mes/mill_to_mes.fdi",
        "examples/cmm-to-qms/cmm_to_qms.fdi",
        "examples/erp-to-line/erp_to_line.fdi",
        "examples/machines-to-mes/machines_to_mes.fdi",
    ]
    .iter()
    .map(|p| root.join(p))
    .collect();
    for folder in folders {
        let mut pending = vec![root.join(folder)];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).expect("a readable folder") {
                let path = entry.expect("a folder entry").path();
                if path.is_dir() {
                    pending.push(path);
                } else if path.extension().is_some_and(|e| e == "fdi") {
                    let text = std::fs::read_to_string(&path).expect("a readable mapping");
                    if keep(&text) {
                        mappings.push(path);
                    }
                }
            }
        }
    }
    mappings.sort();
    mappings
}

/// Generated code reaches the runtime only by absolute paths (`fdi_runtime::...`, or with a
/// leading `::`): the crate is never renamed or glob-imported, so no name of the mapping can
/// be shadowed by one of the runtime's, nor the runtime by one of the mapping's.
#[test]
fn generated_code_names_the_runtime_by_absolute_paths() {
    let mut emitted = 0;
    let mut found = Vec::new();
    for mapping in mappings_that_check() {
        let mut sources = SourceMap::new();
        let Ok(program) = fdi_compiler::compile_mapping(&mapping, &mut sources) else {
            continue;
        };
        let generated =
            fdi_compiler::emit::emit(&program, &fdi_compiler::emit_options(&mapping, &sources));
        emitted += 1;
        for (file, text) in generated.files.iter().filter(|(f, _)| f.ends_with(".rs")) {
            let shown = format!("{} -> {file}", mapping.display());
            let names = rust_source::names(Path::new(&shown), text);
            let bare = names
                .paths
                .iter()
                .map(|p| p.trim_start_matches("::"))
                .filter(|p| {
                    *p == "fdi_runtime" || p.ends_with("::*") && p.starts_with("fdi_runtime")
                });
            for path in bare {
                found.push(format!("{shown}: `{path}`"));
            }
            // `fdi_runtime` as a renamed crate or inside a longer identifier is not a path.
            for (at, _) in text.match_indices("fdi_runtime") {
                let before = text[..at].chars().next_back();
                let after = &text[at + "fdi_runtime".len()..];
                let word_before = before.is_some_and(|c| c.is_alphanumeric() || c == '_');
                if word_before || !after.starts_with("::") {
                    let line = text[..at].lines().count();
                    found.push(format!(
                        "{shown}:{line}: `fdi_runtime` not followed by `::`"
                    ));
                }
            }
        }
    }
    assert!(emitted >= 10, "only {emitted} mappings emitted");
    assert!(
        found.is_empty(),
        "generated code must name the runtime by absolute paths:\n{}",
        found.join("\n")
    );
}

/// The runtime knows nothing about any particular mapping: its code (tests and the code
/// generated from a protocol's definition aside) names no mapping, entity, enum or identifier
/// type of the examples or the test programs. (Not the
/// cases: they name schema types `Result` or `String` on purpose.)
#[test]
fn the_runtime_names_no_mapping() {
    let mut mapping_names = BTreeSet::new();
    for mapping in repository_mappings(&["tests/programs"], |_| true) {
        let mut sources = SourceMap::new();
        let Ok(program) = fdi_compiler::compile(&mapping, &mut sources) else {
            continue;
        };
        mapping_names.insert(program.name.clone());
        let schemas = &program.schema;
        mapping_names.extend(schemas.entities.keys().cloned());
        mapping_names.extend(schemas.identifiers.keys().cloned());
        mapping_names.extend(
            schemas
                .enums
                .keys()
                .filter(|name| name.as_str() != fdi_compiler::schema::QUALITY_ENUM)
                .cloned(),
        );
    }
    assert!(mapping_names.contains("MillSample") && mapping_names.contains("mill_to_mes"));
    let root = workspace_root();
    let mut found = Vec::new();
    for (path, names) in non_test_sources(&root.join("runtime/src")) {
        // Code generated from a published protocol's definition (Sparkplug B's `Row`, `DataSet`)
        // spells the protocol's names, whatever a test schema happens to call its entities.
        if path.components().any(|c| c.as_os_str() == "proto") {
            continue;
        }
        for ident in names.idents.iter().filter(|i| mapping_names.contains(*i)) {
            found.push(format!(
                "{}: {ident}",
                path.strip_prefix(&root).unwrap().display()
            ));
        }
    }
    found.dedup();
    assert!(
        found.is_empty(),
        "the runtime names what belongs to a mapping:\n{}",
        found.join("\n")
    );
}

/// The bench measures `fdi` as a user runs it: it links neither the compiler nor the runtime.
#[test]
fn the_bench_depends_on_neither_the_compiler_nor_the_runtime() {
    let manifest = std::fs::read_to_string(workspace_root().join("bench/Cargo.toml"))
        .expect("bench/Cargo.toml");
    let mut section = String::new();
    let mut found = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line.to_string();
        } else if section.contains("dependencies") {
            let key = line.split(['=', '.']).next().unwrap_or("").trim();
            if ["fdi-compiler", "fdi-runtime", "fdi_compiler", "fdi_runtime"].contains(&key) {
                found.push(format!("{section} {line}"));
            }
        }
    }
    assert!(found.is_empty(), "bench/Cargo.toml depends on {found:?}");
}
