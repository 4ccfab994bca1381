//! Every mapping in the repository that checks (the cases, the test programs, the examples) is
//! emitted, and every Rust file of the generated crate must parse with `syn`: emit never fails
//! on a checked program, and its one formatting pass (prettyplease) needs code that parses.
//! Cheap, since nothing is built; `valid_cases_build.rs` builds the valid cases with cargo.
//!
//! Each statement of a flow must also say where it comes from (`// mapping.fdi:LINE`), with a
//! path relative to the mapping's folder.

mod support;

use std::path::{Path, PathBuf};

use fdi_compiler::source_map::SourceMap;
use support::workspace_root;

fn mappings(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            mappings(&path, out);
        } else if path.extension().is_some_and(|e| e == "fdi") {
            out.push(path);
        }
    }
}

/// Problems of one generated flow file: a statement (a `let` of the flow's body, or its `if`
/// filter) without the comment that names its origin.
fn statements_without_origin(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    lines
        .iter()
        .enumerate()
        .filter(|(_, line)| line.starts_with("    let ") || line.starts_with("    if "))
        .filter(|(i, _)| {
            let previous = lines[i - 1].trim_start();
            !(previous.starts_with("// ") && previous.contains(".fdi:"))
        })
        .map(|(_, line)| line.to_string())
        .collect()
}

#[test]
fn every_emitted_file_parses() {
    let root = workspace_root();
    let mut paths = Vec::new();
    for folder in ["tests/cases", "tests/programs", "examples"] {
        mappings(&root.join(folder), &mut paths);
    }
    paths.sort();
    let mut checked = 0;
    let mut failures = Vec::new();
    for path in &paths {
        let mut sources = SourceMap::new();
        let Ok(program) = fdi_compiler::compile(path, &mut sources) else {
            continue;
        };
        checked += 1;
        let options = fdi_compiler::emit_options(path, &sources);
        let generated = fdi_compiler::emit::emit(&program, &options);
        for (file, text) in &generated.files {
            if !file.ends_with(".rs") {
                continue;
            }
            let name = format!("{} {file}", path.display());
            if let Err(e) = syn::parse_file(text) {
                failures.push(format!("{name} does not parse: {e}\n{text}"));
            }
            if text.contains("__fdi_comment") {
                failures.push(format!("{name} keeps a comment placeholder"));
            }
            if file.starts_with("src/flows/") && file != "src/flows/mod.rs" {
                for line in statements_without_origin(text) {
                    failures.push(format!("{name}: no origin comment before `{line}`"));
                }
            }
            let mapping_code = file.starts_with("src/flows/") || file == "src/functions.rs";
            if mapping_code && text.contains(&*root.to_string_lossy()) {
                failures.push(format!("{name} names a path of this machine"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(checked >= 20, "only {checked} mappings checked");
}
