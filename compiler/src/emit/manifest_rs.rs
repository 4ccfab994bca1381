//! `src/manifest.rs`: what the program was built from (see `crate::manifest`).

use crate::ir;
use crate::manifest::{FileHash, Inputs};

/// The manifest file, given the hash of every other file of the crate.
pub fn manifest_rs(program: &ir::Program, inputs: &Inputs, code_sha256: &str) -> String {
    let file = |f: &FileHash| {
        format!(
            "::fdi_runtime::InputFile {{\n        path: {:?},\n        sha256: {:?},\n    }}",
            f.path, f.sha256
        )
    };
    let files = |files: &[FileHash]| {
        if files.is_empty() {
            "&[]".to_string()
        } else {
            let items: Vec<String> = files
                .iter()
                .map(|f| format!("\n        {},", file(f).replace("\n", "\n    ")))
                .collect();
            format!("&[{}\n    ]", items.concat())
        }
    };
    format!(
        "{header}\n\
         //! What this program was built from. The hashes are SHA-256 of the files' bytes; the code's\n\
         //! covers every file of this crate but this one. The git state and the build time are given by\n\
         //! `fdi build` as environment variables when cargo compiles the program.\n\
         \n\
         pub const MANIFEST: ::fdi_runtime::Manifest = ::fdi_runtime::Manifest {{\n    \
             compiler_version: {compiler:?},\n    \
             mapping: {mapping},\n    \
             modules: {modules},\n    \
             schemas: {schemas},\n    \
             master_data: {master_data},\n    \
             generated_code_sha256: {code_sha256:?},\n    \
             git_commit: option_env!(\"FDI_GIT_COMMIT\"),\n    \
             git_dirty: option_env!(\"FDI_GIT_DIRTY\"),\n    \
             built_at: option_env!(\"FDI_BUILT_AT\"),\n    \
             deliveries: {deliveries},\n\
         }};\n",
        header = super::header(program),
        compiler = env!("CARGO_PKG_VERSION"),
        mapping = file(&inputs.mapping),
        modules = files(&inputs.modules),
        schemas = files(&inputs.schemas),
        master_data = files(&inputs.master_data),
        deliveries = deliveries(program),
    )
}

/// What each flow promises, as the manifest lists it (`PROGRAM manifest`, `--version`).
fn deliveries(program: &ir::Program) -> String {
    if program.flows.is_empty() {
        return "&[]".to_string();
    }
    let items: Vec<String> = program
        .flows
        .iter()
        .map(|f| {
            format!(
                "\n        ::fdi_runtime::FlowDelivery {{\n            flow: {:?},\n            source: {:?},\n            target: {:?},\n            delivery: ::fdi_runtime::Delivery::{:?},\n        }},",
                f.name, f.source, f.target, f.delivery
            )
        })
        .collect();
    format!("&[{}\n    ]", items.concat())
}
