//! Every case under `tests/cases/valid/` checks without error; here each is also emitted and
//! built with cargo, so that "emit never fails on a checked program" includes "and the Rust
//! it writes compiles" for every construct those cases use.

mod support;

use support::*;

#[test]
fn every_valid_case_builds() {
    let cases = workspace_root().join("tests/cases/valid");
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut built = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&cases)
        .expect("valid cases")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for case in entries
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "fdi"))
    {
        let name = case
            .file_stem()
            .expect("file name")
            .to_string_lossy()
            .into_owned();
        let binary = build(&case, &tmp.path().join(&name));
        assert!(binary.exists(), "{} built no binary", case.display());
        built += 1;
    }
    assert!(built >= 1, "no valid cases found in {}", cases.display());
}
