//! `fdi fmt` on the command line: what it writes, what `--check` reports, and exit codes.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::workspace_root;

fn fdi(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fdi"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run fdi")
}

const UNFORMATTED: &str =
    "mapping m version \"1\"\nschema \"s.yaml\"\nflow f: s -> t {\n    x=(a+b)*c // why\n}\n";
const FORMATTED: &str = "mapping m version \"1\"\n\nschema \"s.yaml\"\n\nflow f: s -> t {\n  x = (a + b) * c // why\n}\n";

#[test]
fn check_shows_a_diff_and_writes_nothing_then_fmt_formats_in_place() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = dir.path().join("m.fdi");
    std::fs::write(&file, UNFORMATTED).expect("write the mapping");

    let out = fdi(dir.path(), &["fmt", "--check", "m.fdi"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "an unformatted file fails the check"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("--- m.fdi"), "{stdout}");
    assert!(stdout.contains("-    x=(a+b)*c // why"), "{stdout}");
    assert!(stdout.contains("+  x = (a + b) * c // why"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 of 1 file is not formatted"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), UNFORMATTED);

    let out = fdi(dir.path(), &["fmt", "m.fdi"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), FORMATTED);

    let out = fdi(dir.path(), &["fmt", "--check", "m.fdi"]);
    assert_eq!(out.status.code(), Some(0), "a formatted file passes");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_file_with_a_syntax_error_is_reported_and_left_alone() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let broken = "mapping m version \"1\"\nflow f: s t {\n}\n";
    std::fs::write(dir.path().join("broken.fdi"), broken).expect("write");
    std::fs::write(dir.path().join("fine.fdi"), UNFORMATTED).expect("write");

    let out = fdi(dir.path(), &["fmt", "broken.fdi", "fine.fdi"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("fdi::E0101"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("broken.fdi")).unwrap(),
        broken
    );
    // The other file is still formatted.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("fine.fdi")).unwrap(),
        FORMATTED
    );
}

#[test]
fn folders_are_searched_for_mapping_files() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let nested = dir.path().join("a/b");
    std::fs::create_dir_all(&nested).expect("create folders");
    std::fs::write(nested.join("deep.fdi"), UNFORMATTED).expect("write");
    std::fs::write(nested.join("notes.txt"), "not a mapping").expect("write");

    let out = fdi(dir.path(), &["fmt", "--check", "."]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("deep.fdi"));

    assert_eq!(fdi(dir.path(), &["fmt", "."]).status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(nested.join("deep.fdi")).unwrap(),
        FORMATTED
    );
    assert_eq!(
        std::fs::read_to_string(nested.join("notes.txt")).unwrap(),
        "not a mapping"
    );
}

#[test]
fn unreadable_input_has_its_exit_code() {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(
        dir.path().join("latin1.fdi"),
        b"mapping caf\xe9 version \"1\"\n",
    )
    .expect("write");
    let out = fdi(dir.path(), &["fmt", "latin1.fdi", "missing.fdi"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("fdi::E0002") && stderr.contains("fdi::E0001"),
        "{stderr}"
    );
    assert_eq!(
        fdi(dir.path(), &["fmt"]).status.code(),
        Some(2),
        "fmt needs a path"
    );
    std::fs::create_dir(dir.path().join("empty")).expect("create a folder");
    let out = fdi(dir.path(), &["fmt", "--check", "empty"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a folder without mappings is a mistake"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("no mapping files"));
}

/// What CI runs: the repository's mappings, except the case files, are formatted.
#[test]
fn the_examples_are_formatted() {
    let out = fdi(
        &workspace_root(),
        &["fmt", "--check", "examples", "tests/programs"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
