//! Schema drift caught against the real file: the mill example copied with one column of its CSV
//! header renamed, as an export update would. `fdi check` (and `fdi build`) report the column
//! the file lacks, labelled in the schema, with the file's renamed column as the suggestion; the
//! program built from the unchanged copy refuses the renamed file when it opens it, and writes
//! nothing.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use fdi_compiler::data_check::check_data;
use fdi_compiler::loader::DiskFiles;
use fdi_compiler::source_map::SourceMap;
use support::*;

/// The schema's column, and the export's new spelling of it.
const COLUMN: &str = "S1_ActualVelocity";
const RENAMED: &str = "S1_ActualVelocty";

const MAPPING: &str = "mill_to_mes.fdi";
const DATA: &str = "data/experiment_01.csv";

/// A copy of the mill example in `dir`.
fn example_copy(dir: &Path) -> PathBuf {
    copy_dir(&workspace_root().join("examples/mill-to-mes"), dir);
    dir.join(MAPPING)
}

/// Writes `from` with `COLUMN` renamed in its header line only, to `to`.
fn write_with_renamed_column(from: &Path, to: &Path) {
    let text = std::fs::read_to_string(from).expect("read the example's CSV");
    let (header, rows) = text.split_once('\n').expect("a header line");
    let columns: Vec<&str> = header.split(',').collect();
    assert!(
        columns.contains(&COLUMN),
        "the example's header has {COLUMN}"
    );
    let renamed: Vec<&str> = columns
        .iter()
        .map(|c| if *c == COLUMN { RENAMED } else { c })
        .collect();
    std::fs::write(to, format!("{}\n{rows}", renamed.join(","))).expect("write the CSV");
}

/// 1-based line of the first line of `text` that starts (after indentation) with `key:`.
fn line_of_key(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| l.trim_start().starts_with(&format!("{key}:")))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("no key {key} in the schema"))
}

#[test]
fn fdi_check_reports_the_column_the_examples_csv_lacks() {
    let dir = tempfile::tempdir().expect("temp dir");
    example_copy(dir.path());
    let csv = dir.path().join(DATA);
    write_with_renamed_column(&csv, &csv);

    // As a person sees it: the code, the file, the missing column and the file's closest one.
    let out = fdi_in(dir.path(), &["check", MAPPING]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    for words in [
        "fdi::E0701",
        &format!("source `mill`: the header of {DATA} has no column `{COLUMN}` (did you mean `{RENAMED}`?)"),
        "schemas/plant.yaml",
        &format!("`{COLUMN}: {{ type: float, column: {RENAMED} }}`"),
    ] {
        assert!(stderr.contains(words), "{words:?} not in:\n{stderr}");
    }

    // The label is on the field in the schema: its line, found here in the YAML text.
    let out = fdi_in(dir.path(), &["check", "--format", "json", MAPPING]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let diagnostics = report["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(diagnostics.len(), 1, "{report}");
    let schema = std::fs::read_to_string(dir.path().join("schemas/plant.yaml")).expect("schema");
    let diagnostic = &diagnostics[0];
    assert_eq!(diagnostic["code"], "fdi::E0701");
    assert_eq!(diagnostic["file"], "schemas/plant.yaml");
    assert_eq!(diagnostic["line"], line_of_key(&schema, COLUMN));

    // The help's schema edit, applied literally, makes the mapping read the renamed column.
    let help = diagnostic["help"].as_str().expect("a help");
    let edit = help
        .split('`')
        .find(|part| part.starts_with(&format!("{COLUMN}:")))
        .unwrap_or_else(|| panic!("no schema edit in {help:?}"));
    let edited: Vec<String> = schema
        .lines()
        .map(
            |line| match line.trim_start().strip_prefix(&format!("{COLUMN}:")) {
                Some(_) => format!("{}{edit}", &line[..line.len() - line.trim_start().len()]),
                None => line.to_string(),
            },
        )
        .collect();
    let schema_path = dir.path().join("schemas/plant.yaml");
    std::fs::write(&schema_path, edited.join("\n") + "\n").expect("edit the schema");
    let fixed = fdi_in(dir.path(), &["check", MAPPING]);
    assert_eq!(
        fixed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&fixed.stderr)
    );
    std::fs::write(&schema_path, &schema).expect("restore the schema");

    // The rendered diagnostic, as the library renders it (the CLI's colours depend on the terminal).
    let mut sources = SourceMap::reading(DiskFiles::in_folder(dir.path()));
    let program = fdi_compiler::compile(Path::new(MAPPING), &mut sources).expect("checks");
    let diagnostics =
        check_data(&program, Path::new(MAPPING), &sources).expect_err("the header lacks a column");
    let rendered: Vec<String> = diagnostics
        .iter()
        .map(|d| d.render_plain(&sources))
        .collect();
    insta::assert_snapshot!(rendered.join("\n"));

    // `fdi build` refuses it too, before it writes a crate.
    let out = fdi_in(dir.path(), &["build", MAPPING, "-o", "crate"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("fdi::E0701"));
    assert!(!dir.path().join("crate").exists());
}

#[test]
fn the_program_refuses_a_csv_whose_header_lacks_a_column_when_it_opens_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mapping = example_copy(dir.path());
    // Built from the unchanged copy, so the build's own data check passes.
    let binary = build(&mapping, &dir.path().join("crate"));
    write_with_renamed_column(&dir.path().join(DATA), &dir.path().join("data/drifted.csv"));

    // Run in the copy: `--source` paths are relative to where the program runs.
    let output = Command::new(&binary)
        .args(["--format", "json", "--source", "mill=data/drifted.csv"])
        .current_dir(dir.path())
        .output()
        .expect("run the program");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let drifted = dir
        .path()
        .canonicalize()
        .expect("the copy")
        .join("data/drifted.csv");
    let words = format!(
        "source `mill`: the header of {} has no column `{COLUMN}` (did you mean `{RENAMED}`?); no record was read.",
        drifted.display()
    );
    assert!(stderr.contains(&words), "{words:?} not in:\n{stderr}");

    // The summary accounts for every record: none was read, so none was written or rejected.
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(summary["ok"], false);
    assert!(summary["error"].as_str().unwrap_or("").contains(&words));
    assert_eq!(summary["sources"][0]["name"], "mill");
    assert_eq!(summary["sources"][0]["read"], 0);
    assert_eq!(summary["sources"].as_array().map(Vec::len), Some(1));
    assert_balanced(&summary);
    assert_eq!(summary["dead_letter"]["records"], 0);

    // Nothing written: the targets were not opened, and the dead letter holds no record.
    let out = dir.path().join("out");
    assert!(!out.join("line.db").exists());
    assert!(!out.join("equipment_state.jsonl").exists());
    let dead_letter = std::fs::read_to_string(out.join("rejected.jsonl")).unwrap_or_default();
    assert!(dead_letter.is_empty(), "{dead_letter}");
}
