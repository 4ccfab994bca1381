//! The report of `fdi test`: for people, one line per test and under a failed test what
//! differed; for CI, one JSON document with stable keys.

use serde_json::{json, Value};

use super::compare::{Failure, FieldDiff};
use super::{MappingOutcome, TestOutcome};
use crate::ir::DEAD_LETTER;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Human,
    Json,
}

/// Prints one mapping's results: its diagnostics on stderr as `fdi check` shows them, the
/// tests on stdout.
pub fn print_human(outcome: &MappingOutcome) {
    if !outcome.diagnostics.is_empty() {
        let handler = miette::GraphicalReportHandler::new();
        for d in &outcome.diagnostics {
            eprintln!("{}", d.render_with(&handler, &outcome.sources));
        }
        let n = outcome.diagnostics.len();
        eprintln!("{n} error{}", if n == 1 { "" } else { "s" });
    }
    print(&human(outcome));
}

/// Writes to stdout; a reader that went away (`fdi test ... | head`) is not an error of the
/// tests, so a failed write is ignored rather than a panic.
pub fn print(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// The stdout part of [`print_human`].
pub fn human(outcome: &MappingOutcome) -> String {
    if !outcome.diagnostics.is_empty() {
        return format!("{}: not tested because of errors\n", outcome.file);
    }
    if outcome.tests.is_empty() {
        return format!("{}: no tests\n", outcome.file);
    }
    let mut out = String::new();
    for test in &outcome.tests {
        out.push_str(&format!(
            "test {}:{} \"{}\" ... {}\n",
            test.file,
            test.line,
            test.name,
            if test.passed() { "ok" } else { "FAILED" }
        ));
        for failure in &test.failures {
            out.push_str(&indent(&failure_text(failure), 4));
        }
    }
    out
}

/// `N passed, M failed`, and how many mappings could not be tested.
pub fn summary_line(outcomes: &[MappingOutcome]) -> String {
    let tests = || outcomes.iter().flat_map(|o| &o.tests);
    let passed = tests().filter(|t| t.passed()).count();
    let failed = tests().count() - passed;
    let mut line = format!("{passed} passed, {failed} failed");
    let broken = outcomes
        .iter()
        .filter(|o| !o.diagnostics.is_empty())
        .count();
    if broken > 0 {
        let s = if broken == 1 { "" } else { "s" };
        line.push_str(&format!(
            "; {broken} mapping{s} not tested because of errors"
        ));
    }
    line
}

fn failure_text(failure: &Failure) -> String {
    match failure {
        Failure::Differs {
            target,
            record,
            line,
            fields,
        } => {
            let mut text = format!("{} (line {line}) differs:\n", noun(target, *record));
            for FieldDiff {
                field,
                expected,
                actual,
            } in fields
            {
                let actual = actual.as_ref().map_or("no value".to_string(), show);
                text.push_str(&format!(
                    "    {field}: expected {}, got {actual}\n",
                    show(expected)
                ));
            }
            text
        }
        Failure::Missing {
            target,
            record,
            line,
            expected,
        } => {
            let what = if target == DEAD_LETTER {
                "did not happen"
            } else {
                "is missing"
            };
            format!(
                "{} (line {line}) {what}: {}\n",
                noun(target, *record),
                show_record(expected)
            )
        }
        Failure::Extra {
            target,
            record,
            actual,
        } => format!(
            "{} was not expected: {}\n",
            noun(target, *record),
            show_record(&actual.0)
        ),
        Failure::RunFailed { exit_code, message } => {
            let head = match exit_code {
                Some(code) => format!("the program failed with exit code {code}:"),
                None => "the test could not run:".to_string(),
            };
            format!("{head}\n{}", indent(message, 4))
        }
    }
}

/// "states record 2", or "reject 2" for the dead letter.
fn noun(target: &str, record: usize) -> String {
    if target == DEAD_LETTER {
        format!("reject {record}")
    } else {
        format!("{target} record {record}")
    }
}

/// A record in the syntax of a test's record literal, so it can be pasted into a test.
fn show_record(fields: &[(String, Value)]) -> String {
    let members: Vec<String> = fields
        .iter()
        .map(|(key, value)| format!("{key}: {}", show(value)))
        .collect();
    format!("{{ {} }}", members.join(", "))
}

fn show(value: &Value) -> String {
    value.to_string()
}

fn indent(text: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    text.lines().map(|l| format!("{pad}{l}\n")).collect()
}

/// `{"ok", "passed", "failed", "mappings": [{"file", "ok", "diagnostics", "tests": [{"name",
/// "ok", "line", "failures"}]}]}`; a failure has a `kind` (`differs`, `missing`, `extra`,
/// `run_failed`) and the keys of that kind.
pub fn to_json(outcomes: &[MappingOutcome]) -> Value {
    let tests = || outcomes.iter().flat_map(|o| &o.tests);
    let passed = tests().filter(|t| t.passed()).count();
    json!({
        "ok": outcomes.iter().all(MappingOutcome::ok),
        "passed": passed,
        "failed": tests().count() - passed,
        "mappings": outcomes.iter().map(mapping_json).collect::<Vec<_>>(),
    })
}

fn mapping_json(outcome: &MappingOutcome) -> Value {
    json!({
        "file": outcome.file,
        "ok": outcome.ok(),
        "diagnostics": outcome
            .diagnostics
            .iter()
            .map(|d| d.to_json(&outcome.sources))
            .collect::<Vec<_>>(),
        "tests": outcome.tests.iter().map(test_json).collect::<Vec<_>>(),
    })
}

fn test_json(test: &TestOutcome) -> Value {
    json!({
        "name": test.name,
        "ok": test.passed(),
        "line": test.line,
        "failures": test.failures.iter().map(failure_json).collect::<Vec<_>>(),
    })
}

fn failure_json(failure: &Failure) -> Value {
    let object = |fields: &[(String, Value)]| {
        Value::Object(fields.iter().cloned().collect::<serde_json::Map<_, _>>())
    };
    match failure {
        Failure::Differs {
            target,
            record,
            line,
            fields,
        } => json!({
            "kind": "differs",
            "target": target,
            "record": record,
            "line": line,
            "fields": fields.iter().map(|f| json!({
                "field": f.field,
                "expected": f.expected,
                "actual": f.actual,
            })).collect::<Vec<_>>(),
        }),
        Failure::Missing {
            target,
            record,
            line,
            expected,
        } => json!({
            "kind": "missing",
            "target": target,
            "record": record,
            "line": line,
            "expected": object(expected),
        }),
        Failure::Extra {
            target,
            record,
            actual,
        } => json!({
            "kind": "extra",
            "target": target,
            "record": record,
            "actual": object(&actual.0),
        }),
        Failure::RunFailed { exit_code, message } => json!({
            "kind": "run_failed",
            "exit_code": exit_code,
            "message": message,
        }),
    }
}
