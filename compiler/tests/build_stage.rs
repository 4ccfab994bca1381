//! The build stage on crates that do not compile cleanly: what a failed build shows, and
//! what `deny_warnings` does. The crates are an example's generated crate with one file
//! replaced, built by `build::build` in the tests' shared target directory.

mod support;

use std::path::Path;

use fdi_compiler::build::{build, BuildOptions};
use fdi_compiler::diagnostic::Diagnostic;
use fdi_compiler::emit::{emit, GeneratedCrate};
use fdi_compiler::source_map::SourceMap;
use support::{shared_target_dir, workspace_root};

/// The mill example's generated crate.
fn mill_crate() -> GeneratedCrate {
    let mapping = workspace_root().join("examples/mill-to-mes/mill_to_mes.fdi");
    let mut sources = SourceMap::new();
    let program =
        fdi_compiler::compile_mapping(&mapping, &mut sources).expect("the example checks");
    emit(&program, &fdi_compiler::emit_options(&mapping, &sources))
}

fn build_in(
    generated: &GeneratedCrate,
    crate_dir: &Path,
    deny_warnings: bool,
) -> Result<(), Diagnostic> {
    let options = BuildOptions {
        crate_dir: crate_dir.to_path_buf(),
        target_dir: shared_target_dir(),
        release: false,
        mapping_dir: workspace_root().join("examples/mill-to-mes"),
        git: None,
        deny_warnings,
        all_connectors: true,
    };
    build(generated, "mill_to_mes", &options).map(|_| ())
}

#[test]
fn a_long_failure_keeps_the_first_error_line() {
    let mut generated = mill_crate();
    // Thirty type errors: far more output than the help shows.
    let errors: String = (0..30)
        .map(|i| format!("    let _e{i}: u8 = \"not a number {i}\";\n"))
        .collect();
    let main = generated.files.get_mut("src/main.rs").expect("main.rs");
    main.push_str(&format!(
        "\n#[allow(dead_code)]\nfn broken() {{\n{errors}}}\n"
    ));
    let crate_dir = tempfile::tempdir().expect("temp dir");
    let failure = build_in(&generated, crate_dir.path(), false).expect_err("does not compile");
    let help = failure.help.expect("the help shows cargo's output");
    let said = help
        .split_once("cargo said:\n")
        .map(|(_, said)| said)
        .unwrap_or_else(|| panic!("no cargo output in:\n{help}"));
    assert!(
        said.starts_with("error[E0308]: mismatched types"),
        "the output shown starts elsewhere:\n{said}"
    );
    assert!(said.contains("not a number 0"), "{said}");
    assert!(said.lines().count() <= 41, "{said}");
    assert!(
        said.trim_end().ends_with("of cargo's output left out)"),
        "{said}"
    );
}

#[test]
fn warnings_in_generated_code_fail_only_when_denied() {
    let mut generated = mill_crate();
    let main = generated.files.get_mut("src/main.rs").expect("main.rs");
    main.push_str("\nfn never_called() {}\n");
    let crate_dir = tempfile::tempdir().expect("temp dir");
    build_in(&generated, crate_dir.path(), false).expect("warnings alone do not fail a build");
    let failure = build_in(&generated, crate_dir.path(), true).expect_err("denied");
    assert!(failure.message.contains("1 warning"), "{}", failure.message);
    let help = failure.help.expect("the warning is shown");
    assert!(
        help.contains("warning: function `never_called` is never used"),
        "{help}"
    );
}
