//! Every `.fdi` file under `tests/cases/` is compiled up to the typed program, the data files it
//! names that exist are checked against it (`tests/cases/drift/`), and its diagnostics are
//! snapshotted, rendered as a person sees them. The file's first line says
//! what must happen: `// expect: ok` (no error and no warning), or `// expect: E0304` (that
//! code must be reported; when it is a warning, such as E0344, the case must have no error,
//! since a warning alone lets a mapping check).

use std::path::{Path, PathBuf};

use fdi_compiler::data_check::check_data;
use fdi_compiler::diagnostic::Code;
use fdi_compiler::loader::DiskFiles;
use fdi_compiler::source_map::SourceMap;

/// The workspace root: case paths in snapshots are relative to it, so they read like the
/// paths a user would type.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn expectation(text: &str) -> &str {
    text.lines()
        .next()
        .and_then(|l| l.strip_prefix("// expect:"))
        .map(str::trim)
        .unwrap_or_else(|| {
            panic!("a case file must start with `// expect: ok` or `// expect: E0xxx`")
        })
}

#[test]
fn diagnostics() {
    // Every case is snapshotted before any expectation fails, so one run shows them all.
    let mut failures: Vec<String> = Vec::new();
    insta::glob!("../../tests/cases", "**/*.fdi", |path| {
        let text = std::fs::read_to_string(path).expect("case file is readable");
        let expected = expectation(&text).to_string();
        let relative = path
            .strip_prefix(workspace_root().canonicalize().unwrap())
            .unwrap_or(path);
        // Files are read relative to the workspace root, so paths in diagnostics are those a
        // user types there.
        let mut sources = SourceMap::reading(DiskFiles::in_folder(workspace_root()));
        // The data check follows the check, as in `fdi check`: data files next to a case are
        // compared with its entities.
        // A program that checks carries its warnings, which are snapshotted as they print.
        let diagnostics = match fdi_compiler::compile(relative, &mut sources) {
            Ok(program) => {
                let mut diagnostics = program.warnings.clone();
                if let Err(errors) = check_data(&program, relative, &sources) {
                    diagnostics.extend(errors);
                }
                diagnostics
            }
            Err(diagnostics) => diagnostics,
        };
        let codes: Vec<&str> = diagnostics.iter().map(|d| d.code.as_str()).collect();
        let errors: Vec<&str> = diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.code.as_str())
            .collect();
        if expected == "ok" {
            if !diagnostics.is_empty() {
                failures.push(format!(
                    "{} should compile, got {codes:?}",
                    relative.display()
                ));
            }
        } else {
            let code = Code::ALL
                .iter()
                .find(|c| c.as_str().ends_with(&format!("::{expected}")))
                .unwrap_or_else(|| panic!("{}: unknown code {expected}", relative.display()));
            if !codes.contains(&code.as_str()) {
                failures.push(format!(
                    "{} should report {expected}, got {codes:?}",
                    relative.display()
                ));
            }
            // A case that expects a warning must still check: the warning is all it shows.
            let warns = !errors.contains(&code.as_str());
            if warns && !errors.is_empty() {
                failures.push(format!(
                    "{} should check with the warning {expected}, but has errors {errors:?}",
                    relative.display()
                ));
            }
        }
        let rendered: Vec<String> = diagnostics
            .iter()
            .map(|d| d.render_plain(&sources))
            .collect();
        insta::assert_snapshot!(rendered.join("\n"));
    });
    assert!(
        failures.is_empty(),
        "cases with unexpected diagnostics:\n{}",
        failures.join("\n")
    );
}

/// Every code a mapping or schema can trigger has at least one case, so a new code cannot
/// ship without a test showing how it reads.
#[test]
fn every_input_code_has_a_case() {
    let cases = workspace_root().join("tests/cases");
    let mut expected = std::collections::BTreeSet::new();
    collect_expectations(&cases, &mut expected, "fdi");
    // The codes of `fdi lineage` have their cases in tests/lineage_cases (a mapping and a
    // TARGET.FIELD each), run by compiler/tests/lineage.rs.
    collect_expectations(
        &workspace_root().join("tests/lineage_cases"),
        &mut expected,
        "txt",
    );
    // E0001 and E0002 cannot be case files (the harness reads them as text); robustness.rs
    // covers them. E04xx and E05xx come from later stages than the check. E0604 needs a git
    // repository; compiler/tests/diff.rs covers it.
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.as_str().trim_start_matches("fdi::"))
        .filter(|c| !c.starts_with("E04") && !c.starts_with("E05"))
        .filter(|c| !["E0001", "E0002", "E0604"].contains(c))
        // E0006 is the guard against the compiler's own panics (no mapping makes one on
        // purpose); E0105, E0107 and E0108 need inputs too large for a case file. The test
        // binary compiler/tests/robustness covers all four.
        .filter(|c| !["E0006", "E0105", "E0107", "E0108"].contains(c))
        .filter(|c| !expected.contains(*c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a case under tests/cases: {missing:?}"
    );
}

fn collect_expectations(dir: &Path, out: &mut std::collections::BTreeSet<String>, extension: &str) {
    for entry in std::fs::read_dir(dir).expect("the case folder is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            collect_expectations(&path, out, extension);
        } else if path.extension().is_some_and(|e| e == extension) {
            let text = std::fs::read_to_string(&path).expect("case file is readable");
            out.insert(expectation(&text).to_string());
        }
    }
}
