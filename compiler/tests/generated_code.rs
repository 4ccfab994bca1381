//! The generated program of every example, file by file, so a change in what fdi emits is
//! reviewed like any other code change: formatted, with a `// mapping.fdi:LINE` comment above
//! each statement of a flow or function.

use fdi_compiler::emit::{emit, EmitOptions};
use fdi_compiler::source_map::SourceMap;

#[test]
fn generated_code_of_examples() {
    insta::glob!("../../examples", "*/*.fdi", |path| {
        let mut sources = SourceMap::new();
        let program = fdi_compiler::compile(path, &mut sources).unwrap_or_else(|d| {
            let rendered: Vec<String> = d.iter().map(|d| d.render_plain(&sources)).collect();
            panic!(
                "{} does not check:\n{}",
                path.display(),
                rendered.join("\n")
            )
        });
        // Machine-independent options, so the snapshot is the same everywhere.
        let folder = path.parent().unwrap_or(path);
        let options = EmitOptions {
            runtime_dependency: "{ path = \"../../runtime\" }".into(),
            mapping_dir: format!(
                "/examples/{}",
                path.parent()
                    .and_then(|p| p.file_name())
                    .unwrap_or_default()
                    .to_string_lossy()
            ),
            inputs: fdi_compiler::manifest::inputs(&sources, folder),
            origins: fdi_compiler::emit::Origins::new(&sources, folder),
        };
        let generated = emit(&program, &options);
        let all: Vec<String> = generated
            .files
            .iter()
            .map(|(file, text)| format!("===== {file} =====\n{text}"))
            .collect();
        insta::assert_snapshot!(all.join("\n"));
    });
}
