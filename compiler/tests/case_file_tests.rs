//! The `test` blocks written in the repository's mappings pass `fdi test`: every `.fdi` file
//! under `tests/` and `examples/` that checks, is a mapping and has `test` blocks is tested
//! through the CLI, as a user would, in one run. A mapping whose tests are meant to fail is
//! listed in [`MEANT_TO_FAIL`] with the reason, and must fail by its tests (not by errors).

mod support;

use std::path::{Path, PathBuf};

use fdi_compiler::source_map::SourceMap;
use support::{fdi_building, workspace_root};

/// Mappings whose tests fail on purpose (relative to the workspace root), and why.
const MEANT_TO_FAIL: &[(&str, &str)] = &[(
    "tests/programs/failing_tests/failing_tests.fdi",
    "its tests fail in every way `fdi test` reports; tests/fdi_test.rs snapshots the report",
)];

fn fdi_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            fdi_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "fdi") {
            out.push(path);
        }
    }
}

/// The files, relative to the workspace root, that check, are mappings and have tests.
fn mappings_with_tests() -> Vec<String> {
    let root = workspace_root();
    let mut files = Vec::new();
    for dir in ["tests", "examples"] {
        fdi_files(&root.join(dir), &mut files);
    }
    files.sort();
    files
        .iter()
        .filter(|file| {
            let mut sources = SourceMap::new();
            fdi_compiler::compile_mapping(file, &mut sources)
                .is_ok_and(|program| !program.tests.is_empty())
        })
        .map(|file| {
            file.strip_prefix(&root)
                .expect("under the workspace root")
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect()
}

#[test]
fn every_mapping_with_tests_in_the_repository_passes_them() {
    let files = mappings_with_tests();
    for (meant_to_fail, _) in MEANT_TO_FAIL {
        assert!(
            files.iter().any(|f| f == meant_to_fail),
            "{meant_to_fail} is listed as meant to fail but is not a mapping with tests"
        );
    }
    assert!(
        files.len() > MEANT_TO_FAIL.len() + 2,
        "found only {files:?}"
    );
    let output = fdi_building("test")
        .arg("--format")
        .arg("json")
        .args(&files)
        .current_dir(workspace_root())
        .output()
        .expect("run fdi test");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "fdi test printed no JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let mappings = report["mappings"].as_array().expect("mappings");
    assert_eq!(mappings.len(), files.len(), "{report:#}");
    let mut wrong = Vec::new();
    for mapping in mappings {
        let file = mapping["file"].as_str().expect("file");
        let tests = mapping["tests"].as_array().expect("tests");
        let failed = tests.iter().filter(|t| t["ok"] != true).count();
        let errors = mapping["diagnostics"].as_array().map_or(0, Vec::len);
        let meant_to_fail = MEANT_TO_FAIL.iter().any(|(f, _)| *f == file);
        let as_meant = if meant_to_fail {
            errors == 0 && failed > 0
        } else {
            errors == 0 && failed == 0 && !tests.is_empty()
        };
        if !as_meant {
            wrong.push(format!(
                "{file}: {errors} errors, {failed} of {} tests failed{}\n{mapping:#}",
                tests.len(),
                if meant_to_fail {
                    " (meant to fail by its tests)"
                } else {
                    ""
                }
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
