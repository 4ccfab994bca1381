//! The `fdi` command line: exit codes and the JSON form of diagnostics that CI reads.

mod support;

use support::fdi;

#[test]
fn check_reports_json_for_ci() {
    let out = fdi(&[
        "check",
        "--format",
        "json",
        "tests/cases/flows/missing_required_target_field.fdi",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(doc["ok"], false);
    let first = &doc["diagnostics"][0];
    assert_eq!(first["code"], "fdi::E0309");
    assert_eq!(
        first["file"],
        "tests/cases/flows/missing_required_target_field.fdi"
    );
    let case = std::fs::read_to_string(
        support::workspace_root().join("tests/cases/flows/missing_required_target_field.fdi"),
    )
    .expect("case file");
    let header_line = case
        .lines()
        .position(|l| l.starts_with("flow "))
        .expect("a flow")
        + 1;
    assert_eq!(
        first["line"], header_line,
        "the flow header's line: {first}"
    );
    assert!(first["help"].as_str().is_some_and(|h| !h.is_empty()));
}

#[test]
fn check_accepts_the_example_and_checks_several_files() {
    let out = fdi(&[
        "check",
        "examples/mill-to-mes/mill_to_mes.fdi",
        "tests/cases/flows/field_assigned_twice.fdi",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "one of the two files has an error"
    );
    let out = fdi(&[
        "check",
        "--format",
        "json",
        "examples/mill-to-mes/mill_to_mes.fdi",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(doc, serde_json::json!({ "ok": true, "diagnostics": [] }));
}

#[test]
fn missing_files_and_usage_errors_have_their_exit_codes() {
    let out = fdi(&["check", "--format", "json", "no/such/mapping.fdi"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(doc["diagnostics"][0]["code"], "fdi::E0001");
    assert_eq!(fdi(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        fdi(&["check"]).status.code(),
        Some(2),
        "check needs at least one file"
    );
}

#[test]
fn a_module_checks_but_is_not_built() {
    let module = "tests/cases/reuse/module_is_not_built.fdi";
    assert_eq!(fdi(&["check", module]).status.code(), Some(0));
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().to_string_lossy().into_owned();
    let build = fdi(&["build", module, "-o", &out]);
    assert_eq!(build.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&build.stderr);
    assert!(stderr.contains("fdi::E0005"), "{stderr}");
}

#[test]
fn warnings_keep_exit_zero_unless_denied() {
    let case = "tests/cases/handling/integer_division_used_as_float.fdi";
    let out = fdi(&["check", case]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("fdi::E0344") && stderr.contains("3 warnings"),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("{case}: ok")), "{stderr}");

    let out = fdi(&["check", "--deny-warnings", case]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "--deny-warnings fails on a warning"
    );

    let out = fdi(&["check", "--format", "json", case]);
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["diagnostics"][0]["severity"], "warning");
    assert_eq!(doc["diagnostics"][0]["code"], "fdi::E0344");

    // `emit` goes through the same step as `build` and `run`: warnings shown, program emitted.
    let out = fdi(&["emit", case]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("fdi::E0344"));
    assert!(!out.stdout.is_empty());
}
