//! `fdi test`: the mappings under `tests/programs/` with `test` blocks are tested through the
//! CLI, and what it reports is checked: a mapping whose tests pass, one whose tests fail in
//! every way (its report snapshotted, for people and as JSON), and the exit codes.
//!
//! Paths are given relative to the workspace root and the program's own files are shown as
//! `<test>/...`, so the reports do not change from machine to machine.

mod support;

use std::process::Output;

use support::{fdi_building, workspace_root};

const PASSING: &str = "tests/programs/tested_mapping/tested_mapping.fdi";
const FAILING: &str = "tests/programs/failing_tests/failing_tests.fdi";

/// `fdi test ARGS...` from the workspace root, building into the tests' shared target dir.
fn fdi_test(args: &[&str]) -> Output {
    fdi_building("test")
        .args(args)
        .current_dir(workspace_root())
        .output()
        .expect("run fdi test")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn tests_of_a_correct_mapping_pass_and_leave_its_targets_alone() {
    // The mapping's targets are in `out/` (ignored by git): a test captures what they would
    // receive instead of writing them.
    let real_targets = workspace_root().join("tests/programs/tested_mapping/out");
    let _ = std::fs::remove_dir_all(&real_targets);
    let out = fdi_test(&[PASSING]);
    let report = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    insta::assert_snapshot!(report);
    assert!(!real_targets.exists(), "a test wrote the real targets");
}

#[test]
fn failing_tests_report_what_differs() {
    let out = fdi_test(&[FAILING]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn failures_as_json_for_ci() {
    let out = fdi_test(&["--format", "json", FAILING]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(
        (&doc["ok"], &doc["passed"], &doc["failed"]),
        (&false.into(), &1.into(), &6.into())
    );
    let kinds: Vec<Vec<&str>> = doc["mappings"][0]["tests"]
        .as_array()
        .expect("tests")
        .iter()
        .map(|t| {
            t["failures"]
                .as_array()
                .expect("failures")
                .iter()
                .map(|f| f["kind"].as_str().expect("kind"))
                .collect()
        })
        .collect();
    assert_eq!(
        kinds,
        [
            vec![],
            vec!["differs"],
            vec!["missing"],
            vec!["extra"],
            vec!["extra"],
            vec!["missing"],
            vec!["run_failed"],
        ]
    );
    insta::assert_json_snapshot!(doc);
}

/// (arguments, exit code, what stdout says): 0 all pass, 1 a test fails or a mapping has
/// errors (and is not tested), 2 usage errors.
#[test]
fn exit_codes() {
    let cases: &[(&[&str], i32, &str)] = &[
        (&[PASSING], 0, "6 passed, 0 failed"),
        (
            &["tests/programs/escaped_literal/escaped_literal.fdi"],
            0,
            "escaped_literal.fdi: no tests",
        ),
        (
            &["tests/cases/tests/test_names_unknown_target.fdi"],
            1,
            "test_names_unknown_target.fdi: not tested because of errors",
        ),
        (&["no/such/mapping.fdi"], 1, "1 mapping not tested"),
        (&[], 2, ""),
        (&["--format", "xml", PASSING], 2, ""),
    ];
    for (args, code, says) in cases {
        let out = fdi_test(args);
        let report = stdout(&out);
        assert_eq!(
            out.status.code(),
            Some(*code),
            "fdi test {args:?}:\n{report}"
        );
        assert!(report.contains(says), "fdi test {args:?}:\n{report}");
    }
}

#[test]
fn mapping_errors_are_diagnostics_in_both_formats() {
    let case = "tests/cases/tests/test_names_unknown_target.fdi";
    let out = fdi_test(&[case]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("fdi::E0335"));
    let out = fdi_test(&["--format", "json", case]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let mapping = &doc["mappings"][0];
    assert_eq!((&doc["ok"], &mapping["ok"]), (&false.into(), &false.into()));
    assert_eq!(mapping["diagnostics"][0]["code"], "fdi::E0335");
    assert_eq!(mapping["tests"], serde_json::json!([]));
}
