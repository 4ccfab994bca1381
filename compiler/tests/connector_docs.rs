//! docs/connectors.md lists the connector table as the compiler has it (`connectors::CONNECTORS`),
//! between two markers, so the docs and the checker cannot drift apart.

use std::path::Path;

const BEGIN: &str = "<!-- connector table: begin (written by `FDI_WRITE_DOCS=1 cargo test -p fdi-compiler --test connector_docs`) -->\n";
const END: &str = "<!-- connector table: end -->";

#[test]
fn the_docs_list_the_connector_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/connectors.md");
    let docs = std::fs::read_to_string(&path).expect("docs/connectors.md");
    let (Some(begin), Some(end)) = (docs.find(BEGIN), docs.find(END)) else {
        panic!("docs/connectors.md lacks the markers {BEGIN:?} and {END:?}");
    };
    let table = fdi_compiler::connectors::markdown_table();
    let written = &docs[begin + BEGIN.len()..end];
    if written != table {
        if std::env::var_os("FDI_WRITE_DOCS").is_some() {
            let updated = format!("{}{BEGIN}{table}{}", &docs[..begin], &docs[end..]);
            std::fs::write(&path, updated).expect("write docs/connectors.md");
        } else {
            panic!(
                "docs/connectors.md does not list the connector table as the compiler has it; \
                 run `FDI_WRITE_DOCS=1 cargo test -p fdi-compiler --test connector_docs`"
            );
        }
    }
}
