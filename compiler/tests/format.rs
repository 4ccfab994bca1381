//! The formatter's promises, checked on data: every mapping in the repository (the examples,
//! the test cases that parse, the awkward inputs in `format_cases/`) and mutilated copies of
//! them must format without a panic, to text that parses to the same syntax tree, keeps every
//! comment, and does not change when formatted again. The formatted text of each file in
//! `format_cases/` is snapshotted.
//!
//! The checks here use the unchecked `format_mapping`, so that they do not rely on the
//! formatter's own safety check (`format_text` refuses output that fails it).

use std::path::{Path, PathBuf};

use fdi_compiler::diagnostic::Code;
use fdi_compiler::format::{comments, format_mapping, format_text, same_mapping, FormatError};
use fdi_compiler::source_map::SourceMap;
use fdi_compiler::syntax::parse_text;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn sorted_comments(text: &str) -> Vec<String> {
    let mut texts: Vec<String> = comments(text).into_iter().map(|c| c.text).collect();
    texts.sort();
    texts
}

/// Formats `text` and checks the formatter's promises; `None` when `text` does not parse.
fn format_checked(name: &str, text: &str) -> Option<String> {
    let file = SourceMap::new().add(name, text);
    let original = parse_text(file, text).ok()?;
    let once = format_mapping(&original, text);
    let reparsed = parse_text(file, &once)
        .unwrap_or_else(|d| panic!("{name}: the formatted text does not parse: {d:?}\n{once}"));
    assert!(
        same_mapping(&original, &reparsed),
        "{name}: formatting changed the mapping:\n{once}"
    );
    assert_eq!(
        sorted_comments(text),
        sorted_comments(&once),
        "{name}: formatting lost or changed a comment:\n{once}"
    );
    let twice = format_mapping(&reparsed, &once);
    assert_eq!(
        once, twice,
        "{name}: formatting the formatted text changes it"
    );
    Some(once)
}

#[test]
fn formatted_cases() {
    insta::glob!("format_cases/*.fdi", |path| {
        let text = std::fs::read_to_string(path).expect("case file is readable");
        let name = path.display().to_string();
        let formatted = format_checked(&name, &text).expect("a format case must parse");
        insta::assert_snapshot!(formatted);
    });
}

fn mapping_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            mapping_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "fdi") {
            out.push(path);
        }
    }
}

/// The mappings the invariants run over: everywhere `.fdi` files live in the repository.
fn repository_mappings() -> Vec<(String, String)> {
    let root = workspace_root();
    let mut files = Vec::new();
    for dir in ["examples", "tests", "compiler/tests"] {
        mapping_files(&root.join(dir), &mut files);
    }
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("mapping file is readable");
            (path.display().to_string(), text)
        })
        .collect()
}

#[test]
fn every_mapping_in_the_repository_formats_stably_and_keeps_its_meaning() {
    let mappings = repository_mappings();
    let formatted = mappings
        .iter()
        .filter_map(|(name, text)| format_checked(name, text))
        .count();
    // The syntax-error cases do not parse; everything else does.
    assert!(
        formatted >= 60,
        "only {formatted} of {} mappings parsed: are the folders still there?",
        mappings.len()
    );
}

/// Each file with one character deleted, at every place: comments end up in odd places,
/// lines join, brackets go missing. Whatever still parses must keep the promises, and nothing
/// may panic.
#[test]
fn every_one_character_deletion_keeps_the_promises() {
    let dir = workspace_root().join("compiler/tests/format_cases");
    for case in ["comments_everywhere.fdi", "brackets_and_operators.fdi"] {
        let text = std::fs::read_to_string(dir.join(case)).expect("case file is readable");
        for (at, c) in text.char_indices() {
            let mut cut = text.clone();
            cut.replace_range(at..at + c.len_utf8(), "");
            format_checked(&format!("{case} without byte {at}"), &cut);
        }
    }
}

