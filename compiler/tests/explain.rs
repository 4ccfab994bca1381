//! `fdi explain`: every code has an explanation in docs/errors.md (so a new code cannot ship
//! undocumented), and the command reads codes the way people type them.

mod support;

use fdi_compiler::diagnostic::Code;
use fdi_compiler::explain::{explanation, parse_code, section, ERRORS_PAGE};
use support::fdi;

#[test]
fn every_code_has_an_explanation() {
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| section(**c).is_none())
        .map(|c| c.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a `## fdi::E0xxx — ...` section in docs/errors.md: {missing:?}"
    );
    for code in Code::ALL {
        let markdown = section(*code).expect("a section");
        // A section is more than its heading, and stops before the next heading.
        assert!(markdown.lines().count() > 2, "{code}: the section is empty");
        let headings = markdown.lines().filter(|l| l.starts_with("## ")).count();
        assert_eq!(headings, 1, "{code}: runs into the next section");
        let text = explanation(*code).expect("a section");
        assert!(text.starts_with(code.as_str()), "{text}");
    }
}

#[test]
fn every_explained_code_exists() {
    for line in ERRORS_PAGE.lines() {
        if let Some(heading) = line.strip_prefix("## fdi::") {
            let code = heading.split_whitespace().next().unwrap_or("");
            assert!(
                parse_code(code).is_ok(),
                "docs/errors.md explains {code}, which codes.rs does not have"
            );
        }
    }
}

#[test]
fn explain_prints_the_section_as_plain_text() {
    let out = fdi(&["explain", "E0311"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("fdi::E0311 — a lookup may miss"), "{text}");
    assert!(!text.contains("```") && !text.contains("**"), "{text}");
    assert!(
        text.contains("\n    flow status_of: samples -> status {\n"),
        "code blocks are kept, indented: {text}"
    );
    for spelling in ["fdi::E0311", "e0311", "0311"] {
        assert_eq!(fdi(&["explain", spelling]).stdout, out.stdout, "{spelling}");
    }
}

#[test]
fn an_unknown_code_is_an_error_with_a_suggestion() {
    let out = fdi(&["explain", "E3011"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did you mean E0311?"), "{stderr}");
    assert!(stderr.contains("fdi explain --list"), "{stderr}");
    assert_eq!(fdi(&["explain"]).status.code(), Some(2), "a code is needed");
}

#[test]
fn list_prints_every_code_with_its_summary() {
    let out = fdi(&["explain", "--list"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), Code::ALL.len());
    assert!(text.contains("E0311  a lookup may miss and the miss is not handled"));
}

#[test]
fn diagnostics_for_people_point_at_explain() {
    let out = fdi(&[
        "check",
        "tests/cases/flows/missing_required_target_field.fdi",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("run `fdi explain E0309`"), "{stderr}");
}
