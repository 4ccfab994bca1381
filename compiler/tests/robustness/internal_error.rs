//! The guard of `compiler/src/internal_error.rs`: a panic inside it is one E0006 diagnostic
//! naming the input by its SHA-256 and asking for a report, and through the `fdi` binary
//! nothing of Rust's panic message is printed beside it.

use std::path::PathBuf;
use std::process::Command;

use fdi_compiler::diagnostic::Code;
use fdi_compiler::internal_error::{catch_panic, guard};
use fdi_compiler::source_map::SourceMap;

use super::write_temp;

/// SHA-256 of "abc", from FIPS 180-2's examples: the hash is computed independently of fdi.
const SHA256_OF_ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

#[test]
fn a_panic_inside_the_guard_becomes_e0006_with_the_inputs_hash() {
    let result: Result<(), _> = guard(
        || panic!("the emitter met a {} it never expected", "construct"),
        || vec![(PathBuf::from("line1.fdi"), Some(b"abc".to_vec()))],
    );
    let diagnostic = result.expect_err("the panic is caught");
    assert_eq!(diagnostic.code, Code::InternalError);
    assert!(diagnostic.is_error());
    assert!(
        diagnostic
            .message
            .contains("the emitter met a construct it never expected"),
        "{}",
        diagnostic.message
    );
    // Where it panicked: this file.
    assert!(
        diagnostic.message.contains("robustness/internal_error.rs:"),
        "{}",
        diagnostic.message
    );
    let help = diagnostic.help.clone().expect("a help");
    assert!(help.contains("please report"), "{help}");
    assert!(
        help.contains(&format!("line1.fdi (sha256 {SHA256_OF_ABC})")),
        "{help}"
    );
    let rendered = diagnostic.render_plain(&SourceMap::new());
    assert!(rendered.contains("fdi::E0006"), "{rendered}");
}

#[test]
fn the_guard_returns_what_the_work_returns_and_is_reusable() {
    let unreadable = || vec![(PathBuf::from("gone.fdi"), None)];
    assert_eq!(guard(|| 42, unreadable).expect("no panic"), 42);
    let unwrap_of_none = guard(|| std::hint::black_box(None::<u8>).unwrap(), unreadable)
        .expect_err("an unwrap of None is caught");
    assert!(unwrap_of_none
        .help
        .unwrap_or_default()
        .contains("gone.fdi (unreadable)"));
    // A guard inside a guard catches its own panic; the outer work goes on.
    let outer = catch_panic(|| catch_panic(|| panic!("inner")).map_err(|p| p.message));
    assert_eq!(outer, Ok(Err("inner".to_string())));
}

/// Through `fdi check`: the test-only variable, set to the mapping's hash, makes the
/// compilation panic; the output is the one diagnostic, the exit code rustc's 101.
#[test]
fn fdi_reports_a_panic_as_e0006_and_nothing_else() {
    let text = "mapping guarded version \"1\"\nschema \"plant.yaml\"\n";
    let (_dir, path) = write_temp("guarded.fdi", text.as_bytes());
    let hash = fdi_compiler::internal_error::input_hash(text.as_bytes());
    let run = |variable_value: &str| {
        Command::new(env!("CARGO_BIN_EXE_fdi"))
            .arg("check")
            .arg(&path)
            .env("FDI_TEST_INTERNAL_ERROR_FOR_SHA256", variable_value)
            .env("RUST_BACKTRACE", "1")
            .output()
            .expect("run fdi")
    };
    let output = run(&hash);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(101), "{stderr}");
    assert!(stderr.contains("fdi::E0006"), "{stderr}");
    assert!(stderr.contains("please report"), "{stderr}");
    // (miette may wrap the line between "sha256" and the hash)
    assert!(stderr.contains(&hash), "{stderr}");
    for spew in ["thread '", "stack backtrace", "RUST_BACKTRACE", "note:"] {
        assert!(
            !stderr.contains(spew),
            "Rust's panic output leaked: {stderr}"
        );
    }
    // Any other value does nothing: the mapping is checked as usual (its schema is missing).
    let output = run(&"0".repeat(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("fdi::E0201") && !stderr.contains("E0006"),
        "{stderr}"
    );
}
