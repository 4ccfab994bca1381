//! A help never puts the reader on the wrong track: every rewrite a check diagnostic (E03xx, and
//! the connectors' of `CONNECTOR_REWRITES`)
//! proposes for a case file under `tests/cases/` is applied literally, alone, and the file is
//! checked again. The diagnostic must be gone, and no diagnostic of a kind the file did not
//! have before may appear. (`tests/cases/units/` has its own test, `unit_fixes.rs`, which also
//! runs the fixed programs.) A rewrite is written in a help as one of:
//!
//! - ``replace `OLD` with `NEW` `` (each alternative of a help is tried on its own);
//! - ``did you mean `NEW`?``, for the text of the primary label;
//! - ``add `STATEMENT` above this statement`` or ``add `STATEMENT` below the `let` ``, a line
//!   added with the replacements of the same help, as one fix.

mod support;

use std::path::{Path, PathBuf};

use fdi_compiler::diagnostic::Diagnostic;
use fdi_compiler::loader::{DiskFiles, MemoryFiles};
use fdi_compiler::source_map::SourceMap;
use support::workspace_root;

/// What a compilation reported: errors, or the warnings of a program that checks.
fn diagnostics(relative: &Path, sources: &mut SourceMap) -> Vec<Diagnostic> {
    match fdi_compiler::compile(relative, sources) {
        Ok(program) => program.warnings,
        Err(diagnostics) => diagnostics,
    }
}

/// Every text between `` `{start}`` and the next `` ` `` after each occurrence of `start`.
fn quoted_after<'h>(help: &'h str, start: &str) -> Vec<&'h str> {
    help.match_indices(start)
        .filter_map(|(i, _)| help[i + start.len()..].split_once('`').map(|(q, _)| q))
        .collect()
}

/// One fix: the replacements and added lines of one alternative of a help.
#[derive(Debug)]
struct Fix {
    replace: Vec<(String, String)>,
    /// A line to add, and whether it goes below the line of the label on a `let` (else above
    /// the primary label's line).
    add: Option<(String, bool)>,
}

fn fixes(diagnostic: &Diagnostic, primary_text: &str) -> Vec<Fix> {
    let Some(help) = &diagnostic.help else {
        return Vec::new();
    };
    let replacements: Vec<(String, String)> = help
        .match_indices("replace `")
        .filter_map(|(i, _)| {
            let rest = &help[i + "replace `".len()..];
            let (old, rest) = rest.split_once("` with `")?;
            let (new, _) = rest.split_once('`')?;
            Some((old.to_string(), new.to_string()))
        })
        .collect();
    let above = quoted_after(help, "add `").into_iter().find_map(|s| {
        let after = &help[help.find(&format!("add `{s}`"))? + s.len() + 6..];
        if after.starts_with(" above this statement") {
            Some((s.to_string(), false))
        } else if after.starts_with(" below the `let`") {
            Some((s.to_string(), true))
        } else {
            None
        }
    });
    let mut out = Vec::new();
    if let Some(add) = above {
        out.push(Fix {
            replace: replacements,
            add: Some(add),
        });
    } else {
        out.extend(replacements.into_iter().map(|r| Fix {
            replace: vec![r],
            add: None,
        }));
    }
    if let Some(new) = help
        .strip_prefix("did you mean `")
        .and_then(|rest| rest.split_once("`?"))
        .map(|(new, _)| new)
    {
        out.push(Fix {
            replace: vec![(primary_text.to_string(), new.to_string())],
            add: None,
        });
    }
    out
}

/// The byte range of `old` in `text`: a label's span that reads it, or its one occurrence in
/// the file, or its one occurrence on a label's line.
fn place(
    case: &str,
    text: &str,
    old: &str,
    diagnostic: &Diagnostic,
    file: fdi_compiler::source_map::FileId,
) -> std::ops::Range<usize> {
    let labelled = diagnostic.labels.iter().find_map(|label| {
        (label.span.file == file && text.get(label.span.start..label.span.end) == Some(old))
            .then_some(label.span.start..label.span.end)
    });
    if let Some(range) = labelled {
        return range;
    }
    let found: Vec<usize> = text.match_indices(old).map(|(i, _)| i).collect();
    if let [one] = found.as_slice() {
        return *one..*one + old.len();
    }
    // Else the one occurrence on the line of a label of the diagnostic.
    let on_label_lines: Vec<usize> = found
        .into_iter()
        .filter(|i| {
            diagnostic.labels.iter().any(|label| {
                label.span.file == file && {
                    let at = label.span.start;
                    let start = text[..at].rfind('\n').map_or(0, |n| n + 1);
                    let end = text[at..].find('\n').map_or(text.len(), |n| at + n);
                    (start..end).contains(i)
                }
            })
        })
        .collect();
    match on_label_lines.as_slice() {
        [one] => *one..*one + old.len(),
        _ => panic!("{case}: `{old}` is not a label's text and not written once in the file or on a label's line"),
    }
}

/// The start of the line that holds `offset`, and its indentation.
fn line_of(text: &str, offset: usize) -> (usize, String) {
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let indent: String = text[start..].chars().take_while(|c| *c == ' ').collect();
    (start, indent)
}

