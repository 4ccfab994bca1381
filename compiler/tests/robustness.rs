//! The compiler never crashes. Inputs that cannot be case files under `tests/cases/` (not
//! text, missing, or huge): each must end in a diagnostic, never a panic or a stack overflow.
//! The modules: `robustness/limits.rs` the input limits (E0105-E0108),
//! `robustness/internal_error.rs` the guard that turns a panic into E0006,
//! `robustness/unicode_literals.rs` string literals that come out of the generated program as
//! written, and `robustness/fuzz_targets.rs` a minute of each fuzz target of `fuzz/`.
//!
//! Every test here runs the compiler on a thread with the 256 MiB stack the `fdi` binary uses.

mod support;

#[path = "robustness/fuzz_findings.rs"]
mod fuzz_findings;
#[path = "robustness/fuzz_targets.rs"]
mod fuzz_targets;
#[path = "robustness/internal_error.rs"]
mod internal_error;
#[path = "robustness/limits.rs"]
mod limits;
#[path = "robustness/unicode_literals.rs"]
mod unicode_literals;

use std::path::{Path, PathBuf};

use fdi_compiler::diagnostic::Code;
use fdi_compiler::source_map::SourceMap;

/// The codes `compile` reports for the file at `path`, computed on a big-stack thread; panics
/// (the test fails) if the compiler panics or accepts the file.
fn codes_for(path: &Path) -> Vec<Code> {
    let path = path.to_path_buf();
    let worker = std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(move || {
            let mut sources = SourceMap::new();
            let result = fdi_compiler::compile(&path, &mut sources);
            let Err(diagnostics) = result else {
                panic!("the input must be rejected");
            };
            // Rendering must not panic either (spans must fall inside the text).
            for d in &diagnostics {
                let _ = d.render_plain(&sources);
                let _ = d.to_json(&sources);
            }
            diagnostics.iter().map(|d| d.code).collect::<Vec<_>>()
        })
        .expect("spawn the compiler thread");
    worker.join().expect("the compiler must not panic")
}

/// Writes `bytes` as `name` in a fresh temporary folder.
fn write_temp(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write the mapping file");
    (dir, path)
}

const HEADER: &str = "mapping robust version \"1\"\nschema \"plant.yaml\"\n";

#[test]
fn invalid_utf8_is_reported_as_e0002() {
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(b"// caf\xe9 in Latin-1, not UTF-8\n");
    bytes.extend_from_slice(b"source s: csv(\"\xff\xfe.csv\") as Thing\n");
    let (_dir, path) = write_temp("latin1.fdi", &bytes);
    assert_eq!(codes_for(&path), vec![Code::NotUtf8]);
}

#[test]
fn missing_mapping_file_is_reported_as_e0001() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("does_not_exist.fdi");
    assert_eq!(codes_for(&path), vec![Code::FileNotFound]);
}

#[test]
fn a_folder_instead_of_a_mapping_file_is_reported_as_e0001() {
    let dir = tempfile::tempdir().expect("temporary folder");
    assert_eq!(codes_for(dir.path()), vec![Code::FileNotFound]);
}

/// Runs of operators or brackets long enough to overflow any stack that recursed over them.
/// `??` groups to the right, so its chain nests to the right; `+` to the left.
#[test]
fn very_deep_expressions_give_a_diagnostic() {
    let cases: &[(&str, &str, usize)] = &[
        ("minus signs", "-", 200_000),
        ("spaced minus signs", "- ", 200_000),
        ("open parentheses", "(", 100_000),
        ("defaults", "a ?? ", 100_000),
        ("a flat sum", "1 + ", 200_000),
    ];
    for (what, prefix, count) in cases {
        let text = format!(
            "{HEADER}flow f: s -> t {{\n  x = {}1\n}}\n",
            prefix.repeat(*count)
        );
        let (_dir, path) = write_temp("deep.fdi", text.as_bytes());
        assert_eq!(codes_for(&path), vec![Code::TooDeep], "{count} {what}");
    }
    let nots = format!(
        "{HEADER}flow f: s -> t where {}true {{\n}}\n",
        "not ".repeat(100_000)
    );
    let (_dir, path) = write_temp("nots.fdi", nots.as_bytes());
    assert_eq!(codes_for(&path), vec![Code::TooDeep], "100000 nots");
}

#[test]
fn a_file_of_nul_bytes_gives_a_diagnostic() {
    let (_dir, path) = write_temp("nul.fdi", &[0u8; 4096]);
    assert_eq!(codes_for(&path), vec![Code::Syntax]);
}