/// A trailing comment and a comment on its own line put at every place a comment may go
/// (before whitespace or a bracket) in the example and in the nested matches: none may be
/// lost, and where the formatter puts it must be stable.
#[test]
fn a_comment_anywhere_is_kept() {
    let root = workspace_root();
    for case in [
        "examples/mill-to-mes/mill_to_mes.fdi",
        "compiler/tests/format_cases/matches.fdi",
    ] {
        let text = std::fs::read_to_string(root.join(case)).expect("mapping is readable");
        let places = text
            .char_indices()
            .filter(|(_, c)| c.is_whitespace() || "(){}[],".contains(*c))
            .map(|(at, _)| at);
        for at in places {
            for comment in [" // trailing\n", "\n// own line\n"] {
                let mut with_comment = text.clone();
                with_comment.insert_str(at, comment);
                format_checked(&format!("{case} with a comment at {at}"), &with_comment);
            }
        }
    }
}

/// The hostile inputs of robustness.rs, and other text that is not a mapping: reported with
/// the parser's diagnostic, never formatted, never a panic. Runs with the CLI's big stack.
#[test]
fn hostile_inputs_are_reported_not_formatted() {
    let header = "mapping robust version \"1\"\nschema \"plant.yaml\"\n";
    let mut inputs: Vec<(String, Code)> = [
        ("-", 200_000),
        ("- ", 200_000),
        ("(", 100_000),
        ("a ?? ", 100_000),
        ("1 + ", 200_000),
    ]
    .iter()
    .map(|(prefix, n)| {
        let text = format!(
            "{header}flow f: s -> t {{\n  x = {}1\n}}\n",
            prefix.repeat(*n)
        );
        (text, Code::TooDeep)
    })
    .collect();
    inputs.push((
        format!(
            "{header}flow f: s -> t where {}true {{}}",
            "not ".repeat(100_000)
        ),
        Code::TooDeep,
    ));
    inputs.push(("\0".repeat(4096), Code::Syntax));
    inputs.push((String::new(), Code::EmptyFile));
    inputs.push(("// only a comment\n".to_string(), Code::EmptyFile));
    inputs.push((format!("{header}x = \"unterminated"), Code::Syntax));
    inputs.push((
        format!("{header}flow f: s -> t {{ x = \"\\q\" }}"),
        Code::BadEscape,
    ));
    let worker = std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(move || {
            for (text, expected) in inputs {
                let file = SourceMap::new().add("hostile.fdi", text.as_str());
                match format_text(file, &text) {
                    Err(FormatError::Parse(d)) => assert_eq!(
                        d.first().map(|d| d.code),
                        Some(expected),
                        "{}...",
                        &text[..text.len().min(80)]
                    ),
                    other => panic!("expected a parse error, got {other:?}"),
                }
            }
        })
        .expect("spawn the formatter thread");
    worker.join().expect("the formatter must not panic");
}

#[test]
fn windows_line_endings_and_a_missing_final_newline_are_normalised() {
    let text =
        "mapping m version \"1\" // crlf\r\nschema \"s.yaml\"\r\n\r\nsource s: csv(\"s.csv\") as S";
    let formatted = format_checked("crlf.fdi", text).expect("parses");
    assert_eq!(
        formatted,
        "mapping m version \"1\" // crlf\n\nschema \"s.yaml\"\n\nsource s: csv(\"s.csv\") as S\n"
    );
}

#[test]
fn the_tree_comparison_sees_a_different_grouping() {
    let parse = |value: &str| {
        let text = format!("mapping m version \"1\"\nflow f: s -> t {{\n  x = {value}\n}}\n");
        let file = SourceMap::new().add("m.fdi", text.as_str());
        parse_text(file, &text).expect("parses")
    };
    assert!(same_mapping(&parse("a + b * c"), &parse("a + (b * c)")));
    assert!(!same_mapping(&parse("a + b * c"), &parse("(a + b) * c")));
    assert!(!same_mapping(&parse("\"a\""), &parse("\"b\"")));
}
