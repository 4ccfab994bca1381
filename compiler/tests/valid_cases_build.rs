//! Every case under `tests/cases/` that is expected to check (`// expect: ok`) and is a mapping
//! (not a module, which is not built) is also emitted and built with cargo here, so that "emit
//! never fails on a checked program" includes "and the Rust it writes compiles, without
//! warnings" for every construct the cases use. Each is built with the runtime's features its
//! crate names and no other, so a connector whose feature the crate forgets fails here.

mod support;

use std::path::{Path, PathBuf};

use support::*;

fn valid_mappings(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("case folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            valid_mappings(&path, out);
        } else if path.extension().is_some_and(|e| e == "fdi") {
            let text = std::fs::read_to_string(&path).expect("case file");
            let ok = text.lines().next() == Some("// expect: ok");
            let mapping = text
                .lines()
                .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with("//"))
                .is_some_and(|l| l.starts_with("mapping "));
            if ok && mapping {
                out.push(path);
            }
        }
    }
}

#[test]
fn every_valid_case_builds() {
    let mut cases = Vec::new();
    valid_mappings(&workspace_root().join("tests/cases"), &mut cases);
    cases.sort();
    let tmp = tempfile::tempdir().expect("temp dir");
    // Every case is built, and every failure reported at once.
    let mut failures = Vec::new();
    for case in &cases {
        // A crate folder per case, named after its folder and file (`units-conversions...`).
        let name = case
            .strip_prefix(workspace_root().join("tests/cases"))
            .unwrap_or(case)
            .with_extension("")
            .to_string_lossy()
            .replace(['/', '\\'], "-");
        match try_build_with_its_connectors_only(case, &tmp.path().join(name)) {
            Ok(binary) if binary.exists() => {}
            Ok(_) => failures.push(format!("{} built no binary", case.display())),
            Err(failure) => failures.push(failure),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases do not build cleanly:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert!(cases.len() >= 10, "found only {cases:?}");
}