fn apply(
    case: &str,
    text: &str,
    fix: &Fix,
    diagnostic: &Diagnostic,
    file: fdi_compiler::source_map::FileId,
) -> String {
    let mut edits: Vec<(std::ops::Range<usize>, String)> = fix
        .replace
        .iter()
        .map(|(old, new)| (place(case, text, old, diagnostic, file), new.clone()))
        .collect();
    if let Some((line, below_let)) = &fix.add {
        let anchor = if *below_let {
            diagnostic
                .labels
                .iter()
                .find(|l| l.text.contains("`let`"))
                .unwrap_or_else(|| panic!("{case}: no label on the `let`"))
                .span
                .start
        } else {
            diagnostic.labels[0].span.start
        };
        let (start, indent) = line_of(text, anchor);
        let at = if *below_let {
            text[start..]
                .find('\n')
                .map_or(text.len(), |i| start + i + 1)
        } else {
            start
        };
        edits.push((at..at, format!("{indent}{line}\n")));
    }
    // From the end, so that earlier offsets stay right.
    edits.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
    let mut fixed = text.to_string();
    for (range, new) in edits {
        fixed.replace_range(range, &new);
    }
    fixed
}

/// The connectors' diagnostics whose help rewrites: an OPC UA node id or `writes` entry repaired,
/// a misspelt field, the NodeSet's closest node or browse path element; an HTTP path's misspelt
/// placeholder or watermark field.
const CONNECTOR_REWRITES: &[&str] = &[
    "fdi::E0703",
    "fdi::E0704",
    "fdi::E0705",
    // MTConnect device models: the closest device or data item.
    "fdi::E0711",
    "fdi::E0712",
    "fdi::E0804",
    "fdi::E0807",
    "fdi::E0808",
    "fdi::E0815",
    "fdi::E0819",
    // Delivery guarantees: a key added to the target, a `delivery` clause added or changed,
    // `qos: 1`.
    "fdi::E0820",
    "fdi::E0821",
    "fdi::E0822",
    "fdi::E0823",
    "fdi::E0824",
];

fn case_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("case folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            // Units have unit_fixes.rs; syntax, schema and data-file cases have no check-stage
            // diagnostics.
            let skip = ["units", "syntax", "schema", "drift"];
            if !skip.iter().any(|s| path.ends_with(s)) {
                case_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "fdi") {
            out.push(path);
        }
    }
}

#[test]
fn every_rewrite_a_help_proposes_checks() {
    let root = workspace_root();
    let mut cases = Vec::new();
    case_files(&root.join("tests/cases"), &mut cases);
    cases.sort();
    let mut applied = 0;
    let mut failures = Vec::new();
    for path in cases {
        let relative = path
            .strip_prefix(&root)
            .expect("under the root")
            .to_path_buf();
        let case = relative.display().to_string();
        let mut from_disk = SourceMap::reading(DiskFiles::in_folder(&root));
        let before = diagnostics(&relative, &mut from_disk);
        let Some(file) = from_disk
            .files_with_ids()
            .find(|(_, f)| f.path == relative)
            .map(|(id, _)| id)
        else {
            continue;
        };
        let text = from_disk.get(file).text.to_string();
        for diagnostic in &before {
            let code = diagnostic.code.as_str();
            let Some(primary) = diagnostic.labels.first() else {
                continue;
            };
            if !(code.starts_with("fdi::E03") || CONNECTOR_REWRITES.contains(&code))
                || primary.span.file != file
            {
                continue;
            }
            let primary_text = &text[primary.span.start..primary.span.end];
            for fix in fixes(diagnostic, primary_text) {
                let fixed = apply(&case, &text, &fix, diagnostic, file);
                let mut files = MemoryFiles::new();
                for f in from_disk.files() {
                    files.insert(&f.path, f.text.as_bytes());
                }
                files.insert(&relative, fixed.as_bytes());
                let mut sources = SourceMap::reading(files);
                let after = diagnostics(&relative, &mut sources);
                applied += 1;
                let fixed_line = fdi_compiler::diagnostic::line_column(&text, primary.span.start).0;
                let still = after.iter().any(|d| {
                    d.code == diagnostic.code
                        && d.message == diagnostic.message
                        && d.labels.first().is_some_and(|l| {
                            fdi_compiler::diagnostic::line_column(
                                &sources.get(l.span.file).text,
                                l.span.start,
                            )
                            .0 == fixed_line
                        })
                });
                let new_kinds: Vec<String> = after
                    .iter()
                    .filter(|d| !before.iter().any(|b| b.code == d.code))
                    .map(|d| d.render_plain(&sources))
                    .collect();
                if still || !new_kinds.is_empty() {
                    failures.push(format!(
                        "{case}: the fix {fix:?} of {code} ({}) {}:\n{}\n{}",
                        diagnostic.message,
                        if still {
                            "leaves it reported"
                        } else {
                            "reports something new"
                        },
                        fixed,
                        new_kinds.join("\n")
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(applied >= 40, "only {applied} rewrites applied");
}
