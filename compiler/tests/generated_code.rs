//! The generated program of every example, and of the cases about names, file by file, so a
//! change in what fdi emits is reviewed like any other code change: formatted, with a
//! `// mapping.fdi:LINE` comment above each statement of a flow or function.

use std::path::Path;

use fdi_compiler::emit::{emit, EmitOptions};
use fdi_compiler::source_map::SourceMap;

/// Every file of the crate generated from `path`.
fn generated_files(path: &Path) -> String {
    let mut sources = SourceMap::new();
    let program = fdi_compiler::compile(path, &mut sources).unwrap_or_else(|d| {
        let rendered: Vec<String> = d.iter().map(|d| d.render_plain(&sources)).collect();
        panic!(
            "{} does not check:\n{}",
            path.display(),
            rendered.join("\n")
        )
    });
    // Nothing in it depends on the machine: the options are the inputs' hashes and the mapping
    // files' names relative to the mapping's folder.
    let folder = path.parent().unwrap_or(path);
    let options = EmitOptions::new(fdi_compiler::manifest::inputs(&sources, folder))
        .with_origins(fdi_compiler::emit::Origins::new(&sources, folder));
    let generated = emit(&program, &options);
    let all: Vec<String> = generated
        .files
        .iter()
        .map(|(file, text)| format!("===== {file} =====\n{text}"))
        .collect();
    all.join("\n")
}

#[test]
fn generated_code_of_examples() {
    insta::glob!("../../examples", "*/*.fdi", |path| {
        insta::assert_snapshot!(generated_files(path));
    });
}

/// A flow that reads its record's topic and the levels its source's filters name: each is read
/// once, at the top of the flow, through the runtime's accessor, and is a `&str` below.
#[test]
fn generated_code_of_topic_levels() {
    insta::glob!("../../tests/cases/valid", "topic_*.fdi", |path| {
        insta::assert_snapshot!(generated_files(path));
    });
}

/// Names Rust, cargo or the generated program would take for something else, and what the
/// generated code calls them instead.
#[test]
fn generated_code_of_the_cases_about_names() {
    insta::glob!("../../tests/cases/valid", "names_*.fdi", |path| {
        insta::assert_snapshot!(generated_files(path));
    });
}

/// `per source` bindings: `src/shared.rs` (a struct and a function per source), the map
/// function calling it once through `Run::share`, and each flow taking it as `shared`.
#[test]
fn generated_code_of_per_source_bindings() {
    insta::glob!("../../tests/cases/valid", "per_source_*.fdi", |path| {
        insta::assert_snapshot!(generated_files(path));
    });
}

/// The program of the end-to-end test of `per source` bindings, as it is built there.
#[test]
fn generated_code_of_the_shared_bindings_program() {
    insta::glob!("../../tests/programs", "shared_bindings/*.fdi", |path| {
        insta::assert_snapshot!(generated_files(path));
    });
}

/// The Sparkplug B programs the service tests run: a host into PostgreSQL, and edge nodes (the
/// MQTT target with `payload: "sparkplug_b"`, opened with its column list).
#[test]
fn generated_code_of_the_sparkplug_programs() {
    insta::glob!("../../tests/programs", "sparkplug_*/*.fdi", |path| {
        insta::assert_snapshot!(generated_files(path));
    });
}

/// The HTTP programs the service tests run: a JSON API polled into SQLite, and one API's records
/// posted to another's (`Run::http_source`, `Run::http_target` with the target's key fields).
#[test]
fn generated_code_of_the_http_programs() {
    insta::glob!(
        "../../tests/programs",
        "{http_to_sqlite,erp_to_mes_http}/*.fdi",
        |path| {
            insta::assert_snapshot!(generated_files(path));
        }
    );
}

/// The OPC UA programs: subscriptions (`run.opcua_source`) and writes (`run.opcua_target`),
/// their node ids as written, a written field's `{field}`s by the record's keys.
#[test]
fn generated_code_of_the_opcua_programs() {
    insta::glob!("../../tests/programs", "opcua_*/*.fdi", |path| {
        insta::assert_snapshot!(generated_files(path));
    });
}
