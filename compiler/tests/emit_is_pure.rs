//! `fdi emit` is a function of the inputs alone: the same mapping, schemas and modules give
//! the same crate, byte for byte, from whatever folder they are read and wherever fdi runs,
//! and nothing of the machine (the folders of the mapping, of the checkout fdi was built
//! from, of the user) appears in it. What depends on the machine is the build stage's.

mod support;

use std::path::Path;

use support::{copy_dir, fdi_in, workspace_root};

/// `fdi emit MAPPING` run in `cwd`: the printed crate.
fn emit(mapping: &Path, cwd: &Path) -> String {
    let output = fdi_in(cwd, &["emit", mapping.to_str().expect("a UTF-8 path")]);
    assert!(
        output.status.success(),
        "fdi emit {} failed:\n{}",
        mapping.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[test]
fn every_example_emits_the_same_crate_from_any_folder() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let tmp = tmp.path().canonicalize().expect("temp dir");
    for example in ["mill-to-mes", "cmm-to-qms"] {
        let original = workspace_root().join("examples").join(example);
        let mapping = std::fs::read_dir(&original)
            .expect("example folder")
            .map(|e| e.expect("entry").path())
            .find(|p| p.extension().is_some_and(|e| e == "fdi"))
            .expect("the example's mapping");
        let file_name = mapping.file_name().expect("file name");
        // Two copies at different depths, under different names.
        let first = tmp.join("first").join(example);
        let second = tmp.join("second").join("deeper").join("renamed");
        copy_dir(&original, &first);
        copy_dir(&original, &second);

        let in_repository = emit(&mapping, &workspace_root());
        // By absolute path from elsewhere, and by relative path from beside the mapping.
        let from_first = emit(&first.join(file_name), &tmp);
        let from_second = emit(Path::new(file_name), &second);
        assert_eq!(in_repository, from_first, "{example}: first copy");
        assert_eq!(in_repository, from_second, "{example}: second copy");

        let machine_paths = [
            workspace_root(),
            tmp.clone(),
            Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf(),
        ];
        for path in machine_paths {
            let path = path.to_string_lossy();
            assert!(
                !in_repository.contains(path.as_ref()),
                "{example}: the emitted crate names {path}"
            );
        }
        if let Some(home) = std::env::var_os("HOME").filter(|h| h.len() > 1) {
            let home = home.to_string_lossy();
            assert!(
                !in_repository.contains(home.as_ref()),
                "{example}: the emitted crate names the home folder {home}"
            );
        }
    }
}
